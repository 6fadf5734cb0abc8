"""Group quotas under overlap k (`group_quota`): each item rated by people of different
groups (the groups read from the annotators' profiles), on SQLite and PostgreSQL, with
the guarantees of overlap kept: never the same item twice to one person, exactly k."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import hitl_widgets as hw
from hitl_widgets.annotators import PREFER_NOT_TO_SAY, group_of, profile
from hitl_widgets.store import SCHEMA_VERSION, Store
from hitl_widgets.store.schema import MIGRATIONS
from hitl_widgets.widgets._options import resolve_group_quota

ROOT = Path(__file__).resolve().parents[1]
LABELS = ["auto", "theft"]
GQ = {"by": "gender", "quotas": {"woman": 1, "man": 1}}


def frame(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {"text": [f"claim text {i}" for i in range(n)], "pred": "auto", "confidence": 0.5},
        index=[f"i{i}" for i in range(n)],
    )


@pytest.fixture(params=["sqlite", "postgres"])
def store_target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "team.db")
    return str(request.getfixturevalue("postgres_url"))


def review(df: pd.DataFrame, target: Any, annotator: str, **kw: Any) -> Any:
    return hw.ClassificationReview(df, labels=LABELS, store=target, annotator=annotator, **kw)


def rate_all(*widgets: Any) -> None:
    """Round-robin, as people working at once, until no one has an item left."""
    active = list(widgets)
    while active:
        for w in list(active):
            if w.current is None:
                active.remove(w)
            else:
                w.correct("theft")


def per_item(target: Any, groups: dict[str, str | None]) -> pd.DataFrame:
    d = hw.open_store(target).decisions("classification")
    d = d.assign(group=d["annotator"].map(groups))
    return d.groupby("item_id").agg(
        count=("annotator", "count"),
        nunique=("annotator", "nunique"),
        women=("group", lambda g: int((g == "woman").sum())),
        men=("group", lambda g: int((g == "man").sum())),
    )


# -- the option -------------------------------------------------------------------------


def test_the_option_is_checked_naming_it(tmp_path: Path) -> None:
    df = frame(3)
    db = tmp_path / "s.db"
    bad: list[tuple[dict[str, Any], str]] = [
        (dict(group_quota=GQ), "group_quota needs overlap"),
        (dict(group_quota=["gender"], overlap=2), "group_quota must be a mapping"),
        (dict(group_quota={"by": "gender"}, overlap=2), "either 'quotas' or 'each'"),
        (dict(group_quota={**GQ, "each": ["woman"]}, overlap=2), "either 'quotas' or 'each'"),
        (dict(group_quota={"by": "", "quotas": {"woman": 1}}, overlap=2), r"group_quota\['by'\]"),
        (dict(group_quota={"by": "gender", "quota": {"a": 1}}, overlap=2), "unknown key"),
        (dict(group_quota={"by": "g", "quotas": {"woman": 0}}, overlap=2), "positive integer"),
        (dict(group_quota={"by": "g", "quotas": {"woman": True}}, overlap=2), "positive integer"),
        (dict(group_quota={"by": "g", "quotas": {}}, overlap=2), r"group_quota\['quotas'\]"),
        (dict(group_quota={"by": "g", "quotas": {"a": 2, "b": 1}}, overlap=2), "more than overlap=2"),
        (dict(group_quota={"by": "g", "each": ["a", "b", "c"]}, overlap=2), "more than overlap=2"),
        (dict(group_quota={"by": "g", "each": True}, overlap=2), r"group_quota\['each'\] must list"),
        (dict(group_quota={"by": "g", "each": "woman"}, overlap=2), r"group_quota\['each'\] must list"),
        (dict(group_quota={"by": "g", "each": ["a", "a"]}, overlap=2), "given twice"),
        (dict(group_quota={"by": "g", "each": [None]}, overlap=2), "is not a group"),
        (dict(group_quota={"by": "g", "each": [PREFER_NOT_TO_SAY]}, overlap=2), "is not a group"),
    ]
    for kw, match in bad:
        with pytest.raises(ValueError, match=match):
            review(df, db, "ann", **kw)
    assert not db.exists()  # bad options write nothing
    assert resolve_group_quota({"by": "g", "each": ["a", 3]}, 3) == {"by": "g", "quotas": {"a": 1, "3": 1}}
    assert resolve_group_quota({"by": "g", "quotas": {"a": 2}}, 3) == {"by": "g", "quotas": {"a": 2}}
    with pytest.raises(ValueError, match="quotas reserve 3 slots per item, more than overlap k=2"):
        Store(tmp_path / "t.db").claim("t", "a", ["i1"], k=2, limit=1, group="a", quotas={"a": 3})


def test_the_group_comes_from_the_latest_consented_profile(tmp_path: Path) -> None:
    store = Store(tmp_path / "p.db")
    assert group_of(store, "ann", "gender") is None  # no profile
    profile(store, "ann", {"gender": "man"}, consent=True)
    profile(store, "ann", {"gender": "woman", "age": 3}, consent=True)  # a new version
    profile(store, "bob", {"gender": PREFER_NOT_TO_SAY}, consent=True)
    profile(store, "cy", {"age": 40}, consent=True)
    assert group_of(store, "ann", "gender") == "woman"
    assert group_of(store, "ann", "age") == "3"
    assert group_of(store, "bob", "gender") is None
    assert group_of(store, "cy", "gender") is None
    assert group_of(store, "cy", "age") == "40"


# -- one process ------------------------------------------------------------------------


def test_quotas_in_one_process(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    groups = {"w1": "woman", "w2": "woman", "m1": "man", "x1": None, "p1": None}
    for name, g in groups.items():
        if g is not None:
            profile(db, name, {"gender": g}, consent=True)
    profile(db, "p1", {"gender": PREFER_NOT_TO_SAY}, consent=True)
    df = frame(12)
    # women first: each woman may take only the one woman slot, so the second woman is
    # handed nothing while the first holds every item
    w1 = review(df, db, "w1", overlap=2, group_quota=GQ)
    assert w1.current is not None
    w1_claimed = set(w1._queue.page(0, 12))
    assert len(w1_claimed) == 12
    w2 = review(df, db, "w2", overlap=2, group_quota=GQ)
    assert w2.current is None  # every item's woman slot is held: skipped, not doubled
    # nor may someone of no group take the man's slot
    x1 = review(df, db, "x1", overlap=2, group_quota=GQ)
    assert x1.current is None
    m1 = review(df, db, "m1", overlap=2, group_quota=GQ)
    rate_all(w1, m1, w2, x1)
    pi = per_item(db, groups)
    assert len(pi) == 12 and (pi["count"] == 2).all() and (pi["nunique"] == 2).all()
    assert (pi["women"] == 1).all() and (pi["men"] == 1).all()
    assert Store(db).rating_counts("classification") == {f"i{i}": 2 for i in range(12)}
    # k = 3 with one open slot: the second woman or the person of no group takes it
    df2 = frame(10)
    ws = [review(df2, db, n, overlap=3, group_quota=GQ, task="k3") for n in ("w1", "w2", "x1", "p1", "m1")]
    rate_all(*ws)
    d = hw.open_store(db).decisions("k3").assign(group=lambda t: t["annotator"].map(groups))
    g = d.groupby("item_id")
    assert len(g) == 10 and (g.size() == 3).all() and (g["annotator"].nunique() == 3).all()
    assert (g["group"].apply(lambda s: (s == "woman").sum()) >= 1).all()
    assert (g["group"].apply(lambda s: (s == "man").sum()) == 1).all()  # the one man: every item
    # and reopening never hands anyone an item twice
    for n in groups:
        assert review(df2, db, n, overlap=3, group_quota=GQ, task="k3").current is None


def test_each_and_a_short_pool(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    for name, g in {"w1": "woman", "w2": "woman", "n1": "nonbinary"}.items():
        profile(db, name, {"gender": g}, consent=True)
    df = frame(6)
    each = {"by": "gender", "each": ["woman", "man"]}
    ws = [review(df, db, n, overlap=3, group_quota=each) for n in ("w1", "w2", "n1")]
    rate_all(*ws)
    d = hw.open_store(db).decisions("classification")
    g = d.groupby("item_id")["annotator"]
    # no man in the pool: the man's slot stays free, so items stop at 2 of 3, never more,
    # and never one annotator twice (w1 + the open slot's taker)
    assert len(g) == 6 and (g.size() == 2).all() and (g.nunique() == 2).all()
    # a man arriving later fills exactly the slot kept for him
    profile(db, "m1", {"gender": "man"}, consent=True)
    m1 = review(df, db, "m1", overlap=3, group_quota=each)
    rate_all(m1)
    g = hw.open_store(db).decisions("classification").groupby("item_id")["annotator"]
    assert (g.size() == 3).all() and (g.nunique() == 3).all()


def test_store_claim_counts_groups(tmp_path: Path) -> None:
    s = Store(tmp_path / "s.db")
    q = {"woman": 1, "man": 1}
    items = ["a", "b", "c"]
    assert s.claim("t", "w1", items, k=3, limit=10, group="woman", quotas=q) == items
    assert s.claim("t", "w2", items, k=3, limit=1, group="woman", quotas=q) == ["a"]  # the open slot
    assert s.claim("t", "w3", items, k=3, limit=10, group="woman", quotas=q) == ["b", "c"]
    assert s.claim("t", "x", items, k=3, limit=10, group=None, quotas=q) == []  # open slots gone
    assert s.claim("t", "m1", items, k=3, limit=10, group="man", quotas=q) == items
    assert s.claim("t", "m2", items, k=3, limit=10, group="man", quotas=q) == []  # k reached
    # her own claims are handed back to her (she does not count against herself)
    assert s.claim("t", "w1", items, k=3, limit=10, group="woman", quotas=q) == items
    rows = s.backend.fetch("SELECT annotator, grp FROM claims WHERE task = 't' AND item_id = 'a'")
    assert dict(rows) == {"w1": "woman", "w2": "woman", "m1": "man"}


# -- an old store --------------------------------------------------------------------------


def _claim_row(con: Any, item: str, ann: str, done: int) -> None:
    con.execute(
        "INSERT INTO claims (task, item_id, annotator, claimed_at, expires_at, done) "
        "VALUES ('classification', %s, %s, '2026-01-01T00:00:00.000Z', 1e12, %s)".replace(
            "%s", "?" if isinstance(con, sqlite3.Connection) else "%s"
        ),
        (item, ann, done),
    )


def test_a_store_without_the_group_column_opens_and_claims(store_target: str) -> None:
    serial, real = (
        ("INTEGER PRIMARY KEY AUTOINCREMENT", "REAL")
        if not store_target.startswith("postgresql")
        else ("BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", "DOUBLE PRECISION")
    )
    con: Any
    if store_target.startswith("postgresql"):
        import psycopg

        con = psycopg.connect(store_target, autocommit=True)
    else:
        con = sqlite3.connect(store_target)
    for v in (1, 2, 3, 4):
        for stmt in MIGRATIONS[v]:
            con.execute(stmt.format(serial=serial, real=real))
    con.execute("INSERT INTO meta VALUES ('schema_version', '4')")
    con.execute("INSERT INTO meta VALUES ('store_id', 'old')")
    _claim_row(con, "i0", "old1", 1)  # rated before groups were recorded
    _claim_row(con, "i1", "old1", 0)  # held, not yet rated
    if isinstance(con, sqlite3.Connection):
        con.commit()
    con.close()
    with Store(store_target) as s:
        assert s.schema_version == SCHEMA_VERSION == 5 and s.store_id == "old"
        assert s.rating_counts("classification") == {"i0": 1}
    profile(store_target, "w1", {"gender": "woman"}, consent=True)
    profile(store_target, "m1", {"gender": "man"}, consent=True)
    with Store(store_target) as s:
        # the old claims hold open slots (group unknown): with k = 2 and a woman's and a
        # man's slot reserved there is none open, so a woman is still handed i0 and i1
        # (the quota counts only holders recorded in a group) and never more than k
        got = s.claim(
            "classification", "w1", ["i0", "i1", "i2"], k=2, limit=5, group="woman", quotas=GQ["quotas"]
        )
        assert got == ["i0", "i1", "i2"]
        got = s.claim(
            "classification", "m1", ["i0", "i1", "i2"], k=2, limit=5, group="man", quotas=GQ["quotas"]
        )
        assert got == ["i2"]  # i0 and i1 have their k = 2 holders
    w = review(frame(4), store_target, "m1", overlap=2, group_quota=GQ)
    seen = []
    while w.current is not None:
        seen.append(w.current["item_id"])
        w.accept()
    assert sorted(seen) == ["i2", "i3"]


# -- four processes ------------------------------------------------------------------------

WORKER = textwrap.dedent(
    """
    import json, sys
    import pandas as pd
    import hitl_widgets as hw
    target, name, n_items, k, gq = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    df = pd.DataFrame({"text": [f"claim text {i}" for i in range(n_items)],
                       "pred": ["auto"] * n_items, "confidence": 0.5},
                      index=[f"i{i}" for i in range(n_items)])
    w = hw.ClassificationReview(df, labels=["auto", "theft"], store=target, annotator=name,
                                overlap=k, group_quota=json.loads(gq), prefetch=4)
    done = 0
    while w.current is not None:
        w.correct("theft" if done % 2 else "auto")
        done += 1
    w.close()
    print(done)
    """
)


def run_four(
    target: str, tmp_path: Path, names: list[str], n_items: int, k: int, gq: dict[str, Any]
) -> list[int]:
    import json

    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    ps = [
        subprocess.Popen(
            [sys.executable, str(script), target, n, str(n_items), str(k), json.dumps(gq)],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for n in names
    ]
    made = [int(p.communicate(timeout=600)[0].strip()) for p in ps]
    assert all(p.returncode == 0 for p in ps)
    return made


@pytest.mark.slow
def test_four_processes_with_quotas(store_target: str, tmp_path: Path) -> None:
    """k = 3, a woman's and a man's slot reserved and one open: two women, one man and
    one annotator of no group (no profile) at once."""
    groups: dict[str, str | None] = {"w0": "woman", "w1": "woman", "m0": "man", "x0": None}
    for name, g in groups.items():
        if g is not None:
            profile(store_target, name, {"gender": g}, consent=True)
    n_items, k = 120, 3
    made = run_four(store_target, tmp_path, list(groups), n_items, k, GQ)
    assert sum(made) == n_items * k and made[2] == n_items  # the one man rated every item
    store = hw.open_store(store_target)
    ev = store.events("classification")
    assert len(ev) == sum(made) and ev["event_id"].is_unique
    pi = per_item(store_target, groups)
    assert len(pi) == n_items
    assert (pi["count"] == k).all() and (pi["nunique"] == k).all()  # exactly k, none twice
    assert (pi["women"] >= 1).all() and (pi["men"] == 1).all()  # every item's quota met
    assert Store(store_target).rating_counts("classification") == {f"i{i}": k for i in range(n_items)}


@pytest.mark.slow
def test_four_processes_one_from_each_group(store_target: str, tmp_path: Path) -> None:
    """k = 2, one from each group: two women and two men at once."""
    groups: dict[str, str | None] = {"w0": "woman", "m0": "man", "w1": "woman", "m1": "man"}
    for name, g in groups.items():
        profile(store_target, name, {"gender": g}, consent=True)
    n_items, k = 120, 2
    made = run_four(
        store_target, tmp_path, list(groups), n_items, k, {"by": "gender", "each": ["woman", "man"]}
    )
    # each group fills its slot of every item; which of its two members takes how many
    # depends on who starts first (one can take them all: no share is promised)
    by_name = dict(zip(groups, made, strict=True))
    assert sum(made) == n_items * k
    assert by_name["w0"] + by_name["w1"] == n_items and by_name["m0"] + by_name["m1"] == n_items, made
    pi = per_item(store_target, groups)
    assert len(pi) == n_items
    assert (pi["count"] == k).all() and (pi["nunique"] == k).all()
    assert (pi["women"] == 1).all() and (pi["men"] == 1).all()
