"""The wheel carries the built front end, and installing it needs no Node.js."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
    )
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
    for marker in (
        "https://cdn",
        "esm.sh",
        "unpkg.com",
        "jsdelivr",
        'from"http',
        "from 'http",
        'import("http',
    ):
        assert marker not in js, marker


def _dependency_dirs() -> list[str]:
    """Where the running interpreter finds the project's dependencies.

    Its site directories (``sysconfig``'s purelib/platlib, ``site.getsitepackages()``)
    and whatever else is on its ``sys.path`` (PYTHONPATH, ...), minus the checkout: the
    same list whether pytest runs from a virtualenv (whose site-packages a venv made with
    ``system_site_packages=True`` would not see: that option points at the *base*
    interpreter) or from a system interpreter.
    """
    paths = sysconfig.get_paths()
    dirs: list[str] = []
    for d in [paths["purelib"], paths["platlib"], *site.getsitepackages(), *sys.path]:
        if not d or not os.path.isdir(d):
            continue
        d = os.path.realpath(d)
        if d != str(ROOT) and d not in dirs:
            dirs.append(d)
    return dirs


@pytest.mark.slow
def test_installing_the_wheel_needs_no_node(wheel: Path, tmp_path: Path) -> None:
    # a venv of its own, without pip (ensurepip is not always there, e.g. Debian without
    # python3-venv) and without system site packages (see _dependency_dirs)
    env_dir = tmp_path / "venv"
    venv.create(env_dir, system_site_packages=False, with_pip=False)
    py = env_dir / "bin" / "python"
    # a PATH without node or npm
    bare = tmp_path / "bin"
    bare.mkdir()
    for tool in ("sh", "env"):
        if shutil.which(tool):
            os.symlink(shutil.which(tool), bare / tool)
    env = {"PATH": str(bare), "HOME": str(tmp_path), "PYTHONNOUSERSITE": "1"}
    # the running interpreter's pip installs the wheel, only the wheel, into the venv
    r = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index", str(wheel)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    # then (not before: pip would see the checkout's own install) the dependencies become
    # visible, after the venv's site-packages, so the installed wheel comes first
    site_dir = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(site_dir) / "_hitl_test_dependencies.pth").write_text("\n".join(_dependency_dirs()) + "\n")
    code = (
        "import hitl_widgets, pathlib, sys; p = pathlib.Path(hitl_widgets.__file__).resolve().parent;"
        "env = pathlib.Path(sys.argv[1]).resolve();"
        "assert p.is_relative_to(env) and 'site-packages' in str(p), p;"
        "assert (p / 'static' / 'classification.js').stat().st_size > 5000;"
        "print(str(hitl_widgets.ClassificationReview._esm)[:20])"
    )
    r = subprocess.run(
        [str(py), "-c", code, str(env_dir)], env=env, capture_output=True, text=True, cwd=tmp_path
    )
    assert r.returncode == 0, r.stderr
