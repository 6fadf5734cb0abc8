"""A 1,000,000-row DataFrame: time to the first item and memory added beyond the frame.

    python benchmarks/bench_million.py [--rows 1000000] [--write-readme]

Time to first item = ClassificationReview(...) constructed (validation, store opened,
queue built) + the browser's first fetch answered with the first page of items.
Memory = the process's resident memory after the first item minus before the widget
(the frame itself already built), and the peak of resident memory sampled every 2 ms during that span.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import hitl_widgets as hw


def settle() -> None:
    """Return freed heap to the OS (glibc and Arrow's pool) so RSS shows live memory."""
    gc.collect()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:  # pragma: no cover - not glibc
        pass
    try:
        import pyarrow as pa

        pa.default_memory_pool().release_unused()
    except ImportError:  # pragma: no cover
        pass


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--write-readme", action="store_true")
    args = ap.parse_args()
    n = args.rows
    rng = np.random.default_rng(0)
    labels = ["auto", "property", "theft", "water_damage", "medical", "liability"]
    words = np.array(
        [
            "my",
            "car",
            "was",
            "hit",
            "while",
            "parked",
            "outside",
            "the",
            "office",
            "and",
            "the",
            "rear",
            "bumper",
            "is",
            "cracked",
            "water",
            "came",
            "through",
            "the",
            "ceiling",
            "after",
            "a",
            "storm",
        ]
    )
    lens = rng.integers(8, 30, n)
    text = [" ".join(words[rng.integers(0, len(words), k)]) for k in lens]
    df = pd.DataFrame(
        {
            "claim_id": [f"CLM-{i:07d}" for i in range(n)],
            "text": text,
            "pred": pd.Categorical(np.array(labels)[rng.integers(0, 6, n)]),
            "confidence": rng.uniform(0.2, 1.0, n),
        }
    )
    del text
    df.memory_usage(deep=True)  # warm pandas' lazy caches before the baseline
    settle()
    frame_mb = df.memory_usage(deep=True).sum() / 2**20
    tmp = Path(tempfile.mkdtemp())
    rss0 = rss_mb()
    peak = [rss0]
    stop = threading.Event()

    def sample() -> None:  # peak resident memory, sampled every 2 ms
        while not stop.is_set():
            peak[0] = max(peak[0], rss_mb())
            time.sleep(0.002)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t0 = time.perf_counter()
    w = hw.ClassificationReview(
        df, text="text", labels=labels, id="claim_id", store=tmp / "m.db", annotator="bench"
    )
    t_ctor = time.perf_counter() - t0
    sent = []
    w.send = lambda m, buffers=None: sent.append(m)
    w._handle_custom_msg({"type": "fetch", "req": "r", "start": 0, "count": 8}, [])
    t_first = time.perf_counter() - t0
    stop.set()
    sampler.join()
    settle()
    rss1 = rss_mb()
    assert sent and sent[-1]["items"][0]["item_id"] == "CLM-0000000"
    # and a decision later on, through the same path
    t1 = time.perf_counter()
    w._handle_custom_msg(
        {"type": "decide", "decisions": [{"id": "d1", "item_id": "CLM-0000000", "action": "accept"}]}, []
    )
    t_decide = time.perf_counter() - t1
    lines = [
        f"Frame: {n:,} rows, {frame_mb:,.0f} MiB (pandas deep memory usage). Machine: {os.cpu_count()} CPU cores.",
        "",
        "| measure | value | target |",
        "|---|---|---|",
        f"| time to first item (construct + first page of 8) | {t_first:.3f} s (constructor {t_ctor:.3f} s) | <= 1 s |",
        f"| resident memory added (after first item) | {rss1 - rss0:,.1f} MiB ({(rss1 - rss0) / frame_mb:.0%} of the frame) | <= 50% of the frame |",
        f"| peak resident memory added during construction | {peak[0] - rss0:,.1f} MiB ({(peak[0] - rss0) / frame_mb:.0%} of the frame) | |",
        f"| first decision committed and acknowledged | {t_decide * 1e3:.1f} ms | |",
        "",
        "Reproduce: `python benchmarks/bench_million.py --write-readme`",
    ]
    text_out = "\n".join(lines)
    print(text_out)
    if args.write_readme:
        from _readme import write_section

        write_section("million", "## A 1,000,000-row DataFrame\n\n" + text_out)


if __name__ == "__main__":
    main()
