"""ApprovalQueue: an agent's held tool calls, shown as they arrive, decided from the
keyboard while the agent runs: approve, edit the arguments, reject with a reason, or
answer instead of running the tool.

What the person sees is what runs: the exact arguments (checked against the tool's
parameters), and an approval names their hash. A decision is committed before the
waiting agent is told; the gate (`hitl_widgets.agents.Gate`) then runs the call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Unpack

from ..items.tool_call import ArgumentsError, ToolCall, ToolCallItems, check_args, content_hash
from ..store import Action, Store
from ._base import STATIC, ReviewWidget
from ._options import ReviewOptions, resolve_options
from ._protocol import Decision

if TYPE_CHECKING:
    from ..agents.gate import Gate

_LABEL = {Action.ACCEPT: "approve", Action.EDIT: "edit", Action.REJECT: "reject", Action.ANSWER: "answer"}


class ApprovalQueue(ReviewWidget[ToolCallItems]):
    """The queue of an agent's held tool calls (and of let-through calls drawn for an
    audit), live while the agent runs.

    >>> gate = hw.Gate(store="hitl.db", task="claims-agent", policies={...})   # doctest: +SKIP
    >>> gate.queue()                                                           # doctest: +SKIP

    Keys: Enter / A approve, E edit the arguments (Ctrl/Cmd+Enter saves, Esc cancels),
    R reject with a reason (returned to the agent), Q answer instead of running the tool,
    S leave it for later, arrows / N / Home / End move, ? every key.

    Parameters
    ----------
    gate:
        The `Gate` whose calls are shown (new ones appear as the agent makes them), or a
        store (path, URL or `Store`) with ``task=`` to review the calls of an agent that
        is not running here (after a restart: the undecided ones are shown again).
    **options:
        Every review's options (`ReviewOptions`): ``annotator``, ``guideline``, ...
    """

    _esm = STATIC / "approval.js"
    _css = STATIC / "approval.css"

    kind_actions: ClassVar[frozenset[str]] = frozenset(
        {Action.ACCEPT, Action.EDIT, Action.REJECT, Action.ANSWER}
    )
    model_fields: ClassVar[tuple[str, ...]] = ("confidence",)

    def __init__(self, gate: Gate | str | Store, **options: Unpack[ReviewOptions]) -> None:
        from ..agents.gate import Gate

        if isinstance(gate, Gate):
            self._gate: Gate | None = gate
            options.setdefault("store", gate.store)
            options.setdefault("task", gate.task)
        else:
            self._gate = None
            options.setdefault("store", gate)
            if "task" not in options:
                raise ValueError("ApprovalQueue(store, task=...): name the agent's task")
        opts = resolve_options(dict(options), task="agent", prefetch=8)
        reader = opts.store if isinstance(opts.store, Store) else Store(opts.store)
        peek = self._gate or Gate(reader, opts.task)
        calls = [c for c in peek.calls() if c.audit or peek.verdict(c.call_id) is None]
        if not isinstance(opts.store, Store):  # the base opens its own (and closes it)
            reader.close()
        items = ToolCallItems(calls)
        super().__init__(items, opts)
        if self._gate is not None:
            self._gate._register(self)

    # -- calls arriving -----------------------------------------------------------------------
    def _add_call(self, call: ToolCall) -> None:
        """A call the gate just held (committed already): append it to the queue."""
        with self._lock:
            pos = self._items.add(call)
            if pos is not None:
                self._grow_queue([pos], push=True)

    def _public_payload(self, pos: int) -> dict[str, Any]:
        """The call, with what the store knows of it now: what it returned when it ran
        (an audit is judged on it) and who approved it so far (the two-person rule)."""
        item = super()._public_payload(pos)
        evs = self._store.item_events(self._task, item["item_id"])
        ran = [e for e in evs if e["action"] == Action.EXECUTE]
        data = ran[-1]["data"] if ran and isinstance(ran[-1].get("data"), dict) else {}
        item["result"] = (
            {"ok": data.get("ok"), "result": data.get("result"), "error": data.get("error")} if ran else None
        )
        item["approvals"] = sorted(
            {
                str(e.get("annotator"))
                for e in evs
                if e["action"] in (Action.ACCEPT, Action.EDIT) and e.get("annotator")
            }
        )
        return item

    def _committed(self, events: list[dict[str, Any]]) -> None:
        if self._gate is not None:
            for ev in events:
                self._gate._notify(str(ev["item_id"]))

    # -- decisions --------------------------------------------------------------------------
    def _check_decision(self, d: Decision, pos: int | None) -> None:
        action = d["action"]
        if action == Action.UNDO:
            raise ValueError("a decision on a held tool call cannot be undone: the agent has resumed with it")
        if pos is None:
            raise ValueError(f"call {d['item_id']!r} is not in this queue")
        call = self._items.calls[pos]
        data = d["data"] or {}
        if action in (Action.ACCEPT, Action.EDIT) and data.get("args_hash") != call.args_hash:
            raise ValueError(
                "the arguments shown are not the call's: nothing was approved (reload the queue)"
            )
        if action == Action.EDIT:
            if "tool" in data and data["tool"] != call.tool:
                raise ValueError("the tool of a call cannot be changed, only its arguments")
            try:
                sent = data.get("args")
                check_args(call.params, sent if isinstance(sent, Mapping) else {})
            except ArgumentsError as exc:
                raise ValueError(f"edit: {exc}") from None
        if action in (Action.REJECT, Action.ANSWER) and not (d["note"] or "").strip():
            what = "a reason (it is returned to the agent)" if action == Action.REJECT else "the answer"
            raise ValueError(f"{action}: give {what}")

    def _event_fields(self, d: Decision, pos: int | None) -> dict[str, Any]:
        action = d["action"]
        if pos is None or action in (Action.SKIP, Action.NOTE, Action.UNDO):
            return {}
        call = self._items.calls[pos]
        data: dict[str, Any] = {"tool": call.tool, "proposed_hash": call.args_hash}
        if action == Action.ACCEPT:
            data.update(args=call.args, args_hash=call.args_hash)
        elif action == Action.EDIT:
            given = (d["data"] or {}).get("args")
            new = check_args(call.params, given if isinstance(given, Mapping) else {})
            data.update(args=new, args_hash=content_hash(call.tool, new), proposed=call.args)
            if self._gate is not None:  # the policies checked again on what will run
                data["recheck"] = self._gate._reasons(call.tool, new, call.confidence)[0]
        else:
            data["reason" if action == Action.REJECT else "answer"] = (d["note"] or "").strip()
        return {
            "data": data,
            "label_after": _LABEL[Action(action)],
            "model_label": "approve",
            "model_confidence": call.confidence,
        }

    def _answer_of(self, ev: Mapping[str, Any]) -> str | None:
        return "approve" if ev["action"] == Action.ACCEPT else "reject"

    def _gold_text(self, pos: int) -> str:
        c = self._items.calls[pos]
        return f"{c.tool}({', '.join(f'{k}={v!r}' for k, v in c.args.items())})"

    # -- Python actions ------------------------------------------------------------------------
    def approve(self, args: Mapping[str, Any] | None = None) -> None:
        """Approve the current call as shown, or with edited `args`."""
        cur = self.current
        if cur is None:
            raise IndexError("no held call left in this queue")
        if args is None:
            self._decide_here(Action.ACCEPT, data={"args_hash": cur["content_hash"]})
        else:
            self._decide_here(Action.EDIT, data={"args": dict(args), "args_hash": cur["content_hash"]})

    def reject(self, reason: str) -> None:
        """Reject the current call; the reason is returned to the agent."""
        self._decide_here(Action.REJECT, note=reason)

    def answer(self, text: str) -> None:
        """Answer instead of running the tool; the text is returned to the agent."""
        self._decide_here(Action.ANSWER, note=text)
