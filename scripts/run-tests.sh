#!/usr/bin/env bash
# Install notebook_dag with its test dependencies into .venv and run every test:
# Python (pytest against a real jupyter_server, real kernels, real SQLite; the corpus
# of third-party notebooks end to end), the frontend's Jest tests, and the Galata UI
# tests in Debian's Chromium. Used as is by .ci/run.
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

echo "== corpus of third-party notebooks (cached in .cache/corpus)"
if [ ! -f .cache/corpus/manifest.json ]; then
  bash ../shared/corpus/build_corpus.sh .cache/corpus --python "$VPY" --runs 2
fi
export NOTEBOOK_DAG_CORPUS="$ROOT/.cache/corpus"

echo "== pytest"
(cd tests && "$VPY" -m pytest -p no:cacheprovider -q -ra --durations=15)

echo "== jest"
jlpm install --immutable >/dev/null 2>&1 || jlpm install
jlpm test

echo "== UI tests (Galata, Debian Chromium)"
(cd tests/ui && jlpm install >/dev/null && jlpm playwright test)
