#!/usr/bin/env bash
# Install hitl-widgets with what the demo needs and open the quickstart in JupyterLab.
#   bash scripts/demo.sh            (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh demo
export HF_HUB_OFFLINE=1
exec python -m jupyter lab notebooks/01_quickstart.ipynb
