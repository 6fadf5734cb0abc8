"""A training set from the store: what people decided (and what the router accepted alone).

>>> data = to_dataset(store, claims, task="claims", sample_task="claims-sample",
...                   text="text", id="claim_id")                   # doctest: +SKIP
>>> data["train"], data["eval"], data.report["dropped"]              # doctest: +SKIP

Where each label comes from (column ``source``):

* ``human-corrected``: a person changed the model's label;
* ``human-accepted``: a person confirmed it;
* ``auto-accepted``: the router accepted the model's label with no person (a ``route``
  event with ``auto``); the weakest evidence, use it with a lower weight or leave it out.

Held-out items. Items people reviewed **as a random sample** - decisions in a
``sample_task`` (a random calibration draw reviewed in a task of its own), decisions whose
event data carries ``{"sample": true}``, and (``audits=True``) items the router drew as a
random audit - are the only unbiased measure of the model, so they calibrate the router and
evaluate the model, and they are never trained on. They form the ``eval`` split. Items the
router sent to a person because the model was unsure are a biased sample: they train,
and they never evaluate or calibrate. When there is no random sample, a stratified
``eval_size`` share of the human-labelled items is held out instead (and the report says
that this evaluation is not of a random sample).

The leakage guard: held-out items (the sample, ``holdout=`` ids, the eval split) never
enter ``train``, and the same text (compared after collapsing white space and case) never
sits in two splits, nor twice in one. Everything dropped is counted in ``report["dropped"]``
and listed in ``report["dropped_items"]``.
"""

from __future__ import annotations

import os
import warnings
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from ..items import content_hash
from ..store import Store

SOURCES = ("human-corrected", "human-accepted", "auto-accepted")
_SOURCE_OF_STATUS = {"corrected": "human-corrected", "accepted": "human-accepted"}
_PRIORITY = {"human-corrected": 0, "human-accepted": 1, "auto-accepted": 2}


def text_key(text: str) -> str:
    """The form in which two texts count as the same: white space collapsed, case folded."""
    return " ".join(str(text).split()).casefold()


def is_sample_marker(data: Any) -> bool:
    """Whether an event's data marks a decision made on a random sample."""
    if not isinstance(data, Mapping):
        return False
    v = data.get("sample")
    return v is True or (isinstance(v, str) and v.strip().lower() in ("random", "audit", "true", "calibration"))


def random_draw(df: pd.DataFrame, n: int, *, seed: int = 0,
                exclude: Iterable[Any] | None = None, id: Hashable | None = None) -> pd.DataFrame:
    """`n` rows drawn uniformly at random (seeded), for people to review as a random sample
    (in a task of their own, e.g. ``sample_task``): the unbiased items that calibrate and
    evaluate. `exclude`: ids (of column `id`, or of the index) not to draw."""
    ids = df.index if id is None else pd.Index(df[id])
    mask = np.ones(len(df), bool)
    if exclude is not None:
        mask &= ~ids.astype(str).isin([str(v) for v in exclude])
    rows = np.flatnonzero(mask)
    if n > len(rows):
        raise ValueError(f"n={n}: only {len(rows)} rows can be drawn")
    pick = np.sort(np.random.default_rng(seed).permutation(rows)[:n])
    return df.iloc[pick]


def _as_list(v: Any) -> list[str]:
    if v is None:
        return []
    if isinstance(v, str):
        return [v]
    return [str(x) for x in v]


def _classification_tasks(store: Store) -> list[str]:
    rows = store.backend.query("SELECT DISTINCT task FROM events WHERE kind = 'classification'")
    return sorted(r[0] for r in rows)


class DataReport(dict):
    """`to_dataset`'s report: a dict (counts, what was dropped and why) that prints well."""

    def __str__(self) -> str:
        lines = [
            f"train: {self['train']:,} items ({', '.join(f'{k} {v:,}' for k, v in self['train_by_source'].items()) or 'none'})",
            f"eval: {self['eval']:,} human-labelled items ({self['eval_random_sample']:,} reviewed as a "
            f"random sample, {self['eval_split']:,} from a stratified split"
            + (": not a random sample of the data, the evaluation is biased" if self["eval_split"] and not self["eval_random_sample"] else "")
            + ")",
        ]
        dropped = {k: v for k, v in self["dropped"].items() if v}
        lines.append("dropped: " + (", ".join(f"{k} {v:,}" for k, v in dropped.items()) or "nothing"))
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        return "\n\n".join(str(self).splitlines())


def to_dataset(
    store: Store | str | os.PathLike[str],
    df: pd.DataFrame | None = None,
    *,
    task: str | Sequence[str] | None = None,
    sample_task: str | Sequence[str] | None = None,
    text: Hashable = "text",
    id: Hashable | None = None,
    labels: Sequence[Any] | None = None,
    sources: Sequence[str] = SOURCES,
    weights: Mapping[str, float] | str | Callable[[Mapping[str, Any]], float] | None = None,
    holdout: Iterable[Any] | None = None,
    audits: bool = True,
    eval_size: float | None = None,
    seed: int = 0,
    annotator: str | None = None,
) -> Any:
    """The store's labels as a `datasets.DatasetDict` with ``train`` and ``eval`` splits.

    Parameters
    ----------
    store:
        A `Store` or its path / URL.
    df:
        The frame the items came from: the texts (classification events keep only a hash
        of the text). A decision whose text hash differs from the frame's text was made on
        other content and is dropped.
    task, sample_task:
        The review task(s) to read (None: every classification task), and the task(s) in
        which people reviewed a random sample (read too, always held out).
    text, id:
        Text column and item-id column of `df` (id None: the index).
    labels:
        The label set, in order (the ClassLabel names); default the router's labels, else
        the sorted labels seen.
    sources:
        Which sources to keep (``human-corrected``, ``human-accepted``, ``auto-accepted``).
    weights:
        Optional ``weight`` column: ``{source: weight}``, ``"balanced"`` (inverse label
        frequency in train) or a callable on each row dict.
    holdout:
        Item ids held out besides the random sample (e.g. a calibration set kept outside
        the store): never trained on; in ``eval`` when a person labelled them.
    audits:
        Count the router's random audits as a random sample (held out).
    eval_size:
        Share of the other human-labelled items moved to ``eval`` by a stratified split.
        Default: 0 when a random sample exists, else 0.2.
    annotator:
        Only this annotator's decisions.

    Returns a ``DatasetDict`` (columns ``item_id, text, label`` (ClassLabel), ``source``,
    ``sample``, ``task``, and ``weight`` when asked) with a `DataReport` as ``.report``.
    """
    try:
        import datasets
    except ImportError as exc:  # pragma: no cover - datasets is in the [train] extra
        raise ImportError("to_dataset needs the `datasets` package (pip install datasets)") from exc

    bad = [s for s in sources if s not in SOURCES]
    if bad:
        raise ValueError(f"sources: unknown {bad!r}; use some of {list(SOURCES)}")
    if eval_size is not None and not (0.0 <= float(eval_size) < 1.0):
        raise ValueError(f"eval_size must be in [0, 1), got {eval_size!r}")
    own = not isinstance(store, Store)
    st = Store(store, create=False) if own else store
    try:
        return _build(st, df, task, sample_task, text, id, labels, sources, weights, holdout,
                      audits, eval_size, seed, annotator, datasets)
    finally:
        if own:
            st.close()


@contextmanager
def _no_progress_bars(datasets: Any) -> Iterator[None]:
    """Build in-memory datasets without a `datasets` progress bar ("Generating train split:
    23/0" reads as an error in a notebook; the lists are in memory, there is nothing to
    wait for). The previous setting is restored afterwards."""
    log = getattr(getattr(datasets, "utils", None), "logging", None)
    try:
        was_on = bool(log.is_progress_bar_enabled())  # type: ignore[union-attr]
    except Exception:  # a datasets without the switch: nothing to turn off
        was_on = False
    if was_on:
        with warnings.catch_warnings():  # HF_DATASETS_DISABLE_PROGRESS_BARS=0 wins, with a warning
            warnings.simplefilter("ignore")
            log.disable_progress_bar()  # type: ignore[union-attr]
    try:
        yield
    finally:
        if was_on:
            log.enable_progress_bar()  # type: ignore[union-attr]


def _texts_of(df: pd.DataFrame | None, text: Hashable, id: Hashable | None) -> dict[str, str]:
    if df is None:
        return {}
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"df must be a pandas DataFrame, got {type(df).__name__}")
    if text not in df.columns:
        raise ValueError(f"text={text!r}: no such column in df (columns: {list(df.columns)[:20]!r})")
    if id is not None and id not in df.columns:
        raise ValueError(f"id={id!r}: no such column in df (columns: {list(df.columns)[:20]!r})")
    ids = (df.index if id is None else pd.Index(df[id])).astype(str)
    return {i: t for i, t in zip(ids, df[text].tolist()) if isinstance(t, str)}


def _build(st, df, task, sample_task, text, id, labels, sources, weights, holdout, audits,
           eval_size, seed, annotator, datasets) -> Any:
    from ..routing.router import routed

    sample_tasks = _as_list(sample_task)
    if task is not None:
        tasks = _as_list(task)
    else:
        tasks = [t for t in _classification_tasks(st) if t not in sample_tasks]
        if len(tasks) > 1:
            # two reviews in one store may use the same ids for other items (default
            # integer ids): pooling them would give one task's labels to another's texts
            raise ValueError(
                f"the store holds {len(tasks)} classification tasks ({', '.join(map(repr, tasks))}): "
                "say which one df belongs to with task=... (and sample_task=... for a task in "
                "which a random sample of the same items was reviewed)")
    all_tasks = list(dict.fromkeys(tasks + sample_tasks))
    texts = _texts_of(df, text, id)
    dropped: Counter[str] = Counter()
    dropped_items: list[dict[str, Any]] = []

    def drop(item_id: str, reason: str) -> None:
        dropped[reason] += 1
        dropped_items.append({"item_id": item_id, "reason": reason})

    # -- human decisions: votes per item, each on the content version it was made on ------
    votes: dict[str, list[dict[str, Any]]] = {}
    route_labels: list[str] = []
    auto_rows: list[dict[str, Any]] = []
    flagged: set[tuple[str, str]] = set()
    for t in all_tasks:
        d = st.decisions(t, annotator=annotator)
        r = routed(st, t)
        audited = set(r.loc[r["audit"], "item_id"].astype(str)) if (audits and len(r)) else set()
        for s in r["settings"] if len(r) else []:
            if isinstance(s, dict) and not route_labels:
                route_labels = [str(x) for x in s.get("labels") or []]
        for row in d.itertuples(index=False):
            item_id = str(row.item_id)
            if row.status == "flagged":
                flagged.add((item_id, row.content_hash or ""))
                continue
            if row.status not in _SOURCE_OF_STATUS or row.human_label is None:
                continue
            votes.setdefault(item_id, []).append({
                "label": str(row.human_label), "source": _SOURCE_OF_STATUS[row.status],
                "hash": row.content_hash or "", "task": t,
                "sample": t in sample_tasks or is_sample_marker(row.data) or item_id in audited,
            })
        if "auto-accepted" in sources and len(r):
            for row in r[r["auto"]].itertuples(index=False):
                auto_rows.append({"item_id": str(row.item_id), "label": str(row.model_label),
                                  "hash": row.content_hash or "", "task": t})

    # -- texts, content versions, one label per item ------------------------------------
    items: list[dict[str, Any]] = []
    for item_id, vs in votes.items():
        t = texts.get(item_id)
        if t is None:
            drop(item_id, "no text (not in df)")
            continue
        h = content_hash(t)
        # a vote counts for the text it was made on: one on other content is not a vote
        # for df's text (the item's text changed, or another task's item has this id)
        mine = [v for v in vs if not v["hash"] or v["hash"] == h]
        if len(mine) < len(vs):
            dropped["votes on other text than df's"] += len(vs) - len(mine)
        if not mine:
            drop(item_id, "decided on other text than df's")
            continue
        counts = Counter(v["label"] for v in mine)
        top = counts.most_common()
        if len(top) > 1 and top[0][1] == top[1][1]:
            drop(item_id, "people disagree (tie)")
            continue
        label = top[0][0]
        source = min((v["source"] for v in mine if v["label"] == label), key=_PRIORITY.__getitem__)
        sample = [v for v in mine if v["sample"]]
        items.append({"item_id": item_id, "label": label, "source": source, "sample": bool(sample),
                      "task": (sample or mine)[0]["task"], "text": t})
    for item_id, h in flagged:
        t = texts.get(item_id)
        if t is not None and (not h or h == content_hash(t)) and item_id not in votes:
            drop(item_id, "flagged by a person")
    seen_human = {it["item_id"] for it in items} | set(votes)
    for a in auto_rows:
        if a["item_id"] in seen_human:
            continue  # a person decided it (or it was dropped for a reason already counted)
        seen_human.add(a["item_id"])
        t = texts.get(a["item_id"])
        if t is None:
            drop(a["item_id"], "no text (not in df)")
            continue
        if a["hash"] and a["hash"] != content_hash(t):
            drop(a["item_id"], "decided on other text than df's")
            continue
        items.append({"item_id": a["item_id"], "label": a["label"], "source": "auto-accepted",
                      "sample": False, "task": a["task"], "text": t})

    if labels is None:
        labels = route_labels or sorted({it["label"] for it in items})
    labels = [str(x) for x in labels]
    label_set = set(labels)
    kept = []
    for it in items:
        if it["source"] not in sources:
            drop(it["item_id"], f"source {it['source']} not asked for")
            continue
        if it["label"] not in label_set:
            drop(it["item_id"], "label not in labels")
            continue
        kept.append(it)

    # -- held out: the random sample and `holdout` ids ------------------------------------
    hold_ids = {str(x) for x in holdout} if holdout is not None else set()
    is_held = [it["sample"] or it["item_id"] in hold_ids for it in kept]
    eval_rows: list[dict[str, Any]] = []
    rest: list[dict[str, Any]] = []
    eval_keys: set[str] = set()
    for it, held in zip(kept, is_held):
        if not held:
            rest.append(it)
            continue
        if it["source"] == "auto-accepted":
            drop(it["item_id"], "held out without a human label")
            continue
        k = text_key(it["text"])
        if k in eval_keys:
            drop(it["item_id"], "same text twice in eval")
            continue
        eval_keys.add(k)
        it["split_from"] = "sample"
        eval_rows.append(it)
    # the same text as a held-out item never trains
    cand = []
    for it in rest:
        if text_key(it["text"]) in eval_keys:
            drop(it["item_id"], "same text as a held-out item (leakage)")
        else:
            cand.append(it)
    # duplicates inside the training candidates: keep the strongest source; conflicting
    # human labels for the same text are dropped
    groups: dict[str, list[dict[str, Any]]] = {}
    for it in cand:
        groups.setdefault(text_key(it["text"]), []).append(it)
    train_rows: list[dict[str, Any]] = []
    for g in groups.values():
        if len(g) == 1:
            train_rows.append(g[0])
            continue
        best = min(_PRIORITY[x["source"]] for x in g)
        top = [x for x in g if _PRIORITY[x["source"]] == best]
        if len({x["label"] for x in top}) > 1:
            for x in g:
                drop(x["item_id"], "same text with conflicting labels")
            continue
        train_rows.append(top[0])
        for x in g:
            if x is not top[0]:
                drop(x["item_id"], "same text twice in train")

    # -- stratified split of the other human labels ---------------------------------------
    n_sample = len(eval_rows)
    share = float(eval_size) if eval_size is not None else (0.0 if n_sample else 0.2)
    n_split = 0
    if share > 0:
        rng = np.random.default_rng(seed)
        by_label: dict[str, list[int]] = {}
        for i, it in enumerate(train_rows):
            if it["source"] != "auto-accepted":
                by_label.setdefault(it["label"], []).append(i)
        move: set[int] = set()
        for lab in sorted(by_label):
            idx = by_label[lab]
            k = int(round(share * len(idx)))
            if k == 0 and len(idx) >= 2 and share * len(idx) >= 0.5:
                k = 1
            k = min(k, len(idx) - 1) if len(idx) > 1 else 0
            move.update(np.asarray(idx)[rng.permutation(len(idx))[:k]].tolist())
        for i in sorted(move):
            train_rows[i]["split_from"] = "split"
            eval_rows.append(train_rows[i])
        train_rows = [it for i, it in enumerate(train_rows) if i not in move]
        n_split = len(move)

    # -- weights ----------------------------------------------------------------------
    def weight_of(rows: list[dict[str, Any]]) -> list[float] | None:
        if weights is None:
            return None
        if isinstance(weights, str):
            if weights != "balanced":
                raise ValueError(f"weights={weights!r}: use a dict by source, 'balanced' or a callable")
            freq = Counter(it["label"] for it in train_rows)
            n, k = sum(freq.values()), max(len(freq), 1)
            return [n / (k * freq[it["label"]]) if freq.get(it["label"]) else 1.0 for it in rows]
        if isinstance(weights, Mapping):
            unknown = [k for k in weights if k not in SOURCES]
            if unknown:
                raise ValueError(f"weights: unknown sources {unknown!r}; use {list(SOURCES)}")
            return [float(weights.get(it["source"], 1.0)) for it in rows]
        if callable(weights):
            return [float(weights({k: it[k] for k in ("item_id", "text", "label", "source", "sample")}))
                    for it in rows]
        raise ValueError(f"weights: a dict by source, 'balanced' or a callable, got {type(weights).__name__}")

    features = {
        "item_id": datasets.Value("string"),
        "text": datasets.Value("string"),
        "label": datasets.ClassLabel(names=labels),
        "source": datasets.Value("string"),
        "sample": datasets.Value("bool"),
        "task": datasets.Value("string"),
    }
    if weights is not None:
        features["weight"] = datasets.Value("float32")
    feats = datasets.Features(features)
    index = {lab: i for i, lab in enumerate(labels)}

    def make(rows: list[dict[str, Any]]) -> Any:
        cols: dict[str, list[Any]] = {
            "item_id": [it["item_id"] for it in rows],
            "text": [it["text"] for it in rows],
            "label": [index[it["label"]] for it in rows],
            "source": [it["source"] for it in rows],
            "sample": [bool(it["sample"]) for it in rows],
            "task": [it["task"] for it in rows],
        }
        w = weight_of(rows)
        if w is not None:
            cols["weight"] = w
        return datasets.Dataset.from_dict(cols, features=feats)

    with _no_progress_bars(datasets):
        out = datasets.DatasetDict({"train": make(train_rows), "eval": make(eval_rows)})
    report = DataReport(
        store=st.target, store_id=st.store_id, tasks=tasks, sample_tasks=sample_tasks,
        labels=labels, train=len(train_rows), eval=len(eval_rows),
        eval_random_sample=n_sample, eval_split=n_split,
        train_by_source={s: sum(it["source"] == s for it in train_rows) for s in SOURCES},
        train_by_label={lab: sum(it["label"] == lab for it in train_rows) for lab in labels},
        eval_by_label={lab: sum(it["label"] == lab for it in eval_rows) for lab in labels},
        held_out_ids=sorted({it["item_id"] for it in eval_rows} | hold_ids),
        dropped=dict(dropped), dropped_items=dropped_items,
    )
    out.report = report
    return out
