#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests, on 127.0.0.1 only.
#
#   scripts/pg-test-cluster.sh start DIR   # prints postgresql://nbdag@127.0.0.1:PORT/nbdag
#   scripts/pg-test-cluster.sh stop DIR    # stops it (DIR may then be removed)
#
# Installs Debian's postgresql when initdb/pg_ctl are missing. initdb refuses to run as
# root, so as root the cluster belongs to the "postgres" system user (created when
# missing). The unix socket lives in DIR too, so nothing under /var/run is touched.
# Durability is switched off (fsync, synchronous_commit): it is a test database.
set -euo pipefail

cmd=${1:?usage: $0 start|stop DIR}
dir=${2:?usage: $0 start|stop DIR}
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo

find_bin() {  # pg_ctl/initdb/psql: on PATH, else Debian's versioned directory
  local b
  b=$(command -v "$1" 2>/dev/null || true)
  if [ -z "$b" ]; then
    b=$(ls -d /usr/lib/postgresql/*/bin/"$1" 2>/dev/null | sort -V | tail -1 || true)
  fi
  echo "$b"
}

as_owner() {  # run a command as the cluster's owner (not root)
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

case "$cmd" in
start)
  if [ -z "$(find_bin initdb)" ] || [ -z "$(find_bin pg_ctl)" ]; then
    echo "== installing postgresql (Debian)" >&2
    $SUDO apt-get update -qq >&2
    # no "main" cluster of the package's own, started as a service: ours is enough
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends postgresql-common >/dev/null
    $SUDO sed -ri 's/^#?\s*(create_main_cluster)\s*=.*$/\1 = false/' /etc/postgresql-common/createcluster.conf || true
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  fi
  INITDB=$(find_bin initdb); PG_CTL=$(find_bin pg_ctl); CREATEDB=$(find_bin createdb)
  [ -n "$INITDB" ] && [ -n "$PG_CTL" ] || { echo "initdb/pg_ctl not found after installing postgresql" >&2; exit 1; }
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin postgres
  fi
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  chmod 700 "$dir"
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  as_owner "$INITDB" -D "$dir/data" -U nbdag --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || as_owner "$INITDB" -D "$dir/data" -U nbdag --auth=trust --encoding=UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  mkdir -p "$dir/sock"; [ "$(id -u)" = 0 ] && chown postgres "$dir/sock"
  opts="-p $port -k $dir/sock -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off"
  opts="$opts -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=64MB"
  as_owner "$PG_CTL" -D "$dir/data" -o "$opts" -l "$dir/server.log" -w -t 60 start >&2 \
    || { cat "$dir/server.log" >&2; exit 1; }
  echo "$port" >"$dir/port"
  as_owner "$CREATEDB" -h 127.0.0.1 -p "$port" -U nbdag nbdag
  echo "postgresql://nbdag@127.0.0.1:$port/nbdag"
  ;;
stop)
  PG_CTL=$(find_bin pg_ctl)
  if [ -n "$PG_CTL" ] && [ -f "$dir/data/postmaster.pid" ]; then
    as_owner "$PG_CTL" -D "$dir/data" -m immediate -w stop >&2 || true
  fi
  ;;
*)
  echo "usage: $0 start|stop DIR" >&2; exit 2
  ;;
esac
