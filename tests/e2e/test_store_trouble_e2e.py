"""A PostgreSQL store that restarts and goes away under a review in the browser (issue 10
#6), end to end: real JupyterLab, Chromium, kernel and PostgreSQL server.

Keys decide; the server restarts between two decisions (the store reconnects: nothing is
lost or doubled); then the server stops: the widget says so, the decisions stay pending
in the browser; the server starts again: the browser's resend stores them, the message
clears, and the store holds every decision exactly once.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from jupyter_harness import NotebookPage, make_notebook, wait_shows

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/pg_server.py
from pg_server import SECRET, PgServer

pytestmark = pytest.mark.e2e

_JS = """() => {
  const r = document.querySelector('[data-testid="hitl-root"]');
  if (!r) return null;
  const q = (id) => r.querySelector(`[data-testid="${id}"]`);
  const m = q('message');
  return {
    state: r.dataset.state,
    painted: r.dataset.paintedQi === undefined ? null : Number(r.dataset.paintedQi),
    pending: Number(q('pending').textContent),
    message: m && !m.hidden ? m.textContent : '',
    level: m ? m.getAttribute('data-level') : null,
  };
}"""


@pytest.fixture
def pg_server():
    server = PgServer()
    try:
        yield server
    finally:
        server.close()


def test_postgres_restart_and_outage_under_a_review(lab_server, open_notebook, pg_server):
    url = pg_server.new_database()
    src = textwrap.dedent(f"""\
        import pandas as pd
        import hitl_widgets as hw
        store = hw.Store({url!r}, reconnect_timeout=1.0)
        df = pd.DataFrame({{"text": [f"claim {{i}}" for i in range(12)], "pred": "auto",
                            "confidence": 0.6}})
        review = hw.ClassificationReview(df, labels=["auto", "theft"], store=store, annotator="ana")
        review""")
    nbp: NotebookPage = open_notebook(lab_server, "pg_trouble.ipynb", make_notebook(src))
    nbp.run_all()
    page = nbp.page

    def state() -> dict[str, Any]:
        return page.evaluate(_JS) or {}

    def wait(what: str, timeout: float = 60.0, **expect: Any) -> dict[str, Any]:
        return wait_shows(state, what, timeout, **expect)

    wait("the first item", state="item", painted=0)
    page.locator('[data-testid="item-text"]').click()
    page.keyboard.press("Enter")
    wait("saved", painted=1, pending=0)
    pg_server.restart()
    page.keyboard.press("2")  # the store reconnects: saved as if nothing happened
    wait("saved after the restart", painted=2, pending=0)
    pg_server.stop()
    try:
        page.keyboard.press("Enter")
        s = wait("the widget to say the server is away", painted=3, level="error", timeout=30)
        assert "cannot be reached" in s["message"] and SECRET not in s["message"], s
        assert s["pending"] == 1  # kept in the browser
        page.keyboard.press("2")
        wait("two pending", painted=4, pending=2)
    finally:
        pg_server.start()
    s = wait("the resend to store them", pending=0, timeout=60)
    k = nbp.kernel()
    try:
        rows = k.eval("[(r.item_id, r.human_label) for r in review.decisions().itertuples()]")
        n_events = k.eval("len(review.events())")
    finally:
        k.close()
    assert sorted(map(tuple, rows)) == [("0", "auto"), ("1", "theft"), ("2", "auto"), ("3", "theft")]
    assert n_events == 4  # nothing doubled by the resends
