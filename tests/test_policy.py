"""Policy expressions: a safe language (nothing runs), pandas' semantics for valid rules,
and missing values that send a row to a person."""

from __future__ import annotations

import contextlib
import inspect
import os
import random

import numpy as np
import pandas as pd
import pytest

import hitl_widgets.routing.policy as policy_module
from hitl_widgets.routing import Router
from hitl_widgets.routing.policy import MAX_DEPTH, PolicyError, parse_policy
from hitl_widgets.store import Store

LABELS = ["auto", "property", "theft", "medical"]


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "claim_id": ["C0", "C1", "C2", "C3", "C4", "C5"],
            "text": [
                "rear-ended at a light",
                "Bike stolen",
                "a.b x",
                "broken window",
                "stolen car",
                "slipped",
            ],
            "pred": ["auto", "theft", "property", "property", "theft", "medical"],
            "confidence": [0.95, 0.62, 0.99, 0.91, 0.85, 0.97],
            "amount": [500.0, 2000.0, 300.0, 25000.0, 12000.0, 800.0],
            "claim amount": [1.0, 20.0, 30.0, 4.0, 50.0, 6.0],
            "n": [1, 2, 3, 4, 5, 6],
        }
    )


# -- escape attempts -----------------------------------------------------------------------
# (policy text, the offending part the error must name). Each would run code, read
# private state or write a file through DataFrame.eval/query; none may run here.
ESCAPES = [
    ("@pd.io.common.os.system('touch pwned')", "@pd"),
    ("@os.system('touch pwned')", "@os"),
    ("amount > @threshold", "@threshold"),
    ("amount @ amount", "@"),
    ("amount.to_pickle('pwned') == amount", "amount.to_pickle"),
    ("amount.to_csv('pwned') == amount", "amount.to_csv"),
    ("amount.to_json('pwned') == amount", "amount.to_json"),
    ("amount.to_string('pwned') == 'x'", "amount.to_string"),
    ("amount.apply(lambda x: open('pwned', 'w')) == amount", "amount.apply"),
    ("amount.pipe(print) == amount", "amount.pipe"),
    ("amount.to_frame().eval(\"@pd.io.common.os.system('touch pwned')\")", "amount.to_frame"),
    ("amount.to_frame().query(\"@pd.io.common.os.system('touch pwned')\")", "amount.to_frame"),
    ("amount.__class__.__init__.__globals__['os'].system('touch pwned')", "amount.__class__"),
    ("amount.__class__", "amount.__class__"),
    ("amount.__len__() > 1", "amount.__len__"),
    ("__import__('os').system('touch pwned')", "__import__"),
    ("__builtins__", "__builtins__"),
    ("getattr(amount, 'to_pickle')('pwned')", "getattr"),
    ("open('pwned', 'w')", "open"),
    ("(lambda: __import__('os').system('touch pwned'))()", "lambda"),
    ("f\"{__import__('os').system('touch pwned')}\" == text", 'f"'),
    ("amount[0] > 1", "amount[0]"),
    ("text.str.__class__", "text.str.__class__"),
    ("text.str.replace('a', 'b') == text", "text.str.replace"),
    ("text.str.get(0) == 'a'", "text.str.get"),
    ("amount.values.tofile('pwned')", "amount.values"),
    ("amount.values.isin([1])", "amount.values"),
    ("date.dt.year > 2020", "date.dt"),
    ("amount.isna().sum() > 0", "amount.isna().sum"),
    ("amount.sum() > 0", "amount.sum"),
    ("[__import__('os').system('touch pwned') for x in [1]]", "for x in [1]"),
    ("{x: x for x in amount}", "for x in amount"),
    ("(y := __import__('os'))", "y := __import__('os')"),
    ("amount if True else text", "amount if True else text"),
    ("text.str.contains('x', regex=True)", "regex=True"),
    ("text.str.contains('x', flags=__import__('os').system('touch pwned'))", "flags="),
    ("text.str.startswith(__import__('os').system('touch pwned'))", "__import__"),
    ("amount.isin(__import__('os').system('touch pwned'))", "__import__"),
    ("amount.isin([__import__('os')])", "__import__('os')"),
    ("amount.isna(__import__('os'))", "amount.isna(__import__('os'))"),
    ("text.str.contains(*['x'])", "*['x']"),
    ("text == b'x'", "b'x'"),
    ("'x' * 1000000000 == text", "'x' * 1000000000"),
    ("'%999999999d' % 1 == text", "'%999999999d' % 1"),
    ("amount ** 100000000 > 1", "amount ** 100000000"),
    ("amount is None", "amount is None"),
    ("{1, 2} == amount", "{1, 2}"),
    ("[amount] == [1]", "[amount]"),
    ("`claim amount`.__class__", "`claim amount`.__class__"),
    ("amount > 1 and " * 1500 + "amount > 1", "characters long"),
    ("-" * 500 + "amount", "too deeply nested"),
    ("not " * 300 + "amount", "too deeply nested"),
    ("-(" * 60 + "amount" + ")" * 60, "too deeply nested"),
]


def _route_frame() -> pd.DataFrame:
    return frame().assign(date=pd.to_datetime(["2021-01-01"] * 6))


@pytest.mark.parametrize("expr, part", ESCAPES, ids=[f"escape{i}" for i in range(len(ESCAPES))])
def test_escape_attempts_are_refused_and_run_nothing(tmp_path, monkeypatch, expr, part):
    assert len(ESCAPES) >= 25
    monkeypatch.chdir(tmp_path)
    # at construction: refused before anything runs, naming the policy and the part
    with pytest.raises(ValueError) as err:
        Router(LABELS, policies={"p": expr})
    msg = str(err.value)
    assert msg.startswith("policy 'p': "), msg
    assert part in msg, msg
    assert os.listdir(tmp_path) == []
    # at route time: a rule put into `policies` after construction is checked as well
    router = Router(LABELS)
    router.policies["p"] = expr
    with pytest.raises(ValueError) as err:
        router.route(_route_frame(), id="claim_id", store=str(tmp_path / "s.db"))
    assert part in str(err.value)
    assert os.listdir(tmp_path) == []  # no file, not even the store


def test_refusal_names_what_is_allowed():
    with pytest.raises(ValueError, match=r"policy 'p': '@pd' is not allowed.*allowed are"):
        Router(LABELS, policies={"p": "@pd.io.common.os.system('touch pwned')"})
    with pytest.raises(
        ValueError,
        match=r"'amount.to_pickle' is not allowed.*allowed are "
        r"column names.*col\.isin",
    ):
        parse_policy("amount.to_pickle('pwned') == amount", "p")
    assert issubclass(PolicyError, ValueError)


def test_policy_module_never_evaluates_code():
    source = inspect.getsource(policy_module)
    for forbidden in ("eval(", "exec(", ".query(", ".eval(", "compile(", "__import__(", "getattr("):
        assert forbidden not in source, forbidden
    router_source = inspect.getsource(Router)
    assert ".eval(" not in router_source and ".query(" not in router_source


# -- valid policies keep pandas' semantics ---------------------------------------------------
VALID = [
    "amount > 10000",
    "10000 < amount",
    "amount >= 2000 and pred == 'theft'",
    "pred == 'property' and confidence < 0.95",
    "pred != 'auto' or amount < 1000",
    "not amount > 1000",
    "~(amount > 1000)",
    "amount > 1000 & confidence < 0.9",  # & and | bind like and / or, as in pandas
    "amount > 20000 | confidence < 0.7",
    "(amount > 1000) & (pred == 'theft')",
    "pred in ['theft', 'medical']",
    "pred not in ['theft', 'medical']",
    "pred in ('auto',)",
    "n in [1, -3, 5]",
    "500 < amount <= 12000",
    "1 < n < 4 < 5",
    "amount * 2 > 20000",
    "amount / 1000 + 1 >= 3",
    "amount - n * 100 < 0",
    "amount // 1000 == 12",
    "n % 2 == 0",
    "-amount < -10000",
    "`claim amount` > 10",
    "`claim amount` * 2 > amount / 100",
    "confidence >= 0.9 and not pred == 'auto'",
]


@pytest.mark.parametrize("expr", VALID)
def test_valid_policies_evaluate_as_pandas_did(expr):
    df = frame()
    ours = parse_policy(expr, "p").evaluate(df)
    theirs = df.eval(expr)  # the former evaluator, on trusted test expressions only
    assert ours.astype(bool).tolist() == theirs.astype(bool).tolist()


# Random rules from the language's arithmetic / comparison / boolean core, drawn with a
# seeded generator (reproducible, and no example database written into the repository),
# checked against pandas' evaluator with engine="python": the same elementwise operators,
# so the results must be equal.
_COLUMNS = ["amount", "confidence", "n", "`claim amount`"]


def _num(rng: random.Random, depth: int) -> str:
    if depth <= 0 or rng.random() < 0.5:
        kind = rng.random()
        if kind < 0.5:
            return rng.choice(_COLUMNS)
        if kind < 0.8:
            return str(rng.randint(-1000, 1000))
        return rng.choice(["0.5", "0.9", "2.5", "1e4"])
    return f"({_num(rng, depth - 1)} {rng.choice(['+', '-', '*'])} {_num(rng, depth - 1)})"


def _cmp(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.6:
        return f"{rng.choice(_COLUMNS)} {rng.choice(['<', '<=', '>', '>=', '==', '!='])} {_num(rng, 2)}"
    if kind < 0.8:
        return (
            f"{_num(rng, 1)} {rng.choice(['<', '>='])} {rng.choice(_COLUMNS)} "
            f"{rng.choice(['<', '<='])} {_num(rng, 1)}"
        )
    return rng.choice(
        [
            "pred == 'theft'",
            "pred != 'auto'",
            "pred in ['auto', 'medical']",
            "pred not in ['theft']",
            "n in [1, 3, 5]",
        ]
    )


def _rule(rng: random.Random, depth: int) -> str:
    if depth <= 0 or rng.random() < 0.35:
        return _cmp(rng)
    kind = rng.random()
    if kind < 0.15:
        return f"not ({_rule(rng, depth - 1)})"
    if kind < 0.3:
        return f"~({_rule(rng, depth - 1)})"
    op = rng.choice(["and", "or", "&", "|"])
    return f"({_rule(rng, depth - 1)}) {op} ({_rule(rng, depth - 1)})"


def test_random_rules_agree_with_pandas():
    rng = random.Random(20240611)
    df = frame()
    for _ in range(300):
        expr = _rule(rng, 3)
        ours = parse_policy(expr, "p").evaluate(df)
        theirs = df.eval(expr, engine="python")  # trusted, generated text only
        assert ours.astype(bool).tolist() == pd.Series(theirs).astype(bool).tolist(), expr


_TOKENS = [
    "amount",
    "text",
    "pred",
    "`claim amount`",
    ".",
    "__class__",
    "__globals__",
    "str",
    "contains",
    "isna",
    "isin",
    "to_pickle",
    "values",
    "(",
    ")",
    "[",
    "]",
    "'pwned'",
    "1",
    " and ",
    " or ",
    " not ",
    "&",
    "|",
    "~",
    "@",
    "pd",
    "==",
    "<",
    "+",
    "*",
    "**",
    ",",
    "lambda",
    ":",
    " for ",
    " in ",
    "__import__",
    "'os'",
    "system",
    "f'{x}'",
    "getattr",
    "open",
    "case=False",
    "=",
    ":=",
    "x",
    "\n",
    "#",
    "'",
    '"',
    "`",
]


def test_any_text_is_refused_or_evaluated_safely(tmp_path, monkeypatch):
    """Token soup, much of it near-valid: parsing raises only PolicyError, and what parses
    evaluates as data work only (PolicyError at worst); no file ever appears."""
    monkeypatch.chdir(tmp_path)
    rng = random.Random(7)
    parsed = 0
    for _ in range(3000):
        expr = "".join(rng.choice(_TOKENS) for _ in range(rng.randint(1, 12)))
        try:
            p = parse_policy(expr, "p")
        except PolicyError:
            continue
        parsed += 1
        with contextlib.suppress(PolicyError):
            p.evaluate(frame())
    assert parsed > 0  # the soup reaches the evaluator too
    assert os.listdir(tmp_path) == []


def test_the_calls_on_a_column():
    df = frame().assign(note=["x", None, "y", "x", None, "z"])

    def ev(expr: str) -> list[bool]:
        out = parse_policy(expr, "p").evaluate(df)
        return out.fillna(False).astype(bool).tolist()

    assert ev("pred.isin(['theft', 'medical'])") == [False, True, False, False, True, True]
    assert ev("note.isna()") == [False, True, False, False, True, False]
    assert ev("note.notna()") == [True, False, True, True, False, True]
    # a literal substring, never a regular expression: 'a.b' does not match 'axb'
    assert ev("text.str.contains('a.b')") == [False, False, True, False, False, False]
    assert ev("text.str.contains('stolen')") == [False, True, False, False, True, False]
    assert ev("text.str.contains('STOLEN', case=False)") == [False, True, False, False, True, False]
    assert ev("text.str.startswith('Bike')") == [False, True, False, False, False, False]
    assert ev("text.str.endswith('window')") == [False, False, False, True, False, False]
    assert ev("pred + '!' == 'theft!'") == [False, True, False, False, True, False]
    p = parse_policy("note.isna() or `claim amount` > 10", "p")
    assert p.columns == ("note", "claim amount")
    assert p.missing_tested == frozenset({"note"}) and p.nan_sensitive == ("claim amount",)


def test_parse_errors_and_unknown_columns():
    with pytest.raises(ValueError, match=r"policy 'p': the expression 'amount >' does not parse"):
        Router(LABELS, policies={"p": "amount >"})
    with pytest.raises(ValueError, match="policy 'p': empty expression"):
        Router(LABELS, policies={"p": "  "})
    with pytest.raises(ValueError, match="backtick-quoted column name is not closed"):
        Router(LABELS, policies={"p": "`claim amount > 1"})
    router = Router(LABELS, policies={"big": "amount > 1", "typo": "`claim amout` > 10"})
    with pytest.raises(ValueError) as err:
        router.route(frame(), id="claim_id")
    msg = str(err.value)
    assert msg.startswith("policy 'typo': unknown column 'claim amout'")
    assert "'claim amount'" in msg and "'amount'" in msg  # the frame's columns are listed
    # a failure on the data names the policy too
    with pytest.raises(ValueError, match=r"policy 'p': the expression .* failed on the frame"):
        Router(LABELS, policies={"p": "amount.str.contains('x')"}).route(frame(), id="claim_id")
    with pytest.raises(ValueError, match=r"policy 'p': \* is not defined on text"):
        Router(LABELS, policies={"p": "pred * 3 == 'x'"}).route(frame(), id="claim_id")
    assert MAX_DEPTH >= 20  # room for any reasonable rule


# -- missing values ---------------------------------------------------------------------------
def _with_gaps() -> pd.DataFrame:
    return frame().assign(
        amount=[500.0, np.nan, 300.0, 25000.0, np.nan, 800.0],
        note=["x", None, "y", "x", "z", None],
    )


def test_a_missing_value_sends_the_row_to_a_person():
    router = Router(LABELS, policies={"large claim": "amount > 10000"})
    f = router.route(_with_gaps(), id="claim_id").frame.set_index("claim_id")
    assert f.loc["C1", "route"] == "review" and f.loc["C1", "reasons"] == ["missing amount"]
    assert f.loc["C4", "reasons"] == ["missing amount"]
    assert f.loc["C3", "reasons"] == ["policy 'large claim': amount > 10000"]
    assert f.loc["C0", "route"] == "auto" and f.loc["C0", "reasons"] == []
    assert f.loc["C5", "route"] == "auto"  # its note is missing, but no policy reads it
    # text columns too; one reason per column, however many policies read it
    router = Router(
        LABELS,
        thresholds=0.9,
        policies={"a": "amount > 10000", "b": "amount < 0 or note == 'z'", "c": "note.str.contains('q')"},
    )
    res = router.route(_with_gaps(), id="claim_id")
    f = res.frame.set_index("claim_id")
    assert f.loc["C1", "reasons"] == ["confidence 0.62 < 0.90 for 'theft'", "missing amount", "missing note"]
    assert f.loc["C4", "reasons"] == [
        "confidence 0.85 < 0.90 for 'theft'",
        "policy 'b': amount < 0 or note == 'z'",
        "missing amount",
    ]
    assert f.loc["C5", "reasons"] == ["missing note"]
    s = res.summary()
    assert s.loc["  missing amount", "count"] == 2 and s.loc["  missing note", "count"] == 2
    # they are reviewed with the rows policies sent (policy first, then least confidence)
    assert res.policy.tolist() == [False, True, False, True, True, True]


def test_a_policy_that_tests_missingness_decides():
    df = _with_gaps()
    fires = Router(LABELS, policies={"p": "amount.isna() or amount > 10000"})
    f = fires.route(df, id="claim_id").frame.set_index("claim_id")
    assert f.loc["C1", "reasons"] == ["policy 'p': amount.isna() or amount > 10000"]
    assert f["route"].tolist() == ["auto", "review", "auto", "review", "review", "auto"]
    lets_pass = Router(LABELS, policies={"p": "amount.notna() and amount > 10000"})
    f = lets_pass.route(df, id="claim_id").frame.set_index("claim_id")
    assert f.loc["C1", "route"] == "auto" and f.loc["C1", "reasons"] == []
    assert f["route"].tolist() == ["auto", "auto", "auto", "review", "auto", "auto"]
    # testing one column does not cover another
    other = Router(LABELS, policies={"p": "note.isna() and amount > 10000"})
    f = other.route(df, id="claim_id").frame.set_index("claim_id")
    assert f.loc["C1", "reasons"] == ["missing amount"]
    assert f.loc["C5", "reasons"] == []


def test_missing_reasons_are_stored(tmp_path):
    db = str(tmp_path / "m.db")
    Router(LABELS, policies={"large claim": "amount > 10000"}).route(
        _with_gaps(), id="claim_id", store=db, task="claims"
    )
    with Store(db) as st:
        ev = st.events("claims").set_index("item_id")
    assert ev.loc["C1", "data"]["reasons"] == ["missing amount"]
    assert ev.loc["C1", "data"]["auto"] is False
    assert ev.loc["C1", "data"]["policies"] == []  # the rule did not fire: it could not decide
    assert ev.loc["C0", "data"]["auto"] is True
