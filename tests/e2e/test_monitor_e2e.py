"""MonitorWidget end to end: a real JupyterLab, Chromium, the real kernel and a SQLite store.

The notebook opens the monitor on a store; this test process (not the kernel) writes new
audited decisions into the store and waits until the page shows the new audit count (the
kernel's polling thread saw the write); then it pauses the automation from the page with
a reason and checks the store holds the switch, and that the kernel's router obeys it.
"""

from __future__ import annotations

import sqlite3
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from jupyter_harness import ARTIFACTS, NotebookPage, make_notebook, wait_shows

from hitl_widgets.routing import Router
from hitl_widgets.store import Store

pytestmark = pytest.mark.e2e

ROOT = '[data-testid="monitor-root"]'
REASON = "error above target <img src=x onerror=window.__pwned=1>"

_JS_MONITOR = """() => {
  const r = document.querySelector('[data-testid="monitor-root"]');
  if (!r) return null;
  const q = (id) => r.querySelector(`[data-testid="${id}"]`);
  return {
    audits: Number(r.dataset.audits),
    paused: r.dataset.paused,
    state: q('pause-state').textContent,
    running: q('running').textContent,
    notice: q('pause-notice').hidden ? null : q('pause-notice').textContent,
    points: r.querySelectorAll('[data-testid="chart-window"]').length,
    button: q('pause-button').textContent,
    error: q('monitor-error').hidden ? null : q('monitor-error').textContent,
  };
}"""


def decisions(ids: list[str], wrong: bool) -> list[dict[str, Any]]:
    return [
        {
            "event_id": f"decide-{i}",
            "task": "t",
            "item_id": i,
            "action": "correct" if wrong else "accept",
            "label_before": "ok",
            "label_after": "bad" if wrong else "ok",
            "model_label": "ok",
            "annotator": "outside",
        }
        for i in ids
    ]


def monitor(page) -> dict[str, Any]:
    return page.evaluate(_JS_MONITOR) or {}


def test_the_page_follows_writes_from_outside_and_pauses_the_automation(
    lab_server, open_notebook, store_path
):
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {"id": [f"i{k}" for k in range(200)], "pred": "ok", "confidence": rng.uniform(0.8, 1.0, 200)}
    )
    with Store(store_path) as store:
        res = Router(["ok", "bad"], thresholds=0.85, audit_rate=0.3, seed=2).route(
            df, id="id", store=store, task="t"
        )
        audits = res.frame.loc[res.frame["audit"], "id"].tolist()
        first = audits[:10]
        store.append(decisions(first, wrong=False))
    source = textwrap.dedent(f"""\
        import hitl_widgets as hw
        from hitl_widgets.monitor import MonitorWidget
        w = MonitorWidget({str(store_path)!r}, task="t", refresh=0.5, overseer="e2e-overseer",
                          rules=["running_error > 0.2"])
        w""")
    nbp: NotebookPage = open_notebook(lab_server, "monitor.ipynb", make_notebook(source))
    page = nbp.page
    nbp.run_all()
    w = wait_shows(lambda: monitor(page), "the first figures", 60, audits=10, paused="false")
    assert w["running"] == "0.0% (0 of 10 audits)" and w["points"] >= 1, w

    # written from this process, outside the kernel: the page follows by polling
    rest = audits[10:]
    with Store(store_path) as store:
        store.append(decisions(rest, wrong=True))
    w = wait_shows(lambda: monitor(page), "the new audits", 30, audits=len(audits))
    assert w["running"].endswith(f"({len(rest)} of {len(audits)} audits)"), w

    # pause from the page, with a reason
    page.locator(ROOT).locator('[data-testid="pause-reason"]').fill(REASON)
    page.locator(ROOT).locator('[data-testid="pause-button"]').click()
    w = wait_shows(lambda: monitor(page), "the pause", 30, paused="true", button="Resume automation")
    assert "paused by e2e-overseer" in w["state"] and REASON in w["state"], w
    con = sqlite3.connect(f"file:{Path(store_path)}?mode=ro", uri=True)
    try:
        rows = con.execute("SELECT action, annotator, note FROM events WHERE action = 'pause'").fetchall()
    finally:
        con.close()
    assert rows == [("pause", "e2e-overseer", REASON)], rows
    # the kernel's router now sends everything to a person
    kernel = nbp.kernel()
    try:
        sent = kernel.eval(
            "bool((hw.Router(['ok', 'bad'], thresholds=0.5).route("
            "__import__('pandas').DataFrame({'id': ['z1', 'z2'], 'pred': 'ok', 'confidence': [0.99, 0.98]}),"
            f" id='id', store={str(store_path)!r}, task='t').frame['route'] == 'review').all())"
        )
    finally:
        kernel.close()
    assert sent in (True, "True"), sent
    assert page.evaluate("() => typeof window.__pwned") == "undefined"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator(ROOT).screenshot(path=str(ARTIFACTS / "monitor.png"))  # how it looks, for people
    assert not page.page_errors, page.page_errors  # type: ignore[attr-defined]
