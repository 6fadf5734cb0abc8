"""Training sets from review decisions, read from the store alone.

Generation and pairwise decisions keep the texts they were made on in the event's
``data`` (prompt, context, the model's response, the edited text, both responses of a
pair), so these functions need only the store (``open_store(path)``), not the frame.

* `to_sft`: accepted and edited responses as chat ``messages`` (TRL's SFT layout).
* `to_preferences`: ``prompt`` / ``chosen`` / ``rejected`` rows (TRL's DPO layout) from
  pairwise decisions (ties and both-bad left out) and from edits (the edited text is
  chosen over the model's).
* `position_bias`: how often the response shown on the left won a pairwise comparison.

Each export returns a pandas DataFrame (or a ``datasets.Dataset`` with
``as_dataset=True``) and writes JSON Lines with ``path=``; read them back with
``datasets.load_dataset("json", data_files=path)``.

Which decision counts: per (task, item, content, annotator), the current state of the
one fold (``hitl_widgets.store.events``), as in ``Store.decisions()``: the latest verdict
after undos, with the ratings in effect (a rating made after a verdict adds ratings and
keeps the verdict).
"""

from __future__ import annotations

import json
import os
from collections.abc import Hashable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .store import Status, Store, open_store

__all__ = [
    "position_bias",
    "to_hf_dataset",
    "to_preferences",
    "to_sft",
    "tool_call_labels",
    "write_jsonl",
]


def _native(v: Any) -> Any:
    """Missing values as None (pandas reads them as NaN), times as ISO-8601 UTC text."""
    if isinstance(v, float) and v != v:
        return None
    if v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp):
        return v.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return v


def _as_store(store: Store | str | os.PathLike[str]) -> tuple[Store, bool]:
    if isinstance(store, Store):
        return store, False
    return open_store(store), True


def _verdicts(
    store: Store, task: str | Sequence[str] | None, kind: str, annotator: str | None
) -> list[dict[str, Any]]:
    """The current decision of each item of `kind` (one fold: `Store.decisions()`), in
    the order they were made, each with its verdict's data and the ratings in effect."""
    tasks: list[str | None] = [None] if task is None else ([task] if isinstance(task, str) else list(task))
    out: list[dict[str, Any]] = []
    for t in tasks:
        d = store.decisions(t, annotator=annotator)
        d = d[d["kind"] == kind]
        for r in d.to_dict("records"):
            rec = {str(k): _native(v) for k, v in r.items()}  # the column names are text already
            if not isinstance(rec.get("data"), Mapping):
                rec["data"] = {}
            out.append(rec)
    return out


# --------------------------------------------------------------------------------------
# output
# --------------------------------------------------------------------------------------


def write_jsonl(rows: Iterable[Mapping[str, Any]], path: str | os.PathLike[str]) -> Path:
    """Write rows as JSON Lines (UTF-8, one object per line); return the path."""
    p = Path(path)
    if p.parent and not p.parent.exists():
        p.parent.mkdir(parents=True, exist_ok=True)
    with open(p, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(dict(r), ensure_ascii=False, default=str))
            fh.write("\n")
    return p


def to_hf_dataset(rows: pd.DataFrame | Iterable[Mapping[str, Any]]) -> Any:
    """A `datasets.Dataset` from an export's DataFrame (or its rows)."""
    try:
        import datasets
    except ImportError as exc:  # pragma: no cover - datasets is in the [train] extra
        raise ImportError("to_hf_dataset needs the `datasets` package (pip install datasets)") from exc
    records: list[dict[Hashable, Any]] | list[dict[str, Any]]
    records = rows.to_dict("records") if isinstance(rows, pd.DataFrame) else [dict(r) for r in rows]
    if not records:
        return datasets.Dataset.from_dict({})
    return datasets.Dataset.from_list(records)


def _finish(rows: list[dict[str, Any]], columns: list[str], path: Any, as_dataset: bool) -> Any:
    if path is not None:
        write_jsonl(rows, path)
    if as_dataset:
        return to_hf_dataset(rows) if rows else to_hf_dataset(pd.DataFrame(columns=columns))
    return pd.DataFrame(rows, columns=columns)


def _messages(context: Any) -> list[dict[str, str]]:
    if not isinstance(context, list):
        return []
    return [
        {"role": str(m.get("role")), "content": str(m.get("content"))}
        for m in context
        if isinstance(m, Mapping)
    ]


# --------------------------------------------------------------------------------------
# exports
# --------------------------------------------------------------------------------------


def to_sft(
    store: Store | str | os.PathLike[str],
    task: str | Sequence[str] | None = None,
    *,
    annotator: str | None = None,
    path: str | os.PathLike[str] | None = None,
    as_dataset: bool = False,
    metadata: bool = True,
    kind: str = "generation",
) -> Any:
    """Accepted and edited responses as supervised fine-tuning examples.

    ``kind="tool_call"``: an agent's held calls a person approved, as they ran (the
    edited arguments for an edit): the conversation so far, then an ``assistant`` turn
    with the call (``tool_calls``, OpenAI's / TRL's layout).

    One row per (item, annotator) whose current decision is accept or edit; rejected,
    flagged, skipped, only-rated and undone items are left out. ``messages`` is the chat
    context, the prompt as a ``user`` turn and the final text (the model's response, or
    the edited one) as an ``assistant`` turn: the ``"messages"`` layout of TRL's
    `SFTTrainer`.

    Parameters
    ----------
    store:
        A `Store` or a path / URL (opened with `open_store`).
    task:
        A generation review's task name, several, or None for every generation task.
    annotator:
        Only this annotator's decisions.
    path:
        Also write the rows as JSON Lines there.
    as_dataset:
        Return a `datasets.Dataset` instead of a DataFrame.
    metadata:
        Keep ``task, item_id, annotator, status, ratings, decided_at`` beside
        ``messages`` (False: ``messages`` only).
    """
    if kind == "tool_call":
        return _tool_call_sft(store, task, path, as_dataset, metadata)
    if kind != "generation":
        raise ValueError(f"kind must be 'generation' or 'tool_call', got {kind!r}")
    st, own = _as_store(store)
    try:
        rows = []
        for ev in _verdicts(st, task, "generation", annotator):
            if ev["status"] not in (Status.ACCEPTED, Status.EDITED):
                continue
            data = ev["data"]
            final = data.get("edited") if ev["status"] == Status.EDITED else data.get("response")
            prompt = data.get("prompt")
            if not isinstance(final, str) or not isinstance(prompt, str):
                continue  # a decision made without the texts (older content): not exportable
            row: dict[str, Any] = {
                "messages": [
                    *_messages(data.get("context")),
                    {"role": "user", "content": prompt},
                    {"role": "assistant", "content": final},
                ]
            }
            if metadata:
                row.update(
                    task=ev["task"],
                    item_id=ev["item_id"],
                    annotator=ev["annotator"],
                    status=ev["status"],
                    ratings=ev["ratings"] or None,
                    decided_at=ev["decided_at"],
                )
            rows.append(row)
        cols = ["messages"] + (
            ["task", "item_id", "annotator", "status", "ratings", "decided_at"] if metadata else []
        )
        return _finish(rows, cols, path, as_dataset)
    finally:
        if own:
            st.close()


def to_preferences(
    store: Store | str | os.PathLike[str],
    task: str | Sequence[str] | None = None,
    *,
    annotator: str | None = None,
    pairwise: bool = True,
    edits: bool = True,
    conversational: bool | None = None,
    path: str | os.PathLike[str] | None = None,
    as_dataset: bool = False,
    metadata: bool = True,
    kind: str = "text",
) -> Any:
    """Preference pairs ``(prompt, chosen, rejected)``, TRL's DPO layout.

    ``kind="tool_call"``: an agent's calls a person corrected: the call as edited is
    chosen over the call as the agent proposed it (conversational: the conversation so far
    as ``prompt``, one assistant turn with ``tool_calls`` each).

    From pairwise decisions (choice "a" or "b": the chosen response over the other; ties
    and both-bad are left out) and from edits (the edited text over the model's).

    A pairwise decision between two identical responses (a == b) is left out too: chosen
    == rejected teaches nothing (and gives DPO a zero margin). The DataFrame returned
    counts what was left out for that in ``.attrs["skipped"]``, e.g.
    ``{"identical_pair": 2}`` (not kept by ``as_dataset=True``).

    Parameters
    ----------
    task:
        Task name(s) to read, or None for every pairwise and generation task.
    pairwise, edits:
        Which sources to use.
    conversational:
        True: ``prompt`` is a list of messages (context + the user prompt) and ``chosen``
        / ``rejected`` are one assistant message each (TRL's conversational format).
        False: plain strings (any chat context is dropped). None (default): conversational
        when any exported row has a chat context.
    path, as_dataset, annotator:
        As for `to_sft`.
    metadata:
        Keep ``source`` ("pairwise" / "edit"), ``task, item_id, annotator`` and, for
        pairs, ``choice`` and ``left`` (the response shown on the left).
    """
    if kind == "tool_call":
        return _tool_call_preferences(store, task, path, as_dataset, metadata)
    if kind != "text":
        raise ValueError(f"kind must be 'text' or 'tool_call', got {kind!r}")
    st, own = _as_store(store)
    try:
        skipped = {"identical_pair": 0}
        raw: list[tuple[str, dict[str, Any]]] = []
        if pairwise:
            raw += _pairwise_preferences(st, task, annotator, skipped)
        if edits:
            raw += _edit_preferences(st, task, annotator)
        raw.sort(key=lambda p: p[0])
        conv = conversational if conversational is not None else any(_messages(r["context"]) for _, r in raw)
        rows = [_preference_row(r, conv, metadata) for _, r in raw]
        cols = ["prompt", "chosen", "rejected"] + (
            ["source", "task", "item_id", "annotator", "choice", "left"] if metadata else []
        )
        out = _finish(rows, cols, path, as_dataset)
        if isinstance(out, pd.DataFrame):
            out.attrs["skipped"] = skipped
        return out
    finally:
        if own:
            st.close()


def _pairwise_preferences(
    st: Store, task: str | Sequence[str] | None, annotator: str | None, skipped: dict[str, int]
) -> list[tuple[str, dict[str, Any]]]:
    """(decided_at, pair) for each pairwise decision with a winner: the chosen response
    over the other; a pair of identical responses is counted in `skipped`."""
    raw: list[tuple[str, dict[str, Any]]] = []
    for ev in _verdicts(st, task, "pairwise", annotator):
        data = ev["data"]
        choice = data.get("choice")
        if ev["status"] != Status.COMPARED or choice not in ("a", "b"):
            continue
        other = "b" if choice == "a" else "a"
        if not all(isinstance(data.get(k), str) for k in ("prompt", "a", "b")):
            continue
        if data["a"] == data["b"]:  # chosen == rejected: no preference to learn
            skipped["identical_pair"] += 1
            continue
        raw.append(
            (
                str(ev["decided_at"]),
                {
                    "prompt": data["prompt"],
                    "context": data.get("context"),
                    "chosen": data[choice],
                    "rejected": data[other],
                    "source": "pairwise",
                    "task": ev["task"],
                    "item_id": ev["item_id"],
                    "annotator": ev["annotator"],
                    "choice": choice,
                    "left": data.get("left"),
                },
            )
        )
    return raw


def _edit_preferences(
    st: Store, task: str | Sequence[str] | None, annotator: str | None
) -> list[tuple[str, dict[str, Any]]]:
    """(decided_at, pair) for each edit that changed the text: the edited text over the
    model's."""
    raw: list[tuple[str, dict[str, Any]]] = []
    for ev in _verdicts(st, task, "generation", annotator):
        data = ev["data"]
        if ev["status"] != Status.EDITED:
            continue
        if not all(isinstance(data.get(k), str) for k in ("prompt", "original", "edited")):
            continue
        if data["edited"] == data["original"]:
            continue
        raw.append(
            (
                str(ev["decided_at"]),
                {
                    "prompt": data["prompt"],
                    "context": data.get("context"),
                    "chosen": data["edited"],
                    "rejected": data["original"],
                    "source": "edit",
                    "task": ev["task"],
                    "item_id": ev["item_id"],
                    "annotator": ev["annotator"],
                    "choice": None,
                    "left": None,
                },
            )
        )
    return raw


def _preference_row(r: dict[str, Any], conv: bool, metadata: bool) -> dict[str, Any]:
    """One exported pair: messages (conversational) or plain strings, with its metadata."""
    if conv:
        row: dict[str, Any] = {
            "prompt": [*_messages(r["context"]), {"role": "user", "content": r["prompt"]}],
            "chosen": [{"role": "assistant", "content": r["chosen"]}],
            "rejected": [{"role": "assistant", "content": r["rejected"]}],
        }
    else:
        row = {"prompt": r["prompt"], "chosen": r["chosen"], "rejected": r["rejected"]}
    if metadata:
        row.update({k: r[k] for k in ("source", "task", "item_id", "annotator", "choice", "left")})
    return row


def position_bias(
    store: Store | str | os.PathLike[str],
    task: str | Sequence[str] | None = None,
    *,
    annotator: str | None = None,
) -> dict[str, Any]:
    """How often the response shown on the LEFT won a pairwise comparison.

    Counts the current pairwise decisions with a winner (choice "a" or "b"): without a
    position bias the left one wins about half of them. Returns ``n`` (decisions with a
    winner), ``left_wins``, ``right_wins``, ``left_rate``, its 95% Wilson interval
    ``left_rate_ci95``, the two-sided binomial ``p_value`` against 0.5, ``a_rate`` (how
    often response a won), ``ties``, ``both_bad`` and ``a_shown_left`` (the share of
    decided pairs where a was on the left: about 0.5 when the sides were randomized).
    """
    st, own = _as_store(store)
    try:
        left_wins = right_wins = a_wins = ties = both_bad = shown_left = decided = 0
        for ev in _verdicts(st, task, "pairwise", annotator):
            data = ev["data"]
            if ev["status"] != Status.COMPARED or data.get("left") not in ("a", "b"):
                continue
            decided += 1
            shown_left += data["left"] == "a"
            choice = data.get("choice")
            if choice == "tie":
                ties += 1
            elif choice == "both_bad":
                both_bad += 1
            elif choice in ("a", "b"):
                a_wins += choice == "a"
                if choice == data["left"]:
                    left_wins += 1
                else:
                    right_wins += 1
        n = left_wins + right_wins
        out: dict[str, Any] = {
            "n": n,
            "left_wins": left_wins,
            "right_wins": right_wins,
            "left_rate": left_wins / n if n else None,
            "left_rate_ci95": None,
            "p_value": None,
            "a_rate": a_wins / n if n else None,
            "ties": ties,
            "both_bad": both_bad,
            "a_shown_left": shown_left / decided if decided else None,
        }
        if n:
            from scipy.stats import binomtest

            res = binomtest(left_wins, n, 0.5)
            ci = res.proportion_ci(confidence_level=0.95, method="wilson")
            out["p_value"] = float(res.pvalue)
            out["left_rate_ci95"] = (float(ci.low), float(ci.high))
        return out
    finally:
        if own:
            st.close()


# --------------------------------------------------------------------------------------
# an agent's tool calls (hitl_widgets.agents): overrides as training data
# --------------------------------------------------------------------------------------


def _tool_outcomes(store: Store | str | os.PathLike[str], task: str | Sequence[str] | None) -> pd.DataFrame:
    """`Gate.outcomes()` of every agent task asked for (all tool-call tasks for None)."""
    from .agents.gate import KIND, Gate

    st, own = _as_store(store)
    try:
        if task is None:
            rows = st.backend.fetch("SELECT DISTINCT task FROM events WHERE kind = ?", (KIND,))
            tasks = sorted(str(r[0]) for r in rows)
        else:
            tasks = [task] if isinstance(task, str) else [str(t) for t in task]
        frames = [Gate(st, t).outcomes().assign(task=t) for t in tasks]
    finally:
        if own:
            st.close()
    frames = [f for f in frames if len(f)]
    return (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(
            columns=["call_id", "tool", "proposed", "held", "audit", "outcome", "args", "context", "task"]
        )
    )


def _tool_message(tool: str, args: Mapping[str, Any], call_id: str) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {
                "id": call_id,
                "type": "function",
                "function": {
                    "name": tool,
                    "arguments": json.dumps(dict(args), sort_keys=True, ensure_ascii=False),
                },
            }
        ],
    }


def _tool_call_sft(store: Any, task: Any, path: Any, as_dataset: bool, metadata: bool) -> Any:
    o = _tool_outcomes(store, task)
    rows = []
    for r in o.to_dict("records"):
        if r["outcome"] != "approved" or not isinstance(r["args"], dict):
            continue
        row: dict[str, Any] = {
            "messages": [*_messages(r["context"]), _tool_message(r["tool"], r["args"], r["call_id"])]
        }
        if metadata:
            row.update(
                task=r["task"],
                item_id=r["call_id"],
                tool=r["tool"],
                status="edited" if r["args"] != r["proposed"] else "approved",
            )
        rows.append(row)
    cols = ["messages"] + (["task", "item_id", "tool", "status"] if metadata else [])
    return _finish(rows, cols, path, as_dataset)


def _tool_call_preferences(store: Any, task: Any, path: Any, as_dataset: bool, metadata: bool) -> Any:
    o = _tool_outcomes(store, task)
    rows = []
    for r in o.to_dict("records"):
        if r["outcome"] != "approved" or not isinstance(r["args"], dict) or r["args"] == r["proposed"]:
            continue  # only a correction says which call was better
        row: dict[str, Any] = {
            "prompt": _messages(r["context"]),
            "chosen": [_tool_message(r["tool"], r["args"], r["call_id"])],
            "rejected": [_tool_message(r["tool"], r["proposed"], r["call_id"])],
        }
        if metadata:
            row.update(source="tool_call", task=r["task"], item_id=r["call_id"], tool=r["tool"])
        rows.append(row)
    cols = ["prompt", "chosen", "rejected"] + (["source", "task", "item_id", "tool"] if metadata else [])
    return _finish(rows, cols, path, as_dataset)


def tool_call_labels(
    store: Store | str | os.PathLike[str],
    task: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Approve / reject labels of an agent's proposed calls, for a reward or classifier
    model: one row per call a person judged (a held call: approved as proposed, or not -
    an edit, a reject or an answer; an audit: right or wrong). Timeouts are left out: no
    person judged them.

    Columns: ``task, call_id, tool, args`` (as proposed), ``context``, ``label``
    ("approve" / "reject"), ``source`` ("held" / "audit"), ``confidence``.
    """
    o = _tool_outcomes(store, task)
    rows = []
    for r in o.to_dict("records"):
        if r.get("audit"):
            if r.get("audit_answer") is None:
                continue
            label = "approve" if r["audit_answer"] == "approve" else "reject"
            source = "audit"
        elif r.get("held"):
            if r["outcome"] == "pending" or list(r.get("annotators") or []) == ["gate"]:
                continue
            label = "approve" if r["outcome"] == "approved" and r["args"] == r["proposed"] else "reject"
            source = "held"
        else:
            continue
        rows.append(
            {
                "task": r["task"],
                "call_id": r["call_id"],
                "tool": r["tool"],
                "args": r["proposed"],
                "context": r["context"],
                "label": label,
                "source": source,
                "confidence": r.get("confidence"),
            }
        )
    return pd.DataFrame(
        rows, columns=["task", "call_id", "tool", "args", "context", "label", "source", "confidence"]
    )
