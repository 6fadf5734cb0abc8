"""scripts/static_checks.sh (run first by scripts/test.sh, so by CI) fails the run on a
ruff, ruff format, mypy or tsc error: each check is pointed at a small tree with one
planted error and must fail; the same tree without it passes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TSC = REPO / "js" / "node_modules" / ".bin" / "tsc"

CLEAN_PY = "def double(x: int) -> int:\n    return 2 * x\n\n\nVALUE: int = double(2)\n"
CLEAN_TS = "export function double(x: number): number {\n  return 2 * x;\n}\n"
PLANTED = {
    "ruff": ("py", "import os\n\n" + CLEAN_PY),  # an unused import
    "ruff format": ("py", CLEAN_PY.replace("return 2 * x", "return 2*x")),
    "mypy": ("py", CLEAN_PY.replace("double(2)", 'double("2")')),
    "tsc": ("ts", CLEAN_TS.replace("return 2 * x;", 'return "2" + x;')),
}


def run_checks(tmp: Path, py: str, ts: str) -> subprocess.CompletedProcess[str]:
    (tmp / "pkg").mkdir(exist_ok=True)
    (tmp / "pkg" / "mod.py").write_text(py)
    (tmp / "web").mkdir(exist_ok=True)
    (tmp / "web" / "mod.ts").write_text(ts)
    (tmp / "web" / "tsconfig.json").write_text(
        json.dumps({"compilerOptions": {"strict": True, "noEmit": True, "types": []}, "include": ["*.ts"]})
    )
    env = {
        **os.environ,
        "PYTHON": sys.executable,
        "HITL_PY_DIRS": str(tmp / "pkg"),
        "HITL_MYPY_TARGETS": str(tmp / "pkg" / "mod.py"),
        "HITL_TS_PROJECT": str(tmp / "web"),
    }
    return subprocess.run(
        ["bash", str(REPO / "scripts" / "static_checks.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def have_tools() -> None:
    if not TSC.exists():
        pytest.fail("js/node_modules is missing: run `cd js && npm ci` (scripts/test.sh does)")


@pytest.mark.parametrize("check", list(PLANTED))
def test_each_static_check_fails_the_run(tmp_path: Path, have_tools: None, check: str) -> None:
    kind, text = PLANTED[check]
    res = run_checks(tmp_path, text if kind == "py" else CLEAN_PY, text if kind == "ts" else CLEAN_TS)
    out = res.stdout + res.stderr
    assert res.returncode != 0, out
    # the failing check is the planted one; the others still ran (and passed)
    assert "== static checks: TypeScript" in out, out
    if check == "ruff":
        assert "F401" in out
    elif check == "ruff format":
        assert "would be reformatted" in out
    elif check == "mypy":
        assert "error: Argument 1" in out
    else:
        assert "error TS2322" in out


def test_a_clean_tree_passes(tmp_path: Path, have_tools: None) -> None:
    res = run_checks(tmp_path, CLEAN_PY, CLEAN_TS)
    assert res.returncode == 0, res.stdout + res.stderr
