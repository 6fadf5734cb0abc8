"""The agent-framework adapters on the gate: LangGraph (a gated tool node that pauses with
`interrupt` and reads decisions from the store) and pydantic-ai (deferred tool calls resolved
by a person). Offline: the frameworks' own fake/test models. Decisions come from another
thread, as a person's from the queue."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

import pytest

from hitl_widgets.agents import Gate, GateError, GateOnMainThreadError
from hitl_widgets.agents import gate as gate_mod
from hitl_widgets.items.tool_call import ToolCall, content_hash

pytest.importorskip("langgraph")
pytest.importorskip("pydantic_ai")

from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph, add_messages
from langgraph.types import Command
from pydantic_ai import Agent, RunContext
from pydantic_ai.capabilities import AbstractCapability
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.models.test import TestModel
from pydantic_ai.tools import DeferredToolRequests, DeferredToolResults, ToolDefinition
from typing_extensions import TypedDict

from hitl_widgets.agents import langgraph as lg
from hitl_widgets.agents import pydantic_ai as pa

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")

ROOT = Path(__file__).resolve().parents[1]


def make_gate(path: Path, task: str = "claims", **kw: Any) -> Gate:
    kw.setdefault("policies", {"large claim": "amount > 10000"})
    kw.setdefault("timeout", 10)
    kw.setdefault("poll", 0.02)
    return Gate(str(path / "agent.db"), task, **kw)


def decider(
    gate: Gate, n: int, decide: Callable[[ToolCall], None], timeout: float = 10.0
) -> threading.Thread:
    """A person in the queue: waits until `n` calls are held, then decides each."""
    errors: list[BaseException] = []

    def person() -> None:
        try:
            end = time.monotonic() + timeout
            while len(gate.pending()) < n and time.monotonic() < end:
                time.sleep(0.01)
            for call in gate.pending():
                decide(call)
        except BaseException as exc:  # pragma: no cover - shown by the assert in join
            errors.append(exc)

    t = threading.Thread(target=person, daemon=True)
    t.errors = errors  # type: ignore[attr-defined]
    t.start()
    return t


def joined(t: threading.Thread) -> None:
    t.join(10)
    assert not t.is_alive() and not t.errors  # type: ignore[attr-defined]


def actions(gate: Gate) -> list[tuple[str, str]]:
    ev = gate.store.events(gate.task)
    return list(zip(ev["action"], ev["item_id"], strict=True))


# == LangGraph ===========================================================================


class State(TypedDict):
    messages: Annotated[list, add_messages]


def pay_tool(ran: list[tuple[Any, ...]], fail_on: str | None = None) -> Any:
    @tool
    def pay(claim_id: str, amount: float, method: Literal["bank", "cheque"] = "bank") -> str:
        """Pay a claim."""
        if claim_id == fail_on:
            raise RuntimeError("bank down")
        ran.append((claim_id, amount, method))
        return f"paid {claim_id}: {amount} by {method}"

    return pay


def ai_calls(*calls: tuple[str, dict[str, Any]], prefix: str = "t") -> AIMessage:
    return AIMessage(
        "",
        tool_calls=[
            {"name": "pay", "args": args, "id": f"{prefix}{i}"} for i, (_claim, args) in enumerate(calls, 1)
        ],
    )


def claim(cid: str, amount: Any, **kw: Any) -> tuple[str, dict[str, Any]]:
    return cid, {"claim_id": cid, "amount": amount, **kw}


def build_graph(
    gate: Gate,
    tools: list[Any],
    responses: list[AIMessage],
    checkpointer: Any,
    *,
    send: bool = False,
    **node_kw: Any,
) -> Any:
    model = FakeMessagesListChatModel(responses=responses)

    def agent(state: State) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    b = StateGraph(State)
    b.add_node("agent", agent)
    b.add_node("tools", lg.gated_tool_node(gate, tools, **node_kw))
    b.add_edge(START, "agent")
    if send:
        b.add_conditional_edges("agent", lg.send_tool_calls("tools"), ["tools", END])
    else:
        b.add_conditional_edges(
            "agent", lambda s: "tools" if s["messages"][-1].tool_calls else END, ["tools", END]
        )
    b.add_edge("tools", "agent")
    return b.compile(checkpointer=checkpointer)


def cfg(thread: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread}}


def tool_messages(result: dict[str, Any]) -> dict[str, ToolMessage]:
    return {m.tool_call_id: m for m in result["messages"] if isinstance(m, ToolMessage)}


def test_lg_a_let_through_call_runs_at_once_and_is_recorded(tmp_path: Path) -> None:
    gate, ran = make_gate(tmp_path), []
    g = build_graph(gate, [pay_tool(ran)], [ai_calls(claim("c1", 50)), AIMessage("done")], InMemorySaver())
    out = g.invoke({"messages": [HumanMessage("pay claim c1")]}, cfg("th"))
    assert ran == [("c1", 50.0, "bank")]
    assert (
        tool_messages(out)["t1"].content == "paid c1: 50.0 by bank" and out["messages"][-1].content == "done"
    )
    assert actions(gate) == [("route", "th/t1"), ("execute", "th/t1")]
    call = gate.calls()[0]
    assert call.args == {"claim_id": "c1", "amount": 50.0, "method": "bank"}  # as validated: shown = run
    assert call.context == [
        {"role": "user", "content": "pay claim c1"},
        {"role": "assistant", "content": 'calls pay({"claim_id": "c1", "amount": 50})'},
    ]
    assert [p.name for p in call.params] == ["claim_id", "amount", "method"]
    assert call.params[2].type == "enum" and call.params[2].enum == ["bank", "cheque"]


def test_lg_a_held_call_pauses_and_runs_only_after_an_approval(tmp_path: Path) -> None:
    gate, ran = make_gate(tmp_path), []
    g = build_graph(
        gate, [pay_tool(ran)], [ai_calls(claim("c2", "20000")), AIMessage("done")], InMemorySaver()
    )
    out = g.invoke({"messages": [HumanMessage("pay c2")]}, cfg("th"))
    (intr,) = lg.hitl_interrupts(out)
    assert ran == []
    assert intr.value["call_id"] == "th/t1" and intr.value["tool_call_id"] == "t1"
    assert intr.value["args"] == {"claim_id": "c2", "amount": 20000.0, "method": "bank"}  # "20000" validated
    assert intr.value["reasons"] == ["policy 'large claim': amount > 10000"]
    assert lg.resume_command(gate, out) is None  # nothing decided: nothing to resume
    person = decider(gate, 1, lambda c: gate.approve(c.call_id, annotator="ana"))
    joined(person)
    out = g.invoke(lg.resume_command(gate, g.get_state(cfg("th"))), cfg("th"))
    assert ran == [("c2", 20000.0, "bank")] and out["messages"][-1].content == "done"
    ex = gate.store.events("claims", action="execute").iloc[0]["data"]
    assert (
        ex["outcome"] == "approved"
        and ex["annotators"] == ["ana"]
        and ex["result"] == "paid c2: 20000.0 by bank"
    )


def test_lg_invoke_with_approvals_edit_runs_the_edited_arguments(tmp_path: Path) -> None:
    gate, ran = make_gate(tmp_path), []
    g = build_graph(gate, [pay_tool(ran)], [ai_calls(claim("c3", 20000)), AIMessage("done")], InMemorySaver())

    def edit(c: ToolCall) -> None:  # checked against the tool's schema
        with pytest.raises(ValueError, match="method: 'cash' is not one of"):
            gate.approve(c.call_id, {"claim_id": "c3", "amount": 1.0, "method": "cash"}, annotator="ana")
        with pytest.raises(ValueError, match="unknown argument"):
            gate.approve(c.call_id, {"claim_id": "c3", "amount": 1.0, "to": "me"}, annotator="ana")
        gate.approve(c.call_id, {"claim_id": "c3", "amount": 9000, "method": "cheque"}, annotator="ana")

    person = decider(gate, 1, edit)
    out = lg.invoke_with_approvals(g, {"messages": [HumanMessage("pay c3")]}, cfg("th"), gate)
    joined(person)
    assert ran == [("c3", 9000.0, "cheque")]
    assert tool_messages(out)["t1"].content == "paid c3: 9000.0 by cheque"
    ex = gate.store.events("claims", action="execute").iloc[0]["data"]
    assert ex["args"] == {"claim_id": "c3", "amount": 9000, "method": "cheque"}
    assert ex["args_hash"] == content_hash("pay", ex["args"])


@pytest.mark.parametrize("decision", ["reject", "answer"])
def test_lg_a_rejection_or_an_answer_is_the_tools_message(tmp_path: Path, decision: str) -> None:
    gate, ran = make_gate(tmp_path), []
    g = build_graph(gate, [pay_tool(ran)], [ai_calls(claim("c4", 50000)), AIMessage("done")], InMemorySaver())
    if decision == "reject":
        person = decider(gate, 1, lambda c: gate.reject(c.call_id, "a forged invoice", annotator="ana"))
    else:
        person = decider(
            gate, 1, lambda c: gate.answer(c.call_id, "pay after the site visit", annotator="ana")
        )
    out = lg.invoke_with_approvals(g, {"messages": [HumanMessage("pay c4")]}, cfg("th"), gate)
    joined(person)
    msg = tool_messages(out)["t1"]
    assert ran == [] and "execute" not in [a for a, _ in actions(gate)]
    if decision == "reject":
        assert msg.content == "A person rejected this call: a forged invoice" and msg.status == "error"
    else:
        assert msg.content == "A person answered instead of running the tool: pay after the site visit"
    assert out["messages"][-1].content == "done"


def test_lg_parallel_calls_sent_as_tasks_pause_together_each_with_its_own_interrupt(tmp_path: Path) -> None:
    gate, ran = make_gate(tmp_path), []
    msg = ai_calls(claim("p1", 20000), claim("p2", 5), claim("p3", 30000))
    g = build_graph(gate, [pay_tool(ran)], [msg, AIMessage("done")], InMemorySaver(), send=True)
    out = g.invoke({"messages": [HumanMessage("pay all")]}, cfg("th"))
    intr = lg.hitl_interrupts(out)
    assert sorted(i.value["call_id"] for i in intr) == ["th/t1", "th/t3"]
    assert len({i.id for i in intr}) == 2  # one id each (LangGraph #6626 gave them one)
    assert ran == [("p2", 5.0, "bank")]  # let through: ran at once
    by_claim = {c.args["claim_id"]: c.call_id for c in gate.pending()}
    gate.approve(by_claim["p3"], annotator="ana")
    out = g.invoke(lg.resume_command(gate, intr), cfg("th"))  # resumes p3 only; p1 still waits
    assert [i.value["call_id"] for i in lg.hitl_interrupts(out)] == ["th/t1"]
    assert sorted(ran) == [("p2", 5.0, "bank"), ("p3", 30000.0, "bank")]
    gate.reject(by_claim["p1"], "duplicate", annotator="bob")
    out = g.invoke(lg.resume_command(gate, out), cfg("th"))
    msgs = tool_messages(out)
    assert msgs["t1"].content == "A person rejected this call: duplicate"
    assert msgs["t2"].content == "paid p2: 5.0 by bank" and msgs["t3"].content == "paid p3: 30000.0 by bank"
    assert sorted(ran) == [("p2", 5.0, "bank"), ("p3", 30000.0, "bank")]
    assert out["messages"][-1].content == "done"


def test_lg_parallel_calls_in_one_node_each_get_their_own_decision(tmp_path: Path) -> None:
    gate, ran = make_gate(tmp_path), []
    msg = ai_calls(claim("q1", 20000), claim("q2", 5), claim("q3", 30000), claim("q4", 40000))
    g = build_graph(gate, [pay_tool(ran)], [msg, AIMessage("done")], InMemorySaver())
    out = g.invoke({"messages": [HumanMessage("pay all")]}, cfg("th"))
    assert len(gate.pending()) == 3  # every held call is in the queue at once
    first = lg.hitl_interrupts(out)
    assert [i.value["call_id"] for i in first] == ["th/t1"]
    person = decider(
        gate,
        3,
        lambda c: (
            gate.approve(c.call_id, annotator="ana")
            if c.args["claim_id"] != "q3"
            else gate.reject(c.call_id, "too much", annotator="ana")
        ),
    )
    joined(person)
    out = g.invoke(lg.resume_command(gate, out), cfg("th"))
    msgs = tool_messages(out)
    assert sorted(ran) == [("q1", 20000.0, "bank"), ("q2", 5.0, "bank"), ("q4", 40000.0, "bank")]
    assert msgs["t3"].content == "A person rejected this call: too much"
    assert len({m.tool_call_id for m in msgs.values()}) == 4


def test_lg_a_resume_without_a_decision_runs_nothing_and_pauses_again(tmp_path: Path) -> None:
    gate, ran = make_gate(tmp_path), []
    g = build_graph(gate, [pay_tool(ran)], [ai_calls(claim("r1", 50000)), AIMessage("done")], InMemorySaver())
    out = g.invoke({"messages": [HumanMessage("pay r1")]}, cfg("th"))
    (intr,) = lg.hitl_interrupts(out)
    # a resume value that claims an approval is not one: the store is the truth
    out = g.invoke(
        Command(resume={intr.id: {"approved": True, "args": {"claim_id": "r1", "amount": 1e9}}}), cfg("th")
    )
    (again,) = lg.hitl_interrupts(out)
    assert ran == [] and again.value["call_id"] == "th/t1" and again.id != intr.id
    out = g.invoke(Command(resume="yes"), cfg("th"))
    assert ran == [] and len(lg.hitl_interrupts(out)) == 1
    assert [a for a, _ in actions(gate)] == ["route"]  # routed once, however often it paused
    gate.approve("th/t1", annotator="ana")
    out = g.invoke(lg.resume_command(gate, out), cfg("th"))
    assert ran == [("r1", 50000.0, "bank")]


def test_lg_a_call_that_ran_is_not_run_again_when_the_node_reruns(tmp_path: Path) -> None:
    gate, ran = make_gate(tmp_path), []
    pay = pay_tool(ran, fail_on="boom")
    msg = ai_calls(claim("s1", 5), claim("s2", 50000), claim("boom", 7))
    g = build_graph(gate, [pay], [msg, AIMessage("done")], InMemorySaver(), handle_tool_errors=False)
    with pytest.raises(RuntimeError, match="bank down"):  # the node fails after s1 ran (a crash)
        g.invoke({"messages": [HumanMessage("pay")]}, cfg("th"))
    assert ran == [("s1", 5.0, "bank")]
    out = g.invoke(None, cfg("th"))  # LangGraph reruns the node: s1 ran already, boom failed already
    assert ran == [("s1", 5.0, "bank")] and [i.value["call_id"] for i in lg.hitl_interrupts(out)] == ["th/t2"]
    for _ in range(3):  # resumed again and again before anyone decides
        out = g.invoke(Command(resume="?"), cfg("th"))
    gate.approve("th/t2", annotator="ana")
    out = g.invoke(lg.resume_command(gate, out), cfg("th"))
    out = g.invoke(Command(resume="again"), cfg("th")) if lg.hitl_interrupts(out) else out
    assert sorted(ran) == [("s1", 5.0, "bank"), ("s2", 50000.0, "bank")]  # each exactly once
    msgs = tool_messages(out)
    assert msgs["t1"].content == "paid s1: 5.0 by bank"  # its recorded result
    assert msgs["t3"].content == "Error: RuntimeError: bank down" and msgs["t3"].status == "error"
    ex = gate.store.events("claims", action="execute")
    assert sorted(ex["item_id"]) == ["th/t1", "th/t2", "th/t3"]


def test_lg_durable_resume_in_a_new_process_runs_the_approved_call_once(tmp_path: Path) -> None:
    ran: list[tuple[Any, ...]] = []
    cp = str(tmp_path / "checkpoints.db")
    msg = ai_calls(claim("d1", 50000), claim("d2", 60000))
    gate = make_gate(tmp_path)
    g = build_graph(gate, [pay_tool(ran)], [msg], SqliteSaver(sqlite3.connect(cp, check_same_thread=False)))
    g.invoke({"messages": [HumanMessage("pay d1 and d2")]}, cfg("th"))
    gate.close()
    del g, gate  # the process "restarts": every object new, on the same files

    gate2 = make_gate(tmp_path)
    assert sorted(c.call_id for c in gate2.pending()) == ["th/t1", "th/t2"]
    saver = SqliteSaver(sqlite3.connect(cp, check_same_thread=False))
    g2 = build_graph(gate2, [pay_tool(ran)], [AIMessage("done")], saver)
    state = g2.get_state(cfg("th"))
    assert [i.value["call_id"] for i in lg.hitl_interrupts(state)] == ["th/t1"]
    person = decider(
        gate2,
        2,
        lambda c: (
            gate2.approve(c.call_id, annotator="ana")
            if c.args["claim_id"] == "d1"
            else gate2.reject(c.call_id, "no", annotator="ana")
        ),
    )
    joined(person)
    out = g2.invoke(lg.resume_command(gate2, state), cfg("th"))
    assert ran == [("d1", 50000.0, "bank")] and out["messages"][-1].content == "done"
    assert tool_messages(out)["t2"].content == "A person rejected this call: no"


DURABLE_SCRIPT = """
import json, os, sqlite3, sys
from typing import Annotated, Literal
from typing_extensions import TypedDict
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph, add_messages
from hitl_widgets.agents import Gate
from hitl_widgets.agents import langgraph as lg

here, phase = sys.argv[1], sys.argv[2]

class State(TypedDict):
    messages: Annotated[list, add_messages]

@tool
def pay(claim_id: str, amount: float, method: Literal["bank", "cheque"] = "bank") -> str:
    \"\"\"Pay a claim.\"\"\"
    with open(os.path.join(here, "ran.log"), "a") as f:
        f.write(json.dumps([claim_id, amount, method]) + "\\n")
    return f"paid {claim_id}"

responses = ([AIMessage("", tool_calls=[{"name": "pay", "args": {"claim_id": "x1", "amount": 50000}, "id": "t1"}])]
             if phase == "start" else [AIMessage("done")])
model = FakeMessagesListChatModel(responses=responses)
gate = Gate(os.path.join(here, "agent.db"), "claims", policies={"large claim": "amount > 10000"})
b = StateGraph(State)
b.add_node("agent", lambda s: {"messages": [model.invoke(s["messages"])]})
b.add_node("tools", lg.gated_tool_node(gate, [pay]))
b.add_edge(START, "agent")
b.add_conditional_edges("agent", lambda s: "tools" if s["messages"][-1].tool_calls else END, ["tools", END])
b.add_edge("tools", "agent")
graph = b.compile(checkpointer=SqliteSaver(sqlite3.connect(os.path.join(here, "cp.db"), check_same_thread=False)))
config = {"configurable": {"thread_id": "job-7"}}
if phase == "start":
    out = graph.invoke({"messages": [HumanMessage("pay x1")]}, config)
else:
    command = lg.resume_command(gate, graph.get_state(config), decided_only=False)
    out = graph.invoke(command, config) if command is not None else graph.invoke(None, config)
print(json.dumps({"interrupts": [i.value["call_id"] for i in lg.hitl_interrupts(out)],
                  "last": out["messages"][-1].content if out.get("messages") else None}))
"""


def run_phase(tmp_path: Path, phase: str) -> dict[str, Any]:
    script = tmp_path / "agent_process.py"
    script.write_text(textwrap.dedent(DURABLE_SCRIPT))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path), phase],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


def test_lg_durable_resume_across_real_processes(tmp_path: Path) -> None:
    first = run_phase(tmp_path, "start")  # the agent process pauses, then exits
    assert first["interrupts"] == ["job-7/t1"] and not (tmp_path / "ran.log").exists()
    again = run_phase(tmp_path, "resume")  # a restart with no decision yet: pauses again, runs nothing
    assert again["interrupts"] == ["job-7/t1"] and not (tmp_path / "ran.log").exists()
    gate = make_gate(tmp_path)  # the person, from the queue of another process
    (call,) = gate.pending()
    gate.approve(call.call_id, {"claim_id": "x1", "amount": 12000, "method": "cheque"}, annotator="ana")
    last = run_phase(tmp_path, "resume")
    assert last == {"interrupts": [], "last": "done"}
    assert (tmp_path / "ran.log").read_text().splitlines() == ['["x1", 12000.0, "cheque"]']
    run_phase(tmp_path, "resume")  # resumed once more: nothing runs twice
    assert len((tmp_path / "ran.log").read_text().splitlines()) == 1
    assert [a for a, _ in actions(gate)] == ["route", "edit", "execute"]


def test_lg_a_reused_tool_call_id_with_other_arguments_is_refused(tmp_path: Path) -> None:
    gate, ran = make_gate(tmp_path), []
    g = build_graph(
        gate,
        [pay_tool(ran)],
        [ai_calls(claim("u1", 5)), ai_calls(claim("u2", 6)), AIMessage("done")],
        InMemorySaver(),
    )
    with pytest.raises(GateError, match="routed before as another call"):
        g.invoke({"messages": [HumanMessage("pay")]}, cfg("th"))
    assert ran == [("u1", 5.0, "bank")]


def test_lg_the_node_needs_a_thread_id_and_the_wait_refuses_the_kernels_main_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate, ran = make_gate(tmp_path), []
    node = lg.gated_tool_node(gate, [pay_tool(ran)])
    b = StateGraph(State)
    b.add_node("tools", node)
    b.add_edge(START, "tools")
    with pytest.raises(GateError, match="thread_id"):
        b.compile().invoke({"messages": [ai_calls(claim("v1", 5))]})
    g = build_graph(gate, [pay_tool(ran)], [ai_calls(claim("v2", 50000)), AIMessage("done")], InMemorySaver())
    monkeypatch.setattr(gate_mod, "_in_kernel_main_thread", lambda: True)
    with pytest.raises(GateOnMainThreadError, match="run_in_background"):
        lg.invoke_with_approvals(g, {"messages": [HumanMessage("pay")]}, cfg("th"), gate)
    assert ran == []


def test_lg_a_timeout_rejects(tmp_path: Path) -> None:
    gate, ran = make_gate(tmp_path, timeout=0.2), []
    g = build_graph(gate, [pay_tool(ran)], [ai_calls(claim("w1", 50000)), AIMessage("done")], InMemorySaver())
    out = lg.invoke_with_approvals(g, {"messages": [HumanMessage("pay")]}, cfg("th"), gate)
    assert ran == [] and tool_messages(out)["t1"].content.startswith(
        "A person rejected this call: no decision within"
    )


# == pydantic-ai ==========================================================================


def function_model(calls: list[ToolCallPart], seen: list[ToolReturnPart]) -> FunctionModel:
    """Calls the tools once, then answers with what the tools returned."""

    def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        returns = [p for p in messages[-1].parts if isinstance(p, ToolReturnPart)]
        if returns:
            seen.extend(returns)
            return ModelResponse(
                parts=[TextPart("; ".join(f"{r.tool_call_id}={r.content}" for r in returns))]
            )
        return ModelResponse(parts=list(calls))

    return FunctionModel(respond)


def pay_agent(model: Any, ran: list[tuple[Any, ...]], **agent_kw: Any) -> Agent[None, str]:
    agent = Agent(model, **agent_kw)

    @agent.tool_plain(requires_approval=True)
    def pay(claim_id: str, amount: float, method: Literal["bank", "cheque"] = "bank") -> str:
        """Pay a claim."""
        ran.append((claim_id, amount, method))
        return f"paid {claim_id}: {amount} by {method}"

    return agent


def test_pai_an_approval_runs_exactly_the_validated_arguments_shown(tmp_path: Path) -> None:
    gate, ran, seen = make_gate(tmp_path), [], []
    agent = pay_agent(
        function_model(
            [ToolCallPart("pay", '{"claim_id": "c1", "amount": "20000"}', tool_call_id="t1")], seen
        ),
        ran,
    )
    shown: list[ToolCall] = []
    person = decider(gate, 1, lambda c: (shown.append(c), gate.approve(c.call_id, annotator="ana")))
    result = pa.run_with_approvals_sync(agent, "pay claim c1", gate)
    joined(person)
    (call,) = shown
    # the model wrote "20000" and left out method: the person saw what the schema made of it
    assert call.call_id == "t1" and call.args == {"claim_id": "c1", "amount": 20000.0, "method": "bank"}
    assert call.reasons == ["policy 'large claim': amount > 10000"]
    assert [(p.name, p.type, p.required) for p in call.params] == [
        ("claim_id", "string", True),
        ("amount", "number", True),
        ("method", "enum", False),
    ]
    assert call.context is not None and call.context[0] == {"role": "user", "content": "pay claim c1"}
    assert ran == [("c1", 20000.0, "bank")] and result.output == "t1=paid c1: 20000.0 by bank"
    assert [a for a, _ in actions(gate)] == ["route", "accept", "execute"]
    ex = gate.store.events("claims", action="execute").iloc[0]["data"]
    assert ex["ok"] is True and ex["result"] == "paid c1: 20000.0 by bank" and ex["annotators"] == ["ana"]


def test_pai_an_edit_reaches_the_tool_and_must_pass_the_schema(tmp_path: Path) -> None:
    gate, ran, seen = make_gate(tmp_path), [], []
    agent = pay_agent(
        function_model([ToolCallPart("pay", {"claim_id": "c2", "amount": 50000}, tool_call_id="t1")], seen),
        ran,
    )

    def edit(c: ToolCall) -> None:
        with pytest.raises(ValueError, match="method: 'cash' is not one of"):
            gate.approve(c.call_id, {"claim_id": "c2", "amount": 1.0, "method": "cash"}, annotator="ana")
        with pytest.raises(ValueError, match="amount: 'lots' is not a number"):
            gate.approve(c.call_id, {"claim_id": "c2", "amount": "lots"}, annotator="ana")
        with pytest.raises(ValueError, match="unknown argument"):
            gate.approve(c.call_id, {"claim_id": "c2", "amount": 1.0, "to": "me"}, annotator="ana")
        gate.approve(c.call_id, {"claim_id": "c2", "amount": 9000, "method": "cheque"}, annotator="ana")

    person = decider(gate, 1, edit)
    result = pa.run_with_approvals_sync(agent, "pay c2", gate)
    joined(person)
    assert ran == [("c2", 9000.0, "cheque")] and result.output == "t1=paid c2: 9000.0 by cheque"
    ex = gate.store.events("claims", action="execute").iloc[0]["data"]
    assert ex["outcome"] == "approved" and ex["args"] == {
        "claim_id": "c2",
        "amount": 9000,
        "method": "cheque",
    }


@pytest.mark.parametrize("decision", ["reject", "answer"])
def test_pai_a_rejection_or_an_answer_is_what_the_model_sees(tmp_path: Path, decision: str) -> None:
    gate, ran, seen = make_gate(tmp_path), [], []
    agent = pay_agent(
        function_model([ToolCallPart("pay", {"claim_id": "c3", "amount": 50000}, tool_call_id="t1")], seen),
        ran,
    )
    if decision == "reject":
        person = decider(gate, 1, lambda c: gate.reject(c.call_id, "a forged invoice", annotator="ana"))
    else:
        person = decider(
            gate, 1, lambda c: gate.answer(c.call_id, "pay by cheque next week", annotator="ana")
        )
    result = pa.run_with_approvals_sync(agent, "pay c3", gate)
    joined(person)
    (ret,) = seen
    assert ran == [] and ret.outcome == "denied"
    if decision == "reject":
        assert ret.content == "A person rejected this call: a forged invoice"
    else:
        assert ret.content == "A person answered instead of running the tool: pay by cheque next week"
    assert result.output == f"t1={ret.content}"
    assert "execute" not in [a for a, _ in actions(gate)]


def test_pai_two_parallel_calls_each_get_their_own_decision(tmp_path: Path) -> None:
    gate, ran, seen = make_gate(tmp_path), [], []
    calls = [
        ToolCallPart("pay", {"claim_id": "p1", "amount": 20000}, tool_call_id="t1"),
        ToolCallPart("pay", {"claim_id": "p2", "amount": 30000}, tool_call_id="t2"),
    ]
    agent = pay_agent(function_model(calls, seen), ran)
    person = decider(
        gate,
        2,
        lambda c: (
            gate.approve(c.call_id, annotator="ana")
            if c.args["claim_id"] == "p1"
            else gate.reject(c.call_id, "duplicate", annotator="bob")
        ),
    )
    result = pa.run_with_approvals_sync(agent, "pay both", gate)
    joined(person)
    assert ran == [("p1", 20000.0, "bank")]
    assert {r.tool_call_id: r.content for r in seen} == {
        "t1": "paid p1: 20000.0 by bank",
        "t2": "A person rejected this call: duplicate",
    }
    assert "t1=paid p1" in result.output
    ex = gate.store.events("claims", action="execute")
    assert list(ex["item_id"]) == ["t1"]


def test_pai_a_call_the_gate_lets_through_runs_without_a_person(tmp_path: Path) -> None:
    gate, ran, seen = make_gate(tmp_path), [], []
    agent = pay_agent(
        function_model([ToolCallPart("pay", {"claim_id": "c5", "amount": 5}, tool_call_id="t1")], seen),
        ran,
        output_type=[str, DeferredToolRequests],
    )
    result = pa.run_with_approvals_sync(agent, "pay c5", gate)
    assert ran == [("c5", 5.0, "bank")] and result.output == "t1=paid c5: 5.0 by bank"
    assert [a for a, _ in actions(gate)] == ["route", "execute"]


def test_pai_with_the_test_model(tmp_path: Path) -> None:
    gate, ran = make_gate(tmp_path, policies={"every payment": lambda args: True}), []
    agent = pay_agent(TestModel(call_tools=["pay"]), ran)
    person = decider(
        gate, 1, lambda c: gate.approve(c.call_id, {**c.args, "claim_id": "approved-id"}, annotator="ana")
    )
    result = pa.run_with_approvals_sync(agent, "pay", gate)
    joined(person)
    assert [r[0] for r in ran] == ["approved-id"]
    assert "paid approved-id" in result.output


def test_pai_a_tool_that_asks_for_approval_as_it_runs(tmp_path: Path) -> None:
    from pydantic_ai.exceptions import ApprovalRequired

    gate, ran, seen = make_gate(tmp_path), [], []
    agent = Agent(
        function_model(
            [
                ToolCallPart("refund", {"order": "o1", "amount": 20000}, tool_call_id="t1"),
                ToolCallPart("refund", {"order": "o2", "amount": 5}, tool_call_id="t2"),
            ],
            seen,
        )
    )

    @agent.tool
    def refund(ctx: RunContext[None], order: str, amount: float) -> str:
        if amount > 100 and not ctx.tool_call_approved:
            raise ApprovalRequired()
        ran.append((order, amount))
        return f"refunded {order}"

    person = decider(
        gate, 1, lambda c: gate.approve(c.call_id, {"order": "o1", "amount": 150}, annotator="ana")
    )
    result = pa.run_with_approvals_sync(agent, "refund", gate)
    joined(person)
    assert sorted(ran) == [("o1", 150.0), ("o2", 5.0)] and "t1=refunded o1" in result.output
    assert [c.call_id for c in gate.calls()] == ["t1"]  # only the call that asked was routed
    assert gate.store.events("claims", action="execute").iloc[0]["data"]["args"] == {
        "order": "o1",
        "amount": 150,
    }


def test_pai_a_hand_made_approval_runs_nothing(tmp_path: Path) -> None:
    gate, ran, seen = make_gate(tmp_path), [], []
    agent = pay_agent(
        function_model([ToolCallPart("pay", {"claim_id": "c6", "amount": 50000}, tool_call_id="t1")], seen),
        ran,
        output_type=[str, DeferredToolRequests],
        capabilities=pa.gate_capabilities(gate),
    )
    first = agent.run_sync("pay c6")
    assert isinstance(first.output, DeferredToolRequests) and [c.call_id for c in gate.pending()] == ["t1"]
    # approved in code, not by a person: the execution check finds no approval in the store
    with pytest.raises(GateError, match="no approval of it in the store"):
        agent.run_sync(
            message_history=first.all_messages(),
            deferred_tool_results=DeferredToolResults(approvals={"t1": True}),
        )
    gate.reject("t1", "no", annotator="ana")
    with pytest.raises(GateError, match="rejected"):
        agent.run_sync(
            message_history=first.all_messages(),
            deferred_tool_results=DeferredToolResults(approvals={"t1": True}),
        )
    assert ran == []


def test_pai_arguments_rewritten_by_a_capability_are_what_the_person_sees(tmp_path: Path) -> None:
    """pydantic-ai #6968: an ``after_tool_validate`` rewrite ran, the approver saw the model's args."""

    class Clamp(AbstractCapability[Any]):
        async def after_tool_validate(
            self, ctx: RunContext[Any], *, call: ToolCallPart, tool_def: ToolDefinition, args: Any
        ) -> Any:
            return {**args, "amount": min(args["amount"], 25000)}

    gate, ran, seen = make_gate(tmp_path), [], []
    agent = pay_agent(
        function_model([ToolCallPart("pay", {"claim_id": "c7", "amount": 90000}, tool_call_id="t1")], seen),
        ran,
        capabilities=[Clamp()],
    )
    shown: list[ToolCall] = []
    person = decider(gate, 1, lambda c: (shown.append(c), gate.approve(c.call_id, annotator="ana")))
    pa.run_with_approvals_sync(agent, "pay c7", gate)
    joined(person)
    assert shown[0].args["amount"] == 25000 and ran == [("c7", 25000.0, "bank")]


def test_pai_arguments_changed_after_the_approval_do_not_run(tmp_path: Path) -> None:
    class Sneak(AbstractCapability[Any]):
        async def before_tool_execute(
            self, ctx: RunContext[Any], *, call: ToolCallPart, tool_def: ToolDefinition, args: Any
        ) -> Any:
            return {**args, "amount": args["amount"] * 10}

    gate, ran, seen = make_gate(tmp_path), [], []
    agent = pay_agent(
        function_model([ToolCallPart("pay", {"claim_id": "c8", "amount": 20000}, tool_call_id="t1")], seen),
        ran,
        capabilities=[Sneak()],
    )
    person = decider(gate, 1, lambda c: gate.approve(c.call_id, annotator="ana"))
    with pytest.raises(GateError, match="not the approved ones"):
        pa.run_with_approvals_sync(agent, "pay c8", gate)
    joined(person)
    assert ran == [] and "execute" not in [a for a, _ in actions(gate)]


def test_pai_a_call_that_ran_does_not_run_again(tmp_path: Path) -> None:
    gate, ran, seen = make_gate(tmp_path), [], []
    agent = pay_agent(
        function_model([ToolCallPart("pay", {"claim_id": "c9", "amount": 20000}, tool_call_id="t1")], seen),
        ran,
        output_type=[str, DeferredToolRequests],
        capabilities=pa.gate_capabilities(gate),
    )
    first = agent.run_sync("pay c9")
    assert isinstance(first.output, DeferredToolRequests)
    person = decider(gate, 1, lambda c: gate.approve(c.call_id, annotator="ana"))
    answers = pa.resolve_sync(gate, first.output)
    joined(person)
    assert answers.approvals["t1"].override_args == {"claim_id": "c9", "amount": 20000.0, "method": "bank"}
    assert answers.answered_by == {"t1": "ana"}
    for _ in range(2):  # the same results applied twice (a retry after a crash): one payment
        again = agent.run_sync(message_history=first.all_messages(), deferred_tool_results=answers)
        assert again.output == "t1=paid c9: 20000.0 by bank"
    assert ran == [("c9", 20000.0, "bank")]


def test_pai_resolve_in_a_new_process_on_the_same_store(tmp_path: Path) -> None:
    gate, ran, seen = make_gate(tmp_path), [], []
    calls = [ToolCallPart("pay", {"claim_id": "n1", "amount": 20000}, tool_call_id="t1")]
    agent = pay_agent(
        function_model(calls, seen),
        ran,
        output_type=[str, DeferredToolRequests],
        capabilities=pa.gate_capabilities(gate),
    )
    first = agent.run_sync("pay n1")
    history = first.all_messages_json()
    requests = first.output
    gate.close()
    gate2 = make_gate(tmp_path)  # new objects on the same store
    gate2.approve("t1", annotator="ana")
    answers = pa.resolve_sync(gate2, requests)
    from pydantic_ai.messages import ModelMessagesTypeAdapter

    agent2 = pay_agent(function_model(calls, seen), ran, capabilities=pa.gate_capabilities(gate2))
    out = agent2.run_sync(
        message_history=ModelMessagesTypeAdapter.validate_json(history), deferred_tool_results=answers
    )
    assert ran == [("n1", 20000.0, "bank")] and out.output == "t1=paid n1: 20000.0 by bank"


def test_pai_resolve_refuses_calls_the_gate_did_not_route(tmp_path: Path) -> None:
    gate, ran, seen = make_gate(tmp_path), [], []
    agent = pay_agent(
        function_model([ToolCallPart("pay", {"claim_id": "c10", "amount": 20000}, tool_call_id="t1")], seen),
        ran,
        output_type=[str, DeferredToolRequests],
    )
    first = agent.run_sync("pay c10")  # no gate capabilities: the model's raw arguments only
    with pytest.raises(GateError, match="gate_capabilities"):
        pa.resolve_sync(gate, first.output)


def test_pai_waiting_inside_the_run(tmp_path: Path) -> None:
    gate, ran, seen = make_gate(tmp_path), [], []
    agent = pay_agent(
        function_model([ToolCallPart("pay", {"claim_id": "c11", "amount": 20000}, tool_call_id="t1")], seen),
        ran,
        capabilities=pa.gate_capabilities(gate, wait=True),
    )
    person = decider(gate, 1, lambda c: gate.approve(c.call_id, annotator="ana"))
    result = agent.run_sync("pay c11")  # no DeferredToolRequests: the run waits for the person
    joined(person)
    assert ran == [("c11", 20000.0, "bank")] and result.output == "t1=paid c11: 20000.0 by bank"


def test_pai_blocking_helpers_refuse_the_kernels_main_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate, ran, seen = make_gate(tmp_path), [], []
    agent = pay_agent(
        function_model([ToolCallPart("pay", {"claim_id": "c12", "amount": 20000}, tool_call_id="t1")], seen),
        ran,
    )
    monkeypatch.setattr(gate_mod, "_in_kernel_main_thread", lambda: True)
    with pytest.raises(GateOnMainThreadError, match="run_in_background"):
        pa.run_with_approvals_sync(agent, "pay", gate)
    with pytest.raises(GateOnMainThreadError):
        pa.resolve_sync(gate, DeferredToolRequests())


def test_pai_async_run_with_approvals_keeps_the_event_loop_free(tmp_path: Path) -> None:
    import asyncio

    gate, ran, seen = make_gate(tmp_path), [], []
    agent = pay_agent(
        function_model([ToolCallPart("pay", {"claim_id": "c13", "amount": 20000}, tool_call_id="t1")], seen),
        ran,
    )
    ticks: list[float] = []

    async def main() -> Any:
        async def tick() -> None:
            while True:
                ticks.append(time.monotonic())
                await asyncio.sleep(0.01)

        ticker = asyncio.create_task(tick())
        person = decider(gate, 1, lambda c: (time.sleep(0.2), gate.approve(c.call_id, annotator="ana")))
        try:
            return await pa.run_with_approvals(agent, "pay", gate)
        finally:
            ticker.cancel()
            joined(person)

    result = asyncio.run(main())
    assert result.output == "t1=paid c13: 20000.0 by bank" and len(ticks) > 10  # the loop ran while waiting


# == shared ================================================================================


def test_params_from_a_json_schema() -> None:
    schema = {
        "$defs": {
            "M": {"enum": ["a", "b"], "type": "string"},
            "Addr": {"properties": {"s": {"type": "string"}}, "type": "object"},
        },
        "properties": {
            "x": {"type": "integer"},
            "y": {"anyOf": [{"type": "number"}, {"type": "null"}], "default": None},
            "m": {"$ref": "#/$defs/M", "default": "a"},
            "addr": {"anyOf": [{"$ref": "#/$defs/Addr"}, {"type": "null"}]},
            "tags": {"type": "array", "items": {"type": "string"}},
            "lit": {"const": "only"},
            "u": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
            "t": {"type": ["string", "null"]},
            "free": {},
        },
        "required": ["x", "lit"],
    }
    got = {
        p.name: (p.type, p.required, p.default, p.enum, p.nullable)
        for p in pa.params_from_json_schema(schema)
    }
    assert got == {
        "x": ("integer", True, None, None, False),
        "y": ("number", False, None, None, True),
        "m": ("enum", False, "a", ["a", "b"], False),
        "addr": ("object", False, None, None, True),
        "tags": ("array", False, None, None, False),
        "lit": ("enum", True, None, ["only"], False),
        "u": ("any", False, None, None, False),
        "t": ("string", False, None, None, True),
        "free": ("any", False, None, None, False),
    }
    assert pa.same_arguments({"a": [1, 2.0]}, {"a": [1.0, 2]}) and not pa.same_arguments(
        {"a": True}, {"a": 1}
    )
    assert not pa.same_arguments({"a": 1}, {"a": 1, "b": None}) and not pa.same_arguments("1", 1)


def test_importing_the_package_and_the_adapters_needs_no_framework() -> None:
    code = (
        "import sys, hitl_widgets, hitl_widgets.agents.langgraph, hitl_widgets.agents.pydantic_ai; "
        "bad = sorted({m.split('.')[0] for m in sys.modules} & {'langgraph', 'langchain_core', 'pydantic_ai'}); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
