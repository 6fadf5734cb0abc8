"""The wheel carries the built front end, and installing it needs no Node.js."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(out), str(ROOT)],
                   check=True, capture_output=True, text=True)
    (whl,) = out.glob("hitl_widgets-*.whl")
    return whl


@pytest.mark.slow
def test_wheel_ships_the_bundle_and_no_cdn_import(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "hitl_widgets/static/classification.js" in names
    assert "hitl_widgets/static/classification.css" in names
    assert not any(n.startswith("js/") or "node_modules" in n for n in names)
    js = zipfile.ZipFile(wheel).read("hitl_widgets/static/classification.js").decode()
    assert len(js) > 5000
    # every dependency is bundled: no import of anything but relative files, no CDN
    for marker in ("https://cdn", "esm.sh", "unpkg.com", "jsdelivr", 'from"http', "from 'http",
                   'import("http'):
        assert marker not in js, marker


@pytest.mark.slow
def test_installing_the_wheel_needs_no_node(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, system_site_packages=True, with_pip=True)
    py = env_dir / "bin" / "python"
    # a PATH without node or npm
    bare = tmp_path / "bin"
    bare.mkdir()
    for tool in ("sh", "env"):
        if shutil.which(tool):
            os.symlink(shutil.which(tool), bare / tool)
    env = {"PATH": str(bare), "HOME": str(tmp_path), "PYTHONNOUSERSITE": "1"}
    subprocess.run([str(py), "-m", "pip", "install", "--no-deps", "--no-index",
                    "--force-reinstall", str(wheel)], check=True, env=env, capture_output=True)
    code = ("import hitl_widgets, pathlib; p = pathlib.Path(hitl_widgets.__file__).parent;"
            "assert 'site-packages' in str(p), p;"
            "assert (p / 'static' / 'classification.js').stat().st_size > 5000;"
            "print(str(hitl_widgets.ClassificationReview._esm)[:20])")
    r = subprocess.run([str(py), "-c", code], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
