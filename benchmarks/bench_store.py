"""Store benchmark: one durable decision (median, p95) and events per second in bulk.

    python benchmarks/bench_store.py [--n 2000] [--write-readme]

Durable means committed with SQLite WAL + synchronous=FULL (fsync on every commit)
before the call returns, exactly what the widget does before acknowledging.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import hitl_widgets as hw
from hitl_widgets.store import Store


def event(i: int) -> dict:
    return {
        "event_id": uuid.uuid4().hex,
        "task": "bench",
        "item_id": str(i),
        "content_hash": "h",
        "action": "correct",
        "label_after": "b",
        "model_label": "a",
        "model_confidence": 0.7,
        "annotator": "bench",
        "duration_ms": 900.0,
        "session_id": "s",
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--write-readme", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    store = Store(tmp / "bench.db")
    # 1. one durable decision through Store.append
    times = []
    for i in range(args.n):
        t = time.perf_counter()
        store.append([event(i)])
        times.append((time.perf_counter() - t) * 1e3)
    t_single = np.array(times)
    # 2. one decision through the widget's message path (validate, fold, commit, ack)
    df = pd.DataFrame({"text": [f"claim {i}" for i in range(args.n)], "pred": "a", "confidence": 0.5})
    w = hw.ClassificationReview(df, labels=["a", "b"], store=tmp / "w.db", annotator="bench")
    w.send = lambda m, buffers=None: None
    times = []
    for i in range(args.n):
        d = {
            "id": uuid.uuid4().hex,
            "item_id": str(i),
            "action": "correct",
            "label": "b",
            "duration_ms": 800.0,
        }
        t = time.perf_counter()
        w._handle_custom_msg({"type": "decide", "decisions": [d]}, [])
        times.append((time.perf_counter() - t) * 1e3)
    t_widget = np.array(times)
    # 3. bulk: 100,000 events in batches of 10,000 (one transaction each)
    bulk = Store(tmp / "bulk.db")
    evs = [event(i) for i in range(100_000)]
    t = time.perf_counter()
    for i in range(0, len(evs), 10_000):
        bulk.append(evs[i : i + 10_000])
    bulk_rate = len(evs) / (time.perf_counter() - t)
    t = time.perf_counter()
    dec = bulk.decisions("bench")
    fold_s = time.perf_counter() - t
    lines = [
        f"Machine: {os.cpu_count()} CPU cores, {platform.python_implementation()} {platform.python_version()}, "
        f"SQLite {__import__('sqlite3').sqlite_version}, WAL + synchronous=FULL.",
        "",
        "| measure | median | p95 |",
        "|---|---|---|",
        f"| one durable decision, `Store.append` ({args.n} runs) | {np.median(t_single):.2f} ms | {np.percentile(t_single, 95):.2f} ms |",
        f"| one decision through the widget (decide -> commit -> ack) | {np.median(t_widget):.2f} ms | {np.percentile(t_widget, 95):.2f} ms |",
        "",
        f"Bulk: {bulk_rate:,.0f} events/s (100,000 events in transactions of 10,000). "
        f"`decisions()` fold over those 100,000 events: {fold_s:.2f} s ({len(dec):,} rows).",
        "",
        "Target: median durable decision at most 2 ms.",
        "",
        "Reproduce: `python benchmarks/bench_store.py --write-readme`",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write_readme:
        from _readme import write_section

        write_section("store", "## Store\n\n" + text)


if __name__ == "__main__":
    main()
