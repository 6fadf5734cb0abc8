"""The gate an agent's tool calls pass through: safe calls run at once, risky ones wait
for a person, and every outcome is an event in the store.

A call is **held** when a policy fires on its arguments (``"amount > 10000"``, a
callable), when a value a policy reads is missing, or when its confidence is under the
threshold (or unknown while thresholds are set). A held call is committed to the store
(a ``route`` event with its reasons, as the router writes them) before anyone is shown
it; the agent's thread then waits until a person decides in the approval queue
(`Gate.queue()`) or from Python (`Gate.approve` ...), until the timeout, which rejects
(or escalates, then rejects): **only an explicit approval runs a held call**, with
exactly the arguments approved (the approval names their hash), and an ``execute``
event records what ran. Calls let through run at once; a seeded random ``audit_rate``
share of them is shown to a person afterwards, to estimate how often the calls nobody
checked were wrong.

Never wait on the kernel's main thread: the widget's messages reach the kernel there,
so waiting would deadlock. Run the agent with `run_in_background` (or await it: the
wait then runs in a worker thread).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import hashlib
import inspect
import json
import math
import os
import random
import sys
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from ..items.tool_call import ArgumentsError, Param, ToolCall, check_args, check_json_args, content_hash
from ..routing.policy import Policy, PolicyError, parse_policy
from ..store import Action, Store, fold_all, utc_now
from .calls import bind, params_of

if TYPE_CHECKING:
    from ..widgets.approval import ApprovalQueue

__all__ = ["Gate", "GateError", "GateOnMainThreadError", "ToolCallRejected", "Verdict"]

KIND = "tool_call"
#: Who writes the gate's own events (a timeout's reject).
GATE = "gate"
_context: contextvars.ContextVar[list[dict[str, str]] | None] = contextvars.ContextVar(
    "hitl_agent_context", default=None
)


class GateError(RuntimeError):
    """The gate refuses to run a call (fail closed)."""


class GateOnMainThreadError(GateError):
    """A held call would be waited for on the kernel's main thread (a deadlock)."""


class ToolCallRejected(Exception):
    """A held call was rejected (by a person, or by the timeout); ``reason`` says why."""

    def __init__(self, call_id: str, tool: str, reason: str) -> None:
        super().__init__(f"the call of {tool!r} was rejected: {reason}")
        self.call_id, self.tool, self.reason = call_id, tool, reason


@dataclass(frozen=True)
class Verdict:
    """What became of a call: ``approved`` (run with ``args``), ``rejected`` (``text`` is
    the reason), ``answered`` (``text`` is the person's answer, returned instead of
    running the tool), or ``auto`` (let through, no person)."""

    call_id: str
    outcome: Literal["approved", "rejected", "answered", "auto"]
    args: dict[str, Any] | None = None
    args_hash: str | None = None
    text: str | None = None
    annotators: tuple[str, ...] = ()
    #: the log position of the last event this verdict was read from: what a call that
    #: ran was run on is ``verdict(call_id, before=seq + 1)``, whatever came after it
    #: (None for a call let through as it was routed)
    seq: int | None = None

    @property
    def approved(self) -> bool:
        return self.outcome in ("approved", "auto")

    def message(self) -> str:
        """What the agent gets back as the tool's result when the call does not run."""
        if self.outcome == "answered":
            return f"A person answered instead of running the tool: {self.text}"
        return f"A person rejected this call: {self.text}"


@dataclass
class _Tool:
    name: str
    fn: Callable[..., Any]
    params: list[Param]
    confidence: Callable[[dict[str, Any]], float | None] | str | None = None


@dataclass
class _Waiter:
    event: threading.Event = field(default_factory=threading.Event)


Rule = str | Callable[..., Any]


def _in_kernel_main_thread() -> bool:
    if threading.current_thread() is not threading.main_thread():
        return False
    ipy = sys.modules.get("IPython")
    if ipy is None:
        return False
    shell = ipy.get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


_switch_lock = threading.Lock()
_switch_waiting = 0  # held calls waiting, in every gate of this process
_switch_saved: tuple[float, float] | None = None  # (the interval before, the one set)


@contextlib.contextmanager
def _responsive_threads(interval: float | None) -> Iterator[None]:
    """Lower the thread switch interval to `interval` while held calls wait (process-wide,
    counted over every gate); put the old one back when the last stops waiting, unless
    someone else changed it meanwhile (theirs stands)."""
    global _switch_waiting, _switch_saved
    if interval is None:
        yield
        return
    with _switch_lock:
        if _switch_waiting == 0:
            before = sys.getswitchinterval()
            if before > interval:
                sys.setswitchinterval(interval)
                _switch_saved = (before, sys.getswitchinterval())
        _switch_waiting += 1
    try:
        yield
    finally:
        with _switch_lock:
            _switch_waiting -= 1
            if _switch_waiting == 0 and _switch_saved is not None:
                before, ours = _switch_saved
                _switch_saved = None
                if sys.getswitchinterval() == ours:
                    sys.setswitchinterval(before)


class Gate:
    """Hold an agent's risky tool calls for a person; let safe ones through.

    >>> gate = hw.Gate(store="hitl.db", task="claims-agent",                 # doctest: +SKIP
    ...                policies={"large claim": "amount > 10000"}, audit_rate=0.05)
    >>> @gate.tool                                                           # doctest: +SKIP
    ... def pay_claim(claim_id: str, amount: float) -> str: ...
    >>> gate.queue()          # the approval queue, live while the agent runs  # doctest: +SKIP

    Parameters
    ----------
    store:
        A SQLite path, a ``postgresql://`` URL or a `Store`.
    task:
        The name of this agent's calls in the store.
    policies:
        ``{name: rule}``: a rule is an expression of the router's policy language on the
        call's arguments (``"amount > 10000"``; it applies to the tools whose arguments
        include every name it reads) or a callable ``rule(args)`` / ``rule(tool, args)``
        returning True to hold the call.
    thresholds, confidence:
        Hold a call whose confidence is under the threshold (one number, or ``{tool:
        number}``). ``confidence`` says where a call's confidence comes from: a callable
        ``confidence(tool, args)`` or the name of an argument; a tool may give its own
        (`tool(confidence=...)`). With thresholds set, a call without a confidence is held.
    audit_rate:
        The share of let-through calls shown to a person afterwards, drawn from ``seed``:
        from the seed and the call id where the caller gives one, otherwise from a seeded
        sequence in call order (reproducible either way for an agent that runs the same).
    timeout, on_timeout:
        Seconds a held call waits for a person; then ``"reject"`` (default) or
        ``"escalate"`` (marked escalated, then rejected after another `timeout`). Never
        approves.
    two_person:
        Calls that need approvals from two different people: a policy expression or
        callable on the arguments (``"amount > 50000"``), or True for every held call.
    on_reject:
        A rejected call ``"return"`` s the reason as the tool's result (default; the agent
        reads it) or ``"raise"`` s `ToolCallRejected`.
    switch_interval:
        While a held call waits, the interpreter's thread switch interval is lowered to
        this many seconds (default 0.001; Python's is 0.005) and put back when no call
        waits. A cell computing in pure Python holds the GIL; every step between the
        person's key and the agent resuming (the message, the commit, the agent's thread
        waking, its read of the decision) waits up to one interval for it, so the agent
        resumes two to three times sooner (``benchmarks/bench_agent.py``). It costs
        nothing while no other thread wants the GIL. None leaves the interpreter alone.
    """

    def __init__(
        self,
        store: str | os.PathLike[str] | Store = "hitl.db",
        task: str = "agent",
        *,
        policies: Mapping[str, Rule] | None = None,
        thresholds: float | Mapping[str, float] | None = None,
        confidence: Callable[[str, dict[str, Any]], float | None] | str | None = None,
        audit_rate: float = 0.0,
        timeout: float = 300.0,
        on_timeout: Literal["reject", "escalate"] = "reject",
        two_person: Rule | bool | None = None,
        seed: int | str = 0,
        on_reject: Literal["return", "raise"] = "return",
        poll: float = 0.25,
        switch_interval: float | None = 0.001,
    ) -> None:
        if not isinstance(task, str) or not task.strip():
            raise ValueError(f"task must be a non-empty name, got {task!r}")
        if (
            isinstance(audit_rate, bool)
            or not isinstance(audit_rate, (int, float))
            or not 0 <= audit_rate <= 1
        ):
            raise ValueError(f"audit_rate must lie in [0, 1], got {audit_rate!r}")
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        if on_timeout not in ("reject", "escalate"):
            raise ValueError(
                f"on_timeout must be 'reject' or 'escalate' (a timeout never approves), got {on_timeout!r}"
            )
        if on_reject not in ("return", "raise"):
            raise ValueError(f"on_reject must be 'return' or 'raise', got {on_reject!r}")
        self.task = task
        self._own_store = not isinstance(store, Store)
        self.store = store if isinstance(store, Store) else Store(store)
        self.policies: dict[str, Rule] = dict(policies or {})
        self._parsed: dict[str, Policy] = {}
        for name, rule in self.policies.items():
            if isinstance(rule, str):
                self._parsed[name] = parse_policy(rule, name)  # refused now, with the part named
            elif not callable(rule):
                raise ValueError(
                    f"policy {name!r}: expected an expression or a callable, got {type(rule).__name__}"
                )
        self._two_person: Policy | Callable[..., Any] | bool
        if isinstance(two_person, str):
            self._two_person = parse_policy(two_person, "two_person")
        elif two_person is None:
            self._two_person = False
        else:
            self._two_person = two_person
        self.thresholds = thresholds
        self.confidence = confidence
        self.audit_rate = float(audit_rate)
        self.timeout = float(timeout)
        self.on_timeout = on_timeout
        self.on_reject = on_reject
        self.seed = seed
        # calls without an id of their own get a fresh uuid, so their audit draw comes from
        # this seeded sequence instead (in call order: an agent that calls in a fixed order
        # draws the same audits on every run)
        self._draws = random.Random(f"{seed}\x1faudits")
        self.poll = float(poll)
        if switch_interval is not None and (
            isinstance(switch_interval, bool)
            or not isinstance(switch_interval, (int, float))
            or not 0 < switch_interval <= 1
        ):
            raise ValueError(f"switch_interval must be None or seconds in (0, 1], got {switch_interval!r}")
        self.switch_interval = None if switch_interval is None else float(switch_interval)
        self._tools: dict[str, _Tool] = {}
        self._waiters: dict[str, _Waiter] = {}
        self._queues: weakref.WeakSet[ApprovalQueue] = weakref.WeakSet()
        self._lock = threading.RLock()

    # -- settings as stored with every route event (as the router's) ---------------------
    @property
    def settings(self) -> dict[str, Any]:
        def show(r: Any) -> Any:
            return r if isinstance(r, (str, bool)) or r is None else getattr(r, "__name__", repr(r))

        tp = self._two_person
        return {
            "policies": {k: show(v) for k, v in self.policies.items()},
            "thresholds": self.thresholds if not callable(self.thresholds) else show(self.thresholds),
            "audit_rate": self.audit_rate,
            "timeout": self.timeout,
            "on_timeout": self.on_timeout,
            "two_person": tp.text if isinstance(tp, Policy) else show(tp),
            "seed": self.seed,
        }

    def __repr__(self) -> str:
        return (
            f"Gate(task={self.task!r}, store={self.store.target!r}, policies={list(self.policies)}, "
            f"audit_rate={self.audit_rate:.4g}, timeout={self.timeout:.4g})"
        )

    # -- tools ---------------------------------------------------------------------------
    def tool(
        self,
        fn: Callable[..., Any] | None = None,
        *,
        name: str | None = None,
        confidence: Callable[[dict[str, Any]], float | None] | str | None = None,
    ) -> Any:
        """Gate a plain Python tool function (sync or async): ``@gate.tool`` or
        ``@gate.tool(name=..., confidence=...)``."""
        if fn is None:
            return functools.partial(self.tool, name=name, confidence=confidence)
        tool_name = name or fn.__name__
        spec = _Tool(tool_name, fn, params_of(fn), confidence)
        self._tools[tool_name] = spec
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def arun(*args: Any, **kwargs: Any) -> Any:
                call_args = bind(fn, args, kwargs)
                call = self.route(
                    tool_name, call_args, params=spec.params, confidence=self._confidence_of(spec, call_args)
                )
                if call.held:
                    loop = asyncio.get_running_loop()
                    ctx = contextvars.copy_context()
                    verdict: Verdict = await loop.run_in_executor(None, ctx.run, self.wait, call.call_id)
                else:
                    verdict = call.auto_verdict()
                return await self._arun_verdict(spec, call, verdict)

            return arun

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            call_args = bind(fn, args, kwargs)
            call = self.route(
                tool_name, call_args, params=spec.params, confidence=self._confidence_of(spec, call_args)
            )
            verdict = self.wait(call.call_id) if call.held else call.auto_verdict()
            return self._run_verdict(spec, call, verdict)

        return run

    def _confidence_of(self, spec: _Tool, args: dict[str, Any]) -> float | None:
        """A tool's own source takes the arguments; the gate's, the tool and them."""
        v: Any
        if spec.confidence is not None:
            v = args.get(spec.confidence) if isinstance(spec.confidence, str) else spec.confidence(args)
        elif self.confidence is not None:
            v = (
                args.get(self.confidence)
                if isinstance(self.confidence, str)
                else self.confidence(spec.name, args)
            )
        else:
            return None
        return None if v is None else float(v)

    def _checked(self, spec: _Tool, call: _Routed, verdict: Verdict) -> dict[str, Any]:
        """The arguments to run, only for an approval of exactly them (fail closed)."""
        if verdict.outcome not in ("approved", "auto") or verdict.args is None:
            raise GateError(f"call {call.call_id}: no approval to run it")  # pragma: no cover
        if content_hash(spec.name, verdict.args) != verdict.args_hash:
            raise GateError(
                f"call {call.call_id}: the arguments to run are not the approved ones; nothing was run"
            )
        return dict(verdict.args)

    def _run_verdict(self, spec: _Tool, call: _Routed, verdict: Verdict) -> Any:
        if not verdict.approved:
            return self._refused(spec, verdict)
        args = self._checked(spec, call, verdict)
        try:
            result = spec.fn(**args)
        except Exception as exc:
            self.record_execution(call.call_id, verdict, ok=False, error=f"{type(exc).__name__}: {exc}")
            raise
        self.record_execution(call.call_id, verdict, ok=True, result=result)
        return result

    async def _arun_verdict(self, spec: _Tool, call: _Routed, verdict: Verdict) -> Any:
        if not verdict.approved:
            return self._refused(spec, verdict)
        args = self._checked(spec, call, verdict)
        try:
            result = await spec.fn(**args)
        except Exception as exc:
            self.record_execution(call.call_id, verdict, ok=False, error=f"{type(exc).__name__}: {exc}")
            raise
        self.record_execution(call.call_id, verdict, ok=True, result=result)
        return result

    def _refused(self, spec: _Tool, verdict: Verdict) -> Any:
        if verdict.outcome == "rejected" and self.on_reject == "raise":
            raise ToolCallRejected(verdict.call_id, spec.name, verdict.text or "")
        return verdict.message()

    # -- routing a call --------------------------------------------------------------------
    @contextlib.contextmanager
    def context(self, messages: Sequence[Mapping[str, Any]] | None) -> Iterator[None]:
        """The agent's conversation so far, shown with the calls made inside this block."""
        token = _context.set(
            [{"role": str(m.get("role", "")), "content": str(m.get("content", ""))} for m in (messages or [])]
        )
        try:
            yield
        finally:
            _context.reset(token)

    def route(
        self,
        tool: str,
        args: Mapping[str, Any],
        *,
        call_id: str | None = None,
        confidence: float | None = None,
        context: Sequence[Mapping[str, Any]] | None = None,
        params: Sequence[Param] | None = None,
    ) -> _Routed:
        """Decide whether a call is held, and commit that (with the reasons) to the store
        before anyone sees it. A call id seen before (a framework resuming a run) is not
        routed twice: its first route stands."""
        args = check_json_args(args)
        own_id = bool(call_id)
        call_id = call_id or uuid.uuid4().hex
        existing = self._first_route(call_id)
        if existing is not None:
            return existing
        reasons, fired, missing = self._reasons(tool, args, confidence)
        paused = self._paused()
        if paused is not None:  # an overseer's pause switch holds every call
            reasons.insert(0, paused)
        held = bool(reasons)
        audit = not held and self._draw(call_id if own_id else None) < self.audit_rate
        two = held and self._needs_two(tool, args)
        msgs = context if context is not None else _context.get()
        ctx = (
            [{"role": str(m.get("role", "")), "content": str(m.get("content", ""))} for m in msgs]
            if msgs
            else None
        )
        prms = (
            list(params) if params is not None else (self._tools[tool].params if tool in self._tools else [])
        )
        call = ToolCall(
            call_id,
            tool,
            args,
            reasons + (["random audit"] if audit else []),
            ctx,
            prms,
            confidence,
            audit,
            two,
            utc_now(),
        )
        data = {
            "auto": not held,
            "audit": audit,
            "reasons": call.reasons,
            "policies": fired,
            "missing": missing,
            "settings": self.settings,
            "tool": tool,
            "args": args,
            "context": ctx,
            "params": [p.as_dict() for p in prms],
            "two_person": two,
            # the known chance this call had of a person's look (held: 1, let through: the
            # audit rate): calibrate / audit_estimate(sample or audit="propensity") use it
            "review_probability": 1.0 if held else self.audit_rate,
        }
        self.store.append(
            [
                {
                    "event_id": f"route-{call_id}",
                    "task": self.task,
                    "kind": KIND,
                    "item_id": call_id,
                    "content_hash": call.args_hash,
                    "action": Action.ROUTE,
                    "model_label": "approve",
                    "model_confidence": confidence,
                    "created_at": call.created_at,
                    "data": data,
                }
            ]
        )  # committed before it is shown (or run)
        if held or audit:
            with self._lock:
                queues = list(self._queues)
            for q in queues:
                q._add_call(call)
        verdict = None if held else Verdict(call_id, "auto", args, call.args_hash)
        return _Routed(call, held, verdict)

    def _first_route(self, call_id: str) -> _Routed | None:
        evs = [e for e in self.store.item_events(self.task, call_id) if e["action"] == Action.ROUTE]
        if not evs:
            return None
        call = _call_of(evs[0])
        held = not evs[0]["data"].get("auto", False)
        return _Routed(call, held, None if held else Verdict(call_id, "auto", call.args, call.args_hash))

    #: how old (seconds) the gate's reading of the pause switch may be: another process
    #: that pauses the task is honoured within this time
    pause_check: float = 1.0

    def _paused(self) -> str | None:
        """The reason every call is held while this task's automation is paused in the store
        (`hitl_widgets.monitor.pause`), else None; read at most every `pause_check` s."""
        from ..monitor.switch import pause_state

        now = time.monotonic()
        cached = getattr(self, "_pause_read", None)
        if cached is None or now - cached[0] >= self.pause_check:
            state = pause_state(self.store, self.task)
            cached = (now, state.reason if state.paused else None)
            self._pause_read = cached
        return cached[1]

    def _reasons(
        self, tool: str, args: dict[str, Any], confidence: float | None
    ) -> tuple[list[str], list[str], list[str]]:
        reasons: list[str] = []
        fired: list[str] = []
        missing: list[str] = []
        row = pd.DataFrame(
            [{k: (v if not isinstance(v, (list, dict)) else json.dumps(v)) for k, v in args.items()}]
        )
        for name, rule in self.policies.items():
            if isinstance(rule, str):
                pol = self._parsed.get(name) or parse_policy(rule, name)
                if any(c not in args for c in pol.columns):
                    continue  # a policy on arguments this tool does not have
                gaps = [c for c in pol.nan_sensitive if _missing(args[c])]
                if gaps:
                    missing += [c for c in gaps if c not in missing]
                    continue
                try:
                    hit = bool(pol.evaluate(row).fillna(False).iloc[0])
                except PolicyError as exc:  # cannot decide: a person decides (fail closed)
                    reasons.append(f"policy {name!r} could not decide: {exc}")
                    continue
            else:
                try:
                    n = len(inspect.signature(rule).parameters)
                    hit = bool(rule(tool, args) if n >= 2 else rule(args))
                except Exception as exc:  # a rule that fails cannot let a call through
                    reasons.append(f"policy {name!r} failed ({type(exc).__name__}: {exc})")
                    continue
            if hit:
                fired.append(name)
                reasons.append(
                    f"policy {name!r}: {rule}"
                    if isinstance(rule, str) and rule != name
                    else f"policy {name!r}"
                )
        reasons += [f"missing {c}" for c in missing]
        thr = self._threshold(tool)
        if thr is not None:
            if confidence is None or (isinstance(confidence, float) and math.isnan(confidence)):
                reasons.append("no confidence given")
            elif confidence < thr:
                reasons.append(f"confidence {confidence:.2f} < {thr:.2f}")
        return reasons, fired, missing

    def _threshold(self, tool: str) -> float | None:
        t = self.thresholds
        if t is None:
            return None
        if isinstance(t, Mapping):
            v = t.get(tool)
            return None if v is None else float(v)
        return float(t)

    def _needs_two(self, tool: str, args: dict[str, Any]) -> bool:
        tp = self._two_person
        if isinstance(tp, bool):
            return tp
        if isinstance(tp, Policy):
            if any(c not in args for c in tp.columns):
                return False
            if any(_missing(args[c]) for c in tp.nan_sensitive):
                return True  # cannot tell: the stricter rule (fail closed)
            row = pd.DataFrame([args])
            try:
                return bool(tp.evaluate(row).fillna(True).iloc[0])
            except PolicyError:
                return True
        try:
            n = len(inspect.signature(tp).parameters)
            return bool(tp(tool, args) if n >= 2 else tp(args))
        except Exception:
            return True

    def _draw(self, call_id: str | None) -> float:
        """A uniform draw for the audit: from the seed and the caller's call id (the same
        call id draws the same, whatever the order), or the next of the seeded sequence."""
        if call_id is None:
            with self._lock:
                return self._draws.random()
        h = hashlib.sha256(f"{self.seed}\x1f{call_id}".encode("utf-8", "surrogatepass")).hexdigest()
        return int(h[:13], 16) / 16**13

    # -- waiting for a person ----------------------------------------------------------------
    def wait(self, call_id: str, *, timeout: float | None = None) -> Verdict:
        """Block until the held call is decided (or the timeout rejects it). Refuses the
        kernel's main thread, where waiting would deadlock the widget's messages."""
        if _in_kernel_main_thread():
            raise GateOnMainThreadError(
                "a held tool call cannot be waited for on the kernel's main thread: the approval "
                "queue's messages reach the kernel there, so it would wait forever. Run the agent "
                "with hw.run_in_background(agent, ...) (or await an async agent)."
            )
        limit = self.timeout if timeout is None else float(timeout)
        with self._lock:
            waiter = self._waiters.setdefault(call_id, _Waiter())
        responsive = _responsive_threads(self.switch_interval)
        responsive.__enter__()
        try:
            deadline = time.monotonic() + limit
            escalated = False
            while True:
                v = self.verdict(call_id)
                if v is not None:
                    return v
                left = deadline - time.monotonic()
                if left <= 0:
                    if self.on_timeout == "escalate" and not escalated:
                        self._escalate(call_id, limit)
                        escalated, deadline = True, time.monotonic() + limit
                        continue
                    self._decide_as_gate(
                        call_id, Action.REJECT, f"no decision within {limit:.4g} s (a timeout never approves)"
                    )
                    continue  # read back what is now in the store (a person may have been first)
                waiter.event.wait(min(self.poll, left))
                waiter.event.clear()
        finally:
            responsive.__exit__(None, None, None)
            with self._lock:
                self._waiters.pop(call_id, None)

    def _notify(self, call_id: str) -> None:
        with self._lock:
            w = self._waiters.get(call_id)
        if w is not None:
            w.event.set()

    def verdict(self, call_id: str, *, before: int | None = None) -> Verdict | None:
        """The call's outcome as the store has it now (or as it had it before the event
        at log position `before`: what a call that ran was run on), or None while it
        waits. Any reject rejects (fail closed); an approval counts only for the exact
        arguments it names, and a call that needs two people runs once two different
        annotators approved the same arguments."""
        evs = self.store.item_events(self.task, call_id)
        if before is not None:
            evs = [e for e in evs if int(e["seq"]) < before]
        routes = [e for e in evs if e["action"] == Action.ROUTE]
        if not routes:
            raise GateError(f"no call {call_id!r} in task {self.task!r} of store {self.store.target!r}")
        seq = max(int(e["seq"]) for e in evs)
        call = _call_of(routes[0])
        if routes[0]["data"].get("auto"):
            return Verdict(call_id, "auto", call.args, call.args_hash, seq=seq)
        states = fold_all(e for e in evs if e["action"] not in (Action.ROUTE, Action.EXECUTE))
        by_event = {e["event_id"]: e for e in evs}
        rejected = [(k[3], st) for k, st in states.items() if st.action == Action.REJECT]
        if rejected:
            ann, st = rejected[0]
            return Verdict(call_id, "rejected", None, None, st.note or "rejected", (ann,), seq)
        answered = [(k[3], st) for k, st in states.items() if st.action == Action.ANSWER]
        if answered:
            ann, st = answered[0]
            return Verdict(call_id, "answered", None, None, st.note or "", (ann,), seq)
        approvals: dict[str, tuple[dict[str, Any], list[str]]] = {}
        for (_t, _i, _h, ann), st in states.items():
            if st.action not in (Action.ACCEPT, Action.EDIT) or st.verdict_id is None:
                continue
            ev = by_event.get(st.verdict_id) or {}
            data = ev["data"] if isinstance(ev.get("data"), dict) else {}
            args = data["args"] if isinstance(data.get("args"), dict) else None
            h = data.get("args_hash")
            if args is None or h != content_hash(call.tool, args):
                continue  # an approval that does not name what it approves approves nothing
            approvals.setdefault(h, (args, []))[1].append(ann)
        for h, (args, anns) in approvals.items():
            need = 2 if (call.two_person or self._needs_two(call.tool, args)) else 1
            if len(set(anns)) >= need:
                return Verdict(call_id, "approved", args, h, None, tuple(sorted(set(anns))), seq)
        return None

    def _decide_as_gate(self, call_id: str, action: str, note: str) -> None:
        evs = self.store.item_events(self.task, call_id)
        call = _call_of(next(e for e in evs if e["action"] == Action.ROUTE))
        ev = {
            "event_id": f"{action}-{GATE}-{call_id}",
            "task": self.task,
            "kind": KIND,
            "item_id": call_id,
            "content_hash": call.args_hash,
            "action": action,
            "label_after": "reject",
            "model_label": "approve",
            "annotator": GATE,
            "note": note,
            "data": {"tool": call.tool, "reason": note},
        }
        self.store.append([ev])
        self._tell_queues(ev)

    def _escalate(self, call_id: str, waited: float) -> None:
        evs = self.store.item_events(self.task, call_id)
        first = next(e for e in evs if e["action"] == Action.ROUTE)
        data = dict(first["data"])
        data["reasons"] = [*(data.get("reasons") or []), f"escalated: no decision within {waited:.4g} s"]
        data["escalated"] = True
        self.store.append(
            [
                {
                    **{
                        k: first.get(k)
                        for k in (
                            "task",
                            "kind",
                            "item_id",
                            "content_hash",
                            "model_label",
                            "model_confidence",
                        )
                    },
                    "event_id": f"escalate-{call_id}",
                    "action": Action.ROUTE,
                    "data": data,
                }
            ]
        )

    def record_execution(
        self, call_id: str, verdict: Verdict, *, ok: bool, result: Any = None, error: str | None = None
    ) -> None:
        """The ``execute`` event after a call ran (or failed): with what, and what came back."""
        shown = None
        if result is not None:
            try:
                shown = json.loads(json.dumps(result, default=str))
            except (TypeError, ValueError):
                shown = repr(result)
            if isinstance(shown, str) and len(shown) > 2000:
                shown = shown[:2000] + "…"
        self.store.append(
            [
                {
                    "event_id": f"execute-{call_id}",
                    "task": self.task,
                    "kind": KIND,
                    "item_id": call_id,
                    "content_hash": verdict.args_hash,
                    "action": Action.EXECUTE,
                    "data": {
                        "ok": ok,
                        "outcome": verdict.outcome,
                        "args": verdict.args,
                        "args_hash": verdict.args_hash,
                        "result": shown,
                        "error": error,
                        "annotators": list(verdict.annotators),
                        # what it ran on: the log up to here (a decision after it, e.g.
                        # a second person's reject, came too late for this run)
                        "verdict_seq": verdict.seq,
                    },
                }
            ]
        )

    # -- deciding from Python (scripted reviewers, tests) ---------------------------------------
    def approve(self, call_id: str, args: Mapping[str, Any] | None = None, *, annotator: str) -> None:
        """Approve a held call as it is, or with edited `args` (checked against the tool)."""
        call = self._held(call_id)
        if args is None:
            self._decide(
                call, Action.ACCEPT, annotator, data={"args": call.args, "args_hash": call.args_hash}
            )
        else:
            try:
                new = check_args(call.params, args)
            except ArgumentsError as exc:
                raise ValueError(f"approve({call_id!r}): {exc}") from None
            self._decide(
                call,
                Action.EDIT,
                annotator,
                data={
                    "args": new,
                    "args_hash": content_hash(call.tool, new),
                    "proposed_hash": call.args_hash,
                    "recheck": self._reasons(call.tool, new, call.confidence)[0],
                },
            )

    def reject(self, call_id: str, reason: str, *, annotator: str) -> None:
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError("reject: give a reason (it is returned to the agent)")
        self._decide(self._held(call_id), Action.REJECT, annotator, note=reason.strip())

    def answer(self, call_id: str, text: str, *, annotator: str) -> None:
        if not isinstance(text, str) or not text.strip():
            raise ValueError(
                "answer: give the answer (it is returned to the agent instead of running the tool)"
            )
        self._decide(self._held(call_id), Action.ANSWER, annotator, note=text.strip())

    def _held(self, call_id: str) -> ToolCall:
        evs = [e for e in self.store.item_events(self.task, call_id) if e["action"] == Action.ROUTE]
        if not evs:
            raise KeyError(f"no call {call_id!r} in task {self.task!r}")
        return _call_of(evs[0])

    def _decide(
        self,
        call: ToolCall,
        action: str,
        annotator: str,
        *,
        note: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        label = {
            Action.ACCEPT: "approve",
            Action.EDIT: "edit",
            Action.REJECT: "reject",
            Action.ANSWER: "answer",
        }[Action(action)]
        ev = {
            "event_id": uuid.uuid4().hex,
            "task": self.task,
            "kind": KIND,
            "item_id": call.call_id,
            "content_hash": call.args_hash,
            "action": action,
            "label_after": label,
            "model_label": "approve",
            "model_confidence": call.confidence,
            "annotator": annotator,
            "note": note,
            "data": {"tool": call.tool, **(data or {}), **({"reason": note} if note else {})},
        }
        self.store.append([ev])  # committed before the agent resumes
        self._tell_queues(ev)
        self._notify(call.call_id)

    def _tell_queues(self, ev: Mapping[str, Any]) -> None:
        with self._lock:
            queues = list(self._queues)
        for q in queues:
            q._external_event(ev)

    # -- reading ------------------------------------------------------------------------------
    def audit_estimate(self, confidence: float = 0.95) -> Any:
        """How often the calls let through were wrong, from the audits people answered
        (a reject, an edit or an answer counts as wrong): `hitl_widgets.audit_estimate`
        (Clopper-Pearson) on this task."""
        from ..routing.calibration import audit_estimate

        return audit_estimate(self.store, task=self.task, confidence=confidence)

    def calibrate(self, alpha: float = 0.05, delta: float = 0.1, **kwargs: Any) -> Any:
        """A confidence threshold with a guarantee, from the audits only (the held calls
        were picked because they looked risky: they say nothing about the rest):
        `hitl_widgets.calibrate` on this task. Set it with ``gate.thresholds = ...``."""
        from ..routing.calibration import calibrate

        return calibrate(self.store, task=self.task, alpha=alpha, delta=delta, **kwargs)

    def outcomes(self) -> pd.DataFrame:
        """One row per call: the tool, the arguments proposed and run, why it was held,
        what people decided, and whether it ran (for dashboards and training sets)."""
        rows = []
        for call in self.calls():
            evs = self.store.item_events(self.task, call.call_id)
            v = self.verdict(call.call_id)
            ran = [e for e in evs if e["action"] == Action.EXECUTE]
            audit_answer = None
            if call.audit:
                said = [
                    e
                    for e in evs
                    if e["action"] in (Action.ACCEPT, Action.EDIT, Action.REJECT, Action.ANSWER)
                ]
                audit_answer = said[-1]["label_after"] if said else None
            rows.append(
                {
                    "call_id": call.call_id,
                    "tool": call.tool,
                    "proposed": call.args,
                    "held": bool(call.reasons) and not call.audit,
                    "audit": call.audit,
                    "reasons": call.reasons,
                    "confidence": call.confidence,
                    "outcome": "pending" if v is None else v.outcome,
                    "args": None if v is None else v.args,
                    "text": None if v is None else v.text,
                    "annotators": list(v.annotators) if v else [],
                    "ran": bool(ran) and bool(ran[-1]["data"].get("ok", True)),
                    "audit_answer": audit_answer,
                    "context": call.context,
                    "held_at": call.created_at,
                }
            )
        return pd.DataFrame(
            rows,
            columns=[
                "call_id",
                "tool",
                "proposed",
                "held",
                "audit",
                "reasons",
                "confidence",
                "outcome",
                "args",
                "text",
                "annotators",
                "ran",
                "audit_answer",
                "context",
                "held_at",
            ],
        )

    def pending(self) -> list[ToolCall]:
        """Held calls with no outcome yet (what a new queue shows again after a restart)."""
        out = []
        for call in self.calls(held_only=True):
            if self.verdict(call.call_id) is None:
                out.append(call)
        return out

    def calls(self, *, held_only: bool = False) -> list[ToolCall]:
        """Every call routed in this task (or only held ones, or audits), in order."""
        ev = self.store.events(self.task, action=Action.ROUTE)
        out, seen = [], set()
        for r in ev.to_dict("records"):
            if r["kind"] != KIND or r["item_id"] in seen:
                continue
            seen.add(r["item_id"])
            data = r["data"] if isinstance(r["data"], dict) else {}
            if held_only and data.get("auto"):
                continue
            out.append(_call_of({str(k): v for k, v in r.items()}))
        return out

    def queue(self, **options: Any) -> ApprovalQueue:
        """The approval queue: held calls (and audits) as they arrive, live."""
        from ..widgets.approval import ApprovalQueue

        return ApprovalQueue(self, **options)

    def _register(self, q: ApprovalQueue) -> None:
        with self._lock:
            self._queues.add(q)

    def close(self) -> None:
        if self._own_store:
            self.store.close()


@dataclass
class _Routed:
    call: ToolCall
    held: bool
    verdict: Verdict | None  # set when let through

    @property
    def call_id(self) -> str:
        return self.call.call_id

    def auto_verdict(self) -> Verdict:
        """The verdict of a call let through (a held call has to wait for its own)."""
        if self.verdict is None:
            raise GateError(f"call {self.call_id} is held: wait for its verdict")
        return self.verdict


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _call_of(route_event: Mapping[str, Any]) -> ToolCall:
    data = route_event["data"] if isinstance(route_event.get("data"), dict) else {}
    params = [
        Param(**{k: p.get(k) for k in ("name", "type", "required", "default", "enum", "nullable")})
        for p in data.get("params") or []
    ]
    created = route_event.get("created_at")
    conf = route_event.get("model_confidence")
    conf = None if conf is None or (isinstance(conf, float) and math.isnan(conf)) else float(conf)
    return ToolCall(
        str(route_event["item_id"]),
        str(data.get("tool")),
        dict(data.get("args") or {}),
        list(data.get("reasons") or []),
        data.get("context"),
        params,
        conf,
        bool(data.get("audit")),
        bool(data.get("two_person")),
        created if isinstance(created, str) else str(created or ""),
    )
