"""The fold at scale: `Store.decisions()` on a store of 1,000,000 events, SQLite and
PostgreSQL, against folding the whole log again (what `decisions()` did before the fold
was kept with the log).

    python benchmarks/bench_fold.py [--events 1000000] [--no-postgres] [--write-readme]

Two stores of about 1,000,000 events each (`--mix`):

* ``team`` (the heavy case): a router's route event for every item, and three annotators
  each deciding every item (accept 70%, correct 20%, flag 5%, skip 5%), with a
  re-decision after an undo for 4% of the decisions: ~670,000 decided rows.
* ``routed`` (the loop's shape): a route event for every item; 30% of the items go to
  people, each rated by two annotators (overlap 2) with the same undo rate: most events
  are routes, ~190,000 decided rows. Events are written through `Store.append` in batches
(the path every widget and the router take), which also gives the write throughput
with the kept states. `decisions()` is timed on a freshly opened store (nothing cached
in the process), the median of 3 runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hitl_widgets.store import Store

LABELS = ["auto", "theft", "water", "fire"]
ANNOTATORS = ["ana", "ben", "chloe"]


def make_events(n_events: int, seed: int = 0, mix: str = "team"):
    """Yield batches of events, about `n_events` in all, in log order."""
    rng = np.random.default_rng(seed)
    reviewed_share, annotators = (1.0, ANNOTATORS) if mix == "team" else (0.3, ANNOTATORS[:2])
    # per item: 1 route + its reviews, 4% of them followed by undo + re-decision
    per_item = 1 + reviewed_share * len(annotators) * (1 + 0.04 * 2)
    n_items = int(n_events / per_item)
    batch: list[dict] = []
    made = 0
    t = "claims"
    for i in range(n_items):
        item = f"CLM-{i:07d}"
        h = f"{i:016x}"
        model = LABELS[i % 4]
        batch.append(
            {
                "event_id": uuid.uuid4().hex,
                "task": t,
                "item_id": item,
                "content_hash": h,
                "action": "route",
                "model_label": model,
                "model_confidence": 0.6,
                "data": {"route": "review", "reasons": ["low confidence"]},
            }
        )
        for ann in annotators if rng.random() < reviewed_share else ():
            for k in range(2 if rng.random() < 0.04 else 1):
                if k == 1:
                    batch.append(
                        {
                            "event_id": uuid.uuid4().hex,
                            "task": t,
                            "item_id": item,
                            "content_hash": h,
                            "action": "undo",
                            "annotator": ann,
                            "session_id": "s1",
                        }
                    )
                r = rng.random()
                action = "accept" if r < 0.70 else "correct" if r < 0.90 else "flag" if r < 0.95 else "skip"
                label = model if action == "accept" else LABELS[(i + 1) % 4] if action == "correct" else None
                batch.append(
                    {
                        "event_id": uuid.uuid4().hex,
                        "task": t,
                        "item_id": item,
                        "content_hash": h,
                        "action": action,
                        "label_after": label,
                        "model_label": model,
                        "model_confidence": 0.6,
                        "annotator": ann,
                        "duration_ms": float(rng.integers(400, 4000)),
                        "session_id": "s1",
                        "guideline_version": "v1",
                    }
                )
        if len(batch) >= 20_000:
            made += len(batch)
            yield batch
            batch = []
        if made >= n_events:
            break
    if batch:
        yield batch


def fill(target: str, n_events: int, mix: str = "team") -> tuple[int, float]:
    t0 = time.perf_counter()
    n = 0
    with Store(target) as s:
        for b in make_events(n_events, mix=mix):
            s.append(b)
            n += len(b)
    return n, time.perf_counter() - t0


def time_decisions(target: str, repeat: int = 3, *, rows_path: bool = False) -> tuple[float, int]:
    """Median seconds of decisions() on a freshly opened store; `rows_path`: without the
    column read (what a store without the `fast` extra does)."""
    times, rows = [], 0
    for _ in range(repeat):
        with Store(target) as s:  # a fresh connection: nothing cached in the process
            if rows_path:
                s.backend.fetch_arrow = lambda sql, params=(): None  # type: ignore[method-assign]
            t = time.perf_counter()
            d = s.decisions()
            times.append(time.perf_counter() - t)
            rows = len(d)
    return statistics.median(times), rows


def time_full_fold(target: str) -> float:
    """What decisions() did before: fold every event of the log in Python."""
    with Store(target) as s:
        t = time.perf_counter()
        s._fold_log()
        return time.perf_counter() - t


def start_postgres(base: Path) -> tuple[str, list[str], str]:
    import glob

    bindir = os.path.dirname(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))[-1])
    data = base / "data"
    run_as: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [*run_as, f"{bindir}/initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"],
        check=True,
        capture_output=True,
    )
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    subprocess.run(
        [
            *run_as,
            f"{bindir}/pg_ctl",
            "-D",
            str(data),
            "-l",
            str(base / "log"),
            "-w",
            "-o",
            f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=on",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    return f"postgresql://postgres@127.0.0.1:{port}/postgres", run_as, f"{bindir}/pg_ctl"


def run(name: str, target: str, n_events: int, mix: str) -> dict:
    n, t_fill = fill(target, n_events, mix)
    med, rows = time_decisions(target)
    med_rows, _ = time_decisions(target, repeat=1, rows_path=True)
    t_old = time_full_fold(target)
    print(
        f"{name} ({mix}): {n:,} events written in {t_fill:.1f} s ({n / t_fill:,.0f} events/s, "
        f"states kept); decisions() {med:.3f} s for {rows:,} rows (median of 3; row by row "
        f"{med_rows:.3f} s); folding the whole log again {t_old:.1f} s"
    )
    return {
        "backend": name,
        "mix": mix,
        "events": n,
        "rows": rows,
        "decisions_s": med,
        "rows_path_s": med_rows,
        "full_fold_s": t_old,
        "writes_per_s": n / t_fill,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--mix", choices=["team", "routed", "both"], default="both")
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument("--write-readme", action="store_true")
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    mixes = ["routed", "team"] if args.mix == "both" else [args.mix]
    results = []
    tmp = Path(tempfile.mkdtemp(prefix="hitl-fold-"))
    for mix in mixes:
        results.append(run("SQLite", str(tmp / f"fold-{mix}.db"), args.events, mix))
    if not args.no_postgres:
        base = Path(tempfile.mkdtemp(prefix="hitl-fold-pg-"))
        url, run_as, pg_ctl = start_postgres(base)
        try:
            import psycopg

            for mix in mixes:
                name = f"fold_{mix}"
                with psycopg.connect(url, autocommit=True) as con:
                    con.execute(f"CREATE DATABASE {name}")
                results.append(run("PostgreSQL", url.rsplit("/", 1)[0] + "/" + name, args.events, mix))
        finally:
            subprocess.run(
                [*run_as, pg_ctl, "-D", str(base / "data"), "-m", "immediate", "stop"], capture_output=True
            )
            shutil.rmtree(base, ignore_errors=True)
    shutil.rmtree(tmp, ignore_errors=True)
    if args.write_readme:
        from _readme import write_section  # type: ignore[import-not-found]

        lines = [
            "## The fold at scale",
            "",
            "| back end | store | events | decided rows | decisions() | row by row | fold of the whole log (before) | writes/s |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in results:
            lines.append(
                f"| {r['backend']} | {r['mix']} | {r['events']:,} | {r['rows']:,} | "
                f"{r['decisions_s']:.2f} s | {r['rows_path_s']:.2f} s | {r['full_fold_s']:.1f} s | "
                f"{r['writes_per_s']:,.0f} |"
            )
        lines += [
            "",
            "Reproduce: `python benchmarks/bench_fold.py --write-readme` (decisions() on a freshly "
            "opened store, median of 3; column read through ADBC, the `fast` extra).",
            "",
            "Target (issue 9): `decisions()` on 1,000,000 events in at most 1 s. Not met: no fold",
            "is left at read time (the states are kept with the log), and what remains is the read",
            "itself. Profiled on the routed SQLite store: the query through ADBC about 0.5 s",
            "(345,000 rows of 18 columns), Arrow strings to Python objects about 0.23 s, the frame",
            "about 0.23 s. Before this work `decisions()` folded the whole log (the last column).",
        ]
        write_section("fold", "\n".join(lines))


if __name__ == "__main__":
    main()
