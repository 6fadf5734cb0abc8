"""Close the loop: re-predict the pool with the new model, re-calibrate, re-route, and track it.

>>> tracker = LoopTracker(store, task="claims", sample_task="claims-sample", df=claims,
...                       id="claim_id", labels=CLAIM_TYPES, alpha=0.1, delta=0.1)  # doctest: +SKIP
>>> model, report = finetune(to_dataset(store, claims, task="claims",
...                          sample_task="claims-sample", id="claim_id"))           # doctest: +SKIP
>>> rr = tracker.reroute(model, tracker.unlabelled())     # new scores, threshold, routes   # doctest: +SKIP
>>> tracker.record(rr, finetune=report)                   # one row per round              # doctest: +SKIP
>>> tracker.plot()                                                                         # doctest: +SKIP

Calibration and evaluation use **only items people reviewed as a random sample**: the
decisions of ``sample_task`` (a random draw reviewed in a task of its own, see
`random_draw`), decisions whose event data says ``{"sample": true}``, and the router's
random audits (``audits=True``). Items a person saw because the model was unsure are a
biased sample (they are where the model errs), so they train the next model but never
calibrate or evaluate it. The tracker says how many unbiased reviewed items each round
had; with few of them the Learn-then-Test guarantee can certify only a high threshold (or
none), and `LoopTracker.advice` projects how much more a number of extra random reviews
would let the router accept.
"""

from __future__ import annotations

import inspect
import math
import time
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..store import Store
from .dataset import _as_list, is_sample_marker


# -- numbers as they are printed ------------------------------------------------------------
class Shown(float):
    """A float that prints with 4 significant digits (``str``, ``repr`` and an f-string with no
    format spec: ``threshold 0.5922``, not ``threshold 0.592160701751709``). Its value keeps
    every digit: comparisons, arithmetic, ``json.dumps``, pandas and ``float(x)`` see the
    exact number, and an explicit format spec (``f"{x:.6f}"``) formats it."""

    __slots__ = ()

    def __repr__(self) -> str:
        return _short(float(self))

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return float.__format__(float(self), spec) if spec else _short(float(self))

    def __reduce__(self) -> tuple[Any, ...]:
        return (Shown, (float(self),))


def _short(v: float) -> str:
    """4 significant digits; numbers of 1,000 and more as whole numbers (no exponent)."""
    if not math.isfinite(v):
        return repr(v)
    return f"{v:.0f}" if abs(v) >= 1000 else f"{v:.4g}"


def _shown(v: Any) -> Any:
    """`v` as a `Shown` float when it is a real number (None, NaN-free ints, text stay)."""
    if v is None or isinstance(v, (bool, int, np.integer)):
        return v
    if isinstance(v, (float, np.floating)):
        return Shown(float(v))
    return v


# -- the unbiased sample ---------------------------------------------------------------------
def unbiased_reviews(
    store: Store, tasks: Sequence[str], sample_tasks: Sequence[str], *, audits: bool = True
) -> pd.DataFrame:
    """Items people reviewed as a random sample: item_id, human_label (None if flagged),
    status, task, why ("sample task" / "sample marker" / "audit"). One row per item (the
    latest decision)."""
    from ..routing.router import routed

    rows = []
    for t in list(dict.fromkeys(list(tasks) + list(sample_tasks))):
        d = store.decisions(t)
        if not len(d):
            continue
        d = d[d["status"].isin(["accepted", "corrected", "flagged"])]
        audited: set[str] = set()
        if audits:
            r = routed(store, t)
            if len(r):
                audited = set(r.loc[r["audit"], "item_id"].astype(str))
        for row in d.itertuples(index=False):
            why = (
                "sample task"
                if t in sample_tasks
                else "sample marker"
                if is_sample_marker(row.data)
                else "audit"
                if str(row.item_id) in audited
                else None
            )
            if why is None:
                continue
            rows.append(
                {
                    "item_id": str(row.item_id),
                    "human_label": row.human_label if row.status != "flagged" else None,
                    "status": row.status,
                    "task": t,
                    "why": why,
                    "decided_at": row.decided_at,
                }
            )
    out = pd.DataFrame(rows, columns=["item_id", "human_label", "status", "task", "why", "decided_at"])
    if len(out):
        out = out.sort_values("decided_at", kind="stable").drop_duplicates("item_id", keep="last")
    return out.reset_index(drop=True)


def project_coverage(
    confidence: np.ndarray,
    wrong: np.ndarray,
    population: np.ndarray,
    alpha: float,
    delta: float,
    n_total: int,
    start: int | None = None,
) -> float:
    """The share of `population` a Learn-then-Test threshold would accept if the random
    sample had `n_total` items with the error profile observed now (a projection: counts
    scaled up; the largest share whose binomial test passes, among thresholds that at
    least `start` of the `n_total` items reach, as in `LoopTracker.reroute`'s grid). A
    projection for planning, not a guarantee: the fixed-sequence test can stop earlier."""
    from scipy import stats

    from ..routing.calibration import min_accepted_to_pass

    if start is None:  # where calibrate's grid begins by default
        start = 2 * (min_accepted_to_pass(alpha, delta) or 1)
    conf = np.asarray(confidence, float)
    wrong = np.asarray(wrong, int)
    pop = np.sort(np.asarray(population, float))[::-1]
    n = len(conf)
    if n == 0 or pop.size == 0:
        return 0.0
    scale = n_total / n
    order = np.argsort(-conf, kind="stable")
    s, cum = conf[order], np.cumsum(wrong[order])
    best = 0.0
    for c in np.linspace(0.01, 1.0, 100):
        t = pop[min(pop.size - 1, math.ceil(c * pop.size) - 1)]
        m = int(np.searchsorted(-s, -t, side="right"))  # reviewed items with conf >= t
        if m == 0:
            continue
        mm = round(m * scale)
        if mm < start:
            continue  # above the grid's first threshold: not tested
        kk = math.floor(cum[m - 1] * scale + 1e-9)
        if stats.binom.cdf(kk, max(mm, 1), alpha) <= delta:
            best = max(best, float(np.mean(population >= t)))
    return best


# -- re-routing ---------------------------------------------------------------------------------
def _everything(df: pd.DataFrame) -> np.ndarray:
    return np.ones(len(df), bool)


@dataclass
class Reroute:
    """One re-route: the new scores, the calibration (or why none), the routing outcome."""

    routing: Any  # RoutingResult
    calibration: Any | None  # CalibrationResult, None when no threshold could be certified
    refusal: Exception | None  # the InsufficientSampleError when none could
    proba: np.ndarray  # pool x labels
    sample: pd.DataFrame  # the unbiased reviewed items with the new model's pred / confidence
    alpha: float
    delta: float
    seconds: float
    #: True when the pool was routed with review probabilities (``review_budget=``): the
    #: calibration comes after the reviews, from every one of them (`LoopTracker.certify`)
    randomised: bool = False

    @property
    def threshold(self) -> float | None:
        return None if self.calibration is None else self.calibration.threshold

    @property
    def certified_share(self) -> float:
        """The pool's share the certified threshold accepts with no person (0 when none)."""
        if self.calibration is None or not len(self.routing):
            return 0.0
        if self.randomised:
            return float(self.calibration.coverage)
        f = self.routing.frame
        return float(((f["route"] == "auto") | f["audit"]).mean())

    @property
    def routed_share(self) -> float:
        """Share of the pool sent to people (low confidence, no threshold, audits)."""
        return float(self.routing.review_mask.mean()) if len(self.routing) else 0.0

    @property
    def review_frame(self) -> pd.DataFrame:
        """The pool's rows routed to people, with ``pred``, ``confidence``, ``reasons``
        (pass it to ``ClassificationReview`` with ``proba=review_proba``, ``reasons="reasons"``)."""
        return self.routing.frame[self.routing.review_mask]

    @property
    def review_proba(self) -> np.ndarray:
        """The new model's probabilities of `review_frame`'s rows (for margin ordering)."""
        return self.proba[self.routing.review_mask]

    @property
    def accuracy(self) -> float | None:
        s = self.sample[self.sample["human_label"].notna()]
        return float((s["pred"] == s["human_label"]).mean()) if len(s) else None

    def __repr__(self) -> str:
        th = "none certified" if self.threshold is None else _short(float(self.threshold))
        acc = self.accuracy
        return (
            f"Reroute(threshold {th}, {self.routed_share:.1%} of {len(self.routing):,} routed to people, "
            f"accuracy {'n/a' if acc is None else _short(acc)} on {len(self.sample):,} random-sample "
            f"items, alpha={self.alpha:g}, delta={self.delta:g}, {self.seconds:.1f} s)"
        )


class LoopTracker:
    """Per round: labelled items, held-out accuracy on the random sample, the share routed to
    people at the guaranteed alpha, people's time (duration_ms from the store), the number
    of unbiased reviewed items and what more random reviews would buy.

    Parameters
    ----------
    store:
        The `Store` (or path) the reviews and route events live in.
    task, sample_task:
        The review task of the routed items, and the task of the random-sample reviews.
    df, text, id:
        The frame the items come from (texts for predictions), its text and id columns.
    labels:
        The label set.
    alpha, delta:
        The guarantee: error among auto-accepted <= alpha with probability >= 1 - delta.
    audits:
        Count the router's random audits as random-sample reviews.
    audit_rate, seed:
        The re-route's audit share and seed.
    """

    def __init__(
        self,
        store: Store | str,
        task: str | Sequence[str] = "routing",
        *,
        sample_task: str | Sequence[str] | None = None,
        df: pd.DataFrame | None = None,
        text: Hashable = "text",
        id: Hashable | None = None,
        labels: Sequence[Any] | None = None,
        alpha: float = 0.1,
        delta: float = 0.1,
        audits: bool = True,
        audit_rate: float = 0.0,
        seed: int = 0,
    ) -> None:
        self.store = store if isinstance(store, Store) else Store(store)
        self.tasks = _as_list(task)
        if not self.tasks:
            raise ValueError("task: name the review task of the routed items")
        self.sample_tasks = _as_list(sample_task)
        self.df = df
        self.text, self.id = text, id
        self.labels = [str(x) for x in labels] if labels is not None else None
        for name, v in (("alpha", alpha), ("delta", delta)):
            if not (0.0 < float(v) < 1.0):
                raise ValueError(f"{name} must be in (0, 1), got {v!r}")
        self.alpha, self.delta = float(alpha), float(delta)
        self.audits = audits
        self.audit_rate, self.seed = audit_rate, seed
        self.rounds: list[dict[str, Any]] = []
        self._last: Reroute | None = None

    # -- reading the store ----------------------------------------------------------------
    @property
    def all_tasks(self) -> list[str]:
        return list(dict.fromkeys(self.tasks + self.sample_tasks))

    def unbiased(self) -> pd.DataFrame:
        """The items people reviewed as a random sample (see `unbiased_reviews`)."""
        return unbiased_reviews(self.store, self.tasks, self.sample_tasks, audits=self.audits)

    def human_labelled(self) -> pd.DataFrame:
        """Every item with a human label (accepted or corrected) in the tracked tasks."""
        parts = [self.store.decisions(t) for t in self.all_tasks]
        parts = [p for p in parts if len(p)]
        if not parts:
            return pd.DataFrame(columns=["item_id", "human_label", "task"])
        d = pd.concat(parts, ignore_index=True)
        d = d[d["status"].isin(["accepted", "corrected"])]
        return d.drop_duplicates("item_id", keep="last")[["item_id", "human_label", "task"]]

    def people_seconds(self) -> float:
        """Sum of duration_ms of every human event in the tracked tasks, in seconds."""
        total = 0.0
        for t in self.all_tasks:
            ev = self.store.events(t)
            if len(ev):
                ev = ev[ev["action"] != "route"]
                total += float(np.nansum(ev["duration_ms"].to_numpy(dtype=float))) / 1000.0
        return total

    def reviewed_ids(self) -> set[str]:
        """Items a person decided on (any status) in the tracked tasks."""
        out: set[str] = set()
        for t in self.all_tasks:
            d = self.store.decisions(t)
            out.update(d["item_id"].astype(str))
        return out

    def _ids(self, df: pd.DataFrame) -> pd.Index:
        return (df.index if self.id is None else pd.Index(df[self.id])).astype(str)

    def unlabelled(self, df: pd.DataFrame | None = None) -> pd.DataFrame:
        """Rows of `df` (default the tracker's frame) no person has decided on yet."""
        df = self.df if df is None else df
        if df is None:
            raise ValueError("unlabelled: give the frame (df=) of the items")
        return df[~self._ids(df).isin(self.reviewed_ids())]

    # -- one round ----------------------------------------------------------------------------
    def reroute(
        self,
        model: Any = None,
        pool: pd.DataFrame | None = None,
        *,
        proba: np.ndarray | None = None,
        sample_proba: np.ndarray | None = None,
        per_label: bool = False,
        grid: str = "learned",
        tune: float = 0.25,
        step: float = 0.05,
        write: bool = True,
        review_budget: float | None = None,
        review_floor: float = 0.05,
        **calibrate_kw: Any,
    ) -> Reroute:
        """Re-predict `pool` (default: the unlabelled rows) and the random sample with `model`,
        calibrate on the sample's new scores (Learn-then-Test at alpha, delta) and route the
        pool with the new threshold (route events written to the store, in the first task,
        when `write`). With no threshold certifiable, every item goes to a person.
        `proba` / `sample_proba` skip the predictions (e.g. from cached embeddings). The
        routed frame gets the new ``pred`` and ``confidence`` columns.

        `grid`: how the thresholds tested in fixed sequence are chosen - always without
        looking at the labels of the items that test them, which is what keeps the
        guarantee:

        * ``"learned"`` (default): a `tune` share of the random sample is set aside (by a
          seeded hash of the item id, so an item stays on its side as the sample grows);
          its confidences and labels estimate the error at each coverage (steps of
          `step`), and the sequence starts at the threshold whose test is most likely to
          pass on the other items, moving down from there. The fixed-sequence test stops
          at its first failure and answers with the lowest threshold it passed, so where
          it starts decides everything: too high (few items) and one or two confident
          errors end it; too low and the error there is already above alpha. (Seen on
          the demo claims, 300 random reviews, 89% accuracy, alpha 0.1: `calibrate`'s
          default grid, which starts where 44 items pass, stopped at its first test on two
          confident errors and certified nothing; a start at 100 items certified 0.60,
          93% of the items accepted.)
        * ``"sample"``: `calibrate`'s own grid from the set-aside share's confidences only.
        * ``"pool"``: `calibrate`'s grid from the pool's confidences - only when the sample
          was drawn from the pool as it is now: after rounds of review the pool has lost
          its uncertain items and its confidences sit higher than the sample's.

        Other `calibrate` arguments pass through.

        ``review_budget=`` routes with review probabilities instead
        (``Router(review_budget=, review_floor=)``: the least confident always, the rest
        with the floor probability, each probability stored): nothing is calibrated yet;
        after the person has reviewed `Reroute.review_frame`, `certify` calibrates on every
        review of this routing (``calibrate(sample="propensity")``), and no random sample
        is needed.
        """
        if grid not in ("learned", "sample", "pool"):
            raise ValueError(f"grid must be 'learned', 'sample' or 'pool', got {grid!r}")
        from ..routing import InsufficientSampleError, Router, calibrate

        t0 = time.perf_counter()
        pool = self.unlabelled() if pool is None else pool
        labels = self.labels or (list(model.labels) if model is not None else None)
        if labels is None:
            raise ValueError("labels: give the tracker labels= (or a model with .labels)")
        texts_pool = pool[self.text].astype(str).tolist()
        if proba is None:
            if model is None:
                raise ValueError("reroute: give a model or proba")
            proba = model.predict_proba(texts_pool)
        proba = np.asarray(proba, dtype=float)
        if review_budget is not None:
            return self._route_randomised(pool, proba, labels, review_budget, review_floor, write, t0)
        sample = self.unbiased()
        if sample_proba is None and len(sample):
            if self.df is None:
                raise ValueError("reroute: the tracker needs df= to read the sample's texts")
            by_id = pd.Series(self.df[self.text].astype(str).to_numpy(), index=self._ids(self.df))
            missing = ~sample["item_id"].isin(by_id.index)
            if missing.any():
                sample = sample[~missing].reset_index(drop=True)
            stexts = by_id.loc[sample["item_id"]].tolist()
            sample_proba = model.predict_proba(stexts) if stexts else np.zeros((0, len(labels)))
        sample_proba = np.asarray(
            sample_proba if sample_proba is not None else np.zeros((0, len(labels))), float
        )
        if len(sample_proba) != len(sample):
            raise ValueError(f"sample_proba: {len(sample_proba)} rows for {len(sample)} sample items")
        sample = sample.assign(
            pred=[labels[i] for i in sample_proba.argmax(1)] if len(sample) else [],
            confidence=sample_proba.max(1) if len(sample) else [],
        )
        pop_conf = proba.max(1) if len(proba) else np.zeros(0)
        cal, refusal = None, None
        try:
            if not len(sample):
                raise InsufficientSampleError(
                    "no item has been reviewed as a random sample yet",
                    n=0,
                    needed=None,
                    needed_zero_errors=None,
                )
            frame = sample.rename(columns={"pred": "model_label"})
            kw = {"seed": self.seed, **calibrate_kw}
            if grid == "learned" and not per_label and len(frame) >= 40 and "grid" not in kw:
                frame, kw["grid"] = self._learned_grid(frame, tune, step)
            elif grid != "pool":
                kw.setdefault("tune", tune)
                kw.setdefault("step", step)
            cal = calibrate(
                frame,
                alpha=self.alpha,
                delta=self.delta,
                sample="random",
                population=pop_conf if grid == "pool" else None,
                confidence="confidence",
                pred="model_label",
                label="human_label",
                per_label=per_label,
                **kw,
            )
        except InsufficientSampleError as exc:
            refusal = exc
        if cal is not None:
            router = cal.router(labels, audit_rate=self.audit_rate, seed=self.seed)
        else:
            router = Router(
                labels,
                policies={"no threshold certified yet": _everything},
                audit_rate=self.audit_rate,
                seed=self.seed,
            )
        store = self.store if write else None
        pool = pool.assign(
            pred=np.asarray(labels, dtype=object)[proba.argmax(1)] if len(proba) else [], confidence=pop_conf
        )
        result = router.route(
            pool,
            proba=proba,
            pred=None,
            confidence=None,
            id=self.id,
            text=self.text if self.text in pool.columns else None,
            store=store,
            task=self.tasks[0],
        )
        rr = Reroute(result, cal, refusal, proba, sample, self.alpha, self.delta, time.perf_counter() - t0)
        self._last = rr
        return rr

    def _route_randomised(
        self,
        pool: pd.DataFrame,
        proba: np.ndarray,
        labels: Sequence[Any],
        budget: float,
        floor: float,
        write: bool,
        t0: float,
    ) -> Reroute:
        from ..routing import Router

        router = Router(labels, review_budget=budget, review_floor=floor, seed=self.seed)
        pool = pool.assign(
            pred=np.asarray(labels, dtype=object)[proba.argmax(1)] if len(proba) else [],
            confidence=proba.max(1) if len(proba) else np.zeros(0),
        )
        result = router.route(
            pool,
            pred="pred",
            confidence="confidence",
            id=self.id,
            text=self.text if self.text in pool.columns else None,
            store=self.store if write else None,
            task=self.tasks[0],
        )
        empty = pd.DataFrame(columns=["item_id", "human_label", "pred", "confidence"])
        rr = Reroute(
            result,
            None,
            None,
            proba,
            empty,
            self.alpha,
            self.delta,
            time.perf_counter() - t0,
            randomised=True,
        )
        self._last = rr
        return rr

    def certify(self, reroute: Reroute | None = None, **calibrate_kw: Any) -> Reroute:
        """Calibrate a randomised re-route (``reroute(..., review_budget=)``) on every review
        of it: its routed items, each with its review probability, joined with the decisions
        people made on them in the first task (a review still pending counts as an error).
        Sets the reroute's calibration (or its refusal) and returns it."""
        from ..routing import InsufficientSampleError, calibrate

        rr = reroute if reroute is not None else self._last
        if rr is None or not rr.randomised:
            raise ValueError(
                "certify: give a reroute made with review_budget= (reroute(..., review_budget=...))"
            )
        f = rr.routing.frame
        ids = (f.index if self.id is None else pd.Index(f[self.id])).astype(str)
        d = self.store.decisions(self.tasks[0])
        d = d[d["status"].isin(["accepted", "corrected", "flagged"])]
        said = dict(zip(d["item_id"].astype(str), d["human_label"], strict=True))
        routed_frame = pd.DataFrame(
            {
                "confidence": f["confidence"].to_numpy(dtype=float),
                "pred": f["pred"].astype(str).to_numpy(),
                "label": [said.get(i) for i in ids],
                "route": f["route"].to_numpy(),
                "review_probability": f["review_probability"].to_numpy(dtype=float),
            }
        )
        try:
            rr.calibration = calibrate(
                routed_frame,
                sample="propensity",
                alpha=self.alpha,
                delta=self.delta,
                seed=self.seed,
                **calibrate_kw,
            )
            rr.refusal = None
        except InsufficientSampleError as exc:
            rr.calibration, rr.refusal = None, exc
        reviewed = routed_frame["route"] == "review"
        rr.sample = pd.DataFrame(
            {
                "item_id": ids[reviewed.to_numpy()],
                "human_label": routed_frame.loc[reviewed, "label"].to_numpy(),
                "pred": routed_frame.loc[reviewed, "pred"].to_numpy(),
                "confidence": routed_frame.loc[reviewed, "confidence"].to_numpy(),
            }
        )
        return rr

    def _learned_grid(self, frame: pd.DataFrame, tune: float, step: float) -> tuple[pd.DataFrame, np.ndarray]:
        """Split the random sample: a `tune` share chooses the grid (labels included), the
        rest tests it. Returns (the test rows, descending thresholds)."""
        import hashlib

        from scipy import stats

        # each item's side is fixed by a hash of its id and the seed: as the random sample
        # grows round after round, items stay where they were (no reshuffling noise)
        u = np.array(
            [
                int(hashlib.sha256(f"{self.seed}\x1f{i}".encode()).hexdigest()[:12], 16) / 16**12
                for i in frame["item_id"].astype(str)
            ]
        )
        is_tune = u < tune
        if is_tune.sum() < 10:
            is_tune = u <= np.sort(u)[min(9, len(u) - 1)]
        tune_rows, test_rows = frame[is_tune], frame[~is_tune]
        k = len(tune_rows)
        conf = tune_rows["confidence"].to_numpy(float)
        wrong = (
            tune_rows["human_label"].isna()
            | (tune_rows["human_label"].astype(str) != tune_rows["model_label"].astype(str))
        ).to_numpy()
        order = np.argsort(-conf, kind="stable")
        conf, wrong = conf[order], wrong[order].astype(int)
        cum = np.cumsum(wrong)
        covs = np.arange(step, 1.0 + 1e-9, step)
        idx = np.clip(np.ceil(covs * k).astype(int) - 1, 0, k - 1)
        thr = conf[idx]
        m = idx + 1
        err = (cum[idx] + 1.0) / (m + 2.0)  # smoothed error estimate at each coverage
        n_test = len(test_rows)
        expect = np.maximum(1, np.round(covs * n_test)).astype(int)
        pv = stats.binom.cdf(np.floor(err * expect), expect, self.alpha)
        # start where a pass is most likely: the sequence only moves down from its start,
        # and the lowest threshold it rejects is the answer, so higher ones add only risk
        first = int(np.argmin(pv))
        g = thr[first:]
        _, keep = np.unique(-g, return_index=True)  # descending, unique
        return test_rows.reset_index(drop=True), g[np.sort(keep)]

    def record(
        self,
        reroute: Reroute | None = None,
        *,
        finetune: Any = None,
        accuracy: float | None = None,
        compute_seconds: float | None = None,
        note: str = "",
    ) -> dict[str, Any]:
        """Append this round's row; returns it.

        labelled: items with a human label (accepted / corrected) in the tracked tasks;
        trained_on: the fine-tuning's training texts (from `finetune`'s report);
        unbiased: reviewed random-sample items; accuracy: on their human labels;
        routed_share: the pool's share sent to people at alpha (1.0 when no threshold could
        be certified); people_s: people's time so far (sum of duration_ms). The cost of the
        guarantee: reviews_total (items a person decided on so far, in the tracked tasks),
        reviews_training (those the model trains on: all but the random sample's),
        reviews_calibration (those this round's threshold was certified from: the random
        sample, or every review of a randomised routing, which train too),
        reviews_calibration_only (reviewed only to calibrate: the random sample; none with
        review probabilities), and
        certified_share (the pool's share the certified threshold accepts; 0 when none)."""
        rr = reroute if reroute is not None else self._last
        unb = self.unbiased() if rr is None else rr.sample
        n_unbiased = len(unb)
        if accuracy is None and rr is not None:
            accuracy = rr.accuracy
        people = self.people_seconds()
        prev_people = self.rounds[-1]["people_s"] if self.rounds else 0.0
        total_reviews = len(self.reviewed_ids())
        certified = rr.certified_share if rr is not None else 0.0
        randomised = rr is not None and rr.randomised
        sample_only = len(self.unbiased()) if randomised else n_unbiased
        calibrated_on = n_unbiased
        if randomised and rr is not None and rr.calibration is not None:
            calibrated_on = rr.calibration.n + rr.calibration.n_tune
        row: dict[str, Any] = {
            "round": len(self.rounds) + 1,
            "labelled": len(self.human_labelled()),
            "trained_on": int(getattr(finetune, "n_train", 0)) if finetune is not None else None,
            "mode": getattr(finetune, "mode", None),
            "unbiased": n_unbiased,
            "accuracy": accuracy,
            "alpha": self.alpha,
            "delta": self.delta,
            "threshold": rr.threshold if rr is not None else None,
            "routed_share": rr.routed_share if rr is not None else None,
            "pool": len(rr.routing) if rr is not None else None,
            "people_s": people,
            "people_round_s": people - prev_people,
            "compute_s": compute_seconds
            if compute_seconds is not None
            else ((getattr(finetune, "train_seconds", 0.0) or 0.0) + (rr.seconds if rr is not None else 0.0)),
            "needed": None,
            "reviews_training": max(total_reviews - sample_only, 0),
            "reviews_calibration": calibrated_on,
            "reviews_calibration_only": sample_only,
            "reviews_total": total_reviews,
            "certified_share": certified,
            "advice": "",
            "note": note,
        }
        if rr is not None:
            row["needed"] = getattr(rr.refusal, "needed", None) if rr.refusal is not None else None
            row["advice"] = self.advice(rr)
        # printed (a row, f"threshold {row['threshold']}") with 4 significant digits; the
        # values themselves keep every digit (see `Shown`)
        for k in (
            "accuracy",
            "alpha",
            "delta",
            "threshold",
            "routed_share",
            "people_s",
            "people_round_s",
            "compute_s",
            "certified_share",
        ):
            row[k] = _shown(row[k])
        self.rounds.append(row)
        return row

    # -- what more random reviews would buy ---------------------------------------------
    def advice(self, rr: Reroute | None = None, extra: Sequence[int] | None = None) -> str:
        """How many unbiased reviewed items this round had, what the guarantee accepts with
        them, and the projected share it would accept with more random reviews."""
        rr = rr if rr is not None else self._last
        if rr is None:
            return "no round yet"
        s = rr.sample
        n = len(s)
        pop_conf = rr.proba.max(1) if len(rr.proba) else np.zeros(0)
        acc_now = 1.0 - rr.routed_share if rr.calibration is not None else 0.0
        head = (
            f"{n:,} items reviewed as a random sample; at alpha={self.alpha:g} "
            f"(delta={self.delta:g}) the guarantee auto-accepts {acc_now:.0%} of the pool"
        )
        if rr.refusal is not None:
            need = getattr(rr.refusal, "needed", None)
            head += (
                " (no threshold can be certified"
                + (f": about {need:,} random reviews are needed" if need else "")
                + ")"
            )
        if n == 0:
            return head + ". Review a random sample (random_draw) to calibrate."
        wrong = (s["human_label"].isna() | (s["human_label"].astype(str) != s["pred"].astype(str))).to_numpy()
        conf = s["confidence"].to_numpy(float)
        extra = list(extra) if extra is not None else sorted({max(50, n // 2), n, 2 * n, 4 * n})
        proj = [(e, project_coverage(conf, wrong, pop_conf, self.alpha, self.delta, n + e)) for e in extra]
        # the empirical ceiling: largest share whose observed error is <= alpha
        order = np.argsort(-conf, kind="stable")
        emp = np.cumsum(wrong[order]) / np.arange(1, n + 1)
        ok = np.flatnonzero(emp <= self.alpha)
        ceiling = float(np.mean(pop_conf >= conf[order][ok[-1]])) if ok.size and len(pop_conf) else 0.0
        better = [(e, c) for e, c in proj if c > acc_now + 0.02]
        if not better:
            return head + (
                f". More random reviews would not raise it much at the current error "
                f"(observed ceiling {ceiling:.0%}): a better model would."
            )
        parts = ", ".join(f"+{e:,} -> {c:.0%}" for e, c in proj)
        return head + (
            f". Projected with more random reviews (same error profile): {parts} "
            f"(observed ceiling {ceiling:.0%})."
        )

    # -- output ----------------------------------------------------------------------------
    def table(self) -> pd.DataFrame:
        """One row per round."""
        cols = [
            "round",
            "labelled",
            "trained_on",
            "mode",
            "unbiased",
            "accuracy",
            "alpha",
            "delta",
            "threshold",
            "routed_share",
            "pool",
            "people_s",
            "people_round_s",
            "compute_s",
            "needed",
            "reviews_training",
            "reviews_calibration",
            "reviews_calibration_only",
            "reviews_total",
            "certified_share",
            "advice",
            "note",
        ]
        return pd.DataFrame(self.rounds, columns=cols)

    def plot(self, widget: bool = True) -> Any:
        """A plotly chart across rounds: held-out accuracy and share routed to people (left),
        people's time and unbiased reviewed items (right). A FigureWidget by default.

        Rounds and item counts are whole numbers on their axes (integer ticks from 0), shares
        are percentages, and every title fits inside its panel."""
        import plotly.graph_objects as go
        from plotly.subplots import make_subplots

        t = self.table()
        x = t["round"].tolist()
        fig = make_subplots(
            rows=1,
            cols=2,
            horizontal_spacing=0.16,
            subplot_titles=(
                f"held-out accuracy and share to people<br>(random sample; alpha={self.alpha:g})",
                "people's time and random-sample size",
            ),
            specs=[[{}, {"secondary_y": True}]],
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=t["accuracy"].astype(float),
                mode="lines+markers",
                name="held-out accuracy",
                hovertemplate="round %{x}<br>accuracy %{y:.1%}<extra></extra>",
            ),
            1,
            1,
        )
        share = t["routed_share"].astype(float)
        text = [
            "no threshold"
            if th is None or (isinstance(th, float) and math.isnan(th))
            else f"t={float(th):.2f}"
            for th in t["threshold"]
        ]
        # a label above a point near the top would leave the panel: put it below
        where = ["bottom center" if (not math.isnan(v) and v > 0.85) else "top center" for v in share]
        fig.add_trace(
            go.Scatter(
                x=x,
                y=share,
                mode="lines+markers+text",
                text=text,
                textposition=where,
                name="share routed to people",
                cliponaxis=False,
                hovertemplate="round %{x}<br>%{y:.1%} routed to people (%{text})<extra></extra>",
            ),
            1,
            1,
        )
        minutes = t["people_s"].astype(float) / 60.0
        fig.add_trace(
            go.Bar(
                x=x,
                y=minutes,
                name="people's time (min, cumulative)",
                opacity=0.6,
                hovertemplate="round %{x}<br>%{y:.3g} min of people's time<extra></extra>",
            ),
            1,
            2,
            secondary_y=False,
        )
        items = t["unbiased"].astype(float)
        fig.add_trace(
            go.Scatter(
                x=x,
                y=items,
                mode="lines+markers",
                name="random-sample reviews",
                hovertemplate="round %{x}<br>%{y:,d} random-sample reviews<extra></extra>",
            ),
            1,
            2,
            secondary_y=True,
        )
        fig.update_yaxes(title_text="share", range=[0, 1.05], tickformat=".0%", row=1, col=1)
        fig.update_yaxes(
            title_text="minutes", rangemode="tozero", tickformat="~g", row=1, col=2, secondary_y=False
        )
        # counts: whole numbers from 0 in nice integer steps (not ticks synced to the minutes
        # axis, which land on 142 / 171.3 / 200.6); no second grid
        top = float(np.nanmax(items)) if len(items) and np.isfinite(items).any() else 1.0
        step = _nice_step(top / 4)
        fig.update_yaxes(
            title_text="items",
            tickmode="linear",
            tick0=0,
            dtick=step,
            tickformat=",d",
            range=[0, max(step, math.ceil(top * 1.05 / step) * step)],
            showgrid=False,
            row=1,
            col=2,
            secondary_y=True,
        )
        fig.update_xaxes(
            title_text="round",
            tickmode="linear",
            tick0=1,
            dtick=1,
            tickformat="d",
            range=[min(x, default=1) - 0.5, max(x, default=1) + 0.5],
        )
        fig.update_annotations(font_size=13)  # the subplot titles
        fig.update_layout(
            height=400,
            width=900,
            margin=dict(l=70, r=70, t=80, b=110),
            legend=dict(orientation="h", yanchor="top", y=-0.3, x=0.5, xanchor="center"),
        )
        return go.FigureWidget(fig) if widget else fig

    def __repr__(self) -> str:
        head = (
            f"LoopTracker(task={self.tasks!r}, sample_task={self.sample_tasks!r}, alpha={self.alpha:g}, "
            f"delta={self.delta:g}, {len(self.rounds)} round(s))"
        )
        if not self.rounds:
            return head
        t = self.table().drop(columns=["advice", "note"])
        return head + "\n" + t.to_string(index=False, float_format=_short)

    def _repr_html_(self) -> str:
        t = self.table().drop(columns=["advice", "note"])
        return t.to_html(index=False, float_format=lambda v: f"{v:.3g}")


def _nice_step(raw: float) -> int:
    """The integer tick step of 1, 2 or 5 x 10^k nearest above `raw` (at least 1)."""
    if not math.isfinite(raw) or raw <= 1:
        return 1
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if m * mag >= raw:
            return int(m * mag)
    return int(10 * mag)  # pragma: no cover


# -- a simulated reviewer ---------------------------------------------------------------------
class SimulatedReviewer:
    """A stand-in for a person, for demos and benchmarks: gives the true label, or with
    probability `error_rate` another one, and takes about `seconds` per item.

    `review(widget, n)` decides through the widget's Python actions (``accept()`` when the
    model's label is what it would give, ``correct(label)`` otherwise); `events(...)` writes
    the same decisions straight to a store (fast, for benchmarks)."""

    def __init__(
        self,
        truth: Mapping[Any, Any] | pd.Series,
        labels: Sequence[Any],
        *,
        error_rate: float = 0.0,
        seconds: float = 6.0,
        seed: int = 0,
        annotator: str = "simulated",
    ) -> None:
        self.truth = {str(k): str(v) for k, v in dict(truth).items()}
        self.labels = [str(x) for x in labels]
        if not (0.0 <= error_rate < 1.0):
            raise ValueError(f"error_rate must be in [0, 1), got {error_rate!r}")
        self.error_rate = float(error_rate)
        self.seconds = float(seconds)
        self.rng = np.random.default_rng(seed)
        self.annotator = annotator

    def label_for(self, item_id: Any) -> str:
        gold = self.truth[str(item_id)]
        if self.error_rate and self.rng.random() < self.error_rate:
            others = [lab for lab in self.labels if lab != gold]
            return str(self.rng.choice(others))
        return gold

    def duration_ms(self) -> float:
        return float(self.rng.gamma(4.0, self.seconds / 4.0) * 1000.0)

    def review(self, widget: Any, n: int | None = None) -> dict[str, int]:
        """Decide the next `n` items of `widget` (all remaining when None); returns counts."""
        counts = {"accepted": 0, "corrected": 0}
        timed = {
            name: "duration_ms" in inspect.signature(getattr(widget, name)).parameters
            for name in ("accept", "correct")
        }
        done = 0
        while (n is None or done < n) and widget.current is not None:
            cur = widget.current
            label = self.label_for(cur["item_id"])
            kw = {}
            if label == cur.get("model_label"):
                if timed["accept"]:
                    kw["duration_ms"] = self.duration_ms()
                widget.accept(**kw)
                counts["accepted"] += 1
            else:
                if timed["correct"]:
                    kw["duration_ms"] = self.duration_ms()
                widget.correct(label, **kw)
                counts["corrected"] += 1
            done += 1
        return counts

    def events(
        self,
        item_ids: Iterable[Any],
        *,
        task: str,
        texts: Iterable[str] | None = None,
        model_labels: Iterable[Any] | None = None,
        confidences: Iterable[float] | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """The decision events this reviewer would make on these items (write them with
        ``store.append``); `data` is stored on each (e.g. ``{"sample": True}``)."""
        import uuid

        from ..items import content_hash
        from ..store import utc_now

        ids = [str(i) for i in item_ids]
        text_of: list[str | None] = list(texts) if texts is not None else [None] * len(ids)
        models: list[Any] = list(model_labels) if model_labels is not None else [None] * len(ids)
        confs: list[Any] = list(confidences) if confidences is not None else [None] * len(ids)
        out = []
        session = uuid.uuid4().hex
        for i, item_id in enumerate(ids):
            label = self.label_for(item_id)
            model = None if models[i] is None else str(models[i])
            action = "accept" if model is not None and label == model else "correct"
            out.append(
                {
                    "event_id": uuid.uuid4().hex,
                    "task": task,
                    "kind": "classification",
                    "item_id": item_id,
                    "content_hash": content_hash(t) if isinstance(t := text_of[i], str) else None,
                    "action": action,
                    "label_after": label,
                    "model_label": model,
                    "model_confidence": None if confs[i] is None else float(confs[i]),
                    "annotator": self.annotator,
                    "created_at": utc_now(),
                    "duration_ms": self.duration_ms(),
                    "session_id": session,
                    "data": dict(data) if data else None,
                }
            )
        return out
