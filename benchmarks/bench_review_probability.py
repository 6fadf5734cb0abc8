"""Every review counts: today's scheme against routing with known review probabilities.

Run from the repository root (figures printed, and written to benchmarks/README.md between
``<!-- review_probability:start -->`` and ``<!-- review_probability:end -->``):

    python benchmarks/bench_review_probability.py             # 300 splits
    python benchmarks/bench_review_probability.py --splits 50 # quicker

Data: TweetEval offensive from ``../shared/data`` (never copied here; skipped with a printed
reason when absent). The model of one round of the loop: a logistic-regression head on
frozen MiniLM embeddings (the loop's "head" mode, cached by bench_loop.py), trained on the
1,324 tweets of the validation split; its confidences on the train split are the items.

Each split draws a pool of 4,000 train tweets. In both schemes a person labels the 400 the
model is least sure of (what the loop trains on; the simulated reviewer answers with the
gold label), and:

* **today**: a random draw of ``n`` more pool tweets is reviewed only to calibrate
  (``calibrate(sample="random")``, Learn-then-Test, grid on the pool's confidences); the
  400 routed ones are kept out of calibration (they were picked for doubt);
* **review probabilities**: ``Router(review_budget=, review_floor=f)`` sends the 400 least
  confident with probability 1 and every other tweet with probability ``f``; every review
  counts (``calibrate(sample="propensity")``: exact test by level of probability).

Figures per setting, over the splits: the human reviews (400 + n, or what the router drew),
the share of the pool certified (auto-accepted at alpha with probability 1 - delta), and
the violation rate (a split whose certified tweets have a realised error above alpha).
Then the reviews each scheme needs to certify the share today's scheme certifies with a
draw of 1,000.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

POOL = 4000
TRAIN = 400
DRAWS = (100, 200, 300, 400, 600, 800, 1000, 1400)
FLOORS = (0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3)


def scores() -> tuple[np.ndarray, np.ndarray]:
    """Confidence and whether the model is wrong, for every train tweet."""
    import bench_loop as bl
    from sklearn.linear_model import LogisticRegression

    _, y_tr = bl.read_split("offensive", "train")
    _, y_va = bl.read_split("offensive", "val")
    x_tr = bl.cached_embeddings("offensive", "train")
    x_va = bl.cached_embeddings("offensive", "val")
    clf = LogisticRegression(max_iter=2000, C=1.0).fit(x_va, y_va)
    p = clf.predict_proba(x_tr)
    return p.max(1), p.argmax(1) != y_tr


def one_split(conf: np.ndarray, wrong: np.ndarray, seed: int, alpha: float, delta: float) -> list[dict]:
    from hitl_widgets.routing import InsufficientSampleError, Router, calibrate

    rng = np.random.default_rng(seed)
    idx = rng.choice(conf.size, POOL, replace=False)
    c, w = conf[idx], wrong[idx]
    order = np.argsort(c, kind="stable")
    trained = np.zeros(POOL, bool)
    trained[order[:TRAIN]] = True
    rows = []

    def outcome(t: float | None) -> tuple[float, bool]:
        if t is None:
            return 0.0, False
        acc = c >= t
        return float(acc.mean()), bool(acc.any() and w[acc].mean() > alpha)

    # today: a random draw from the pool (as the loop draws its sample before any routing),
    # reviewed for calibration only
    for n in DRAWS:
        drawn = rng.choice(POOL, n, replace=False)
        df = pd.DataFrame({"confidence": c[drawn], "pred": "x", "label": np.where(w[drawn], "y", "x")})
        try:
            t = calibrate(df, sample="random", population=c, alpha=alpha, delta=delta, seed=seed).threshold
        except InsufficientSampleError:
            t = None
        share, bad = outcome(t)
        reviews = int((trained | np.isin(np.arange(POOL), drawn)).sum())  # one review per tweet
        rows.append({"scheme": "today", "setting": n, "reviews": reviews, "share": share, "violated": bad})
    # review probabilities: the 400 least confident at 1, the rest at the floor
    frame = pd.DataFrame({"id": [f"t{i}" for i in idx], "pred": "x", "confidence": c})
    for f in FLOORS:
        budget = (TRAIN + f * (POOL - TRAIN)) / POOL + 0.1 / POOL
        router = Router(["x", "y"], review_budget=budget, review_floor=f, seed=seed)
        r = router.route(frame, id="id", text=None).frame
        reviewed = (r["route"] == "review").to_numpy()
        df = pd.DataFrame(
            {
                "confidence": c,
                "pred": "x",
                "label": np.where(reviewed, np.where(w, "y", "x"), None),
                "route": r["route"].to_numpy(),
                "review_probability": r["review_probability"].to_numpy(),
            }
        )
        try:
            t = calibrate(df, sample="propensity", alpha=alpha, delta=delta, seed=seed).threshold
        except InsufficientSampleError:
            t = None
        share, bad = outcome(t)
        rows.append(
            {
                "scheme": "review probabilities",
                "setting": f,
                "reviews": int(reviewed.sum()),
                "share": share,
                "violated": bad,
            }
        )
    return rows


def needed(table: pd.DataFrame, scheme: str, share: float) -> float | None:
    """Reviews the scheme needs for a mean certified share of `share` (linear between settings)."""
    t = table[table["scheme"] == scheme].sort_values("reviews")
    x, y = t["reviews"].to_numpy(float), t["share"].to_numpy(float)
    ok = np.flatnonzero(y >= share)
    if not ok.size:
        return None
    j = int(ok[0])
    if j == 0:
        return float(x[0])
    return float(x[j - 1] + (share - y[j - 1]) * (x[j] - x[j - 1]) / max(y[j] - y[j - 1], 1e-12))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--splits", type=int, default=300)
    ap.add_argument("--alpha", type=float, default=0.2)
    ap.add_argument("--delta", type=float, default=0.1)
    ap.add_argument("--no-readme", action="store_true")
    args = ap.parse_args()
    if not (DATA / "tweeteval-offensive").exists():
        print(f"skipped: {DATA / 'tweeteval-offensive'} is absent")
        return
    t0 = time.perf_counter()
    conf, wrong = scores()
    print(f"model: accuracy {1 - wrong.mean():.3f} on {conf.size:,} train tweets", flush=True)
    rows: list[dict] = []
    for s in range(args.splits):
        rows += one_split(conf, wrong, s, args.alpha, args.delta)
        if (s + 1) % 50 == 0:
            print(f"  {s + 1} splits ({time.perf_counter() - t0:.0f} s)", flush=True)
    raw = pd.DataFrame(rows)
    table = (
        raw.groupby(["scheme", "setting"], sort=False)
        .agg(reviews=("reviews", "mean"), share=("share", "mean"), violated=("violated", "mean"))
        .reset_index()
    )
    target = float(table[(table["scheme"] == "today") & (table["setting"] == 1000)]["share"].iloc[0])
    a = needed(table, "today", target)
    b = needed(table, "review probabilities", target)
    worst = float(table["violated"].max())
    lines = [
        "| scheme | setting | human reviews (mean) | certified share (mean) | violations |",
        "|---|---|---:|---:|---:|",
    ]
    for r in table.itertuples(index=False):
        setting = f"draw {int(r.setting):,}" if r.scheme == "today" else f"floor {r.setting:g}"
        lines.append(f"| {r.scheme} | {setting} | {r.reviews:,.0f} | {r.share:.1%} | {r.violated:.1%} |")
    ratio = None if (a is None or b is None) else b / a
    verdict = [
        f"Target share (today's scheme, draw of 1,000): {target:.1%} of the pool at alpha={args.alpha:g}, "
        f"delta={args.delta:g}. ",
        f"Human reviews to certify it: today {a:,.0f}" if a is not None else "today: not reached",
        (
            f"; review probabilities {b:,.0f} ({ratio:.0%} of today's; target at most 50%: "
            f"{'met' if ratio <= 0.5 else 'NOT met'})."
            if b is not None and ratio is not None
            else "; review probabilities: not reached."
        ),
        f" Violation rate, worst setting: {worst:.1%} over {args.splits} splits (target at most delta = "
        f"{args.delta:g}: {'met' if worst <= args.delta + 3 * np.sqrt(args.delta * (1 - args.delta) / args.splits) else 'NOT met'}, "
        "within three binomial standard errors).",
    ]
    why = (
        "\n\nWhy not half: any valid bound on the error of what goes through unseen needs reviews "
        "drawn at random *among the tweets the threshold accepts*; both schemes get them at the same "
        "price (today's draw spends the share of it that falls below the threshold; the randomised "
        "router spends its floor reviews on every tweet above its cut, the same share). What review "
        "probabilities save is the random draw's overlap with the tweets reviewed for training (here "
        f"{TRAIN / POOL:.0%} of the pool) and the exact count of errors among them, so the saving grows "
        "with the share of the pool people must see anyway (policies, low confidence), not with the "
        "draw. Even an oracle that drew the floor reviews only above the final threshold would need "
        f"about {TRAIN} + {target:.0%} x 1,000 = {TRAIN + target * 1000:,.0f} reviews here "
        f"({(TRAIN + target * 1000) / (a or TRAIN + 1000):.0%} of today's)."
    )
    text = (
        f"Command: `python benchmarks/bench_review_probability.py --splits {args.splits}` "
        f"({time.perf_counter() - t0:.0f} s on 2 CPU cores). Pool {POOL:,} tweets, {TRAIN} least "
        "confident reviewed for training in both schemes.\n\n"
        + "\n".join(lines)
        + "\n\n"
        + "".join(verdict)
        + why
    )
    print()
    print(text)
    if not args.no_readme:
        from _readme import write_section

        write_section("review_probability", "## Review probabilities (issue 17)\n\n" + text)


if __name__ == "__main__":
    main()
