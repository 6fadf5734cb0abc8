"""A killed kernel loses no acknowledged decision.

A child process reviews through the widget's own message path (decide -> commit ->
ack) and prints each acknowledged decision id; the parent kills it with SIGKILL at
random moments, then checks that every acknowledged id is in the store and that the
store opens cleanly (SQLite integrity check), over 20+ kills and 1,000+ decisions.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import hitl_widgets as hw

CHILD = textwrap.dedent(
    """
    import sys, uuid
    import pandas as pd
    import hitl_widgets as hw

    db = sys.argv[1]
    df = pd.DataFrame({"text": [f"claim {i}" for i in range(5000)],
                       "pred": ["a", "b"] * 2500, "confidence": 0.5})
    w = hw.ClassificationReview(df, labels=["a", "b"], store=db, annotator="crash",
                                revisit=True)
    acked = []
    w.send = lambda m, buffers=None: acked.extend(m.get("ids", []))
    print("ready", flush=True)
    i = 0
    while True:
        d = {"id": uuid.uuid4().hex, "item_id": str(i % 5000),
             "action": "correct" if i % 3 else "accept", "label": "b", "duration_ms": 1.0}
        w._handle_custom_msg({"type": "decide", "decisions": [d]}, [])
        while acked:
            print(acked.pop(0), flush=True)
        i += 1
    """
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_sigkill_loses_no_acknowledged_decision(tmp_path):
    db = tmp_path / "crash.db"
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    rng = random.Random(1234)
    acked: list[str] = []
    kills = 0
    while kills < 20 or len(acked) < 1000:
        proc = subprocess.Popen(
            [sys.executable, str(script), str(db)], stdout=subprocess.PIPE, text=True, env=env
        )
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 0.6))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        # Every complete line it printed before dying is an acknowledged, hence committed,
        # decision id; a last line cut by the kill is not a whole id and is left out.
        out = proc.stdout.read()
        lines = out.split("\n")
        got = [ln for ln in lines[:-1] if ln]
        assert all(len(ln) == 32 for ln in got), got[:3]
        acked.extend(got)
        kills += 1
        assert kills < 200, "the child makes too few decisions to reach 1,000"
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = {r[0] for r in con.execute("SELECT event_id FROM events")}
    con.close()
    missing = [i for i in acked if i not in stored]
    assert not missing, f"{len(missing)} acknowledged decisions lost, e.g. {missing[:3]}"
    assert len(set(acked)) == len(acked)
    store = hw.open_store(db)  # opens cleanly and folds
    assert len(store.events()) >= len(acked) >= 1000
    assert kills >= 20
