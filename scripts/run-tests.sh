#!/usr/bin/env bash
# Install notebook_dag with its test dependencies into .venv and run every test:
# Python (pytest against a real jupyter_server, real kernels, real SQLite; the corpus
# of third-party notebooks end to end; then the server tests again on a real PostgreSQL, and
# the collaboration tests in a cached venv with jupyter-collaboration, the Airflow export
# run by Apache Airflow in a cached venv of its own;
# several servers on one database, a kernel gateway and JupyterHub), the frontend's Jest
# tests, and the Galata UI tests in Debian's Chromium. Used as is by .ci/run.
# Everything it needs it installs (Debian's postgresql and chromium, PyPI, npm) and starts
# itself on 127.0.0.1, and stops at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=${PYTHON:-python3}

# Debian's Chromium for the UI tests (no browser is ever downloaded by Playwright).
if [ ! -x /usr/bin/chromium ]; then
  echo "== installing chromium (Debian)"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi

echo "== python environment (.venv)"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
VPY="$ROOT/.venv/bin/python"
"$VPY" -m pip install -q --disable-pip-version-check -U pip
# A real, non-editable install: builds the labextension and ships it in the wheel.
"$VPY" -m pip install -q --disable-pip-version-check ".[test]"
export PATH="$ROOT/.venv/bin:$PATH"
jupyter server extension list 2>&1 | grep -E "notebook_dag.*OK" >/dev/null || { jupyter server extension list; echo "notebook_dag server extension is not enabled"; exit 1; }
jupyter labextension list 2>&1 | grep -E "notebook_dag.*enabled.*OK" >/dev/null || { jupyter labextension list; echo "notebook_dag labextension is not enabled"; exit 1; }

echo "== import contracts (import-linter, [tool.importlinter] in pyproject.toml)"
lint-imports

echo "== corpus of third-party notebooks (cached per environment in \$NOTEBOOK_DAG_CACHE)"
# The example packages the corpus needs (what build_corpus.sh --python installs), then
# the corpus itself, built once per (selection, build script, installed packages,
# interpreter path) and kept outside the checkout, so that a fresh clone at the same
# place reuses it. The path is part of the key: the reference runs' warnings quote
# site-packages paths, so a corpus built by a checkout elsewhere differs in stderr.
SEL=../shared/corpus/selection.txt
"$VPY" -m pip install -q --disable-pip-version-check \
  $(awk '!/^[[:space:]]*(#|$)/ {print $1"=="$2}' "$SEL" | sort -u) seaborn jinja2 nbclient ipykernel
CACHE_ROOT=${NOTEBOOK_DAG_CACHE:-$HOME/.cache/notebook_dag}
KEY=$( (echo "$VPY"; cat "$SEL" ../shared/corpus/build_corpus.sh; "$VPY" -m pip freeze --all | grep -iv '^notebook[-_]dag') \
  | sha256sum | cut -c1-16)
CORPUS="$CACHE_ROOT/corpus-$KEY"
if [ ! -f "$CORPUS/manifest.json" ]; then
  rm -rf "$CORPUS.tmp"
  mkdir -p "$CACHE_ROOT"
  bash ../shared/corpus/build_corpus.sh "$CORPUS.tmp" --python "$VPY" --runs 2
  rm -rf "$CORPUS" && mv "$CORPUS.tmp" "$CORPUS"
fi
echo "   $CORPUS"
export NOTEBOOK_DAG_CORPUS="$CORPUS"

echo "== PostgreSQL for the tests (a throwaway cluster on 127.0.0.1, stopped at exit)"
PG_DIR=$(mktemp -d /tmp/notebook_dag-pg.XXXXXX)  # under /tmp: the postgres user must reach it
stop_pg() { bash "$ROOT/scripts/pg-test-cluster.sh" stop "$PG_DIR" || true; rm -rf "$PG_DIR"; }
trap stop_pg EXIT
NOTEBOOK_DAG_TEST_PG_URL=$(bash scripts/pg-test-cluster.sh start "$PG_DIR")
export NOTEBOOK_DAG_TEST_PG_URL
echo "   $NOTEBOOK_DAG_TEST_PG_URL"

echo "== configurable-http-proxy for the JupyterHub test (npm, cached in .cache/chp)"
CHP="$ROOT/.cache/chp/node_modules/.bin/configurable-http-proxy"
if [ ! -x "$CHP" ]; then
  npm install --no-audit --no-fund --loglevel=error --prefix "$ROOT/.cache/chp" configurable-http-proxy >/dev/null
fi
export NOTEBOOK_DAG_TEST_CHP="$CHP"

echo "== pytest (SQLite; several servers on one database and JupyterHub use PostgreSQL)"
(cd tests && NOTEBOOK_DAG_TEST_DB=sqlite "$VPY" -m pytest -p no:cacheprovider -q -ra --durations=15 --ignore=test_airflow.py)

# The server tests again on PostgreSQL, each test on a database of its own (tests that
# use no database are deselected by conftest.py). The corpus, the parallel scheduler,
# the authentication checks and the deployment tests (which chose their database
# already) do not depend on the database and ran once, above.
echo "== pytest (PostgreSQL)"
(cd tests && NOTEBOOK_DAG_TEST_DB=postgresql "$VPY" -m pytest -p no:cacheprovider -q -ra --durations=10 \
  -m "not corpus and not deployment" --ignore=test_corpus.py --ignore=test_parallel.py --ignore=test_auth.py \
  --ignore=test_airflow.py)

# The tests marked `collaboration` again with jupyter-collaboration installed (they skip in
# .venv, which stays without it: notebook_dag must work without it). A venv of its own,
# built once per (pyproject.toml, interpreter, pinned version) and cached outside the
# checkout ($CACHE_ROOT, like the corpus: a fresh clone reuses it); on a hit nothing is
# installed: PYTHONPATH makes the checkout's notebook_dag win over the copy installed when
# the venv was built, and the UI pass below takes the labextension just built into .venv.
COLLAB_VERSION=5.0.4
echo "== pytest (jupyter-collaboration $COLLAB_VERSION)"
PY_EXE=$("$PY" -c 'import sys; print(sys.executable)')
CKEY=$( (cat pyproject.toml; echo "$PY_EXE"; echo "$COLLAB_VERSION") | sha256sum | cut -c1-16)
CVENV="$CACHE_ROOT/venv-collab-$CKEY"
if [ ! -f "$CVENV/.complete" ]; then
  find "$CACHE_ROOT" -maxdepth 1 -name 'venv-collab-*' -exec rm -rf {} + 2>/dev/null || true
  mkdir -p "$CACHE_ROOT"
  "$PY" -m venv "$CVENV"
  "$CVENV/bin/python" -m pip install -q --disable-pip-version-check -U pip
  "$CVENV/bin/python" -m pip install -q --disable-pip-version-check ".[test]" "jupyter-collaboration==$COLLAB_VERSION"
  touch "$CVENV/.complete"
fi
CVPY="$CVENV/bin/python"
# Only the files that use the marker are collected (collecting the whole suite costs ~15 s).
(cd tests && NOTEBOOK_DAG_TEST_DB=sqlite PYTHONPATH="$ROOT" "$CVPY" -m pytest -p no:cacheprovider -q -ra \
  -m collaboration $(grep -l 'mark\.collaboration' test_*.py))

# The Airflow export run by Apache Airflow itself (tests/test_airflow.py, marker `airflow`):
# `airflow dags test` on exported DAGs, each task's outputs compared with the project's own
# run. A venv of its own, from scripts/airflow-constraints.txt (Airflow's constraints live on
# GitHub, out of reach), with the tasks' packages at .venv's versions so that both sides
# format outputs with the same libraries; cached like the collaboration venv and rebuilt
# only when the constraints, those versions or the interpreter change.
AIRFLOW_VERSION=3.3.2
echo "== pytest (Apache Airflow $AIRFLOW_VERSION)"
AF_TASK_PKGS='^(numpy|pandas|matplotlib|scikit-learn|scipy|ipython|cloudpickle)=='
AF_TASK_PINS=$("$VPY" -m pip freeze | grep -iE "$AF_TASK_PKGS" || true)
for pkg in numpy pandas matplotlib scikit-learn scipy ipython cloudpickle; do  # one .venv lacks: the constraints' pin
  grep -qi "^$pkg==" <<<"$AF_TASK_PINS" || AF_TASK_PINS="$AF_TASK_PINS"$'\n'"$(grep -i "^$pkg==" scripts/airflow-constraints.txt)"
done
AKEY=$( (cat scripts/airflow-constraints.txt; echo "$PY_EXE"; echo "$AIRFLOW_VERSION"; echo "$AF_TASK_PINS") | sha256sum | cut -c1-16)
AVENV="$CACHE_ROOT/venv-airflow-$AKEY"
if [ ! -f "$AVENV/.complete" ]; then
  find "$CACHE_ROOT" -maxdepth 1 -name 'venv-airflow-*' -exec rm -rf {} + 2>/dev/null || true
  mkdir -p "$CACHE_ROOT"
  "$PY" -m venv "$AVENV"
  grep -viE "$AF_TASK_PKGS" scripts/airflow-constraints.txt > "$AVENV/constraints.txt"
  "$AVENV/bin/python" -m pip install -q --disable-pip-version-check -U pip
  "$AVENV/bin/python" -m pip install -q --disable-pip-version-check -c "$AVENV/constraints.txt" \
    "apache-airflow==$AIRFLOW_VERSION" $AF_TASK_PINS
  touch "$AVENV/.complete"
fi
# The server and the notebook_dag run are .venv's; only `airflow` comes from $AVENV/bin.
(cd tests && NOTEBOOK_DAG_TEST_DB=sqlite NOTEBOOK_DAG_AIRFLOW_BIN="$AVENV/bin" "$VPY" -m pytest -p no:cacheprovider -q -ra \
  -m airflow test_airflow.py)

echo "== jest"
jlpm install --immutable >/dev/null 2>&1 || jlpm install
jlpm test

echo "== UI tests (Galata, Debian Chromium)"
(cd tests/ui && jlpm install >/dev/null && jlpm playwright test)

# The live-document specs again with jupyter-collaboration (its server extension and
# JupyterLab's collaborative document model): one document whether or not it is installed.
echo "== UI tests with jupyter-collaboration (live document specs)"
CJP=$(mktemp -d /tmp/notebook_dag-jp.XXXXXX)
mkdir -p "$CJP/labextensions"
ln -s "$ROOT/.venv/share/jupyter/labextensions/notebook_dag" "$CJP/labextensions/notebook_dag"
(cd tests/ui && JUPYTER_PATH="$CJP" PYTHONPATH="$ROOT" NOTEBOOK_DAG_UI_VENV_BIN="$CVENV/bin" \
  NOTEBOOK_DAG_UI_COLLAB=1 jlpm playwright test $(grep -l 'live-document' tests/*.spec.ts))
rm -rf "$CJP"
