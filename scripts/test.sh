#!/usr/bin/env bash
# Run every check of hitl_widgets: the static checks (ruff, ruff format, mypy, tsc), the
# front-end unit tests (vitest), then every Python test with pytest (unit, notebooks,
# PostgreSQL, and the end-to-end tests in a real JupyterLab / Notebook 7 + Chromium).
# README and CI (.ci/run) both call this script.
#
# What the tests need is installed first, only when something is missing (so a second
# run starts testing at once), by `scripts/install.sh test`: Debian's chromium +
# postgresql, the CPU build of PyTorch (before the project, or pip would pull a
# multi-GB CUDA build), the project with its test extras (`pip install -e ".[test]"`,
# which builds the front end with esbuild), and the JS dev dependencies (`npm ci`).
# Python is ${PYTHON:-python}: run it from an activated virtualenv (Debian's own Python
# refuses `pip install`, PEP 668), or set PYTHON=/path/to/venv/bin/python.
#
#   bash scripts/test.sh                 # everything
#   bash scripts/test.sh -k e2e -x       # extra arguments go to pytest
#
# Exit status: non-zero when any check or test fails (static, JS or Python). pytest's "no tests
# collected" (exit 5, e.g. a -k that matches nothing) is reported and not an error.
set -uo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 PIP_DISABLE_PIP_VERSION_CHECK=1
PY=${PYTHON:-$(command -v python || command -v python3 || echo python)}

say() { printf '\n== %s\n' "$*"; }

# -- what the tests need, when missing (scripts/install.sh test does the installing) ---
ready() {
    if [ "$(id -u)" = 0 ]; then
        [ -x /usr/bin/chromium ] || return 1
        command -v pg_ctlcluster >/dev/null 2>&1 || return 1
        command -v espeak-ng >/dev/null 2>&1 || return 1
        [ -d /usr/share/sounds/alsa ] || return 1
    fi
    [ -d js/node_modules ] || return 1
    [ -x js/node_modules/.bin/tsc ] || return 1
    # run from / so that an uninstalled checkout is not imported from the cwd
    (cd / && HITL_REPO="$OLDPWD" "$PY" - <<'PYCHECK' 2>/dev/null
import importlib.metadata, importlib.util, os
import torch  # noqa: F401  (the CPU build must come before the project)
import hitl_widgets
importlib.metadata.version("hitl-widgets")
here = os.path.realpath(os.path.join(os.environ["HITL_REPO"], "hitl_widgets"))
assert os.path.realpath(os.path.dirname(hitl_widgets.__file__)) == here, "another hitl_widgets"
for m in ("pytest", "playwright", "pytest_playwright", "nbclient", "nbformat", "notebook",
          "jupyterlab", "jupyter_client", "psycopg", "krippendorff", "statsmodels",
          "ruff", "mypy", "hypothesis", "skimage", "pycocotools", "PIL",
          "soundfile", "jiwer", "pocketsphinx"):
    assert importlib.util.find_spec(m), m
assert os.path.getsize(os.path.join(here, "static", "classification.js")) > 0, "no front end"
PYCHECK
    ) || return 1
    # the static-check tools must run, not only be importable
    "$PY" -m ruff --version >/dev/null 2>&1 || return 1
    "$PY" -m mypy --version >/dev/null 2>&1 || return 1
}
if ! ready; then
    say "installing what the tests need (bash scripts/install.sh test)"
    PYTHON="$PY" bash scripts/install.sh test || { echo "install failed" >&2; exit 1; }
fi
if [ ! -x /usr/bin/chromium ]; then
    echo "note: /usr/bin/chromium is missing: the end-to-end tests will be skipped" >&2
fi

# -- the tests -------------------------------------------------------------------------
status=0
# static checks (ruff, ruff format, mypy, tsc): each one that fails makes the exit status
# non-zero, and the others still run
PYTHON="$PY" bash scripts/static_checks.sh || status=1

say "JS unit tests (cd js && npm test)"
(cd js && npm test) || status=1

say "Python tests (pytest -q, end-to-end included)"
"$PY" -m pytest -q "$@"
rc=$?
if [ "$rc" = 5 ]; then
    echo "pytest: no test matched the selection (exit 5); not counted as a failure"
elif [ "$rc" != 0 ]; then
    status=1
fi

if [ "$status" = 0 ]; then say "all tests passed"; else say "SOME TESTS FAILED"; fi
exit "$status"
