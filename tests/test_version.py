"""The version is written once, in hitl_widgets/__init__.py (``__version__``).

pyproject.toml reads it (hatch's dynamic version), so the installed distribution's
metadata follows it; js/package.json (private, never published) carries a copy that npm
needs, checked here, as is the copy npm writes into js/package-lock.json.
"""

from __future__ import annotations

import importlib.metadata
import json
import tomllib
from pathlib import Path

import hitl_widgets

ROOT = Path(__file__).resolve().parents[1]


def test_pyproject_reads_the_version_from_the_package() -> None:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in meta["project"], "write the version in hitl_widgets/__init__.py only"
    assert "version" in meta["project"]["dynamic"]
    assert meta["tool"]["hatch"]["version"]["path"] == "hitl_widgets/__init__.py"


def test_js_package_has_the_python_version() -> None:
    pkg = json.loads((ROOT / "js" / "package.json").read_text(encoding="utf-8"))
    assert pkg["version"] == hitl_widgets.__version__, (
        "js/package.json's version differs from hitl_widgets.__version__: update js/package.json "
        "(and run npm install in js/ to update package-lock.json)"
    )
    lock = json.loads((ROOT / "js" / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["version"] == lock["packages"][""]["version"] == hitl_widgets.__version__


def test_installed_metadata_has_the_package_version() -> None:
    # after `pip install -e .` (or of the wheel) the metadata is built from __version__;
    # a stale install (made before a version change) fails here: reinstall
    assert importlib.metadata.version("hitl-widgets") == hitl_widgets.__version__
