#!/usr/bin/env bash
# Install hitl-widgets with what the demo needs and open the quickstart in JupyterLab.
#   bash scripts/demo.sh            (from the repository root)
# Uses the Python of ${PYTHON:-python}: run it from an activated virtualenv
#   python3 -m venv .venv && source .venv/bin/activate && bash scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-$(command -v python || command -v python3)}
PYTHON="$PY" bash scripts/install.sh demo
export HF_HUB_OFFLINE=1
exec "$PY" -m jupyter lab notebooks/01_quickstart.ipynb
