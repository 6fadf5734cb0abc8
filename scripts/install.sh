#!/usr/bin/env bash
# Install hitl-widgets for the demo ("demo") or for the whole test suite ("test").
# Idempotent: what is already there is not installed again.
# Installs into the Python of ${PYTHON:-python}: run it from an activated virtualenv
# (Debian's and Ubuntu's own Python refuse `pip install`, PEP 668):
#   python3 -m venv .venv && source .venv/bin/activate && bash scripts/install.sh
set -euo pipefail
cd "$(dirname "$0")/.."
extra="${1:-demo}"
PY=${PYTHON:-$(command -v python || command -v python3)}
pip() { "$PY" -m pip "$@"; }

# The CPU build of PyTorch first: a bare `torch` would pull a multi-GB CUDA build.
if ! "$PY" -c "import torch" 2>/dev/null; then
    pip install "torch==2.13.0" || pip install torch --index-url https://download.pytorch.org/whl/cpu
fi

if [ "$extra" = "test" ]; then
    # A real browser and a real PostgreSQL server for the end-to-end and concurrency tests,
    # and speech for notebook 07.
    need=()
    [ -x /usr/bin/chromium ] || need+=(chromium)
    command -v pg_ctlcluster >/dev/null 2>&1 || need+=(postgresql)
    # notebook 07's real speech: a voice that speaks any text, and alsa-utils' spoken test clips
    command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
    [ -d /usr/share/sounds/alsa ] || need+=(alsa-utils)
    if [ "${#need[@]}" -gt 0 ]; then
        SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
    fi
fi

# Builds the front end (npm install + esbuild) through hatch-jupyter-builder.
pip install -e ".[$extra]"
if [ "$extra" = "test" ]; then
    (cd js && npm ci --no-audit --no-fund)
fi
