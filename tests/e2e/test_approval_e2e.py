"""Agent approvals end to end: a claims agent runs in the background of a real JupyterLab
kernel; its risky tool calls are held; the test decides them from the keyboard in
Chromium while another cell keeps the kernel busy for 30 s; then the store file.

Checked: held calls appear in the live queue without a key; an approval and a reject with
a reason reach the waiting agent while the other cell is still running (the agent's
status line says "finished" before the busy cell ends); the approved call ran with its
arguments, the rejected one never ran; every decision was committed before the call ran
(`execute` after the decision in the log).
"""

from __future__ import annotations

import sqlite3
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from jupyter_harness import NotebookPage, make_notebook, wait_for, wait_shows

pytestmark = pytest.mark.e2e

SEL = ".hitl-approval"

_JS = """(sel) => {
  const r = document.querySelector(sel);
  const run = document.querySelector('[data-testid="agent-run"]');
  const busy = null;
  if (!r) return {agent: run ? run.dataset.status : null, busy};
  const q = (id) => r.querySelector(`[data-testid="${id}"]`);
  const t = q('item-text');
  return {
    state: r.dataset.state,
    item: t ? (t.dataset.itemId ?? null) : null,
    tool: q('tool-name') ? q('tool-name').textContent : null,
    amount: r.querySelector('[data-testid="arg-row"][data-arg="amount"]')?.textContent ?? null,
    painted: r.dataset.paintedQi === undefined ? null : Number(r.dataset.paintedQi),
    pending: q('pending') ? Number(q('pending').textContent) : null,
    reason: !!q('reason-input') && !q('reason-input').closest('[hidden]'),
    queue: r.querySelector('[data-testid="position"]')?.textContent ?? null,
    agent: run ? run.dataset.status : null,
    busy,
  };
}"""


def source(store: Path) -> str:
    return textwrap.dedent(f"""\
        import hitl_widgets as hw
        from hitl_widgets.agents import Gate, run_in_background

        gate = Gate({str(store)!r}, "claims-agent", policies={{"large claim": "amount > 10000"}},
                    timeout=120, poll=0.05)
        paid = []

        @gate.tool
        def pay_claim(claim_id: str, amount: float) -> str:
            paid.append((claim_id, amount))
            return f"paid {{claim_id}}"

        def agent():
            return [pay_claim("CLM-1", 120.0), pay_claim("CLM-2", 25000.0), pay_claim("CLM-3", 40000.0)]

        queue = gate.queue(annotator="ana")
        queue""")


def test_held_calls_are_decided_from_the_keyboard_while_another_cell_is_busy(
    lab_server, open_notebook, store_path
):
    nb = make_notebook(
        source(store_path), "run = run_in_background(agent)\nrun", "import time\ntime.sleep(30)\n'slept'"
    )
    nbp: NotebookPage = open_notebook(lab_server, "approvals.ipynb", nb)
    page = nbp.page
    nbp.command("notebook:run-all-cells")  # the queue, the agent, then a cell busy for 30 s

    def busy() -> bool:
        # the agent's cell has run and the sleeping one has not finished
        cells = [c for c in nbp.cells() if c["type"] == "code"]
        return cells[1]["count"] is not None and cells[2]["count"] is None

    def state() -> dict[str, Any]:
        s = page.evaluate(_JS, SEL) or {}
        s["busy"] = busy()
        return s

    def wait(what: str, timeout: float = 60.0, **expect: Any) -> dict[str, Any]:
        return wait_shows(state, what, timeout, **expect)

    s = wait("the first held call", state="item", painted=0)
    assert s["tool"] == "pay_claim" and "25000" in (s["amount"] or ""), s
    wait_for(busy, 30, "the busy cell to be running")
    page.locator(SEL).locator('[data-testid="item-text"]').click()
    page.keyboard.press("Enter")  # approve CLM-2
    s = wait("the second held call", painted=1, timeout=30)
    assert "40000" in (s["amount"] or ""), s
    page.keyboard.press("r")
    wait("the reason box", reason=True, timeout=10)
    page.keyboard.type("amount exceeds the policy limit")
    page.keyboard.press("Enter")
    s = wait("the agent to finish while the other cell still runs", agent="finished", timeout=30)
    assert s["busy"], "the busy cell ended before the agent resumed: decisions did not get through"
    assert s["pending"] == 0
    nbp.server.wait_idle(nbp.path, timeout=90)

    k = nbp.kernel()
    try:
        result = k.eval("run.result()")
        paid = k.eval("paid")
    finally:
        k.close()
    assert result[0] == "paid CLM-1" and result[1] == "paid CLM-2"
    assert "amount exceeds the policy limit" in result[2]
    assert [tuple(p) for p in paid] == [("CLM-1", 120.0), ("CLM-2", 25000.0)]

    con = sqlite3.connect(f"file:{store_path}?mode=ro", uri=True)
    try:
        rows = con.execute(
            "SELECT seq, item_id, action, annotator FROM events WHERE task = 'claims-agent' ORDER BY seq"
        ).fetchall()
    finally:
        con.close()
    by_item: dict[str, list[tuple[str, Any]]] = {}
    for _seq, item, action, ann in rows:
        by_item.setdefault(item, []).append((action, ann))
    flows = sorted([a for a, _ in v] for v in by_item.values())
    assert flows == [["route", "accept", "execute"], ["route", "execute"], ["route", "reject"]], flows
    assert all(ann == "ana" for v in by_item.values() for a, ann in v if a in ("accept", "reject"))
    time.sleep(0)  # (nothing timed here: latency lives in benchmarks/bench_agent.py)
