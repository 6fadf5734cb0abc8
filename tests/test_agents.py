"""The agent gate: held calls wait for a person, only an explicit approval runs them (with
exactly the approved arguments), timeouts reject, two-person rule, audits, parallel
calls, restarts, and the approval queue's protocol."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import pytest

from hitl_widgets.agents import Gate, GateOnMainThreadError, ToolCallRejected, run_in_background
from hitl_widgets.agents import gate as gate_mod
from hitl_widgets.items.tool_call import content_hash
from hitl_widgets.store import Store

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")


def make_gate(tmp_path: Path, **kw: Any) -> Gate:
    kw.setdefault("policies", {"large claim": "amount > 10000"})
    kw.setdefault("timeout", 10)
    kw.setdefault("poll", 0.02)
    return Gate(str(tmp_path / "agent.db"), "claims", **kw)


def pay_tool(gate: Gate, ran: list[tuple[Any, ...]]) -> Any:
    @gate.tool
    def pay(claim_id: str, amount: float, method: Literal["bank", "cheque"] = "bank") -> str:
        ran.append((claim_id, amount, method))
        return f"paid {claim_id}: {amount}"

    return pay


def held_ids(gate: Gate, n: int, timeout: float = 5.0) -> list[str]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        p = gate.pending()
        if len(p) >= n:
            return [c.call_id for c in p]
        time.sleep(0.01)
    raise AssertionError(f"{n} held calls expected, got {len(gate.pending())}")


def eventually(check: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    """Wait for what the agent's thread does after the store holds its call (the route is
    committed first, then the call is shown and waited on)."""
    end = time.monotonic() + timeout
    while not check():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


def actions(gate: Gate) -> list[str]:
    return list(gate.store.events(gate.task)["action"])


def test_a_safe_call_runs_at_once_and_is_recorded(tmp_path: Path) -> None:
    gate, ran = make_gate(tmp_path), []
    pay = pay_tool(gate, ran)
    assert pay("c1", 50.0) == "paid c1: 50.0"
    assert ran == [("c1", 50.0, "bank")]
    ev = gate.store.events("claims")
    assert list(ev["action"]) == ["route", "execute"]
    assert ev.iloc[0]["data"]["auto"] is True and ev.iloc[1]["data"]["ok"] is True
    assert gate.pending() == []


def test_a_held_call_runs_only_after_an_approval_with_the_approved_arguments(tmp_path: Path) -> None:
    gate, ran = make_gate(tmp_path), []
    pay = pay_tool(gate, ran)
    run = run_in_background(pay, "c2", 20000.0)
    (cid,) = held_ids(gate, 1)
    time.sleep(0.1)
    assert ran == [] and not run.done  # waiting for a person
    call = gate.pending()[0]
    assert call.reasons == ["policy 'large claim': amount > 10000"]
    gate.approve(cid, {"claim_id": "c2", "amount": 15000.0}, annotator="ana")
    assert run.result(timeout=5) == "paid c2: 15000.0"
    assert ran == [("c2", 15000.0, "bank")]
    ex = gate.store.events("claims").iloc[-1]
    assert ex["action"] == "execute" and ex["data"]["args"]["amount"] == 15000.0
    assert ex["data"]["args_hash"] == content_hash(
        "pay", {"claim_id": "c2", "amount": 15000.0, "method": "bank"}
    )
    edit = gate.store.events("claims", action="edit").iloc[0]["data"]
    assert edit["recheck"] == ["policy 'large claim': amount > 10000"]  # the policies checked again


def test_an_edit_is_checked_against_the_tool(tmp_path: Path) -> None:
    gate, ran = make_gate(tmp_path), []
    pay = pay_tool(gate, ran)
    run_in_background(pay, "c2", 20000.0)
    (cid,) = held_ids(gate, 1)
    with pytest.raises(ValueError, match=r"amount: 'lots' is not a number"):
        gate.approve(cid, {"claim_id": "c2", "amount": "lots"}, annotator="ana")
    with pytest.raises(ValueError, match=r"unknown argument.*'to'"):
        gate.approve(cid, {"claim_id": "c2", "amount": 1.0, "to": "me"}, annotator="ana")
    with pytest.raises(ValueError, match="claim_id: a value is required"):
        gate.approve(cid, {"amount": 1.0}, annotator="ana")
    with pytest.raises(ValueError, match="method: 'cash' is not one of"):
        gate.approve(cid, {"claim_id": "c2", "amount": 1.0, "method": "cash"}, annotator="ana")
    assert ran == [] and gate.verdict(cid) is None
    gate.reject(cid, "cleanup", annotator="ana")


def test_reject_returns_the_reason_or_raises(tmp_path: Path) -> None:
    gate, ran = make_gate(tmp_path), []
    pay = pay_tool(gate, ran)
    run = run_in_background(pay, "c3", 50000.0)
    (cid,) = held_ids(gate, 1)
    gate.reject(cid, "the invoice is a forgery", annotator="ana")
    assert run.result(timeout=5) == "A person rejected this call: the invoice is a forgery"
    assert ran == [] and "execute" not in actions(gate)
    strict, ran2 = Gate(gate.store, "strict", policies=gate.policies, on_reject="raise", poll=0.02), []
    pay2 = pay_tool(strict, ran2)
    run2 = run_in_background(pay2, "c4", 50000.0)
    (cid2,) = held_ids(strict, 1)
    strict.reject(cid2, "no", annotator="ana")
    with pytest.raises(ToolCallRejected, match="rejected: no"):
        run2.result(timeout=5)
    assert ran2 == []


def test_an_answer_is_returned_instead_of_running_the_tool(tmp_path: Path) -> None:
    gate, ran = make_gate(tmp_path), []
    pay = pay_tool(gate, ran)
    run = run_in_background(pay, "c5", 50000.0)
    (cid,) = held_ids(gate, 1)
    gate.answer(cid, "pay it by cheque after the site visit", annotator="ana")
    assert "pay it by cheque after the site visit" in run.result(timeout=5)
    assert ran == []


@pytest.mark.parametrize("on_timeout", ["reject", "escalate"])
def test_a_timeout_never_approves(tmp_path: Path, on_timeout: str) -> None:
    gate, ran = make_gate(tmp_path, timeout=0.3, on_timeout=on_timeout), []
    pay = pay_tool(gate, ran)
    run = run_in_background(pay, "c6", 50000.0)
    out = run.result(timeout=5)
    assert out.startswith("A person rejected this call: no decision within 0.3 s")
    assert ran == []
    ev = gate.store.events("claims")
    rej = ev[ev["action"] == "reject"].iloc[0]
    assert rej["annotator"] == "gate"
    if on_timeout == "escalate":
        routes = ev[ev["action"] == "route"]
        assert len(routes) == 2 and routes.iloc[1]["data"]["escalated"] is True


def test_two_people_must_approve_the_same_arguments(tmp_path: Path) -> None:
    gate, ran = make_gate(tmp_path, two_person="amount > 25000"), []
    pay = pay_tool(gate, ran)
    run = run_in_background(pay, "c7", 30000.0)
    (cid,) = held_ids(gate, 1)
    gate.approve(cid, annotator="ana")
    gate.approve(cid, annotator="ana")  # the same person twice is one approval
    time.sleep(0.2)
    assert ran == [] and not run.done
    gate.approve(cid, {"claim_id": "c7", "amount": 29000.0}, annotator="bob")  # other arguments
    time.sleep(0.2)
    assert ran == []
    gate.approve(cid, {"claim_id": "c7", "amount": 29000.0}, annotator="cy")
    assert run.result(timeout=5) == "paid c7: 29000.0"
    assert gate.verdict(cid).annotators == ("bob", "cy")


def test_an_edit_that_crosses_the_two_person_line_needs_two(tmp_path: Path) -> None:
    gate, ran = make_gate(tmp_path, two_person="amount > 25000"), []
    pay = pay_tool(gate, ran)
    run = run_in_background(pay, "c8", 20000.0)  # held (large), one person is enough...
    (cid,) = held_ids(gate, 1)
    gate.approve(cid, {"claim_id": "c8", "amount": 40000.0}, annotator="ana")  # ... not for this
    time.sleep(0.2)
    assert ran == []
    gate.approve(cid, {"claim_id": "c8", "amount": 40000.0}, annotator="bob")
    assert run.result(timeout=5) == "paid c8: 40000.0"


def test_parallel_calls_each_get_their_own_decision(tmp_path: Path) -> None:
    gate, ran = make_gate(tmp_path), []
    pay = pay_tool(gate, ran)
    runs = [run_in_background(pay, f"p{i}", 20000.0 + i) for i in range(6)]
    ids = held_ids(gate, 6)
    by_claim = {c.args["claim_id"]: c.call_id for c in gate.pending()}
    assert len(set(ids)) == 6
    for i in range(6):
        cid = by_claim[f"p{i}"]
        if i % 2:
            gate.reject(cid, f"no {i}", annotator="ana")
        else:
            gate.approve(cid, annotator="ana")
    outs = [r.result(timeout=5) for r in runs]
    assert sorted(c for c, _a, _m in ran) == ["p0", "p2", "p4"]
    assert [o.startswith("paid") for o in outs] == [i % 2 == 0 for i in range(6)]


def test_audits_are_drawn_reproducibly_by_seed(tmp_path: Path) -> None:
    ids = [f"call-{i}" for i in range(400)]

    def audited(seed: int, db: str) -> list[str]:
        g = Gate(str(tmp_path / db), "a", audit_rate=0.1, seed=seed)
        return [i for i in ids if g.route("pay", {"claim_id": i, "amount": 1.0}, call_id=i).call.audit]

    a, b, c = audited(1, "a.db"), audited(1, "b.db"), audited(2, "c.db")
    assert a == b and a != c
    assert 20 <= len(a) <= 65  # about 10% of 400


def test_audits_of_calls_without_an_id_are_reproducible_in_call_order(tmp_path: Path) -> None:
    # @gate.tool gives each call a fresh uuid: the draw must not depend on it, or a seeded
    # agent audits other calls on every run (and what it learns from them changes)
    def audited(seed: int, db: str) -> list[int]:
        g = Gate(str(tmp_path / db), "a", audit_rate=0.1, seed=seed)
        return [i for i in range(400) if g.route("pay", {"claim_id": f"c{i}", "amount": 1.0}).call.audit]

    a, b, c = audited(1, "a.db"), audited(1, "b.db"), audited(2, "c.db")
    assert a == b and a != c
    assert 20 <= len(a) <= 65


def test_missing_inputs_and_failing_rules_hold_the_call(tmp_path: Path) -> None:
    def fraud(args: dict[str, Any]) -> bool:
        raise RuntimeError("fraud model down")

    gate = make_gate(tmp_path, policies={"large claim": "amount > 10000", "fraud": fraud})
    call = gate.route("pay", {"claim_id": "x", "amount": None})
    assert call.held and call.call.reasons == [
        "policy 'fraud' failed (RuntimeError: fraud model down)",
        "missing amount",
    ]
    gate2 = Gate(gate.store, "thr", thresholds=0.8)
    assert gate2.route("pay", {"claim_id": "y", "amount": 1.0}).call.reasons == ["no confidence given"]
    assert gate2.route("pay", {"claim_id": "z", "amount": 1.0}, confidence=0.5).call.reasons == [
        "confidence 0.50 < 0.80"
    ]
    assert not gate2.route("pay", {"claim_id": "w", "amount": 1.0}, confidence=0.9).held


def test_a_held_call_is_refused_on_the_kernels_main_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate, ran = make_gate(tmp_path), []
    pay = pay_tool(gate, ran)
    monkeypatch.setattr(gate_mod, "_in_kernel_main_thread", lambda: True)
    with pytest.raises(GateOnMainThreadError, match="run_in_background"):
        pay("c9", 50000.0)
    assert ran == []
    assert len(gate.pending()) == 1  # still held: it shows in the queue


def test_an_approval_that_does_not_name_the_arguments_approves_nothing(tmp_path: Path) -> None:
    gate, ran = make_gate(tmp_path), []
    pay = pay_tool(gate, ran)
    run = run_in_background(pay, "c10", 50000.0)
    (cid,) = held_ids(gate, 1)
    call = gate.pending()[0]
    gate.store.append(
        [
            {
                "event_id": uuid.uuid4().hex,
                "task": "claims",
                "kind": "tool_call",
                "item_id": cid,
                "content_hash": call.args_hash,
                "action": "accept",
                "annotator": "mallory",
                "data": {
                    "args": {"claim_id": "c10", "amount": 1.0, "method": "bank"},
                    "args_hash": call.args_hash,
                },
            }
        ]
    )  # a hash of other arguments
    gate._notify(cid)
    time.sleep(0.2)
    assert ran == [] and gate.verdict(cid) is None
    gate.approve(cid, annotator="ana")
    assert run.result(timeout=5) == "paid c10: 50000.0"


def test_held_calls_survive_a_restart(tmp_path: Path) -> None:
    gate = make_gate(tmp_path)
    held = gate.route("pay", {"claim_id": "r1", "amount": 50000.0})
    gate.route("pay", {"claim_id": "r2", "amount": 5.0})
    gate.close()
    again = Gate(str(tmp_path / "agent.db"), "claims", policies={"large claim": "amount > 10000"})
    assert [c.call_id for c in again.pending()] == [held.call_id]
    assert again.route(
        "pay", {"claim_id": "r1", "amount": 50000.0}, call_id=held.call_id
    ).held  # not routed twice
    assert len(again.store.events("claims", action="route")) == 2


def test_async_tools_wait_off_the_event_loop(tmp_path: Path) -> None:
    import asyncio

    gate, ran = make_gate(tmp_path), []

    @gate.tool
    async def apay(claim_id: str, amount: float) -> str:
        ran.append(claim_id)
        return f"paid {claim_id}"

    async def agent() -> list[str]:
        return list(await asyncio.gather(apay("a1", 50000.0), apay("a2", 5.0)))

    run = run_in_background(agent)
    (cid,) = held_ids(gate, 1)
    gate.approve(cid, annotator="ana")
    assert run.result(timeout=5) == ["paid a1", "paid a2"]


# -- the approval queue (the widget's kernel side) ---------------------------------------


def wire(w: Any) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    w.send = lambda m, buffers=None: sent.append(m)
    return sent


def decide(q: Any, qi: int, action: str, **kw: Any) -> dict[str, Any]:
    item = q._items.payload(q._queue.position(qi))
    d = {
        "id": uuid.uuid4().hex,
        "item_id": item["item_id"],
        "content_hash": item["content_hash"],
        "qi": qi,
        "action": action,
        "session_id": q.session_id,
        "annotator": q.annotator,
        "task": q._task,
    }
    d.update(kw)
    q._handle_custom_msg({"type": "decide", "decisions": [d]}, [])
    return d


def test_the_queue_grows_live_and_its_decisions_resume_the_agent(tmp_path: Path) -> None:
    gate, ran = make_gate(tmp_path), []
    pay = pay_tool(gate, ran)
    q = gate.queue(annotator="ana")
    sent = wire(q)
    assert len(q) == 0 and q.queue_length == 0
    runs = [run_in_background(pay, f"q{i}", 20000.0 + i) for i in range(3)]
    held_ids(gate, 3)
    eventually(lambda: q.queue_length == 3, "the queue to show the 3 held calls")
    q._handle_custom_msg({"type": "fetch", "req": "f", "start": 0, "count": 8}, [])
    items = {it["args"]["claim_id"]: it for it in sent[-1]["items"]}
    assert set(items) == {"q0", "q1", "q2"} and items["q0"]["tool"] == "pay"
    assert items["q0"]["reasons"] == ["policy 'large claim': amount > 10000"]
    assert [p["name"] for p in items["q0"]["params"]] == ["claim_id", "amount", "method"]
    qi = {it["args"]["claim_id"]: it["qi"] for it in sent[-1]["items"]}
    decide(q, qi["q0"], "accept", data={"args_hash": items["q0"]["content_hash"]})
    decide(
        q,
        qi["q1"],
        "edit",
        data={
            "args": {"claim_id": "q1", "amount": 100.0, "method": "cheque"},
            "args_hash": items["q1"]["content_hash"],
        },
    )
    decide(q, qi["q2"], "reject", note="duplicate claim")
    outs = [r.result(timeout=5) for r in runs]
    assert outs[0] == "paid q0: 20000.0" and outs[1] == "paid q1: 100.0" and "duplicate claim" in outs[2]
    assert sorted(ran) == [("q0", 20000.0, "bank"), ("q1", 100.0, "cheque")]
    assert q.counts == {"accepted": 1, "edited": 1, "rejected": 1}


def test_the_queue_refuses_what_would_run_something_else(tmp_path: Path) -> None:
    gate = make_gate(tmp_path)
    gate.tool(lambda claim_id, amount: None, name="pay")
    gate.route("pay", {"claim_id": "x", "amount": 50000.0})
    q = gate.queue(annotator="ana")
    sent = wire(q)
    h = q._items.hash(0)
    decide(q, 0, "accept", data={"args_hash": "0" * 16})
    assert "not the call's" in sent[-1]["errors"][next(iter(sent[-1]["errors"]))]
    decide(q, 0, "edit", data={"tool": "refund", "args": {"claim_id": "x", "amount": 1}, "args_hash": h})
    assert "tool of a call cannot be changed" in next(iter(sent[-1]["errors"].values()))
    decide(q, 0, "reject", note="  ")
    assert "give a reason" in next(iter(sent[-1]["errors"].values()))
    decide(q, 0, "accept", data={"args_hash": h})
    decide(q, 0, "undo")
    assert "cannot be undone" in next(iter(sent[-1]["errors"].values()))


def test_a_timeout_shows_in_an_open_queue(tmp_path: Path) -> None:
    gate, ran = make_gate(tmp_path, timeout=0.2), []
    pay = pay_tool(gate, ran)
    q = gate.queue(annotator="ana")
    sent = wire(q)
    run_in_background(pay, "t1", 50000.0).result(timeout=5)
    ext = [m for m in sent if m["type"] == "external"]
    assert ext and ext[-1]["decision"]["action"] == "reject" and ext[-1]["decision"]["annotator"] == "gate"


def test_a_new_queue_on_the_store_shows_the_undecided_calls_again(tmp_path: Path) -> None:
    from hitl_widgets.widgets.approval import ApprovalQueue

    gate = make_gate(tmp_path)
    a = gate.route("pay", {"claim_id": "u1", "amount": 50000.0})
    b = gate.route("pay", {"claim_id": "u2", "amount": 60000.0})
    gate.reject(b.call_id, "no", annotator="ana")
    q = ApprovalQueue(Store(str(tmp_path / "agent.db")), task="claims", annotator="bob")
    assert len(q) == 1 and q.current["item_id"] == a.call_id
    with pytest.raises(ValueError, match="name the agent's task"):
        ApprovalQueue(str(tmp_path / "agent.db"))


# -- overrides as training data ---------------------------------------------------------------


def test_overrides_become_training_data_and_audits_an_error_estimate(tmp_path: Path) -> None:
    import hitl_widgets as hw

    gate = make_gate(tmp_path, audit_rate=1.0, thresholds=0.5)
    msgs = [{"role": "user", "content": "settle claim c1 please"}]
    a = gate.route("pay", {"claim_id": "c1", "amount": 20000.0}, confidence=0.9, context=msgs)
    b = gate.route("pay", {"claim_id": "c2", "amount": 30000.0}, confidence=0.9, context=msgs)
    c = gate.route("pay", {"claim_id": "c3", "amount": 40000.0}, confidence=0.9)
    gate.approve(a.call_id, annotator="ana")
    gate.approve(b.call_id, {"claim_id": "c2", "amount": 3000.0}, annotator="ana")
    gate.reject(c.call_id, "a forged invoice", annotator="ana")
    audits = [gate.route("pay", {"claim_id": f"a{i}", "amount": 10.0}, confidence=0.8) for i in range(10)]
    assert all(x.call.audit and not x.held for x in audits)
    for i, x in enumerate(audits):  # 3 of the 10 let-through calls were wrong
        if i < 3:
            gate.reject(x.call_id, "should not have been paid", annotator="bob")
        else:
            gate.approve(x.call_id, annotator="bob")

    sft = hw.to_sft(gate.store, "claims", kind="tool_call")
    assert sorted(sft["status"]) == ["approved", "edited"]  # held calls a person let run
    edited = sft[sft["item_id"] == b.call_id].iloc[0]["messages"]
    assert edited[0] == {"role": "user", "content": "settle claim c1 please"}
    assert edited[-1]["tool_calls"][0]["function"] == {
        "name": "pay",
        "arguments": '{"amount": 3000.0, "claim_id": "c2"}',
    }

    prefs = hw.to_preferences(gate.store, "claims", kind="tool_call")
    assert len(prefs) == 1 and prefs.iloc[0]["item_id"] == b.call_id
    chosen = prefs.iloc[0]["chosen"][0]["tool_calls"][0]["function"]["arguments"]
    rejected = prefs.iloc[0]["rejected"][0]["tool_calls"][0]["function"]["arguments"]
    assert '"amount": 3000.0' in chosen and '"amount": 30000.0' in rejected

    labels = hw.exports.tool_call_labels(gate.store, "claims")
    by = dict(zip(labels["call_id"], labels["label"], strict=True))
    assert by[a.call_id] == "approve" and by[b.call_id] == "reject" and by[c.call_id] == "reject"
    assert list(labels[labels["source"] == "audit"]["label"]).count("reject") == 3

    est = gate.audit_estimate()
    low, high = est.interval
    assert (est.n, est.errors) == (10, 3) and 0.06 < low < 0.3 < high
    out = gate.outcomes()
    assert set(out["outcome"]) == {"approved", "rejected", "auto"}
    assert out.set_index("call_id").loc[b.call_id, "args"] == {"claim_id": "c2", "amount": 3000.0}


def test_the_switch_interval_is_lowered_only_while_a_held_call_waits(tmp_path: Path) -> None:
    import sys

    before = sys.getswitchinterval()
    gate = make_gate(tmp_path)
    pay = pay_tool(gate, [])
    run = run_in_background(pay, "c1", 20000.0)
    (cid,) = held_ids(gate, 1)
    # a key resumes the agent sooner
    eventually(lambda: sys.getswitchinterval() == pytest.approx(0.001), "the interval lowered")
    gate.approve(cid, annotator="ana")
    assert run.wait(5)
    assert sys.getswitchinterval() == before  # put back when nothing waits

    # two calls waiting: put back only when the last is decided
    a = run_in_background(pay, "c2", 20000.0)
    b = run_in_background(pay, "c3", 30000.0)
    c2, c3 = sorted(held_ids(gate, 2), key=lambda i: gate._held(i).args["claim_id"])
    eventually(lambda: gate_mod._switch_waiting == 2, "both calls waiting")
    gate.reject(c2, "no", annotator="ana")
    assert a.wait(5)
    assert sys.getswitchinterval() == pytest.approx(0.001)
    gate.reject(c3, "no", annotator="ana")
    assert b.wait(5)
    assert sys.getswitchinterval() == before


def test_a_switch_interval_set_by_someone_else_stands(tmp_path: Path) -> None:
    import sys

    before = sys.getswitchinterval()
    try:
        gate = make_gate(tmp_path)
        pay = pay_tool(gate, [])
        run = run_in_background(pay, "c1", 20000.0)
        (cid,) = held_ids(gate, 1)
        sys.setswitchinterval(0.002)  # the user's own, while the call waits
        gate.approve(cid, annotator="ana")
        assert run.wait(5)
        assert sys.getswitchinterval() == pytest.approx(0.002)
        # None leaves the interpreter alone
        quiet = make_gate(tmp_path, switch_interval=None)
        run = run_in_background(pay_tool(quiet, []), "c9", 20000.0)
        (cid,) = held_ids(quiet, 1)
        assert sys.getswitchinterval() == pytest.approx(0.002)
        quiet.approve(cid, annotator="ana")
        assert run.wait(5)
    finally:
        sys.setswitchinterval(before)
    for bad in (0, -1, 2, True, "fast"):
        with pytest.raises(ValueError, match="switch_interval"):
            make_gate(tmp_path, switch_interval=bad)


def test_the_threshold_is_recalibrated_from_the_audits(tmp_path: Path) -> None:
    # every let-through call is audited; a call is wrong with probability (1 - c) / 2, so
    # only calls sure enough keep the error under alpha: the threshold must say so, and
    # the gate then holds the calls under it
    import random

    gate = Gate(str(tmp_path / "g.db"), "claims", thresholds=0.3, audit_rate=1.0, seed=1)
    rng = random.Random(0)
    for i in range(600):
        c = 0.3 + 0.7 * rng.random()
        r = gate.route("pay", {"claim_id": f"c{i}", "amount": 1.0}, confidence=c)
        assert r.call.audit and not r.held
        if rng.random() < (1 - c) / 2:
            gate.reject(r.call.call_id, "wrong", annotator="ana")
        else:
            gate.approve(r.call.call_id, annotator="ana")
    res = gate.calibrate(alpha=0.1, delta=0.1)
    # (1 - c) / 2 <= 0.1 from c = 0.8; the error above a threshold is the mean over it, so
    # the least certified threshold lies a little under 0.8, and well over the old 0.3
    assert res.threshold is not None and 0.6 <= res.threshold <= 0.9, res
    assert res.n == 600
    gate.thresholds = res.threshold
    assert gate.route("pay", {"claim_id": "low", "amount": 1.0}, confidence=res.threshold - 0.01).held
    assert not gate.route("pay", {"claim_id": "high", "amount": 1.0}, confidence=0.99).held
