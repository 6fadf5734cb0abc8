#!/usr/bin/env bash
# Install hitl-widgets for the demo ("demo") or for the whole test suite ("test").
# Idempotent: what is already there is not installed again.
set -euo pipefail
cd "$(dirname "$0")/.."
extra="${1:-demo}"
PIP="python -m pip"

# The CPU build of PyTorch first: a bare `torch` would pull a multi-GB CUDA build.
if ! python -c "import torch" 2>/dev/null; then
    $PIP install "torch==2.13.0" || $PIP install torch --index-url https://download.pytorch.org/whl/cpu
fi

if [ "$extra" = "test" ]; then
    # A real browser and a real PostgreSQL server for the end-to-end and concurrency tests.
    need=()
    [ -x /usr/bin/chromium ] || need+=(chromium)
    command -v pg_ctlcluster >/dev/null 2>&1 || need+=(postgresql)
    if [ "${#need[@]}" -gt 0 ]; then
        SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
    fi
fi

# Builds the front end (npm install + esbuild) through hatch-jupyter-builder.
$PIP install -e ".[$extra]"
if [ "$extra" = "test" ]; then
    (cd js && npm ci --no-audit --no-fund)
fi
