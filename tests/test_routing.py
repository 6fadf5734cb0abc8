"""Routing: reasons, route events, policies, audits, bad input, and review orderings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hitl_widgets.queue import build_order, session_queue
from hitl_widgets.routing import Router, RoutingResult, order_positions, routed
from hitl_widgets.store import Store
from hitl_widgets.widgets import ClassificationReview

LABELS = ["auto", "property", "theft", "medical"]


def claims(n: int = 8) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    base = pd.DataFrame(
        {
            "claim_id": [f"C{i:03d}" for i in range(8)],
            "text": [f"claim number {i}: something happened" for i in range(8)],
            "pred": ["auto", "theft", "medical", "property", "auto", "theft", "property", "auto"],
            "confidence": [0.95, 0.62, 0.99, 0.91, 0.85, 0.97, 0.40, 0.88],
            "amount": [500.0, 2000.0, 300.0, 25000.0, 12000.0, 800.0, 100.0, np.nan],
        }
    )
    if n <= 8:
        return base.head(n)
    big = pd.DataFrame(
        {
            "claim_id": [f"X{i:05d}" for i in range(n)],
            "text": [f"claim {i}" for i in range(n)],
            "pred": rng.choice(LABELS, n),
            "confidence": rng.uniform(0.3, 1.0, n),
            "amount": rng.lognormal(8, 1.2, n),
        }
    )
    return big


def test_every_reason_and_its_text():
    router = Router(
        LABELS,
        thresholds={"theft": 0.8, "*": 0.7},
        policies={"large claim": "amount > 10000"},
        always_review=["medical"],
    )
    res = router.route(claims(), id="claim_id")
    f = res.frame.set_index("claim_id")
    assert list(f.columns[-4:]) == ["route", "reasons", "audit", "review_probability"]
    assert f.loc["C000", "route"] == "auto" and f.loc["C000", "reasons"] == []
    assert f.loc["C001", "reasons"] == ["confidence 0.62 < 0.80 for 'theft'"]
    assert f.loc["C002", "reasons"] == ["label 'medical' is always reviewed"]
    assert f.loc["C003", "reasons"] == ["policy 'large claim': amount > 10000"]
    assert f.loc["C004", "route"] == "review"
    assert f.loc["C006", "reasons"] == ["confidence 0.40 < 0.70 for 'property'"]
    # a missing amount leaves the policy unable to decide: a person looks at it
    assert f.loc["C007", "route"] == "review"
    assert f.loc["C007", "reasons"] == ["missing amount"]
    assert f["route"].tolist() == ["auto", "review", "review", "review", "review", "auto", "review", "review"]
    assert not f["audit"].any()
    # several reasons on one row, in order: confidence, policy, label
    router2 = Router(LABELS, thresholds=0.99, policies={"big": "amount > 100"}, always_review="theft")
    r2 = router2.route(claims(), id="claim_id").frame.set_index("claim_id")
    assert r2.loc["C001", "reasons"] == [
        "confidence 0.62 < 0.99 for 'theft'",
        "policy 'big': amount > 100",
        "label 'theft' is always reviewed",
    ]
    # the input frame is not changed
    assert "route" not in claims().columns


def test_policies_on_expressions_and_callables():
    df = claims()
    router = Router(
        LABELS,
        policies={
            "vectorised": lambda d: d["amount"] > 10000,
            "per row": lambda row: row["pred"] == "theft" and row["confidence"] > 0.9,
            "text": "pred == 'property' and confidence < 0.5",
        },
    )
    f = router.route(df, id="claim_id").frame.set_index("claim_id")
    assert f.loc["C003", "reasons"] == ["policy 'vectorised'"]
    assert f.loc["C004", "reasons"] == ["policy 'vectorised'"]
    assert f.loc["C005", "reasons"] == ["policy 'per row'"]
    assert f.loc["C006", "reasons"] == ["policy 'text': pred == 'property' and confidence < 0.5"]
    assert (f["route"] == "review").sum() == 4
    # a list of expressions names each rule by its text
    r = Router(LABELS, policies=["amount > 10000"]).route(df, id="claim_id")
    assert r.frame["reasons"].iloc[3] == ["policy 'amount > 10000'"]
    # a column name with a space, in backticks
    d2 = df.rename(columns={"amount": "claim amount"})
    r = Router(LABELS, policies={"big": "`claim amount` > 10000"}).route(d2, id="claim_id")
    assert r.frame["route"].tolist().count("review") == 3  # 2 large, 1 missing
    assert r.frame["reasons"].iloc[7] == ["missing claim amount"]


def test_route_events_for_every_item(tmp_path):
    db = tmp_path / "r.db"
    router = Router(
        LABELS, thresholds=0.8, policies={"large claim": "amount > 10000"}, audit_rate=0.5, seed=1
    )
    res = router.route(claims(), id="claim_id", store=str(db), task="claims")
    with Store(db) as st:
        ev = st.events("claims")
        assert len(ev) == 8 and set(ev["action"]) == {"route"}
        assert sorted(ev["item_id"]) == sorted(claims()["claim_id"])
        for _, e in ev.iterrows():
            d = e["data"]
            assert set(d) >= {"auto", "reasons", "settings", "audit"}
            assert d["settings"]["thresholds"]["auto"] == 0.8
            assert d["settings"]["policies"] == {"large claim": "amount > 10000"}
            assert d["settings"]["audit_rate"] == 0.5 and d["settings"]["seed"] == 1
            row = res.frame.set_index("claim_id").loc[e["item_id"]]
            assert d["auto"] == (row["route"] == "auto")
            assert d["reasons"] == row["reasons"] and d["audit"] == row["audit"]
            assert e["model_label"] == row["pred"]
            assert e["model_confidence"] == pytest.approx(row["confidence"])
            assert e["content_hash"]  # the text column gives the review widget's hash
        # route events do not count as decisions
        assert st.decisions("claims").empty
        back = routed(st, "claims")
        assert len(back) == 8
        assert set(back.columns) >= {"item_id", "route", "auto", "audit", "reasons", "settings"}
        auto = Router.auto_accepted(st, "claims")
        assert sorted(auto["item_id"]) == sorted(res.frame.loc[res.frame["route"] == "auto", "claim_id"])
        assert (auto["model_confidence"] >= 0.8).all()
    # routing the same frame again with the same settings writes nothing new
    router.route(claims(), id="claim_id", store=str(db), task="claims")
    with Store(db) as st:
        assert st.count() == 8


def test_audit_draw_is_seeded_and_reproducible():
    df = claims(4000)
    r1 = Router(LABELS, thresholds=0.5, audit_rate=0.05, seed=11)
    a = r1.route(df, id="claim_id").frame
    b = Router(LABELS, thresholds=0.5, audit_rate=0.05, seed=11).route(df, id="claim_id").frame
    c = Router(LABELS, thresholds=0.5, audit_rate=0.05, seed=12).route(df, id="claim_id").frame
    assert a["audit"].equals(b["audit"])
    assert not a["audit"].equals(c["audit"])
    eligible = (df["confidence"] >= 0.5).to_numpy()
    # audits are drawn only among the auto-accepted, at about the rate asked
    assert not (a["audit"].to_numpy() & ~eligible).any()
    share = a["audit"].sum() / eligible.sum()
    assert 0.035 < share < 0.065
    assert (a.loc[a["audit"], "route"] == "review").all()
    assert all(r == ["random audit (5%)"] for r in a.loc[a["audit"], "reasons"])
    # an item's draw does not depend on the other rows of the batch
    sub = df.sample(frac=0.3, random_state=0)
    s = r1.route(sub, id="claim_id").frame.set_index("claim_id")["audit"]
    assert s.equals(a.set_index("claim_id").loc[s.index, "audit"])
    # no audit at rate 0; everything auto-accepted is audited at rate 1
    assert not Router(LABELS, thresholds=0.5).route(df, id="claim_id").frame["audit"].any()
    full = Router(LABELS, thresholds=0.5, audit_rate=1.0).route(df, id="claim_id").frame
    assert full["audit"].sum() == eligible.sum()


@pytest.mark.parametrize(
    "kwargs, route_kwargs, match",
    [
        ({"policies": {"large claim": "amount >"}}, {}, r"policy 'large claim'.*'amount >'.*does not parse"),
        ({"policies": {"typo": "amout > 10000"}}, {}, r"policy 'typo': unknown column 'amout'"),
        ({"thresholds": 1.5}, {}, r"thresholds: threshold 1.5 is outside \[0, 1\]"),
        ({"thresholds": -0.1}, {}, r"threshold -0.1 is outside \[0, 1\]"),
        ({"thresholds": {"theft": 1.2}}, {}, r"thresholds\['theft'\]: threshold 1.2 is outside"),
        ({"thresholds": {"flood": 0.8}}, {}, r"thresholds: unknown label 'flood'"),
        ({"always_review": ["flood"]}, {}, r"always_review: unknown label 'flood'"),
        ({"audit_rate": 2.0}, {}, r"audit_rate: 2.0 is outside \[0, 1\]"),
        ({"thresholds": 0.8}, {"pred": "wrong_pred"}, r"pred='wrong_pred': unknown label\(s\) \['flood'\]"),
        (
            {"thresholds": 0.8},
            {"confidence": "bad_conf"},
            r"confidence='bad_conf': values missing or outside \[0, 1\]",
        ),
        ({"thresholds": 0.8}, {"pred": "nope"}, r"pred='nope': no such column"),
        ({"policies": {"not bool": "amount * 2"}}, {}, r"policy 'not bool': must give True/False"),
        ({"policies": {"boom": lambda d: d["missing_col"] > 1}}, {}, r"policy 'boom': the callable failed"),
    ],
)
def test_bad_input_names_it_and_writes_nothing(tmp_path, kwargs, route_kwargs, match):
    df = claims().assign(
        wrong_pred=["auto", "flood", "theft", "auto", "auto", "auto", "auto", "auto"],
        bad_conf=[0.5, 1.2, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
    )
    db = tmp_path / "bad.db"
    with pytest.raises(ValueError, match=match):
        router = Router(LABELS, **kwargs)
        router.route(df, id="claim_id", store=str(db), task="claims", **route_kwargs)
    assert not db.exists()  # nothing was routed, the store was never opened
    # with an open store: nothing written either
    with Store(tmp_path / "open.db") as st:
        with pytest.raises(ValueError, match=match):
            Router(LABELS, **kwargs).route(df, id="claim_id", store=st, **route_kwargs)
        assert st.count() == 0


def test_duplicate_ids_and_proba_input():
    df = claims()
    with pytest.raises(ValueError, match="duplicate ids"):
        Router(LABELS, thresholds=0.8).route(df.assign(claim_id="same"), id="claim_id")
    proba = np.array([[0.7, 0.1, 0.1, 0.1], [0.25, 0.25, 0.4, 0.1]])
    two = df.head(2).drop(columns=["pred", "confidence"])
    res = Router(LABELS, thresholds=0.6).route(two, pred=None, confidence=None, proba=proba, id="claim_id")
    assert res.frame["route"].tolist() == ["auto", "review"]
    assert res.frame["reasons"].iloc[1] == ["confidence 0.40 < 0.60 for 'theft'"]
    with pytest.raises(ValueError, match=r"proba: expected shape \(2, 4\)"):
        Router(LABELS, thresholds=0.6).route(two, pred=None, proba=proba[:, :3], id="claim_id")


def test_summary_to_review_and_order():
    router = Router(
        LABELS, thresholds=0.8, policies={"large claim": "amount > 10000"}, always_review=["medical"]
    )
    res = router.route(claims(), id="claim_id")
    assert isinstance(res, RoutingResult)
    s = res.summary()
    assert s.loc["items", "count"] == 8
    # C007's amount is missing: the policy cannot decide, so it is reviewed too
    assert s.loc["auto-accepted", "count"] == 2 and s.loc["to review", "count"] == 6
    assert s.loc["  policy 'large claim'", "count"] == 2
    assert s.loc["  missing amount", "count"] == 1
    assert s.loc["  low confidence", "count"] == 2
    assert "RoutingResult" in repr(res)
    rv = res.to_review()
    assert rv["claim_id"].tolist() == ["C001", "C002", "C003", "C004", "C006", "C007"]
    # policy first (C003 0.91, C004 0.85, C007 0.88 with its missing amount -> least
    # confident first), then least confidence
    expected = ["C004", "C007", "C003", "C006", "C001", "C002"]
    pos = res.order("policy")
    assert rv["claim_id"].to_numpy()[pos].tolist() == expected
    assert res.to_review("policy")["claim_id"].tolist() == expected
    assert res.order("least_confidence").tolist() == [4, 0, 3, 5, 2, 1]
    assert res.frame["claim_id"].to_numpy()[res.order("policy", within="all")].tolist() == expected


def test_reasons_reach_the_review_widget(tmp_path):
    router = Router(LABELS, thresholds=0.8, policies={"large claim": "amount > 10000"})
    res = router.route(claims(), id="claim_id", store=str(tmp_path / "w.db"), task="claims")
    w = ClassificationReview(
        res.to_review(),
        labels=LABELS,
        id="claim_id",
        reasons="reasons",
        store=str(tmp_path / "w.db"),
        task="claims",
        annotator="ann",
        order=res.order("policy"),
    )
    first = w.current
    assert first["item_id"] == "C004"
    assert first["reasons"] == ["policy 'large claim': amount > 10000"]
    w.accept()
    assert w.current["item_id"] == "C007"  # its amount is missing: reviewed with the policy's
    assert w.current["reasons"] == ["missing amount"]
    w.accept()
    assert w.current["item_id"] == "C003"
    d = w.decisions()
    assert d["item_id"].tolist() == ["C004", "C007"]
    assert d["status"].tolist() == ["accepted", "accepted"]
    w.close()


# -- orderings --------------------------------------------------------------------
P = np.array(
    [
        [0.50, 0.45, 0.05],  # 0: conf .50, margin .05, entropy ~0.86
        [0.90, 0.05, 0.05],  # 1: conf .90, margin .85, entropy ~0.39
        [0.40, 0.30, 0.30],  # 2: conf .40, margin .10, entropy ~1.09
        [0.60, 0.20, 0.20],  # 3: conf .60, margin .40, entropy ~0.95
        [0.34, 0.33, 0.33],  # 4: conf .34, margin .01, entropy ~1.10
    ]
)


def test_orderings_follow_their_definitions():
    assert order_positions("least_confidence", P).tolist() == [4, 2, 0, 3, 1]
    assert order_positions("margin", P).tolist() == [4, 0, 2, 3, 1]
    assert order_positions("entropy", P).tolist() == [4, 2, 3, 0, 1]
    assert order_positions("frame", P).tolist() == [0, 1, 2, 3, 4]
    # entropy by hand
    h = -(P * np.log(P)).sum(axis=1)
    assert order_positions("entropy", P).tolist() == np.argsort(-h, kind="stable").tolist()
    # margin by hand
    srt = np.sort(P, axis=1)
    assert (
        order_positions("margin", P).tolist() == np.argsort(srt[:, -1] - srt[:, -2], kind="stable").tolist()
    )
    # policy: flagged rows first, least confidence inside each group
    pol = np.array([False, True, False, True, False])
    assert order_positions("policy", P, policy=pol).tolist() == [3, 1, 4, 2, 0]
    assert order_positions("policy", P).tolist() == [4, 2, 0, 3, 1]
    # a mask keeps only those rows
    mask = np.array([True, True, False, True, False])
    assert order_positions("margin", P, mask=mask).tolist() == [0, 3, 1]
    assert order_positions("entropy", P, mask).tolist() == [3, 0, 1]
    # random: a seeded permutation of the masked rows
    r1 = order_positions("random", P, mask=mask, seed=5)
    assert sorted(r1.tolist()) == [0, 1, 3]
    assert r1.tolist() == order_positions("random", None, mask=mask, seed=5).tolist()
    many = [tuple(order_positions("random", None, mask=np.ones(20, bool), seed=s)) for s in range(5)]
    assert len(set(many)) == 5
    # a confidence vector: margin / entropy order like least confidence
    conf = P.max(axis=1)
    for s in ("least_confidence", "margin", "entropy"):
        assert order_positions(s, conf).tolist() == [4, 2, 0, 3, 1]
    # ties keep frame order
    assert order_positions("least_confidence", [0.5, 0.5, 0.2, 0.5]).tolist() == [2, 0, 1, 3]
    with pytest.raises(ValueError, match="unknown ordering strategy"):
        order_positions("smallest", P)
    with pytest.raises(ValueError, match="needs the model's scores"):
        order_positions("margin", None, mask=mask)


def test_a_queue_grouped_by_key_keeps_the_order_within_each_group():
    pending = np.array([True, True, False, True, True, True])
    pred = np.array([2, 0, 0, 2, 0, 1])
    # order asked for: 5, 4, 3, 1, 0 (row 2 decided); grouped by pred, each group in that order
    q = session_queue(6, pending, order=[5, 4, 3, 2, 1, 0], group_by=pred)
    assert q.positions.tolist() == [4, 1, 5, 3, 0]
    assert session_queue(6, pending, order=[5, 4, 3, 2, 1, 0]).positions.tolist() == [5, 4, 3, 1, 0]
    with pytest.raises(ValueError, match="overlap"):
        session_queue(6, pending, group_by=pred, overlap=2, ids_of=lambda p: [], claim=lambda i, k: [])
    with pytest.raises(ValueError, match=r"group_by: one key per row expected \(6\)"):
        session_queue(6, pending, group_by=pred[:4])


def test_build_order_uses_the_strategies():
    pending = np.array([True, False, True, True, True])
    assert build_order(5, pending, "margin", scores=P).tolist() == [4, 0, 2, 3]
    assert build_order(5, pending, "entropy", scores=P).tolist() == [4, 2, 3, 0]


def _frame_with_proba():
    return pd.DataFrame(
        {
            "text": [f"text {i}" for i in range(5)],
            "p_a": P[:, 0],
            "p_b": P[:, 1],
            "p_c": P[:, 2],
        }
    )


@pytest.mark.parametrize(
    "order, expected",
    [
        ("entropy", [4, 2, 3, 0, 1]),
        ("margin", [4, 0, 2, 3, 1]),
        ("least_confidence", [4, 2, 0, 3, 1]),
    ],
)
def test_review_widget_serves_items_in_strategy_order(tmp_path, order, expected):
    w = ClassificationReview(
        _frame_with_proba(),
        labels=["a", "b", "c"],
        pred=None,
        proba=["p_a", "p_b", "p_c"],
        store=str(tmp_path / "o.db"),
        annotator="ann",
        order=order,
    )
    seen = []
    while w.current is not None:
        seen.append(int(w.current["item_id"]))
        w.accept()
    assert seen == expected
    w.close()
