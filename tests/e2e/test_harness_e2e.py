"""The harness itself, on a plain ipywidgets notebook (no hitl widget): when these pass
and the widget tests fail, the widget is at fault, not the harness."""

from __future__ import annotations

import pytest
from jupyter_harness import make_notebook, wait_for

pytestmark = pytest.mark.e2e


def test_harness_runs_cells_reads_kernel_and_survives_sigkill(lab_server, open_notebook):
    nb = make_notebook(
        "import ipywidgets as w\ncounter = {'clicks': 0}\n"
        "b = w.Button(description='press me')\n"
        "b.on_click(lambda _: counter.__setitem__('clicks', counter['clicks'] + 1))\nb",
        "x = 41 + 1",
    )
    nbp = open_notebook(lab_server, "harness.ipynb", nb)
    nbp.run_all()
    cells = nbp.cells()
    assert [c["count"] for c in cells] == [1, 2]
    k = nbp.kernel()
    try:
        assert k.eval("x") == 42
        btn = nbp.page.locator("button.jupyter-button", has_text="press me")
        btn.click()
        btn.click()
        wait_for(lambda: k.eval("counter['clicks']") == 2, 30, "two clicks in the kernel")
        # silent evaluation does not move the notebook's execution counts
        assert [c["count"] for c in nbp.cells()] == [1, 2]
        pid = k.sigkill()
    finally:
        k.close()
    nbp.restart_kernel()
    nbp.dismiss_dialogs()
    nbp.run_all()
    k2 = nbp.kernel()
    try:
        assert k2.pid() != pid
        assert k2.eval("x") == 42
        assert k2.eval("counter['clicks']") == 0
    finally:
        k2.close()
