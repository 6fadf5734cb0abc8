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

Images (`ImageReview`): ``to_dataset(store, df, image="path", task="image")`` builds the
same splits by the same rules, with an ``image`` column (a `datasets.Image` feature) in
place of ``text``; an image counts as the same as another when its decoded pixels are
(`hitl_widgets.training.image_dataset`).
"""

from __future__ import annotations

import os
import warnings
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..items import content_hash
from ..store import Store, using_store

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
    return v is True or (
        isinstance(v, str) and v.strip().lower() in ("random", "audit", "true", "calibration")
    )


def random_draw(
    df: pd.DataFrame,
    n: int,
    *,
    seed: int = 0,
    exclude: Iterable[Any] | None = None,
    id: Hashable | None = None,
) -> pd.DataFrame:
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


def _classification_tasks(store: Store, kind: str = "classification") -> list[str]:
    rows = store.backend.fetch("SELECT DISTINCT task FROM events WHERE kind = ?", [kind])
    return sorted(r[0] for r in rows)


@dataclass(frozen=True)
class Content:
    """What the items of a review are, for the build: ``to_dataset`` reads texts
    (`text_content`); `image_dataset.image_content` reads images. Everything else (votes,
    sources, held-out items, splits, the leakage guard) is the same for every kind.

    column, noun: the dataset column and the word in the drop reasons ("no text (not in df)").
    event_kind: the kind of the review's events (to find the store's one task).
    load: the content of the items with the given ids (item id -> content; an item
        without content is left out), read once the store says which items matter.
    version: a content's hash as the review stored it (a decision on another is dropped).
    key: two contents with the same key are the same item (the leakage guard).
    value: a content as the dataset holds it; feature: that column's `datasets` feature,
        given the `datasets` module.
    """

    column: str
    noun: str
    event_kind: str
    load: Callable[[set[str]], dict[str, Any]]
    version: Callable[[Any], str]
    key: Callable[[Any], str]
    value: Callable[[Any], Any]
    feature: Callable[[Any], Any]


def text_content(df: pd.DataFrame | None, text: Hashable, id: Hashable | None) -> Content:
    """The texts of `df` (column `text`, ids from column `id` or the index) as `Content`."""
    texts = _texts_of(df, text, id)
    return Content(
        column="text",
        noun="text",
        event_kind="classification",
        load=lambda ids: texts,
        version=content_hash,
        key=text_key,
        value=str,
        feature=lambda datasets: datasets.Value("string"),
    )


class DataReport(dict):
    """`to_dataset`'s report: a dict (counts, what was dropped and why) that prints well."""

    def __str__(self) -> str:
        lines = [
            f"train: {self['train']:,} items ({', '.join(f'{k} {v:,}' for k, v in self['train_by_source'].items()) or 'none'})",
            f"eval: {self['eval']:,} human-labelled items ({self['eval_random_sample']:,} reviewed as a "
            f"random sample, {self['eval_split']:,} from a stratified split"
            + (
                ": not a random sample of the data, the evaluation is biased"
                if self["eval_split"] and not self["eval_random_sample"]
                else ""
            )
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
    image: Hashable | None = None,
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
    image:
        Image column of `df` (an `ImageReview`'s items: paths, bytes, PIL images, arrays):
        build an image dataset, column ``image`` (a `datasets.Image` feature, PNG or the
        file's own bytes) in place of ``text``; `text` is then not used, and `task`
        defaults to the store's one image-review task. A decision made on other image
        bytes than df's (its content hash differs) is dropped, as for text.

    Returns a ``DatasetDict`` (columns ``item_id, text`` (or ``image``), ``label``
    (ClassLabel), ``source``, ``sample``, ``task``, and ``weight`` when asked) with a
    `DataReport` as ``.report``.
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
    if image is not None:
        from .image_dataset import image_content

        content = image_content(df, image, id)
    else:
        content = text_content(df, text, id)
    with using_store(store, create=False) as st:
        return _build(
            st,
            content,
            task,
            sample_task,
            labels,
            sources,
            weights,
            holdout,
            audits,
            eval_size,
            seed,
            annotator,
            datasets,
        )


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
    return {i: t for i, t in zip(ids, df[text].tolist(), strict=True) if isinstance(t, str)}


class _Drops:
    """What the build leaves out and why: a count per reason, and each item with its reason."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.items: list[dict[str, Any]] = []

    def __call__(self, item_id: str, reason: str) -> None:
        self.counts[reason] += 1
        self.items.append({"item_id": item_id, "reason": reason})


@dataclass
class _Reviewed:
    """What the store holds for the tasks read: the human votes per item, the items people
    flagged (id, content hash), the router's auto-accepted labels and its label set."""

    votes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    flagged: set[tuple[str, str]] = field(default_factory=set)
    auto_rows: list[dict[str, Any]] = field(default_factory=list)
    route_labels: list[str] = field(default_factory=list)


def _build(
    st,
    content,
    task,
    sample_task,
    labels,
    sources,
    weights,
    holdout,
    audits,
    eval_size,
    seed,
    annotator,
    datasets,
) -> Any:
    sample_tasks = _as_list(sample_task)
    tasks = _tasks_to_read(st, task, sample_tasks, content.event_kind)
    all_tasks = list(dict.fromkeys(tasks + sample_tasks))
    drop = _Drops()

    # -- human decisions: votes per item, each on the content version it was made on ------
    rev = _collect_votes(st, all_tasks, sample_tasks, annotator, audits, sources)
    wanted = set(rev.votes) | {i for i, _ in rev.flagged} | {a["item_id"] for a in rev.auto_rows}
    texts = content.load(wanted)

    # -- contents, content versions, one label per item ----------------------------------
    items = _one_label_per_item(rev.votes, texts, drop, content)
    _drop_flagged(rev.flagged, rev.votes, texts, drop, content)
    seen_human = {it["item_id"] for it in items} | set(rev.votes)
    items += _auto_accepted_items(rev.auto_rows, seen_human, texts, drop, content)

    if labels is None:
        labels = rev.route_labels or sorted({it["label"] for it in items})
    labels = [str(x) for x in labels]
    kept = _keep_asked(items, set(labels), sources, drop)

    # -- held out: the random sample and `holdout` ids ------------------------------------
    hold_ids = {str(x) for x in holdout} if holdout is not None else set()
    eval_rows, rest, eval_keys = _hold_out(kept, hold_ids, drop, content)
    train_rows = _one_per_text(_drop_leaks(rest, eval_keys, drop, content), drop, content)

    # -- stratified split of the other human labels ---------------------------------------
    n_sample = len(eval_rows)
    share = float(eval_size) if eval_size is not None else (0.0 if n_sample else 0.2)
    train_rows, n_split = _stratified_split(train_rows, eval_rows, share, seed)

    out = _to_datasets(datasets, labels, weights, train_rows, eval_rows, content)
    out.report = _report(
        st, tasks, sample_tasks, labels, train_rows, eval_rows, n_sample, n_split, hold_ids, drop
    )
    return out


def _tasks_to_read(
    st: Store, task: str | Sequence[str] | None, sample_tasks: list[str], kind: str = "classification"
) -> list[str]:
    """The tasks asked for, else the store's one task of this `kind` (sample tasks aside)."""
    if task is not None:
        return _as_list(task)
    tasks = [t for t in _classification_tasks(st, kind) if t not in sample_tasks]
    if len(tasks) > 1:
        # two reviews in one store may use the same ids for other items (default
        # integer ids): pooling them would give one task's labels to another's texts
        what = "classification" if kind == "classification" else f"{kind} review"
        raise ValueError(
            f"the store holds {len(tasks)} {what} tasks ({', '.join(map(repr, tasks))}): "
            "say which one df belongs to with task=... (and sample_task=... for a task in "
            "which a random sample of the same items was reviewed)"
        )
    return tasks


def _collect_votes(
    st: Store,
    tasks: list[str],
    sample_tasks: list[str],
    annotator: str | None,
    audits: bool,
    sources: Sequence[str],
) -> _Reviewed:
    """Collect the votes: each task's decisions and routing outcomes, read from the store."""
    from ..routing.router import routed

    rev = _Reviewed()
    for t in tasks:
        d = st.decisions(t, annotator=annotator)
        r = routed(st, t)
        audited = set(r.loc[r["audit"], "item_id"].astype(str)) if (audits and len(r)) else set()
        if not rev.route_labels:
            rev.route_labels = _route_labels(r)
        _add_decisions(rev, d, t, t in sample_tasks, audited)
        if "auto-accepted" in sources and len(r):
            for row in r[r["auto"]].itertuples(index=False):
                rev.auto_rows.append(
                    {
                        "item_id": str(row.item_id),
                        "label": str(row.model_label),
                        "hash": row.content_hash or "",
                        "task": t,
                    }
                )
    return rev


def _route_labels(r: pd.DataFrame) -> list[str]:
    """The router's label set: the labels of the first routing settings that name some."""
    for s in r["settings"] if len(r) else []:
        if isinstance(s, dict):
            labels = [str(x) for x in s.get("labels") or []]
            if labels:
                return labels
    return []


def _add_decisions(rev: _Reviewed, d: pd.DataFrame, task: str, sample_task: bool, audited: set[str]) -> None:
    """Add one task's decisions: flags apart, a vote for each accepted or corrected label."""
    row: Any  # the decisions' columns hold strings (and None), not pandas' every scalar
    for row in d.itertuples(index=False):
        item_id = str(row.item_id)
        if row.status == "flagged":
            rev.flagged.add((item_id, row.content_hash or ""))
            continue
        if row.status not in _SOURCE_OF_STATUS or row.human_label is None:
            continue
        rev.votes.setdefault(item_id, []).append(
            {
                "label": str(row.human_label),
                "source": _SOURCE_OF_STATUS[row.status],
                "hash": row.content_hash or "",
                "task": task,
                "sample": sample_task or is_sample_marker(row.data) or item_id in audited,
            }
        )


def _one_label_per_item(
    votes: dict[str, list[dict[str, Any]]], texts: dict[str, Any], drop: _Drops, content: Content
) -> list[dict[str, Any]]:
    """One row per voted item with df's content: the majority of the votes on that content."""
    items: list[dict[str, Any]] = []
    noun = content.noun
    for item_id, vs in votes.items():
        t = texts.get(item_id)
        if t is None:
            drop(item_id, f"no {noun} (not in df)")
            continue
        h = content.version(t)
        # a vote counts for the text it was made on: one on other content is not a vote
        # for df's text (the item's text changed, or another task's item has this id)
        mine = [v for v in vs if not v["hash"] or v["hash"] == h]
        if len(mine) < len(vs):
            drop.counts[f"votes on other {noun} than df's"] += len(vs) - len(mine)
        if not mine:
            drop(item_id, f"decided on other {noun} than df's")
            continue
        it = _majority(item_id, mine, t)
        if it is None:
            drop(item_id, "people disagree (tie)")
            continue
        items.append(it)
    return items


def _majority(item_id: str, votes: list[dict[str, Any]], text: Any) -> dict[str, Any] | None:
    """The item's row with the label most votes give (None on a tie), the strongest source
    among those votes, and the task of a random-sample vote if there is one."""
    top = Counter(v["label"] for v in votes).most_common()
    if len(top) > 1 and top[0][1] == top[1][1]:
        return None
    label = top[0][0]
    source = min((v["source"] for v in votes if v["label"] == label), key=_PRIORITY.__getitem__)
    sample = [v for v in votes if v["sample"]]
    return {
        "item_id": item_id,
        "label": label,
        "source": source,
        "sample": bool(sample),
        "task": (sample or votes)[0]["task"],
        "content": text,
    }


def _drop_flagged(
    flagged: set[tuple[str, str]],
    votes: dict[str, list[dict[str, Any]]],
    texts: dict[str, Any],
    drop: _Drops,
    content: Content,
) -> None:
    """Count the items a person flagged on df's content (and nobody labelled) as dropped."""
    for item_id, h in flagged:
        t = texts.get(item_id)
        if t is not None and (not h or h == content.version(t)) and item_id not in votes:
            drop(item_id, "flagged by a person")


def _auto_accepted_items(
    auto_rows: list[dict[str, Any]],
    seen_human: set[str],
    texts: dict[str, Any],
    drop: _Drops,
    content: Content,
) -> list[dict[str, Any]]:
    """A row for each item the router accepted alone, on df's content, that no person decided."""
    seen = set(seen_human)
    items: list[dict[str, Any]] = []
    for a in auto_rows:
        if a["item_id"] in seen:
            continue  # a person decided it (or it was dropped for a reason already counted)
        seen.add(a["item_id"])
        t = texts.get(a["item_id"])
        if t is None:
            drop(a["item_id"], f"no {content.noun} (not in df)")
            continue
        if a["hash"] and a["hash"] != content.version(t):
            drop(a["item_id"], f"decided on other {content.noun} than df's")
            continue
        items.append(
            {
                "item_id": a["item_id"],
                "label": a["label"],
                "source": "auto-accepted",
                "sample": False,
                "task": a["task"],
                "content": t,
            }
        )
    return items


def _keep_asked(
    items: list[dict[str, Any]], label_set: set[str], sources: Sequence[str], drop: _Drops
) -> list[dict[str, Any]]:
    """The rows of the sources asked for whose label is in the label set."""
    kept = []
    for it in items:
        if it["source"] not in sources:
            drop(it["item_id"], f"source {it['source']} not asked for")
            continue
        if it["label"] not in label_set:
            drop(it["item_id"], "label not in labels")
            continue
        kept.append(it)
    return kept


def _hold_out(
    kept: list[dict[str, Any]],
    hold_ids: set[str],
    drop: _Drops,
    content: Content,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], set[str]]:
    """Split off the held-out rows (the random sample and `holdout` ids): the eval rows (a
    human label, each text once), the other rows, and the held-out texts' keys."""
    eval_rows: list[dict[str, Any]] = []
    rest: list[dict[str, Any]] = []
    eval_keys: set[str] = set()
    for it in kept:
        if not (it["sample"] or it["item_id"] in hold_ids):
            rest.append(it)
            continue
        if it["source"] == "auto-accepted":
            drop(it["item_id"], "held out without a human label")
            continue
        k = content.key(it["content"])
        if k in eval_keys:
            drop(it["item_id"], f"same {content.noun} twice in eval")
            continue
        eval_keys.add(k)
        it["split_from"] = "sample"
        eval_rows.append(it)
    return eval_rows, rest, eval_keys


def _drop_leaks(
    rest: list[dict[str, Any]], eval_keys: set[str], drop: _Drops, content: Content
) -> list[dict[str, Any]]:
    """The training candidates: the same content as a held-out item never trains."""
    cand = []
    for it in rest:
        if content.key(it["content"]) in eval_keys:
            drop(it["item_id"], f"same {content.noun} as a held-out item (leakage)")
        else:
            cand.append(it)
    return cand


def _one_per_text(cand: list[dict[str, Any]], drop: _Drops, content: Content) -> list[dict[str, Any]]:
    """Duplicates inside the training candidates: keep the strongest source; conflicting
    human labels for the same content are dropped."""
    noun = content.noun
    groups: dict[str, list[dict[str, Any]]] = {}
    for it in cand:
        groups.setdefault(content.key(it["content"]), []).append(it)
    train_rows: list[dict[str, Any]] = []
    for g in groups.values():
        if len(g) == 1:
            train_rows.append(g[0])
            continue
        best = min(_PRIORITY[x["source"]] for x in g)
        top = [x for x in g if _PRIORITY[x["source"]] == best]
        if len({x["label"] for x in top}) > 1:
            for x in g:
                drop(x["item_id"], f"same {noun} with conflicting labels")
            continue
        train_rows.append(top[0])
        for x in g:
            if x is not top[0]:
                drop(x["item_id"], f"same {noun} twice in train")
    return train_rows


def _stratified_split(
    train_rows: list[dict[str, Any]], eval_rows: list[dict[str, Any]], share: float, seed: int
) -> tuple[list[dict[str, Any]], int]:
    """Move a stratified `share` of the human-labelled training rows to `eval_rows` (in
    place); returns the training rows left and how many moved."""
    if share <= 0:
        return train_rows, 0
    rng = np.random.default_rng(seed)
    by_label: dict[str, list[int]] = {}
    for i, it in enumerate(train_rows):
        if it["source"] != "auto-accepted":
            by_label.setdefault(it["label"], []).append(i)
    move: set[int] = set()
    for lab in sorted(by_label):
        idx = by_label[lab]
        k = _n_to_move(share, len(idx))
        move.update(np.asarray(idx)[rng.permutation(len(idx))[:k]].tolist())
    for i in sorted(move):
        train_rows[i]["split_from"] = "split"
        eval_rows.append(train_rows[i])
    return [it for i, it in enumerate(train_rows) if i not in move], len(move)


def _n_to_move(share: float, n: int) -> int:
    """How many of a label's `n` rows go to eval: the share rounded, at least one when the
    share of two or more rounds to half a row, and never the label's last training row."""
    k = round(share * n)
    if k == 0 and n >= 2 and share * n >= 0.5:
        k = 1
    return min(k, n - 1) if n > 1 else 0


def _weights_of(
    weights: Any, train_rows: list[dict[str, Any]], rows: list[dict[str, Any]], column: str = "text"
) -> list[float] | None:
    """The ``weight`` column of `rows` (None: no weights asked for); a callable gets each
    row's ``item_id, <column>, label, source, sample``."""
    if weights is None:
        return None
    if isinstance(weights, str):
        if weights != "balanced":
            raise ValueError(f"weights={weights!r}: use a dict by source, 'balanced' or a callable")
        return _balanced_weights(train_rows, rows)
    if isinstance(weights, Mapping):
        unknown = [k for k in weights if k not in SOURCES]
        if unknown:
            raise ValueError(f"weights: unknown sources {unknown!r}; use {list(SOURCES)}")
        return [float(weights.get(it["source"], 1.0)) for it in rows]
    if callable(weights):
        return [
            float(
                weights(
                    {k: it[k] for k in ("item_id", "label", "source", "sample")} | {column: it["content"]}
                )
            )
            for it in rows
        ]
    raise ValueError(f"weights: a dict by source, 'balanced' or a callable, got {type(weights).__name__}")


def _balanced_weights(train_rows: list[dict[str, Any]], rows: list[dict[str, Any]]) -> list[float]:
    """Inverse label frequency in train (1.0 for a label train does not have)."""
    freq = Counter(it["label"] for it in train_rows)
    n, k = sum(freq.values()), max(len(freq), 1)
    return [n / (k * freq[it["label"]]) if freq.get(it["label"]) else 1.0 for it in rows]


def _to_datasets(
    datasets: Any,
    labels: list[str],
    weights: Any,
    train_rows: list[dict[str, Any]],
    eval_rows: list[dict[str, Any]],
    content: Content,
) -> Any:
    """The ``DatasetDict`` of the train and eval rows."""
    features = {
        "item_id": datasets.Value("string"),
        content.column: content.feature(datasets),
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
            content.column: [content.value(it["content"]) for it in rows],
            "label": [index[it["label"]] for it in rows],
            "source": [it["source"] for it in rows],
            "sample": [bool(it["sample"]) for it in rows],
            "task": [it["task"] for it in rows],
        }
        w = _weights_of(weights, train_rows, rows, content.column)
        if w is not None:
            cols["weight"] = w
        return datasets.Dataset.from_dict(cols, features=feats)

    with _no_progress_bars(datasets):
        return datasets.DatasetDict({"train": make(train_rows), "eval": make(eval_rows)})


def _report(
    st: Store,
    tasks: list[str],
    sample_tasks: list[str],
    labels: list[str],
    train_rows: list[dict[str, Any]],
    eval_rows: list[dict[str, Any]],
    n_sample: int,
    n_split: int,
    hold_ids: set[str],
    drop: _Drops,
) -> DataReport:
    return DataReport(
        store=st.target,
        store_id=st.store_id,
        tasks=tasks,
        sample_tasks=sample_tasks,
        labels=labels,
        train=len(train_rows),
        eval=len(eval_rows),
        eval_random_sample=n_sample,
        eval_split=n_split,
        train_by_source={s: sum(it["source"] == s for it in train_rows) for s in SOURCES},
        train_by_label={lab: sum(it["label"] == lab for it in train_rows) for lab in labels},
        eval_by_label={lab: sum(it["label"] == lab for it in eval_rows) for lab in labels},
        held_out_ids=sorted({it["item_id"] for it in eval_rows} | hold_ids),
        dropped=dict(drop.counts),
        dropped_items=drop.items,
    )
