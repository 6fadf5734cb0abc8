"""The gate's safety properties under random use and under SIGKILL.

* Over random sequences of calls, decisions (approvals, edits, bogus approvals naming
  other arguments, rejects, answers), timeouts and two-person rules: no held call ever
  runs without an approval, and none runs with arguments other than the approved ones.
* SIGKILL of an agent process at random moments (100 runs): no held call and no
  decision is lost, a call that ran had its approval committed first, and every
  undecided call is shown again by a new gate on the same store.
"""

from __future__ import annotations

import json
import os
import random
import signal
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hitl_widgets.agents import Gate, run_in_background
from hitl_widgets.items.tool_call import content_hash
from hitl_widgets.store import Store

DECISIONS = ["approve", "edit", "bogus", "reject", "answer", "none"]


def _tool(gate: Gate, ran: list[tuple[str, dict[str, Any]]]) -> Any:
    @gate.tool
    def pay(claim_id: str, amount: float) -> str:
        ran.append((claim_id, {"claim_id": claim_id, "amount": amount}))
        return "ok"

    return pay


def _decide(gate: Gate, call: Any, what: str, who: str) -> None:
    """One random decision on a held call, as a person (or an attacker) would make it."""
    try:
        if what == "approve":
            gate.approve(call.call_id, annotator=who)
        elif what == "edit":
            gate.approve(call.call_id, {"claim_id": call.args["claim_id"], "amount": 7.0}, annotator=who)
        elif what == "bogus":  # an approval naming arguments other than those it carries
            gate.store.append(
                [
                    {
                        "event_id": uuid.uuid4().hex,
                        "task": "p",
                        "kind": "tool_call",
                        "item_id": call.call_id,
                        "content_hash": call.args_hash,
                        "action": "accept",
                        "annotator": who,
                        "data": {"args": {**call.args, "amount": 1.0}, "args_hash": call.args_hash},
                    }
                ]
            )
        elif what == "reject":
            gate.reject(call.call_id, "no", annotator=who)
        elif what == "answer":
            gate.answer(call.call_id, "later", annotator=who)
    except Exception:  # a decision after the timeout's reject, etc.: not this property's
        pass


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    plan=st.lists(
        st.tuples(
            st.integers(0, 30000),
            st.lists(
                st.tuples(st.sampled_from(DECISIONS), st.sampled_from(["ana", "bob", "cy"])), max_size=3
            ),
        ),
        min_size=1,
        max_size=6,
    ),
    two=st.booleans(),
)
def test_no_held_call_runs_without_an_approval_of_exactly_its_arguments(
    tmp_path: Path, plan: list[Any], two: bool
) -> None:
    gate = Gate(
        str(tmp_path / f"{uuid.uuid4().hex}.db"),
        "p",
        policies={"large": "amount > 10000"},
        two_person="amount > 20000" if two else None,
        timeout=0.4,
        poll=0.01,
    )
    ran: list[tuple[str, dict[str, Any]]] = []
    pay = _tool(gate, ran)
    runs = [run_in_background(pay, f"c{i}", float(amount)) for i, (amount, _d) in enumerate(plan)]
    deadline = time.monotonic() + 3
    expected_held = sum(1 for a, _ in plan if a > 10000)
    while len(gate.calls(held_only=True)) < expected_held and time.monotonic() < deadline:
        time.sleep(0.005)
    held = {c.args["claim_id"]: c for c in gate.calls(held_only=True)}
    for i, (_amount, decisions) in enumerate(plan):
        call = held.get(f"c{i}")
        if call is not None:
            for what, who in decisions:
                _decide(gate, call, what, who)
    for r in runs:
        r.wait(5)
    # every call that ran: let through, or approved (in the log before it ran) with exactly
    # the arguments it ran with; later events cannot make it not have been approved
    ev = gate.store.events("p")
    # (the verdict it ran on: the log up to `verdict_seq`; a reject written after the agent
    # resumed on an approval, before its execute event, came too late for that run)
    ran_at = {
        r["item_id"]: int(r["data"]["verdict_seq"]) + 1
        for r in ev[ev["action"] == "execute"].to_dict("records")
        if r["data"].get("verdict_seq") is not None  # None: let through, no person's verdict
    }
    for claim, args in ran:
        call = held.get(claim)
        if call is None:
            continue
        v = gate.verdict(call.call_id, before=ran_at[call.call_id])
        assert v is not None and v.outcome == "approved", (claim, v)
        assert v.args == args and v.args_hash == content_hash("pay", args)
        if two and args["amount"] > 20000:
            assert len(v.annotators) >= 2
    # and a held call rejected before anything approved it never ran
    for claim, call in held.items():
        first = next(
            (
                e
                for e in gate.store.item_events("p", call.call_id)
                if e["action"] in ("accept", "edit", "reject", "answer")
            ),
            None,
        )
        if first is not None and first["action"] in ("reject", "answer"):
            assert claim not in [c for c, _ in ran], claim
    # every execute event names an approval of its arguments
    for e in ev[ev["action"] == "execute"].to_dict("records"):
        assert e["data"]["args_hash"] == content_hash("pay", e["data"]["args"])


# -- SIGKILL of the agent's process ---------------------------------------------------------


def _agent_process(db: str, side_effects: str, seed: int) -> None:
    """Child: an agent making calls (some held) and a person deciding them, at random
    speeds; killed by the parent at a random moment."""
    rng = random.Random(seed)
    gate = Gate(db, "k", policies={"large": "amount > 10000"}, timeout=30, poll=0.005)

    @gate.tool
    def pay(claim_id: str, amount: float) -> str:
        with open(side_effects, "a") as fh:  # the side effect a kill must never cause unapproved
            fh.write(json.dumps({"claim_id": claim_id, "amount": amount}) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        return "ok"

    def person() -> None:
        while True:
            for c in gate.pending():
                time.sleep(rng.random() * 0.01)
                r = rng.random()
                try:
                    if r < 0.5:
                        gate.approve(c.call_id, annotator="ana")
                    elif r < 0.7:
                        gate.approve(
                            c.call_id, {"claim_id": c.args["claim_id"], "amount": 5.0}, annotator="ana"
                        )
                    else:
                        gate.reject(c.call_id, "no", annotator="ana")
                except Exception:
                    pass
            time.sleep(0.002)

    threading.Thread(target=person, daemon=True).start()
    for i in range(12):
        pay(f"s{seed}-{i}", float(rng.choice([50, 20000, 30000])))


def test_sigkill_at_random_moments_loses_no_held_call_and_no_decision(tmp_path: Path) -> None:
    if not hasattr(os, "fork"):
        pytest.skip("needs fork")
    rng = random.Random(7)
    db = str(tmp_path / "kill.db")
    side = str(tmp_path / "side.jsonl")
    Path(side).write_text("")
    Store(db).close()
    runs = 100
    for k in range(runs):
        pid = os.fork()
        if pid == 0:  # the child: run, then die however the parent decides
            try:
                _agent_process(db, side, k)
            finally:
                os._exit(0)
        time.sleep(rng.random() * 0.25)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    gate = Gate(db, "k", policies={"large": "amount > 10000"})
    calls = gate.calls()
    assert len(calls) > runs  # the agents got somewhere before their kill
    by_claim = {c.args["claim_id"]: c for c in calls}
    pending = {c.call_id for c in gate.pending()}
    effects = [json.loads(line) for line in Path(side).read_text().splitlines() if line.strip()]
    for e in effects:  # nothing ran that was not let through or approved with these arguments
        call = by_claim[e["claim_id"]]
        if call.reasons:
            v = gate.verdict(call.call_id)
            assert v is not None and v.outcome == "approved" and v.args == e, (e, v)
    for c in gate.calls(held_only=True):  # every held call: decided, or shown again
        assert gate.verdict(c.call_id) is not None or c.call_id in pending
    from hitl_widgets.widgets.approval import ApprovalQueue

    q = ApprovalQueue(db, task="k", annotator="bob")
    assert {q._items.item_id(i) for i in range(len(q._items))} >= pending
