"""pydantic-ai adapter: a person decides an agent's deferred tool calls (``requires_approval=True``)
in the gate's approval queue.

pydantic-ai pauses a run at a call of a tool registered with ``requires_approval=True``: the run
ends with a `DeferredToolRequests` output, and the next run, given ``deferred_tool_results`` (a
`ToolApproved` or a `ToolDenied` per call), carries on. Three pieces put the gate in between:

* `gate_capabilities(gate)`: two capabilities for the agent (or for one run). The first routes
  each approval-requiring call through the gate **with the arguments as the tool's schema
  validated them** (defaults filled in, values coerced, rewrites of other capabilities applied:
  what will run, not the model's raw text; pydantic-ai issue #6968) and the tool's JSON schema as
  the parameters an edit is checked against, with the conversation so far as context; the call
  is committed before the run returns it. The second stands at the tool's boundary: a gated call
  runs only with an approval in the store of exactly the arguments about to run (a hand-made
  ``ToolApproved`` without a person's approval runs nothing), never twice (a call that already
  ran returns its recorded result), and an ``execute`` event records what ran.
* `resolve(gate, requests)`: waits (in worker threads, off the event loop) for each call's
  decision and answers ``ToolApproved(override_args=<the approved arguments>)`` (always the
  approved arguments, so an edit reaches the tool and an approval as shown runs as shown) or
  ``ToolDenied(<the reason or the person's answer>)``. `resolve_sync` is its blocking twin.
* `run_with_approvals(agent, prompt, gate)`: run -> resolve -> run(deferred_tool_results=...) until
  the output (`run_with_approvals_sync` for scripts).

The call id is pydantic-ai's ``tool_call_id``. pydantic-ai is imported only when these are called.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..items.tool_call import ArgumentsError, Param, check_json_args, content_hash
from ..store import Action
from . import gate as _gate_mod
from .gate import Gate, GateError, GateOnMainThreadError, ToolCallRejected, Verdict

if TYPE_CHECKING:
    from pydantic_ai.capabilities import AbstractCapability
    from pydantic_ai.run import AgentRunResult
    from pydantic_ai.tools import DeferredToolRequests, DeferredToolResults

__all__ = [
    "context_of",
    "gate_capabilities",
    "params_from_json_schema",
    "resolve",
    "resolve_sync",
    "run_with_approvals",
    "run_with_approvals_sync",
    "same_arguments",
]

_JSON_TYPES = {"string", "integer", "number", "boolean", "array", "object"}


# -- helpers shared with the LangGraph adapter ---------------------------------------------------


def params_from_json_schema(schema: Mapping[str, Any] | None) -> list[Param]:
    """A tool's parameters from its JSON schema (an object schema: ``properties``, ``required``,
    ``$defs``): the type, enum, nullability and default an edit of the call is checked against.
    A property whose type cannot be told (a union of several types) is ``any``."""
    if not schema:
        return []
    defs = dict(schema.get("$defs") or schema.get("definitions") or {})
    required = set(schema.get("required") or [])
    out = []
    for name, prop in (schema.get("properties") or {}).items():
        p = Param(str(name), required=name in required)
        if isinstance(prop, Mapping) and "default" in prop:
            p.default = prop["default"]
        kind, enum, nullable = _json_type(prop, defs)
        p.type, p.enum, p.nullable = kind, enum, nullable
        out.append(p)
    return out


def _deref(prop: Any, defs: Mapping[str, Any], depth: int = 0) -> Any:
    while isinstance(prop, Mapping) and isinstance(prop.get("$ref"), str) and depth < 20:
        ref = prop["$ref"].rsplit("/", 1)[-1]
        rest = {k: v for k, v in prop.items() if k != "$ref"}
        prop = {**(defs.get(ref) or {}), **rest}
        depth += 1
    if isinstance(prop, Mapping) and isinstance(prop.get("allOf"), list) and len(prop["allOf"]) == 1:
        rest = {k: v for k, v in prop.items() if k != "allOf"}
        return _deref({**_deref(prop["allOf"][0], defs, depth + 1), **rest}, defs, depth + 1)
    return prop


def _json_type(prop: Any, defs: Mapping[str, Any]) -> tuple[str, list[Any] | None, bool]:
    """(type, enum, nullable) of one property of a JSON schema."""
    prop = _deref(prop, defs)
    if not isinstance(prop, Mapping):
        return "any", None, False
    if "const" in prop:
        return "enum", [prop["const"]], False
    if isinstance(prop.get("enum"), list):
        values = [v for v in prop["enum"] if v is not None]
        return "enum", values, len(values) < len(prop["enum"])
    options = prop.get("anyOf") or prop.get("oneOf")
    if isinstance(options, list):
        kept = [o for o in options if not (isinstance(o, Mapping) and o.get("type") == "null")]
        nullable = len(kept) < len(options)
        if len(kept) == 1:
            kind, enum, inner_null = _json_type(kept[0], defs)
            return kind, enum, nullable or inner_null
        return "any", None, nullable
    t = prop.get("type")
    if isinstance(t, list):
        kept_t = [x for x in t if x != "null"]
        nullable = len(kept_t) < len(t)
        return (kept_t[0] if len(kept_t) == 1 and kept_t[0] in _JSON_TYPES else "any"), None, nullable
    if isinstance(t, str) and t in _JSON_TYPES:
        return t, None, False
    if "properties" in prop:
        return "object", None, False
    return "any", None, False


def same_arguments(a: Any, b: Any) -> bool:
    """Whether two JSON values are the same arguments: equal structure and values, numbers
    compared by value (``15000 == 15000.0``: a validator turns the one into the other), booleans
    never equal to numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_arguments(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_arguments(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and bool(a == b)


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence) and not isinstance(content, (bytes, bytearray)):
        return "\n".join(c if isinstance(c, str) else f"[{type(c).__name__}]" for c in content)
    try:
        return json.dumps(content, ensure_ascii=False, default=str)
    except (TypeError, ValueError):  # pragma: no cover - default=str accepts anything
        return str(content)


def context_of(messages: Sequence[Any] | None) -> list[dict[str, str]] | None:
    """A pydantic-ai conversation (``ModelRequest`` / ``ModelResponse`` messages) as the
    role/content messages the approval queue shows."""
    if not messages:
        return None
    out: list[dict[str, str]] = []
    for m in messages:
        for part in getattr(m, "parts", ()):
            kind = getattr(part, "part_kind", "")
            if kind == "system-prompt":
                out.append({"role": "system", "content": _text(part.content)})
            elif kind == "user-prompt":
                out.append({"role": "user", "content": _text(part.content)})
            elif kind == "tool-return":
                out.append({"role": "tool", "content": f"{part.tool_name}: {_text(part.content)}"})
            elif kind == "retry-prompt":
                out.append({"role": "user", "content": f"(retry) {_text(part.content)}"})
            elif kind == "text":
                out.append({"role": "assistant", "content": _text(part.content)})
            elif kind == "tool-call":
                out.append(
                    {"role": "assistant", "content": f"calls {part.tool_name}({_text(part.args_as_dict())})"}
                )
    return out or None


def _jsonable(args: Any) -> dict[str, Any]:
    from pydantic_core import to_jsonable_python

    try:
        return check_json_args(to_jsonable_python(args))
    except (ArgumentsError, ValueError, TypeError) as exc:
        raise GateError(
            f"the tool's arguments cannot be shown to a person as JSON ({exc}); nothing was run"
        ) from None


def _first_route(gate: Gate, call_id: str) -> dict[str, Any] | None:
    return next((e for e in gate.store.item_events(gate.task, call_id) if e["action"] == Action.ROUTE), None)


def _execution(gate: Gate, call_id: str) -> dict[str, Any] | None:
    return next(
        (e for e in gate.store.item_events(gate.task, call_id) if e["action"] == Action.EXECUTE), None
    )


# -- the capabilities: route at validation, check and record at execution ---------------------------


def gate_capabilities(
    gate: Gate, *, wait: bool = False, timeout: float | None = None
) -> list[AbstractCapability[Any]]:
    """The two capabilities that put an agent's approval-requiring tool calls through `gate`:
    add them to the agent (``Agent(..., capabilities=[*gate_capabilities(gate)])``) or to a run.

    * routing (outermost, so its ``after_tool_validate`` runs after every other capability's):
      each call of a ``requires_approval=True`` tool is routed with the arguments as validated
      and the tool's JSON schema as its parameters, the conversation so far as context;
    * the execution check (innermost, so its ``before_tool_execute`` sees the arguments the tool
      function gets): a routed call runs only with the store's approval of exactly these
      arguments (else `GateError`: nothing runs), a call that already ran is not run again (its
      recorded result is returned), and an ``execute`` event records the outcome.

    With ``wait=True`` the routing capability also resolves the calls inside the run (pydantic-ai's
    ``handle_deferred_tool_calls``): the run waits for the person instead of returning the
    `DeferredToolRequests` (run it with `run_in_background`, not on a kernel's main thread).
    """
    from pydantic_ai.capabilities import CapabilityOrdering, Hooks

    h = _GateHooks(gate, timeout)
    routing = Hooks[Any](
        after_tool_validate=h.route,
        deferred_tool_calls=h.handle if wait else None,
        ordering=CapabilityOrdering(position="outermost"),
    )
    checking = Hooks[Any](
        before_tool_execute=h.check,
        after_tool_execute=h.record,
        tool_execute_error=h.record_error,
        tool_execute=h.wrap_execute,
        ordering=CapabilityOrdering(position="innermost"),
    )
    return [routing, checking]


class _GateHooks:
    """The hook functions of `gate_capabilities`."""

    def __init__(self, gate: Gate, timeout: float | None) -> None:
        self.gate, self.timeout = gate, timeout

    async def route(self, ctx: Any, *, call: Any, tool_def: Any, args: Any) -> Any:
        """Route a call of a ``requires_approval=True`` tool, with the arguments as validated
        (committed before the run returns it to be shown)."""
        if getattr(tool_def, "kind", None) == "unapproved" and not getattr(ctx, "tool_call_approved", False):
            self._route(ctx, call, tool_def, args)
        return args

    async def wrap_execute(self, ctx: Any, *, call: Any, tool_def: Any, args: Any, handler: Any) -> Any:
        """A tool (or a hook) that asks for approval as it runs (``raise ApprovalRequired``): route
        the call with the arguments it was about to run with."""
        from pydantic_ai.exceptions import ApprovalRequired

        try:
            return await handler(args)
        except ApprovalRequired:
            if not getattr(ctx, "tool_call_approved", False):
                self._route(ctx, call, tool_def, args)
            raise

    def _route(self, ctx: Any, call: Any, tool_def: Any, args: Any) -> None:
        gate, shown = self.gate, _jsonable(args)
        routed = gate.route(
            call.tool_name,
            shown,
            call_id=call.tool_call_id,
            context=context_of(getattr(ctx, "messages", None)),
            params=params_from_json_schema(tool_def.parameters_json_schema),
        )
        if routed.call.tool != call.tool_name or not same_arguments(routed.call.args, shown):
            raise GateError(
                f"tool call id {call.tool_call_id!r} was routed before as another call "
                f"({routed.call.tool}); tool call ids must be unique in task {gate.task!r}"
            )

    async def check(self, ctx: Any, *, call: Any, tool_def: Any, args: Any) -> Any:
        """Right before the tool function runs: only an approval of exactly these arguments, once."""
        from pydantic_ai.exceptions import SkipToolExecution

        gate, cid = self.gate, call.tool_call_id
        if _first_route(gate, cid) is None:
            return args  # not a gated call
        done = _execution(gate, cid)
        if done is not None:  # it ran before (a resumed run): never twice
            data = done.get("data") or {}
            raise SkipToolExecution(data.get("result") if data.get("ok") else f"Error: {data.get('error')}")
        verdict = gate.verdict(cid)
        if verdict is None or not verdict.approved or verdict.args is None:
            raise GateError(
                f"call {cid!r} of {call.tool_name!r}: no approval of it in the store "
                f"({'undecided' if verdict is None else verdict.outcome}); nothing was run"
            )
        if content_hash(call.tool_name, verdict.args) != verdict.args_hash:
            raise GateError(
                f"call {cid!r}: the approval names other arguments than it holds; nothing was run"
            )
        if not same_arguments(_jsonable(args), verdict.args):
            raise GateError(
                f"call {cid!r} of {call.tool_name!r}: the arguments about to run are not the "
                "approved ones; nothing was run"
            )
        return args

    async def record(self, ctx: Any, *, call: Any, tool_def: Any, args: Any, result: Any) -> Any:
        verdict = _ran_verdict(self.gate, call.tool_call_id)
        if verdict is not None:
            self.gate.record_execution(call.tool_call_id, verdict, ok=True, result=result)
        return result

    async def record_error(self, ctx: Any, *, call: Any, tool_def: Any, args: Any, error: Exception) -> Any:
        verdict = _ran_verdict(self.gate, call.tool_call_id)
        if verdict is not None:
            self.gate.record_execution(
                call.tool_call_id, verdict, ok=False, error=f"{type(error).__name__}: {error}"
            )
        raise error

    async def handle(self, ctx: Any, *, requests: DeferredToolRequests) -> DeferredToolResults | None:
        """``wait=True``: resolve the approvals inside the run."""
        if not requests.approvals:
            return None
        return await resolve(self.gate, requests, timeout=self.timeout)


def _ran_verdict(gate: Gate, call_id: str) -> Verdict | None:
    """The verdict a gated call ran under (None for a call the gate does not know)."""
    if _first_route(gate, call_id) is None or _execution(gate, call_id) is not None:
        return None
    return gate.verdict(call_id)


# -- resolving the deferred calls ---------------------------------------------------------------------


async def resolve(
    gate: Gate, requests: DeferredToolRequests, *, timeout: float | None = None
) -> DeferredToolResults:
    """Wait for a person's decision on each approval request (in worker threads: the event loop
    stays free) and answer them: ``ToolApproved(override_args=<the approved arguments>)`` for an
    approval (an edit's arguments, or the arguments as shown) or a call the gate let through,
    ``ToolDenied(<message>)`` for a reject (the reason) or an answer (the person's answer).

    The calls must have been routed by `gate_capabilities` (the arguments as validated; a call
    the gate does not know is refused with `GateError`: nothing is shown that would not run). The
    gate's timeout rejects a call nobody decided (never approves). With ``on_reject="raise"`` a
    rejection raises `ToolCallRejected`."""
    from pydantic_ai.tools import DeferredToolResults, ToolApproved, ToolDenied

    parts = list(requests.approvals)
    for part in parts:
        first = _first_route(gate, part.tool_call_id)
        if first is None:
            raise GateError(
                f"call {part.tool_call_id!r} of {part.tool_name!r} was not routed through the gate: add "
                "gate_capabilities(gate) to the agent or the run, so the person sees the arguments as the "
                "tool validated them (pydantic-ai's requests carry the model's raw arguments)"
            )
        if (first.get("data") or {}).get("tool") != part.tool_name:
            raise GateError(f"call id {part.tool_call_id!r} names another tool in the store; nothing was run")
    verdicts = await asyncio.gather(
        *(asyncio.to_thread(gate.wait, p.tool_call_id, timeout=timeout) for p in parts)
    )
    approvals: dict[str, Any] = {}
    answered_by: dict[str, str] = {}
    metadata: dict[str, dict[str, Any]] = {}
    for part, v in zip(parts, verdicts, strict=True):
        cid = part.tool_call_id
        if v.approved:
            if v.args is None or content_hash(part.tool_name, v.args) != v.args_hash:
                raise GateError(
                    f"call {cid!r}: the approval names other arguments than it holds; nothing was run"
                )
            approvals[cid] = ToolApproved(override_args=dict(v.args))
        elif v.outcome == "rejected" and gate.on_reject == "raise":
            raise ToolCallRejected(cid, part.tool_name, v.text or "")
        else:
            approvals[cid] = ToolDenied(v.message())
        if v.annotators:
            answered_by[cid] = ", ".join(v.annotators)
        metadata[cid] = {
            "hitl": {
                "call_id": cid,
                "outcome": v.outcome,
                "args_hash": v.args_hash,
                "annotators": list(v.annotators),
            }
        }
    return DeferredToolResults(approvals=approvals, metadata=metadata, answered_by=answered_by)


def _refuse_main_thread(what: str) -> None:
    if _gate_mod._in_kernel_main_thread():
        raise GateOnMainThreadError(
            f"{what} would block the kernel's main thread while a person decides, and the approval "
            "queue's messages reach the kernel there. Run it with hw.run_in_background(...), or await "
            "the async version."
        )


def _no_running_loop(what: str) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise RuntimeError(f"{what} cannot run inside a running event loop: await the async version")


def resolve_sync(
    gate: Gate, requests: DeferredToolRequests, *, timeout: float | None = None
) -> DeferredToolResults:
    """`resolve`, blocking (never on a kernel's main thread, never inside a running event loop)."""
    _refuse_main_thread("resolve_sync")
    _no_running_loop("resolve_sync")
    return asyncio.run(resolve(gate, requests, timeout=timeout))


# -- the loop -----------------------------------------------------------------------------------------


def _with_deferred(spec: Any) -> Any:
    from pydantic_ai.tools import DeferredToolRequests

    specs = list(spec) if isinstance(spec, (list, tuple)) else [spec]
    if any(s is DeferredToolRequests for s in specs):
        return spec
    return [*specs, DeferredToolRequests]


async def run_with_approvals(
    agent: Any,
    prompt: Any,
    gate: Gate,
    *,
    message_history: Sequence[Any] | None = None,
    timeout: float | None = None,
    max_rounds: int = 20,
    **run_kwargs: Any,
) -> AgentRunResult[Any]:
    """Run `agent` on `prompt`, and while the run stops at calls that need approval, wait for the
    person's decisions (`resolve`) and run again with them, until the output. The gate's
    capabilities are added to each run, and ``DeferredToolRequests`` to the output type. A run
    that stops at external calls (``requests.calls``) is returned as it is, for the caller.
    ``run_kwargs`` go to ``agent.run`` (``deps``, ``model_settings`` ...)."""
    from pydantic_ai.tools import DeferredToolRequests

    caps = [*(run_kwargs.pop("capabilities", None) or ()), *gate_capabilities(gate)]
    output_type = _with_deferred(run_kwargs.pop("output_type", None) or agent.output_type)
    result: AgentRunResult[Any] = await agent.run(
        prompt, message_history=message_history, output_type=output_type, capabilities=caps, **run_kwargs
    )
    for _ in range(max_rounds):
        requests = result.output
        if not isinstance(requests, DeferredToolRequests) or requests.calls or not requests.approvals:
            return result
        answers = await resolve(gate, requests, timeout=timeout)
        result = await agent.run(
            None,
            message_history=result.all_messages(),
            deferred_tool_results=answers,
            output_type=output_type,
            capabilities=caps,
            **run_kwargs,
        )
    if isinstance(result.output, DeferredToolRequests) and result.output.approvals:
        raise GateError(f"the agent still asks for approvals after {max_rounds} rounds")
    return result


def run_with_approvals_sync(agent: Any, prompt: Any, gate: Gate, **kwargs: Any) -> AgentRunResult[Any]:
    """`run_with_approvals`, blocking (never on a kernel's main thread: use `run_in_background`)."""
    _refuse_main_thread("run_with_approvals_sync")
    _no_running_loop("run_with_approvals_sync")
    return asyncio.run(run_with_approvals(agent, prompt, gate, **kwargs))
