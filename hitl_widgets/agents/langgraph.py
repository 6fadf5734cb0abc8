"""LangGraph adapter: the tool calls of a LangGraph agent pass the gate; held ones pause the graph
with `interrupt` until a person decides in the approval queue.

`gated_tool_node(gate, tools)` is the graph's tool node (in place of LangGraph's ``ToolNode``).
For each tool call of the last AI message it:

1. routes the call through the gate, **all of them before anything runs or pauses** (the queue
   shows every held call of the message at once), with the call id ``<thread_id>/<tool call id>``
   (a resumed run finds the same held call and never routes it twice), the arguments as the tool's
   schema validated them, the tool's JSON schema as the parameters an edit is checked against,
   and the conversation so far as context;
2. runs the calls the gate let through, and the held calls a person approved (with exactly the
   approved arguments, checked against the approval's hash), and records an ``execute`` event;
3. for a held call without a decision in the store, calls ``interrupt({...the call...})``. When
   the graph is resumed (``Command(resume=...)``), the node runs again (LangGraph re-executes an
   interrupted node from its start) and reads the decision **from the store**: the resume value
   carries nothing the node trusts, and a resume without a decision pauses again, running nothing.

LangGraph re-runs a node's side effects on resume (its issues #6577, #6208): a call that already ran
(an ``execute`` event exists) is never run again, its recorded result is returned instead.
Rejections and answers go back to the model as the tool's message. With a checkpointer on a file
(``SqliteSaver``) and a gate on a store file, a run paused in one process resumes in another.

Parallel calls: in one node they pause one after the other (one interrupt at a time, each with its
own id; all are in the queue at once). With `send_tool_calls` as the agent's conditional edge, each
call goes to its own task (LangGraph's ``Send``), and each held call pauses with its own interrupt
at the same time (LangGraph issue #6626 gave parallel interrupts one id).

Helpers: `hitl_interrupts` (the gate's interrupts of a result or state), `resume_command` (the
``Command`` that resumes the decided ones), `wait_for_decisions` and `invoke_with_approvals` (run,
wait for the person, resume, until done: for scripts and background threads).

LangGraph and LangChain are imported only when these are called.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..items.tool_call import ArgumentsError, Param, check_json_args, content_hash
from ..store import Action
from . import gate as _gate_mod
from .gate import Gate, GateError, GateOnMainThreadError, ToolCallRejected, Verdict, _Routed
from .pydantic_ai import params_from_json_schema

if TYPE_CHECKING:
    from langchain_core.messages import ToolMessage
    from langchain_core.tools import BaseTool
    from langgraph.types import Command, Interrupt

__all__ = [
    "INTERRUPT_TYPE",
    "call_id_of",
    "context_of",
    "gated_tool_node",
    "hitl_interrupts",
    "invoke_with_approvals",
    "resume_command",
    "send_tool_calls",
    "wait_for_decisions",
]

#: The ``type`` of the gate's interrupt values (other interrupts of a graph are left alone).
INTERRUPT_TYPE = "hitl_tool_call"
_SEND_TYPE = "tool_call_with_context"  # LangGraph's ToolCallWithContext (the Send payload of a tool call)


def call_id_of(thread_id: Any, tool_call_id: str) -> str:
    """The gate's id of a tool call: the LangGraph thread's id and the model's tool call id."""
    return f"{thread_id}/{tool_call_id}"


def context_of(messages: Sequence[Any] | None) -> list[dict[str, str]] | None:
    """LangChain messages as the role/content messages the approval queue shows."""
    if not messages:
        return None
    roles = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool"}
    out = []
    for m in messages:
        role = roles.get(getattr(m, "type", ""), str(getattr(m, "type", "")))
        content = getattr(m, "content", "")
        if not isinstance(content, str):
            content = "\n".join(
                c if isinstance(c, str) else str(c.get("text", "")) if isinstance(c, Mapping) else str(c)
                for c in content
            )
        calls = getattr(m, "tool_calls", None) or []
        if calls:
            shown = "; ".join(
                f"calls {c.get('name')}({json.dumps(c.get('args'), ensure_ascii=False, default=str)})"
                for c in calls
            )
            content = f"{content}\n{shown}" if content else shown
        if role == "tool" and getattr(m, "name", None):
            content = f"{m.name}: {content}"
        out.append({"role": role, "content": content})
    return out or None


def _as_tool(t: Any) -> BaseTool:
    from langchain_core.tools import BaseTool, tool

    return t if isinstance(t, BaseTool) else tool(t)


def _schema_of(t: BaseTool) -> dict[str, Any]:
    schema = t.tool_call_schema
    if isinstance(schema, dict):
        return schema
    if hasattr(schema, "model_json_schema"):
        out: dict[str, Any] = schema.model_json_schema()
        return out
    return {}  # pragma: no cover - pydantic v1 schemas


def _validated(t: BaseTool, args: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments as the tool's schema takes them (defaults filled in, values coerced), as JSON:
    what is shown is what runs."""
    schema = t.tool_call_schema
    if isinstance(schema, type) and hasattr(schema, "model_validate"):
        model = schema.model_validate(dict(args))
        out: dict[str, Any] = model.model_dump(mode="json")
        return check_json_args(out)
    return check_json_args(args)


def _state_messages(state: Any, key: str) -> list[Any]:
    if isinstance(state, Mapping):
        return list(state.get(key) or [])
    if isinstance(state, list):
        return state
    return list(getattr(state, key, None) or [])


def _last_ai_calls(messages: Sequence[Any]) -> list[dict[str, Any]]:
    for m in reversed(messages):
        if getattr(m, "type", None) == "ai":
            return [dict(c) for c in (getattr(m, "tool_calls", None) or [])]
    return []


def gated_tool_node(
    gate: Gate, tools: Iterable[Any], *, messages_key: str = "messages", handle_tool_errors: bool = True
) -> Callable[[Any], Any]:
    """The tool node of a LangGraph agent, gated: ``builder.add_node("tools", gated_tool_node(gate,
    [pay, lookup]))``. `tools` are LangChain tools (``@tool``) or plain functions.

    The node takes the graph state (the tool calls of its last AI message), or one tool call sent
    by `send_tool_calls`, and returns ``{messages_key: [ToolMessage, ...]}`` (a list of
    ToolMessages when the state is a list of messages). It needs a checkpointer and a
    ``thread_id`` in the run's config (the call ids are namespaced by it). A tool that fails
    returns the error as its message (``handle_tool_errors=False``: raises), recorded as a failed
    execution either way."""
    by_name = {bt.name: bt for bt in (_as_tool(t) for t in tools)}
    params = {name: params_from_json_schema(_schema_of(bt)) for name, bt in by_name.items()}

    def tools_node(state: Any) -> Any:
        from langgraph.config import get_config

        config = get_config()
        thread = (config.get("configurable") or {}).get("thread_id")
        if thread is None:
            raise GateError(
                "a gated tool node needs a checkpointer and a thread_id in the run's config "
                "({'configurable': {'thread_id': ...}}): held calls are resumed by it"
            )
        if isinstance(state, Mapping) and state.get("__type") == _SEND_TYPE:
            calls = [dict(state["tool_call"])]
            messages = _state_messages(state.get("state") or {}, messages_key)
        else:
            messages = _state_messages(state, messages_key)
            calls = _last_ai_calls(messages)
        out = _run_calls(
            gate, by_name, params, calls, thread, context_of(messages), config, handle_tool_errors
        )
        return out if isinstance(state, list) else {messages_key: out}

    tools_node.__name__ = "tools"
    return tools_node


def _tool_message(content: Any, call: Mapping[str, Any], status: str = "success") -> ToolMessage:
    from langchain_core.messages import ToolMessage

    if not isinstance(content, (str, list)):
        content = json.dumps(content, ensure_ascii=False, default=str)
    return ToolMessage(
        content=content, tool_call_id=str(call.get("id")), name=call.get("name"), status=status
    )


def _run_calls(
    gate: Gate,
    by_name: Mapping[str, BaseTool],
    params: Mapping[str, list[Param]],
    calls: Sequence[dict[str, Any]],
    thread: Any,
    context: list[dict[str, str]] | None,
    config: Any,
    handle_tool_errors: bool,
) -> list[Any]:
    from langgraph.types import interrupt

    out: list[Any] = [None] * len(calls)
    routed: dict[int, _Routed] = {}
    # 1. route every call (committed before anything is shown or run)
    for i, tc in enumerate(calls):
        name, tc_id = tc.get("name"), tc.get("id")
        if not tc_id:
            raise GateError(f"a tool call of {name!r} without an id cannot be gated (nor resumed)")
        bt = by_name.get(str(name))
        if bt is None:
            out[i] = _tool_message(
                f"Error: {name!r} is not a valid tool, try one of [{', '.join(by_name)}].", tc, "error"
            )
            continue
        try:
            args = _validated(bt, tc.get("args") or {})
        except (ArgumentsError, ValueError, TypeError) as exc:
            out[i] = _tool_message(f"Error: invalid arguments for {name!r}: {exc}", tc, "error")
            continue
        cid = call_id_of(thread, str(tc_id))
        r = gate.route(str(name), args, call_id=cid, context=context, params=params[str(name)])
        if r.call.tool != name or r.call.args_hash != content_hash(str(name), args):
            raise GateError(
                f"tool call {tc_id!r} of thread {thread!r} was routed before as another call "
                f"({r.call.tool} {r.call.args}); nothing was run"
            )
        routed[i] = r
    # 2. run what may run now: let through, or decided; 3. pause for the rest, one at a time
    undecided = []
    for i, r in routed.items():
        v = r.verdict if not r.held else gate.verdict(r.call_id)
        if v is None:
            undecided.append(i)
        else:
            out[i] = _settle(gate, by_name[r.call.tool], r, v, calls[i], config, handle_tool_errors)
    for i in undecided:
        r = routed[i]
        v = gate.verdict(r.call_id)
        while v is None:  # a resume without a decision in the store runs nothing: pause again
            interrupt(_payload(gate, r, calls[i]))
            v = gate.verdict(r.call_id)
        out[i] = _settle(gate, by_name[r.call.tool], r, v, calls[i], config, handle_tool_errors)
    return out


def _payload(gate: Gate, r: _Routed, tc: Mapping[str, Any]) -> dict[str, Any]:
    c = r.call
    return {
        "type": INTERRUPT_TYPE,
        "task": gate.task,
        "call_id": c.call_id,
        "tool_call_id": tc.get("id"),
        "tool": c.tool,
        "args": c.args,
        "args_hash": c.args_hash,
        "reasons": list(c.reasons),
        "two_person": c.two_person,
    }


def _execution(gate: Gate, call_id: str) -> dict[str, Any] | None:
    return next(
        (e for e in gate.store.item_events(gate.task, call_id) if e["action"] == Action.EXECUTE), None
    )


def _settle(
    gate: Gate,
    bt: BaseTool,
    r: _Routed,
    v: Verdict,
    tc: Mapping[str, Any],
    config: Any,
    handle_tool_errors: bool,
) -> Any:
    """The ToolMessage of a decided call: its recorded result when it ran before; else run it
    (an approval of exactly the arguments that run) or return the person's reason or answer."""
    from langchain_core.messages import ToolMessage
    from langgraph.errors import GraphBubbleUp

    if not v.approved:
        if v.outcome == "rejected" and gate.on_reject == "raise":
            raise ToolCallRejected(r.call_id, r.call.tool, v.text or "")
        return _tool_message(v.message(), tc, "error" if v.outcome == "rejected" else "success")
    done = _execution(gate, r.call_id)
    if done is not None:  # ran before this (re-)execution of the node: never twice
        data = done.get("data") or {}
        if data.get("ok"):
            return _tool_message(data.get("result") if data.get("result") is not None else "", tc)
        return _tool_message(f"Error: {data.get('error')}", tc, "error")
    if v.args is None or content_hash(r.call.tool, v.args) != v.args_hash:
        raise GateError(
            f"call {r.call_id!r}: the arguments to run are not the approved ones; nothing was run"
        )
    try:
        result = bt.invoke(
            {"type": "tool_call", "name": r.call.tool, "args": dict(v.args), "id": tc.get("id")}, config
        )
    except GraphBubbleUp:
        raise  # an interrupt inside the tool: LangGraph's, not a failure
    except Exception as exc:
        gate.record_execution(r.call_id, v, ok=False, error=f"{type(exc).__name__}: {exc}")
        if not handle_tool_errors:
            raise
        return _tool_message(f"Error: {type(exc).__name__}: {exc}", tc, "error")
    if not isinstance(result, ToolMessage):
        gate.record_execution(r.call_id, v, ok=False, error=f"the tool returned {type(result).__name__}")
        raise GateError(
            f"tool {r.call.tool!r} returned {type(result).__name__}, not a ToolMessage "
            "(a gated tool node does not apply Commands)"
        )
    gate.record_execution(
        r.call_id,
        v,
        ok=result.status != "error",
        result=result.content,
        error=str(result.content) if result.status == "error" else None,
    )
    return result


def send_tool_calls(
    node: str = "tools", *, messages_key: str = "messages", otherwise: str | None = None
) -> Callable[[Any], Any]:
    """A conditional edge that sends each tool call of the last AI message to `node` as its own
    task (LangGraph's ``Send``): each held call then pauses with its own interrupt, all at once.
    Without tool calls it goes to `otherwise` (default ``END``).

    >>> builder.add_conditional_edges("agent", send_tool_calls("tools"), ["tools", END])  # doctest: +SKIP
    """

    def route(state: Any) -> Any:
        from langgraph.graph import END
        from langgraph.types import Send

        messages = _state_messages(state, messages_key)
        calls = _last_ai_calls(messages)
        if not calls:
            return otherwise if otherwise is not None else END
        return [
            Send(node, {"__type": _SEND_TYPE, "tool_call": c, "state": {messages_key: messages}})
            for c in calls
        ]

    return route


# -- driving a paused graph -----------------------------------------------------------------------------


def hitl_interrupts(result: Any) -> list[Interrupt]:
    """The gate's interrupts of a graph's result (``graph.invoke(...)``'s dict with
    ``__interrupt__``), state (``graph.get_state(config)``) or a list of interrupts."""
    if isinstance(result, Mapping):
        found = result.get("__interrupt__") or ()
    elif hasattr(result, "interrupts"):
        found = result.interrupts
    else:
        found = result or ()
    return [
        i
        for i in found
        if isinstance(getattr(i, "value", None), Mapping) and i.value.get("type") == INTERRUPT_TYPE
    ]


def resume_command(gate: Gate, interrupts: Any, *, decided_only: bool = True) -> Command[Any] | None:
    """The ``Command`` that resumes the paused calls a person decided (all of them with
    ``decided_only=False``: the undecided ones pause again): one resume value per interrupt id.
    The value is informational (the call id and its outcome): the node reads the decision from
    the store. None when there is nothing to resume."""
    from langgraph.types import Command

    resume = {}
    for i in hitl_interrupts(interrupts):
        v = gate.verdict(i.value["call_id"])
        if v is None and decided_only:
            continue
        resume[i.id] = {"call_id": i.value["call_id"], "outcome": None if v is None else v.outcome}
    return Command(resume=resume) if resume else None


def wait_for_decisions(gate: Gate, interrupts: Any, *, timeout: float | None = None) -> dict[str, Verdict]:
    """Block until each paused call is decided (or the gate's timeout rejects it): ``{call_id:
    Verdict}``. Never on a kernel's main thread (`GateOnMainThreadError`)."""
    return {
        i.value["call_id"]: gate.wait(i.value["call_id"], timeout=timeout)
        for i in hitl_interrupts(interrupts)
    }


def invoke_with_approvals(
    graph: Any,
    input: Any,
    config: Mapping[str, Any],
    gate: Gate,
    *,
    timeout: float | None = None,
    max_rounds: int = 100,
    **kwargs: Any,
) -> Any:
    """``graph.invoke`` until the graph no longer pauses at the gate's calls: after each pause,
    wait for the person's decisions and resume with them. Returns the last ``invoke`` result (a
    graph paused by other interrupts is returned as it is). Blocks: run it off a kernel's main
    thread (`run_in_background`)."""
    if _gate_mod._in_kernel_main_thread():
        raise GateOnMainThreadError(
            "invoke_with_approvals would block the kernel's main thread while a "
            "person decides: run it with hw.run_in_background(...)"
        )
    result = graph.invoke(input, config, **kwargs)
    for _ in range(max_rounds):
        pending = hitl_interrupts(graph.get_state(config))
        if not pending:
            return result
        wait_for_decisions(gate, pending, timeout=timeout)
        command = resume_command(gate, pending)
        if command is None:  # pragma: no cover - wait() returns only decided calls
            raise GateError("no decision to resume with")
        result = graph.invoke(command, config, **kwargs)
    raise GateError(f"the graph still pauses at held calls after {max_rounds} rounds")
