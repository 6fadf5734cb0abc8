"""Close-the-loop benchmark: review, fine-tune, re-calibrate and re-route, round after round.

Run from the repository root (figures are printed, and written to benchmarks/README.md
between ``<!-- loop:start -->`` and ``<!-- loop:end -->``):

    python benchmarks/bench_loop.py            # crossover + 4 loops of 5 rounds (long: see README)
    python benchmarks/bench_loop.py --quick    # smaller crossover, 3 rounds, gold reviewer only

Data: TweetEval offensive (train, val, test) from ``../shared/data`` (never copied here);
the run is skipped with a printed reason when the folder is absent.

Parts:

1. **Crossover** (TextClassifier's ``mode="auto"`` threshold): test accuracy of a head on
   frozen mean-pooled MiniLM embeddings against full fine-tuning (library defaults:
   3 epochs, batch 16, lr 5e-5), for growing numbers of labelled tweets, on TweetEval
   offensive (train -> test) and sentiment (val -> 2,000 test tweets).
2. **Loop**: the pool is 6,000 random tweets of the train split. A simulated reviewer
   labels 100 random tweets to start, and a random calibration draw of 1,000 (never trained
   on), which grows by 100 random reviews a round. Five rounds (three with --quick): ``to_dataset`` from the store,
   ``finetune`` (``mode="auto"``), re-predict the pool, ``calibrate`` (Learn-then-Test,
   alpha 0.2, delta 0.1) on the random draw with the new scores, ``Router`` re-routes the
   unlabelled pool, and the reviewer labels 300 routed tweets picked by the ordering
   (random or margin). Measured per round: accuracy on the test split, the share of the
   pool routed to people at alpha, the realised error among the auto-accepted pool tweets
   (gold labels: the guarantee), and the compute time. Reviewers: gold, and one who errs
   10% of the time.

Caches (git-ignored ``benchmarks/.cache/``): MiniLM embeddings per split, crossover
results, and the pool / test probabilities of every fully fine-tuned model.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
CACHE = Path(__file__).resolve().parent / ".cache"
sys.path.insert(0, str(ROOT))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

MAX_LENGTH = 64  # tweets: 64 word pieces cover nearly all of them


# -- data ------------------------------------------------------------------------------
def read_split(task: str, split: str) -> tuple[list[str], np.ndarray]:
    folder = DATA / f"tweeteval-{task}"
    texts = (folder / f"{split}_text.txt").read_text(encoding="utf-8").split("\n")
    labels = (folder / f"{split}_labels.txt").read_text(encoding="utf-8").split()
    texts = [t.strip() for t in texts[: len(labels)]]
    return texts, np.asarray([int(x) for x in labels])


def label_names(task: str) -> list[str]:
    rows = (DATA / f"tweeteval-{task}" / "mapping.txt").read_text().strip().splitlines()
    return [r.split("\t")[1] for r in rows]


def cached_embeddings(task: str, split: str) -> np.ndarray:
    """Mean-pooled MiniLM embeddings (TextClassifier.embed, max_length 64), cached."""
    from hitl_widgets.training import TextClassifier

    CACHE.mkdir(exist_ok=True)
    texts, _ = read_split(task, split)
    f = CACHE / f"loop_emb_{task}_{split}.npy"
    if f.exists():
        x = np.load(f)
        if len(x) == len(texts):
            return x
    shared = CACHE / f"emb_{task}_{split}.npz"  # bench_routing.py's cache: the same embedding
    if shared.exists():
        z = np.load(shared)
        if len(z["x"]) == len(texts):
            np.save(f, z["x"].astype(np.float32))
            return z["x"].astype(np.float32)
    t0 = time.perf_counter()
    clf = TextClassifier(label_names(task), max_length=MAX_LENGTH)
    x = clf.embed(texts, batch_size=128)
    np.save(f, x)
    print(f"  embedded {task}/{split}: {len(texts):,} tweets in {time.perf_counter() - t0:.1f} s")
    return x


def accuracy(p: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(p.argmax(1) == y))


# -- 1. crossover ------------------------------------------------------------------------
def crossover(quick: bool, compute: bool = True) -> list[dict]:
    from hitl_widgets.training import TextClassifier

    setups = {
        "sentiment": ("val", "test", [100, 400, 700, 1000]),
        "offensive": ("train", "test", [100, 400, 700, 1000]),
    }
    if quick:
        setups = {"offensive": ("train", "test", [100, 800])}
    f = CACHE / "loop_crossover.json"
    done = json.loads(f.read_text()) if f.exists() else []
    have = {(r["task"], r["n"], r["mode"]) for r in done}
    rng_test = np.random.default_rng(1)
    for task, (src, dst, sizes) in setups.items():
        labels = label_names(task)
        tx, ty = read_split(task, src)
        ex = cached_embeddings(task, src)
        vx, vy = read_split(task, dst)
        vemb = cached_embeddings(task, dst)
        if len(vx) > 2000:  # sentiment test: 2,000 tweets are plenty for accuracy
            keep = np.sort(rng_test.permutation(len(vx))[:2000])
            vx, vy, vemb = [vx[i] for i in keep], vy[keep], vemb[keep]
        for n in sizes:
            idx = np.random.default_rng(0).permutation(len(tx))[:n]
            texts, y = [tx[i] for i in idx], [labels[k] for k in ty[idx]]
            for mode in ("head", "full"):
                if (task, n, mode) in have or not compute:
                    continue
                clf = TextClassifier(labels, mode=mode, seed=0, max_length=MAX_LENGTH)
                t0 = time.perf_counter()
                clf.fit(texts, y, progress=False, embeddings=ex[idx] if mode == "head" else None)
                fit_s = time.perf_counter() - t0
                p = clf.predict_proba(vx, embeddings=vemb if mode == "head" else None)
                row = {
                    "task": task,
                    "n": n,
                    "mode": mode,
                    "accuracy": accuracy(p, vy),
                    "fit_s": round(fit_s, 1),
                    "n_test": len(vy),
                }
                print(
                    f"  crossover {task:9s} n={n:5d} {mode:4s} acc={row['accuracy']:.3f} fit {fit_s:.1f} s",
                    flush=True,
                )
                done.append(row)
                have.add((task, n, mode))
                f.write_text(json.dumps(done, indent=1))
    return [r for r in done if r["task"] in setups and r["n"] in setups[r["task"]][2]]


def crossover_table(rows: list[dict]) -> str:
    out = ["| task | labelled tweets | head acc. | full acc. | better |", "|---|---:|---:|---:|---|"]
    by = {(r["task"], r["n"], r["mode"]): r for r in rows}
    for task, n in sorted({(r["task"], r["n"]) for r in rows}):
        h, fu = by.get((task, n, "head")), by.get((task, n, "full"))
        if not h or not fu:
            continue
        best = "head" if h["accuracy"] >= fu["accuracy"] else "full"
        out.append(f"| {task} | {n:,} | {h['accuracy']:.3f} | {fu['accuracy']:.3f} | {best} |")
    return "\n".join(out)


# -- 2. the loop ------------------------------------------------------------------------
TASK, SAMPLE_TASK = "tweets", "tweets-sample"


POOL_SIZE = 6000  # tweets of the train split in the pool (full-model predictions cost time)


def load_offensive():
    """The pool (6,000 random tweets of the train split) with its cached embeddings, and the
    test split."""
    from hitl_widgets.training import prime_embedding_cache

    labels = label_names("offensive")
    tx, ty = read_split("offensive", "train")
    vx, vy = read_split("offensive", "test")
    ex, ev = cached_embeddings("offensive", "train"), cached_embeddings("offensive", "test")
    prime_embedding_cache(tx, ex, max_length=MAX_LENGTH)  # the library reads them as its own
    prime_embedding_cache(vx, ev, max_length=MAX_LENGTH)
    import pandas as pd

    pool = pd.DataFrame(
        {"id": [f"t{i}" for i in range(len(tx))], "text": tx, "gold": [labels[k] for k in ty]}
    )
    keep = np.sort(np.random.default_rng(7).permutation(len(pool))[:POOL_SIZE])
    return labels, pool.iloc[keep].reset_index(drop=True), vx, vy


def run_loop(
    labels,
    pool,
    test_x,
    test_y,
    *,
    ordering: str,
    error_rate: float,
    rounds: int,
    start_labels: int,
    batch: int,
    sample0: int,
    sample_step: int,
    alpha: float,
    delta: float,
    mode: str,
    seed: int = 0,
) -> list[dict]:
    """One loop: review, fine-tune, re-route, `rounds` times; per-round figures."""
    from hitl_widgets.routing.ordering import order_positions
    from hitl_widgets.store import Store
    from hitl_widgets.training import LoopTracker, SimulatedReviewer, finetune, random_draw, to_dataset

    runs = CACHE / "loop_runs"
    runs.mkdir(parents=True, exist_ok=True)
    path = runs / f"{ordering}-err{int(error_rate * 100)}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    store = Store(path)
    gold = dict(zip(pool["id"], pool["gold"], strict=True))
    person = SimulatedReviewer(gold, labels, error_rate=error_rate, seconds=8.0, seed=seed)
    texts = dict(zip(pool["id"], pool["text"], strict=True))

    def review(ids, task, frame=None):
        ids = list(ids)
        store.append(
            person.events(
                ids,
                task=task,
                texts=[texts[i] for i in ids],
                model_labels=None if frame is None else frame["pred"].tolist(),
                confidences=None if frame is None else frame["confidence"].tolist(),
            )
        )

    sample = random_draw(pool, sample0, seed=seed + 1, id="id")
    review(sample["id"], SAMPLE_TASK)
    first = random_draw(pool, start_labels, seed=seed + 2, id="id", exclude=sample["id"])
    review(first["id"], TASK)
    tracker = LoopTracker(
        store,
        TASK,
        sample_task=SAMPLE_TASK,
        df=pool,
        id="id",
        labels=labels,
        alpha=alpha,
        delta=delta,
        seed=seed,
    )
    rng = np.random.default_rng(seed + 3)
    out = []
    import hashlib
    from types import SimpleNamespace

    scores = CACHE / "loop_scores"
    scores.mkdir(parents=True, exist_ok=True)
    for r in range(1, rounds + 1):
        t0 = time.perf_counter()
        data = to_dataset(
            store,
            pool,
            task=TASK,
            sample_task=SAMPLE_TASK,
            id="id",
            labels=labels,
            sources=("human-corrected", "human-accepted"),
        )
        train = data["train"]
        key = hashlib.sha256(
            json.dumps([mode, seed, MAX_LENGTH, list(train["item_id"]), list(train["label"])]).encode()
        ).hexdigest()[:20]
        cached = scores / f"{key}.npz"
        pool_now, sample_now = tracker.unlabelled(), tracker.unbiased()
        hit = None
        if cached.exists():  # a fully fine-tuned model's scores from an earlier run
            z = np.load(cached, allow_pickle=False)
            ok = (
                list(z["pool_ids"]) == pool_now["id"].tolist()
                and list(z["sample_ids"]) == sample_now["item_id"].tolist()
            )
            hit = z if ok else None
        if hit is not None:
            rep = SimpleNamespace(
                mode=str(hit["mode"]), n_train=len(train), train_seconds=float(hit["fit_s"])
            )
            t_fit = float(hit["fit_s"])
            rr = tracker.reroute(proba=hit["pool"], sample_proba=hit["sample"])
            p_test = hit["test"]
            compute = float(hit["compute_s"])
        else:
            model, rep = finetune(
                data,
                mode=mode,
                max_length=MAX_LENGTH,
                seed=seed,
                before=None,
                output_dir=False,
                progress=False,
                live=None,
            )
            t_fit = time.perf_counter() - t0
            rr = tracker.reroute(model)
            p_test = model.predict_proba(test_x)
            compute = time.perf_counter() - t0
            if rep.mode == "full":
                np.savez(
                    cached,
                    pool_ids=np.asarray(pool_now["id"].tolist()),
                    sample_ids=np.asarray(sample_now["item_id"].tolist()),
                    pool=rr.proba,
                    sample=model.predict_proba(
                        pool.set_index("id").loc[sample_now["item_id"], "text"].tolist()
                    ),
                    test=p_test,
                    mode=rep.mode,
                    fit_s=t_fit,
                    compute_s=compute,
                )
        row = tracker.record(rr, finetune=rep, compute_seconds=compute)
        f = rr.routing.frame
        auto = (f["route"] == "auto").to_numpy()
        realised = float((f.loc[auto, "pred"] != f.loc[auto, "gold"]).mean()) if auto.any() else None
        rec = {
            "round": r,
            "ordering": ordering,
            "error_rate": error_rate,
            "mode": rep.mode,
            "trained_on": rep.n_train,
            "random_reviews": row["unbiased"],
            "test_accuracy": accuracy(p_test, test_y),
            "sample_accuracy": row["accuracy"],
            "threshold": row["threshold"],
            "routed_share": row["routed_share"],
            "auto_error": realised,
            "fit_s": round(t_fit, 1),
            "compute_s": round(compute, 1),
            "people_h": round(row["people_s"] / 3600, 2),
            "needed": row["needed"],
        }
        out.append(rec)
        print(
            f"  {ordering:6s} err={error_rate:.0%} round {r}: trained on {rep.n_train:5d} ({rep.mode}), "
            f"random reviews {row['unbiased']}, test acc {rec['test_accuracy']:.3f}, "
            f"threshold {'-' if row['threshold'] is None else format(row['threshold'], '.3f')}, "
            f"routed {row['routed_share']:.1%}, auto-accepted error "
            f"{'-' if realised is None else format(realised, '.3f')}, compute {compute:.1f} s",
            flush=True,
        )
        if r == rounds:
            break
        # the person reviews `batch` routed tweets, in the ordering's order
        rf, rp = rr.review_frame, rr.review_proba
        if ordering == "margin":
            pos = order_positions("margin", rp)[:batch]
        else:
            pos = rng.permutation(len(rf))[:batch]
        picked = rf.iloc[pos]
        review(picked["id"], TASK, picked)
        more = random_draw(tracker.unlabelled(), sample_step, seed=seed + 10 + r, id="id")
        review(more["id"], SAMPLE_TASK)
    store.close()
    return out


def time_full_1000(labels, pool, test_x, test_y, threads: int) -> str:
    """Full fine-tuning (mode="full", library defaults, max_length 64) on 1,000 human labels:
    the time it takes and its test accuracy; cached with the machine's load at the time."""
    from hitl_widgets.training import TextClassifier

    f = CACHE / "loop_full1000.json"
    if f.exists():
        r = json.loads(f.read_text())
    else:
        idx = np.random.default_rng(5).permutation(len(pool))[:1000]
        sub = pool.iloc[idx]
        load0 = os.getloadavg()[0]
        clf = TextClassifier(labels, mode="full", seed=0, max_length=MAX_LENGTH)
        t0 = time.perf_counter()
        clf.fit(sub["text"].tolist(), sub["gold"].tolist(), progress=False)
        fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        p = clf.predict_proba(test_x)
        r = {
            "fit_s": fit_s,
            "predict_s": time.perf_counter() - t0,
            "n_test": len(test_y),
            "accuracy": accuracy(p, test_y),
            "threads": threads,
            "load": round(max(load0, os.getloadavg()[0]), 1),
        }
        f.write_text(json.dumps(r, indent=1))
    verdict = "PASS" if r["fit_s"] <= 120 else "FAIL"
    return (
        f"Full fine-tuning on 1,000 human labels (3 epochs, batch 16, max_length 64, {r['threads']} "
        f"torch threads, load average {r['load']} on {os.cpu_count()} cores): {r['fit_s']:.0f} s "
        f"(target: at most 120 s on 2 CPU cores: {verdict}); test accuracy {r['accuracy']:.3f}; "
        f"predicting the {r['n_test']} test tweets {r['predict_s']:.0f} s."
    )


def loop_targets(results: dict[str, list[dict]], alpha: float, delta: float) -> list[str]:
    lines = []
    for key, rows in results.items():
        first = next((i for i, r in enumerate(rows) if r["threshold"] is not None), None)
        if first is None:
            lines.append(f"- {key}: no round certified a threshold: FAIL")
            continue
        shares = [r["routed_share"] for r in rows[first:]]
        falls = all(b < a for a, b in itertools.pairwise(shares))
        over = [r["round"] for r in rows[first:] if r["auto_error"] is not None and r["auto_error"] > alpha]
        lines.append(
            f"- {key}: threshold from round {first + 1}; share routed to people "
            f"{' -> '.join(f'{s:.1%}' for s in shares)}: "
            f"{'falls every round' if falls else 'does NOT fall every round'}; realised error "
            f"among auto-accepted above alpha in round(s) {over or 'none'}: "
            f"{'PASS' if falls else 'FAIL'}"
        )
    # The guarantee is "error <= alpha with probability >= 1 - delta" for each certified
    # round, so it holds when the share of rounds over alpha is compatible with delta: an
    # exact one-sided binomial test (a round over alpha is an event of probability <= delta).
    from scipy import stats

    cert = [r for rows in results.values() for r in rows if r["threshold"] is not None]
    over = [r for r in cert if r["auto_error"] is not None and r["auto_error"] > alpha]
    if cert:
        p = float(stats.binom.sf(len(over) - 1, len(cert), delta)) if over else 1.0
        lines.append(
            f"- the guarantee: {len(over)} of {len(cert)} certified rounds had a realised error above "
            f"alpha={alpha} (worst {max((r['auto_error'] for r in cert), default=0):.3f}); at most "
            f"delta={delta} of them may (expected at most {delta * len(cert):.1f}); P(>= {len(over)} | "
            f"rate delta) = {p:.2f}: {'PASS' if p > 0.05 else 'FAIL'}"
        )
    for err in sorted({r[0]["error_rate"] for r in results.values()}):
        rnd = results.get(f"random, reviewer errs {err:.0%}")
        mar = results.get(f"margin, reviewer errs {err:.0%}")
        if not rnd or not mar:
            continue
        target = rnd[-1]["test_accuracy"]
        hit = next((r for r in mar if r["test_accuracy"] >= target), None)
        if hit is None:
            lines.append(
                f"- reviewer errs {err:.0%}: margin never reached random's final test accuracy "
                f"{target:.3f} ({rnd[-1]['trained_on']:,} labels): FAIL"
            )
        else:
            fewer = hit["trained_on"] < rnd[-1]["trained_on"]
            lines.append(
                f"- reviewer errs {err:.0%}: margin reached random's final test accuracy {target:.3f} "
                f"({rnd[-1]['trained_on']:,} labels) with {hit['trained_on']:,} labels "
                f"(round {hit['round']}, {hit['test_accuracy']:.3f}): {'PASS' if fewer else 'FAIL'}"
            )
    return lines


def loop_table(results: dict[str, list[dict]]) -> str:
    out = [
        "| run | round | labels trained on | mode | random reviews | test acc. | threshold | routed to people | error of auto-accepted | compute (s) |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for key, rows in results.items():
        for r in rows:
            thr = "none" if r["threshold"] is None else f"{r['threshold']:.3f}"
            err = "-" if r["auto_error"] is None else f"{r['auto_error']:.3f}"
            out.append(
                f"| {key} | {r['round']} | {r['trained_on']:,} | {r['mode']} | {r['random_reviews']:,} | "
                f"{r['test_accuracy']:.3f} | {thr} | {r['routed_share']:.1%} | {err} | {r['compute_s']:.1f} |"
            )
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="a smaller, faster run")
    ap.add_argument("--crossover-only", action="store_true")
    ap.add_argument("--alpha", type=float, default=0.2, help="the guarantee's error target")
    ap.add_argument(
        "--loop-only",
        action="store_true",
        help="take the crossover figures from the cache only (compute none)",
    )
    ap.add_argument(
        "--threads",
        default="auto",
        help="torch threads (auto: 2, or 1 when the machine is busier than its cores)",
    )
    args = ap.parse_args()
    import torch

    if args.threads == "auto":
        busy = os.getloadavg()[0] > (os.cpu_count() or 2)
        threads = 1 if busy else min(2, os.cpu_count() or 2)
    else:
        threads = int(args.threads)
    torch.set_num_threads(threads)
    if not (DATA / "tweeteval-offensive").exists():
        print(
            f"SKIP: {DATA / 'tweeteval-offensive'} is absent (the benchmark needs TweetEval "
            "offensive from ../shared/data; nothing was run)"
        )
        return
    cmd = (
        "python benchmarks/bench_loop.py"
        + (" --quick" if args.quick else "")
        + (f" --alpha {args.alpha:g}" if args.alpha != 0.2 else "")
    )
    print(
        f"command: {cmd}   (torch threads: {threads}; load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} cores)"
    )
    t_all = time.perf_counter()
    rows = crossover(args.quick, compute=not args.loop_only)
    cross = crossover_table(rows)
    print(cross)
    if args.crossover_only:
        return
    from hitl_widgets.training import AUTO_FULL_FROM

    cfg = dict(
        rounds=3 if args.quick else 5,
        start_labels=100,
        batch=300,
        sample0=1000,
        sample_step=100,
        alpha=args.alpha,
        delta=0.1,
        mode="auto",
    )
    errors = (0.0,) if args.quick else (0.0, 0.1)
    labels, pool, vx, vy = load_offensive()
    print(
        f"loop: pool {len(pool):,} tweets (of the train split), test {len(vy):,}; start from "
        f"{cfg['start_labels']} human labels and {cfg['sample0']} random reviews (+{cfg['sample_step']} a "
        f"round); {cfg['batch']} routed tweets reviewed a round; alpha={cfg['alpha']}, delta={cfg['delta']}; "
        f"mode={cfg['mode']} (AUTO_FULL_FROM={AUTO_FULL_FROM})"
    )
    results: dict[str, list[dict]] = {}
    for err in errors:
        for ordering in ("random", "margin"):
            results[f"{ordering}, reviewer errs {err:.0%}"] = run_loop(
                labels, pool, vx, vy, ordering=ordering, error_rate=err, **cfg
            )
    table = loop_table(results)
    targets = loop_targets(results, cfg["alpha"], cfg["delta"])
    print(table)
    print("\n".join(targets))
    timing = (
        time_full_1000(labels, pool, vx, vy, threads)
        if not args.quick
        else ("Full fine-tuning on 1,000 labels: not measured in this run (--quick).")
    )
    print(timing)
    took = time.perf_counter() - t_all
    text = "\n".join(
        [
            "## Close the loop (`bench_loop.py`)",
            "",
            f"Command: `{cmd}` (torch threads: {threads}; {took / 60:.1f} min with caches as they were).",
            "",
            '### When to fine-tune every weight (TextClassifier\'s `mode="auto"`)',
            "",
            "Test accuracy of a head on frozen mean-pooled MiniLM embeddings (L2 by cross-validation) against",
            "full fine-tuning (3 epochs, batch 16, lr 5e-5, max_length 64), trained on the same random tweets:",
            "",
            cross,
            "",
            f"`AUTO_FULL_FROM = {AUTO_FULL_FROM}`: head below, full from there.",
            "",
            "### Review, fine-tune, re-route on TweetEval offensive",
            "",
            f"Pool: {len(pool):,} random tweets of the train split; accuracy on the test split ({len(vy):,}). A simulated "
            f"reviewer (gold labels, or wrong {int(100 * max(errors))}% of the time) labels {cfg['start_labels']} random "
            f"tweets, and a random sample of {cfg['sample0']} (+{cfg['sample_step']} a round) that only calibrates "
            f'and evaluates. Each round: `to_dataset` -> `finetune(mode="auto")` -> `LoopTracker.reroute` '
            f"(Learn-then-Test, alpha={cfg['alpha']}, delta={cfg['delta']}) -> the reviewer labels "
            f'{cfg["batch"]} of the routed tweets (random order, or smallest margin first). "error of '
            'auto-accepted" is measured against the gold labels of the pool tweets the router accepted.',
            "",
            table,
            "",
            "Targets:",
            "",
            *targets,
            f"- {timing}",
        ]
    )
    from _readme import write_section

    write_section("loop", text)
    print("figures written to benchmarks/README.md (section loop)")


if __name__ == "__main__":
    main()
