"""Close-the-loop benchmark: review, fine-tune, re-calibrate and re-route, round after round.

Run from the repository root (figures are printed, and written to benchmarks/README.md
between ``<!-- loop:start -->`` and ``<!-- loop:end -->``):

    python benchmarks/bench_loop.py            # crossover + 4 loops (about 15 min on 2 CPU cores, cold)
    python benchmarks/bench_loop.py --quick    # smaller crossover, 3 rounds, gold reviewer only

Data: TweetEval offensive (train, val, test) from ``../shared/data`` (never copied here);
the run is skipped with a printed reason when the folder is absent.

Parts:

1. **Crossover** (TextClassifier's ``mode="auto"`` threshold): test accuracy of a head on
   frozen mean-pooled MiniLM embeddings against full fine-tuning (library defaults:
   3 epochs, batch 16, lr 5e-5), for growing numbers of labelled tweets, on TweetEval
   offensive (train -> test) and sentiment (val -> 2,000 test tweets).
2. **Loop**: the pool is the train split (11,916 tweets). A simulated reviewer labels 100
   random tweets to start, and a random calibration draw of 300 (never trained on), which
   grows by 100 random reviews a round. Each round: ``to_dataset`` from the store,
   ``finetune`` (``mode="auto"``), re-predict the pool, ``calibrate`` (Learn-then-Test,
   alpha, delta fixed) on the random draw with the new scores, ``Router`` re-routes the
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
    texts, y = read_split(task, split)
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
def crossover(quick: bool) -> list[dict]:
    from hitl_widgets.training import TextClassifier

    setups = {
        "sentiment": ("val", "test", [100, 1000]),
        "offensive": ("train", "test", [100, 400, 1000, 1600]),
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
                if (task, n, mode) in have:
                    continue
                clf = TextClassifier(labels, mode=mode, seed=0, max_length=MAX_LENGTH)
                t0 = time.perf_counter()
                clf.fit(texts, y, progress=False, embeddings=ex[idx] if mode == "head" else None)
                fit_s = time.perf_counter() - t0
                p = clf.predict_proba(vx, embeddings=vemb if mode == "head" else None)
                row = {"task": task, "n": n, "mode": mode, "accuracy": accuracy(p, vy),
                       "fit_s": round(fit_s, 1), "n_test": len(vy)}
                print(f"  crossover {task:9s} n={n:5d} {mode:4s} acc={row['accuracy']:.3f} "
                      f"fit {fit_s:.1f} s", flush=True)
                done.append(row)
                have.add((task, n, mode))
                f.write_text(json.dumps(done, indent=1))
    return [r for r in done if r["task"] in setups and r["n"] in setups[r["task"]][2]]


def crossover_table(rows: list[dict]) -> str:
    out = ["| task | labelled tweets | head acc. | full acc. | full fit (s) | better |",
           "|---|---:|---:|---:|---:|---|"]
    by = {(r["task"], r["n"], r["mode"]): r for r in rows}
    for task, n in sorted({(r["task"], r["n"]) for r in rows}):
        h, fu = by.get((task, n, "head")), by.get((task, n, "full"))
        if not h or not fu:
            continue
        best = "head" if h["accuracy"] >= fu["accuracy"] else "full"
        out.append(f"| {task} | {n:,} | {h['accuracy']:.3f} | {fu['accuracy']:.3f} | "
                   f"{fu['fit_s']:.0f} | {best} |")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="a smaller, faster run")
    ap.add_argument("--crossover-only", action="store_true")
    ap.add_argument("--threads", default="auto",
                    help="torch threads (auto: 2, or 1 when the machine is busier than its cores)")
    args = ap.parse_args()
    import torch

    if args.threads == "auto":
        busy = os.getloadavg()[0] > (os.cpu_count() or 2)
        threads = 1 if busy else min(2, os.cpu_count() or 2)
    else:
        threads = int(args.threads)
    torch.set_num_threads(threads)
    if not (DATA / "tweeteval-offensive").exists():
        print(f"SKIP: {DATA / 'tweeteval-offensive'} is absent (the benchmark needs TweetEval "
              "offensive from ../shared/data; nothing was run)")
        return
    cmd = "python benchmarks/bench_loop.py" + (" --quick" if args.quick else "")
    print(f"command: {cmd}   (torch threads: {threads}; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores)")
    rows = crossover(args.quick)
    print(crossover_table(rows))
    if args.crossover_only:
        return


if __name__ == "__main__":
    main()
