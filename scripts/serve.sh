#!/usr/bin/env bash
# Serve a notebook that builds a review as a web page (Voila), for people who do not use
# notebooks: each person opens a link with their name (?annotator=ana) and reviews with the keys.
#
#   bash scripts/serve.sh pilot.ipynb --port 8866 --name ana --name bob
#
# Prints one link per --name once the page answers; --ip 0.0.0.0 serves other machines (a
# random token is then added to the links). Every option: python -m hitl_widgets.serve --help
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
py="${PYTHON:-python}"
if [[ -z "${PYTHON:-}" && -x "$here/.venv/bin/python" ]]; then py="$here/.venv/bin/python"; fi
if ! "$py" -c "import voila" 2>/dev/null; then
  echo "Voila is not installed: $py -m pip install voila" >&2
  exit 2
fi
exec "$py" -m hitl_widgets.serve "$@"
