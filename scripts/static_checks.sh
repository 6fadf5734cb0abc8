#!/usr/bin/env bash
# The static checks of hitl_widgets: ruff (lint), ruff format --check, mypy and the
# TypeScript compiler (tsc --noEmit). Each runs even when an earlier one failed; the exit
# status is non-zero when any of them failed. scripts/test.sh (and so CI) runs this first.
#
# What is checked can be pointed elsewhere (tests/test_static_checks.py does, on a small
# tree with one planted error per check, to show each one fails the run):
#   HITL_PY_DIRS="hitl_widgets tests benchmarks scripts"  (ruff, ruff format)
#   HITL_MYPY_TARGETS="hitl_widgets"                       (mypy, with pyproject.toml's settings)
#   HITL_TS_PROJECT=js                                      (a folder with a tsconfig.json)
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-$(command -v python || command -v python3 || echo python)}
read -r -a PY_DIRS <<< "${HITL_PY_DIRS:-hitl_widgets tests benchmarks scripts}"
read -r -a MYPY_TARGETS <<< "${HITL_MYPY_TARGETS:-hitl_widgets}"
TS_PROJECT=${HITL_TS_PROJECT:-js}

say() { printf '\n== %s\n' "$*"; }
status=0
say "static checks: ruff check ${PY_DIRS[*]}"
"$PY" -m ruff check "${PY_DIRS[@]}" || status=1
say "static checks: ruff format --check ${PY_DIRS[*]}"
"$PY" -m ruff format --check "${PY_DIRS[@]}" || status=1
say "static checks: mypy ${MYPY_TARGETS[*]}"
"$PY" -m mypy "${MYPY_TARGETS[@]}" || status=1
say "static checks: TypeScript (tsc --noEmit -p ${TS_PROJECT})"
js/node_modules/.bin/tsc --noEmit -p "$TS_PROJECT" || status=1
exit "$status"
