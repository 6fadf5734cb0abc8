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

**The loop** (``--loop-splits``, default 300): three rounds of the loop with training, per
split three disjoint pools of 3,000 train tweets. Round 1's model is the head above; after
each round a new head is fitted on the 1,324 validation tweets plus every label the scheme
may train on. Today's scheme reviews a random sample of ``n`` tweets (from train tweets in
no pool) once, never trains on it and calibrates every round's model on it (as
``LoopTracker`` and notebook 05 do), and reviews the 300 least confident of each pool for
training. Review probabilities review the 300 least confident with probability 1 and the
rest of each pool at the floor, calibrate that round's model on them, and train the next
model on every review (every review used for both). Figures: the human reviews over the
three rounds, the mean share of the pools certified, and the violation rate over all rounds
measured two ways: on the round's pool, and on the held-out tweets (every train tweet the
round's model was neither trained nor calibrated on). Today's sample comes from outside the
pool, so its guarantee is about the distribution, which the held-out tweets stand for; the
routed reviews come from the pool, so theirs is about the pool.

A third row set of the one-round part is an oracle, for scale: today's test with its random draw spent only where a
certificate is possible, among the tweets above the cut where the realised error of what is
accepted reaches alpha (known only to an oracle: below it any certified threshold violates).
It shows what placing every calibration review perfectly could save, whatever the scheme.
Beside it, what a control variate could add (``rectifier_gain``): the rectifier of active and
prediction-powered inference, with the best prediction of the error a function of the
confidence can be, scales the oracle's calibration reviews by the share of variance it leaves.
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
ORACLE_DRAWS = (300, 400, 600, 800, 1000)
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


def outcome(c: np.ndarray, w: np.ndarray, t: float | None, alpha: float) -> tuple[float, bool]:
    """The share of the pool certified at `t`, and whether their realised error passes alpha."""
    if t is None:
        return 0.0, False
    acc = c >= t
    return float(acc.mean()), bool(acc.any() and w[acc].mean() > alpha)


def from_sample(
    conf: np.ndarray, wrong: np.ndarray, population: np.ndarray, alpha: float, delta: float, seed: int
) -> float | None:
    """Today's threshold: Learn-then-Test on a random sample (None when it certifies nothing)."""
    from hitl_widgets.routing import InsufficientSampleError, calibrate

    df = pd.DataFrame({"confidence": conf, "pred": "x", "label": np.where(wrong, "y", "x")})
    try:
        return calibrate(
            df, sample="random", population=population, alpha=alpha, delta=delta, seed=seed
        ).threshold
    except InsufficientSampleError:
        return None


def routed_randomly(
    c: np.ndarray,
    w: np.ndarray,
    ids: np.ndarray,
    train: int,
    floor: float,
    alpha: float,
    delta: float,
    seed: int,
) -> tuple[float | None, np.ndarray]:
    """Route a pool with review probabilities (the `train` least confident at 1, the rest at
    `floor`), calibrate on every review; the threshold (None: nothing certified) and who was reviewed."""
    from hitl_widgets.routing import InsufficientSampleError, Router, calibrate

    budget = (train + floor * (c.size - train)) / c.size + 0.1 / c.size
    frame = pd.DataFrame({"id": [f"t{i}" for i in ids], "pred": "x", "confidence": c})
    r = (
        Router(["x", "y"], review_budget=budget, review_floor=floor, seed=seed)
        .route(frame, id="id", text=None)
        .frame
    )
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
        return calibrate(df, sample="propensity", alpha=alpha, delta=delta, seed=seed).threshold, reviewed
    except InsufficientSampleError:
        return None, reviewed


def pool_of(size: int, seed: int) -> tuple[np.random.Generator, np.ndarray]:
    """A split's generator and its pool (the generator's first draw)."""
    rng = np.random.default_rng(seed)
    return rng, rng.choice(size, POOL, replace=False)


def rectifier_gain(conf: np.ndarray, wrong: np.ndarray, share: float, splits: int) -> float:
    """The share of the variance of the error estimate, among the tweets of the pool above the
    cut at `share`, that the best control variate a function of the confidence can remove.

    Active and prediction-powered inference estimate the error as the mean of a prediction q
    over all the tweets plus the mean of (wrong - q) over the reviewed ones: its variance per
    review is Var(wrong - q) where a plain draw's is p(1 - p). With q the model's true error
    given its confidence (here fitted isotonically on every tweet, which flatters it), that is
    the mean of q(1 - q). A bound of the same width then needs that share fewer reviews. Mean
    over the splits' pools."""
    from sklearn.isotonic import IsotonicRegression

    q = (
        IsotonicRegression(increasing=False, out_of_bounds="clip")
        .fit(conf, wrong.astype(float))
        .predict(conf)
    )
    removed = []
    for seed in range(splits):
        idx = pool_of(conf.size, seed)[1]
        top = idx[np.argsort(-conf[idx], kind="stable")[: round(share * POOL)]]
        p = float(wrong[top].mean())
        removed.append(1 - float(np.mean(q[top] * (1 - q[top]))) / (p * (1 - p)))
    return float(np.mean(removed))


def one_split(conf: np.ndarray, wrong: np.ndarray, seed: int, alpha: float, delta: float) -> list[dict]:
    rng, idx = pool_of(conf.size, seed)
    c, w = conf[idx], wrong[idx]
    order = np.argsort(c, kind="stable")
    trained = np.zeros(POOL, bool)
    trained[order[:TRAIN]] = True
    rows = []

    def row(scheme: str, setting: float, reviews: int, t: float | None) -> dict:
        share, bad = outcome(c, w, t, alpha)
        return {"scheme": scheme, "setting": setting, "reviews": reviews, "share": share, "violated": bad}

    # today: a random draw from the pool (as the loop draws its sample before any routing),
    # reviewed for calibration only
    for n in DRAWS:
        drawn = rng.choice(POOL, n, replace=False)
        reviews = int((trained | np.isin(np.arange(POOL), drawn)).sum())  # one review per tweet
        rows.append(row("today", n, reviews, from_sample(c[drawn], w[drawn], c, alpha, delta, seed)))
    # the oracle: today's draw and test, the draw only above the last cut a valid certificate
    # could reach (the realised error of the tweets above it at most alpha)
    realised = np.cumsum(w[order[::-1]]) / np.arange(1, POOL + 1)
    reachable = order[::-1][: int(np.flatnonzero(realised <= alpha)[-1]) + 1]
    for n in ORACLE_DRAWS:
        drawn = rng.choice(reachable, min(n, reachable.size), replace=False)
        reviews = int((trained | np.isin(np.arange(POOL), drawn)).sum())
        rows.append(
            row("oracle", n, reviews, from_sample(c[drawn], w[drawn], c[reachable], alpha, delta, seed))
        )
    # review probabilities: the 400 least confident at 1, the rest at the floor
    for f in FLOORS:
        t, reviewed = routed_randomly(c, w, idx, TRAIN, f, alpha, delta, seed)
        rows.append(row("review probabilities", f, int(reviewed.sum()), t))
    return rows


LOOP_POOL = 3000
LOOP_TRAIN = 300
ROUNDS = 3
LOOP_DRAWS = (200, 400, 600, 800, 1000, 1400, 2000)
LOOP_FLOORS = (0.05, 0.1, 0.15, 0.2, 0.3)


def loop_row(scheme: str, setting: float, reviews: int, res: list[tuple[float, bool, bool]]) -> dict:
    """One scheme's row of a loop split: its reviews, and per round the share certified and
    whether it violated alpha on the pool and on the held-out tweets."""
    return {
        "scheme": scheme,
        "setting": setting,
        "reviews": reviews,
        "shares": [s for s, _, _ in res],
        "violations": [v for _, v, _ in res],
        "held_out": [h for _, _, h in res],
    }


def judged(
    conf: np.ndarray, wrong: np.ndarray, pool: np.ndarray, seen: np.ndarray, t: float | None, alpha: float
) -> tuple[float, bool, bool]:
    """The share of `pool` certified at `t`, whether the realised error of its certified tweets
    passes alpha, and whether that of every tweet not in `seen` (reviewed or trained on) does.

    Why both: today's sample comes from outside the pool, so its guarantee is about the model's
    error on tweets like these (the distribution), which the pool's realised error only
    estimates (a pool of 3,000 near alpha passes it more often than its distribution does);
    the routed reviews are drawn from the pool itself, so their guarantee is about the pool."""
    share, bad = outcome(conf[pool], wrong[pool], t, alpha)
    rest = np.ones(conf.size, bool)
    rest[seen] = False
    return share, bad, outcome(conf[rest], wrong[rest], t, alpha)[1]


def loop_split(data: dict, seed: int, alpha: float, delta: float) -> list[dict]:
    """Three rounds of both schemes on one split (see the module's docstring)."""
    from sklearn.linear_model import LogisticRegression

    x, y, first = data["x"], data["y"], data["first"]
    rng = np.random.default_rng(10_000 + seed)
    perm = rng.permutation(y.size)
    pools = [perm[r * LOOP_POOL : (r + 1) * LOOP_POOL] for r in range(ROUNDS)]
    outside = perm[ROUNDS * LOOP_POOL :]  # today's random sample comes from here

    def fit(extra: np.ndarray) -> LogisticRegression:
        return LogisticRegression(max_iter=2000, C=1.0).fit(
            np.vstack([data["x_va"], x[extra]]), np.concatenate([data["y_va"], y[extra]])
        )

    def scored(model: LogisticRegression) -> tuple[np.ndarray, np.ndarray]:
        p = model.predict_proba(x)  # every train tweet: the pools and the held-out ones
        return p.max(1), p.argmax(1) != y

    rows = []
    # today: one random sample, reviewed once, calibrates every round's model; the least
    # confident of each pool train the next model
    sample = {n: rng.choice(outside, n, replace=False) for n in LOOP_DRAWS}
    model, trained = first, np.empty(0, int)
    per: dict[int, list[tuple[float, bool, bool]]] = {n: [] for n in LOOP_DRAWS}
    for r in range(ROUNDS):
        ca, wa = scored(model)
        c = ca[pools[r]]
        for n, drawn in sample.items():
            t = from_sample(ca[drawn], wa[drawn], c, alpha, delta, seed)
            per[n].append(judged(ca, wa, pools[r], np.concatenate([trained, drawn]), t, alpha))
        trained = np.concatenate([trained, pools[r][np.argsort(c, kind="stable")[:LOOP_TRAIN]]])
        if r + 1 < ROUNDS:
            model = fit(trained)
    for n, res in per.items():
        reviews = n + ROUNDS * LOOP_TRAIN
        rows.append(loop_row("today", n, reviews, res))
    # review probabilities: every review calibrates this round's model and trains the next
    for f in LOOP_FLOORS:
        model, trained, reviews, res = first, np.empty(0, int), 0, []
        for r in range(ROUNDS):
            ca, wa = scored(model)
            c, w = ca[pools[r]], wa[pools[r]]
            t, reviewed = routed_randomly(c, w, pools[r], LOOP_TRAIN, f, alpha, delta, seed * ROUNDS + r)
            res.append(judged(ca, wa, pools[r], np.concatenate([trained, pools[r][reviewed]]), t, alpha))
            reviews += int(reviewed.sum())
            trained = np.concatenate([trained, pools[r][reviewed]])
            if r + 1 < ROUNDS:
                model = fit(trained)
        rows.append(loop_row("review probabilities", f, reviews, res))
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


def run_loop(args: argparse.Namespace) -> str:
    """The loop part: its table and verdict, as markdown."""
    import bench_loop as bl
    from sklearn.linear_model import LogisticRegression

    t0 = time.perf_counter()
    _, y_tr = bl.read_split("offensive", "train")
    _, y_va = bl.read_split("offensive", "val")
    x_va = bl.cached_embeddings("offensive", "val")
    data = {
        "x": bl.cached_embeddings("offensive", "train"),
        "y": np.asarray(y_tr),
        "x_va": x_va,
        "y_va": np.asarray(y_va),
        "first": LogisticRegression(max_iter=2000, C=1.0).fit(x_va, y_va),
    }
    rows: list[dict] = []
    for s in range(args.loop_splits):
        rows += loop_split(data, s, args.alpha, args.delta)
        if (s + 1) % 25 == 0:
            print(f"  loop: {s + 1} splits ({time.perf_counter() - t0:.0f} s)", flush=True)
    raw = pd.DataFrame(rows)
    raw["share"] = raw["shares"].map(np.mean)
    for r in range(ROUNDS):
        raw[f"round {r + 1}"] = raw["shares"].map(lambda v, r=r: v[r])
    raw["violated"] = raw["violations"].map(np.mean)
    raw["held"] = raw["held_out"].map(np.mean)
    cols = {
        "reviews": ("reviews", "mean"),
        "share": ("share", "mean"),
        "violated": ("violated", "mean"),
        "held": ("held", "mean"),
    }
    cols.update({f"r{r + 1}": (f"round {r + 1}", "mean") for r in range(ROUNDS)})
    table = raw.groupby(["scheme", "setting"], sort=False).agg(**cols).reset_index()
    lines = [
        "| scheme | setting | human reviews, 3 rounds (mean) | certified share, mean of rounds "
        "| round 1 / 2 / 3 | violations, pool | violations, held-out tweets |",
        "|---|---|---:|---:|---|---:|---:|",
    ]
    for r in table.itertuples(index=False):
        setting = f"sample {int(r.setting):,}" if r.scheme == "today" else f"floor {r.setting:g}"
        rounds = " / ".join(f"{getattr(r, f'r{i + 1}'):.1%}" for i in range(ROUNDS))
        lines.append(
            f"| {r.scheme} | {setting} | {r.reviews:,.0f} | {r.share:.1%} | {rounds} | {r.violated:.1%} "
            f"| {r.held:.1%} |"
        )
    target = float(table[(table["scheme"] == "today") & (table["setting"] == 1000)]["share"].iloc[0])
    a = needed(table, "today", target)
    b = needed(table, "review probabilities", target)
    today = table[table["scheme"] == "today"]
    routed = table[table["scheme"] == "review probabilities"]
    verdict = (
        f"Target (today's scheme with a sample of 1,000): {target:.1%} of each pool on average at alpha="
        f"{args.alpha:g}. Human reviews over the three rounds: today {a:,.0f}"
        + (
            f"; review probabilities {b:,.0f} ({b / a:.0%} of today's)."
            if a and b
            else "; review probabilities: not reached."
        )
        + f" Violation rate over {args.loop_splits} splits x {ROUNDS} rounds, worst setting, measured where "
        f"each scheme's guarantee applies: today's on the held-out tweets "
        f"{today['held'].max():.1%}, review probabilities' on the pool {routed['violated'].max():.1%} "
        f"(target at most delta = {args.delta:g}; one binomial standard error over "
        f"{args.loop_splits * ROUNDS:,} rounds: "
        f"{np.sqrt(args.delta * (1 - args.delta) / (args.loop_splits * ROUNDS)):.1%})."
    )
    print(f"  loop: {time.perf_counter() - t0:.0f} s", flush=True)
    return (
        f"\n\n**The loop** ({args.loop_splits} splits, three rounds, pools of {LOOP_POOL:,} tweets, {LOOP_TRAIN} "
        "least confident of each reviewed for training; see the script's docstring).\n\n"
        + "\n".join(lines)
        + "\n\n"
        + verdict
        + "\n\nTwo violation columns: the pool's (the realised error of the certified tweets of the "
        "round's pool) and the held-out tweets' (every train tweet the round's model was neither trained "
        "nor calibrated on, 8,500 to 11,700 of them: the closest this data has to the model's error on the "
        "distribution). Today's sample is drawn outside the pool, so its guarantee is about the "
        "distribution: the pool's realised error near alpha passes it more often than the distribution's "
        "does, which is why today's pool column can read above delta. The routed reviews are drawn from "
        "the pool, so their guarantee is about the pool."
        + "\n\nIn the loop today's random sample is reviewed once and calibrates every round's model "
        "(it is never trained on); reviews routed with probabilities are trained on, so they cannot "
        "calibrate the next model, and each round pays for its own. What they buy back is training "
        "data: the next model learns from the floor reviews too."
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--splits", type=int, default=300)
    ap.add_argument("--alpha", type=float, default=0.2)
    ap.add_argument("--delta", type=float, default=0.1)
    ap.add_argument("--loop-splits", type=int, default=300)
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
    o = needed(table, "oracle", target)
    worst = float(table["violated"].max())
    lines = [
        "| scheme | setting | human reviews (mean) | certified share (mean) | violations |",
        "|---|---|---:|---:|---:|",
    ]
    for r in table.itertuples(index=False):
        setting = f"floor {r.setting:g}" if r.scheme == "review probabilities" else f"draw {int(r.setting):,}"
        if r.scheme == "oracle":
            setting += " above the reachable cut"
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
        (
            f" The oracle (today's test, every calibration review above the reachable cut): {o:,.0f}"
            + (f" ({o / a:.0%} of today's)." if a else ".")
            if o is not None
            else " The oracle: not reached."
        ),
        f" Violation rate, worst setting: {worst:.1%} over {args.splits} splits (target at most delta = "
        f"{args.delta:g}: {'met' if worst <= args.delta + 3 * np.sqrt(args.delta * (1 - args.delta) / args.splits) else 'NOT met'}, "
        "within three binomial standard errors).",
    ]
    why = (
        (
            "\n\nWhy not half: any valid bound on the error of what goes through unseen needs reviews "
            "drawn at random *among the tweets the threshold accepts*; both schemes get them at the same "
            "price (today's draw spends the share of it that falls below the threshold; the randomised "
            "router spends its floor reviews on every tweet above its cut, the same share). What review "
            "probabilities save is the random draw's overlap with the tweets reviewed for training (here "
            f"{TRAIN / POOL:.0%} of the pool) and the exact count of errors among them, so the saving grows "
            "with the share of the pool people must see anyway (policies, low confidence), not with the "
            "draw. Half of today's would leave {half} reviews for calibration besides the {TRAIN} for "
            "training; the oracle above, which wastes none below the reachable cut, needs more."
        )
        .replace("{half}", f"{(a or 0) / 2 - TRAIN:,.0f}")
        .replace("{TRAIN}", str(TRAIN))
    )
    if o is not None and a is not None:
        gain = rectifier_gain(conf, wrong, target, args.splits)
        cv = TRAIN + (1 - gain) * (o - TRAIN)
        why += (
            "\n\nThe rectifier of active and prediction-powered inference (the error predicted from the "
            "confidence for every tweet, corrected by the reviewed ones) does not change this: at the "
            f"target's cut, the best control variate the confidence allows removes {gain:.1%} of the "
            "variance (the model's error given its confidence, fitted on every tweet). A bound as wide then "
            f"needs that share fewer calibration reviews: the oracle's {o - TRAIN:,.0f} would become about "
            f"{(1 - gain) * (o - TRAIN):,.0f}, {cv:,.0f} reviews in all ({cv / a:.0%} of today's)."
        )
    loop = run_loop(args) if args.loop_splits > 0 else ""
    text = (
        f"Command: `python benchmarks/bench_review_probability.py --splits {args.splits} --loop-splits "
        f"{args.loop_splits}` ({time.perf_counter() - t0:.0f} s on 2 CPU cores).\n\n"
        f"**One round.** Pool {POOL:,} tweets, {TRAIN} least "
        "confident reviewed for training in both schemes.\n\n"
        + "\n".join(lines)
        + "\n\n"
        + "".join(verdict)
        + why
        + loop
    )
    print()
    print(text)
    if not args.no_readme:
        from _readme import write_section

        write_section("review_probability", "## Review probabilities (issue 17)\n\n" + text)


if __name__ == "__main__":
    main()
