"""The monitor's cache of routed items: incremental reads equal a full recompute."""

from __future__ import annotations

import subprocess
import sys
import uuid

import numpy as np
import pandas as pd
import pytest

from hitl_widgets.monitor import Monitor, MonitorWidget, audit_error, audits
from hitl_widgets.monitor.cache import RoutedCache
from hitl_widgets.routing import Router, routed
from hitl_widgets.store import Store

LABELS = ["ok", "bad"]
DAY0 = (pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=1)).floor("D")


def stamp(day: int, minute: int = 0) -> str:
    t = DAY0 + pd.Timedelta(days=day, hours=12, minutes=minute)
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def items(prefix: str, n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {"id": [f"{prefix}{k}" for k in range(n)], "pred": "ok", "confidence": rng.uniform(0.8, 1.0, n)}
    )


def decide(ids, day: int, wrong_every: int = 3, tag: str = "") -> list[dict]:
    return [
        {
            "event_id": f"decide-{tag}{i}",
            "created_at": stamp(day, j % 60),
            "task": "t",
            "item_id": i,
            "action": "correct" if j % wrong_every == 0 else "accept",
            "label_before": "ok",
            "label_after": "bad" if j % wrong_every == 0 else "ok",
            "model_label": "ok",
            "annotator": "ann",
        }
        for j, i in enumerate(ids)
    ]


def audited_ids(store: Store) -> list[str]:
    r = routed(store, "t")
    return r.loc[r["audit"], "item_id"].tolist()


def check(store: Store, cache: RoutedCache, monitor: Monitor) -> pd.DataFrame:
    """The cache's frame and the monitor's figures equal a fresh full computation."""
    full = routed(store, "t")
    pd.testing.assert_frame_equal(cache.routed(store, "t"), full)
    fresh = audit_error(store, "t", window="1D")
    pd.testing.assert_frame_equal(monitor.audit_error(), fresh)
    d = store.decisions("t")
    pd.testing.assert_frame_equal(audits(store, "t", routed=full, decisions=d), audits(store, "t"))
    r, part = cache.frames(store, "t")
    pd.testing.assert_frame_equal(r, full)
    pd.testing.assert_frame_equal(audits(store, "t", routed=r, decisions=part), audits(store, "t"))
    np.testing.assert_equal(tuple(monitor.expected_error()), tuple(Monitor(store, "t").expected_error()))
    return fresh


def test_incremental_routed_items_and_figures_equal_a_full_read_round_after_round(tmp_path):
    db = tmp_path / "c.db"
    store = Store(db)
    cache = RoutedCache()
    monitor = Monitor(str(db), task="t", window="1D")
    router = Router(LABELS, thresholds=0.85, audit_rate=0.3, seed=2)

    # round 1: a batch routed, some audits decided
    router.route(items("a", 200, 0), id="id", store=store, task="t")
    ids = audited_ids(store)
    store.append(decide(ids[: len(ids) // 2], day=0))
    first = check(store, cache, monitor)
    assert cache.full_reads == 1 and monitor._cache.full_reads == 1

    # round 2: a new batch, one item of the first routed again (now an audit, later in
    # the order), more decisions, and an undo of an earlier decision
    router.route(items("b", 150, 1), id="id", store=store, task="t")
    ev = store.events("t", action="route")
    again = ev[ev["item_id"] == "a3"].iloc[-1]
    store.append(
        [
            {
                "event_id": "reroute-a3",
                "created_at": stamp(1),
                "task": "t",
                "item_id": "a3",
                "action": "route",
                "content_hash": again["content_hash"],
                "model_label": "ok",
                "model_confidence": 0.9,
                "note": "review",
                "data": {"auto": False, "audit": True, "reasons": ["random audit"], "policies": []},
            }
        ]
    )
    ids = audited_ids(store)
    assert "a3" in ids
    undone = ids[0]
    undo = {
        "event_id": f"undo-{undone}",
        "created_at": stamp(1, 59),
        "task": "t",
        "item_id": undone,
        "action": "undo",
        "annotator": "ann",
        "data": {"undoes": f"decide-{undone}"},
    }
    # a second annotator on an item decided in round 1, in the very same millisecond
    tie = {**decide([ids[1]], day=0, wrong_every=1, tag="ann2-")[0], "annotator": "ann2"}
    tie["created_at"] = stamp(0, 1)
    store.append([*decide(ids[len(ids) // 2 :], day=1, wrong_every=2), undo, tie])
    assert undone not in set(store.decisions("t")["item_id"])  # the undo took
    second = check(store, cache, monitor)
    assert cache.full_reads == 1 and cache.incremental_reads == 3  # two reads per check
    assert routed(store, "t")["item_id"].iloc[-1] == "a3"  # its latest route, last
    assert int(second["running_audits"].iloc[-1]) != int(first["running_audits"].iloc[-1])

    # round 3: another process routes items (one re-routed) and decides, on the same file
    code = f"""
import pandas as pd
from hitl_widgets.routing import Router
from hitl_widgets.store import Store
s = Store({str(db)!r})
df = pd.DataFrame({{"id": ["c0", "c1", "c2", "b5"], "pred": "ok", "confidence": [0.95, 0.5, 0.99, 0.6]}})
Router({LABELS!r}, thresholds=0.85, audit_rate=0.5, seed=5).route(df, id="id", store=s, task="t")
s.append([{{"event_id": "other-decide", "created_at": {stamp(2)!r}, "task": "t", "item_id": "a3",
           "action": "correct", "label_before": "ok", "label_after": "bad", "model_label": "ok",
           "annotator": "ann"}}])
s.close()
"""
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    check(store, cache, monitor)
    r = routed(store, "t")
    assert r["item_id"].iloc[-4:].tolist() == ["c0", "c1", "c2", "b5"]  # the re-route moved b5 last

    # round 4: nothing new, and a route of another task: nothing changes
    Router(LABELS, thresholds=0.85, audit_rate=0.3, seed=2).route(
        items("z", 5, 9), id="id", store=store, task="other"
    )
    check(store, cache, monitor)
    assert cache.full_reads == 1 and cache.incremental_reads == 7
    assert monitor._cache.full_reads == 1 and monitor._cache.incremental_reads > 3
    store.close()


def test_the_widget_reads_the_routes_once_and_then_only_the_new_ones(tmp_path):
    db = tmp_path / "w.db"
    store = Store(db)
    router = Router(LABELS, thresholds=0.85, audit_rate=0.3, seed=2)
    router.route(items("a", 120, 0), id="id", store=store, task="t")
    store.append(decide(audited_ids(store), day=0))
    w = MonitorWidget(str(db), task="t", refresh=3600.0)
    try:
        w.refresh_now()
        router.route(items("b", 50, 1), id="id", store=store, task="t")
        store.append(decide([i for i in audited_ids(store) if i.startswith("b")], day=1, tag="b"))
        figs = w.refresh_now()
        assert figs["error"] is None
        assert w._cache.full_reads == 1 and w._cache.incremental_reads >= 1
        fresh = audit_error(store, "t", window="1D")
        assert figs["running"]["audits"] == int(fresh["running_audits"].iloc[-1])
        assert figs["running"]["errors"] == int(fresh["running_errors"].iloc[-1])
        assert figs["auto"]["routed_total"] == len(routed(store, "t")) == 170
    finally:
        w.close()
        store.close()


def test_a_replaced_store_is_read_again_in_full(tmp_path):
    db = tmp_path / "r.db"
    cache = RoutedCache()
    with Store(db) as s:
        Router(LABELS, thresholds=0.85, audit_rate=0.3, seed=2).route(
            items("a", 30, 0), id="id", store=s, task="t"
        )
        assert len(cache.routed(s, "t")) == 30
    db.unlink()
    for extra in ("-wal", "-shm"):
        (tmp_path / f"r.db{extra}").unlink(missing_ok=True)
    with Store(db) as s:
        Router(LABELS, thresholds=0.85, audit_rate=0.3, seed=2).route(
            items("b", 3, 0), id="id", store=s, task="t"
        )
        pd.testing.assert_frame_equal(cache.routed(s, "t"), routed(s, "t"))
        assert cache.full_reads == 2


@pytest.mark.parametrize("n", [0, 1])
def test_an_empty_task_then_its_first_routes(tmp_path, n):
    db = tmp_path / f"e{n}.db"
    cache = RoutedCache()
    with Store(db) as s:
        if n:
            s.append([{"event_id": uuid.uuid4().hex, "task": "x", "item_id": "q", "action": "accept"}])
        assert cache.routed(s, "t").empty
        Router(LABELS, thresholds=0.85, audit_rate=0.3, seed=2).route(
            items("a", 10, 0), id="id", store=s, task="t"
        )
        pd.testing.assert_frame_equal(cache.routed(s, "t"), routed(s, "t"))


def test_the_cached_switch_follows_pauses_and_resumes_of_the_task_and_of_every_task(tmp_path):
    from hitl_widgets.monitor import pause, pause_state, resume

    cache = RoutedCache()
    with Store(tmp_path / "p.db") as s:
        Router(LABELS, thresholds=0.85, audit_rate=0.3, seed=2).route(
            items("a", 5, 0), id="id", store=s, task="t"
        )
        steps = [
            lambda: None,
            lambda: pause(s, "t", by="ana", why="drift"),
            lambda: pause(s, "other", by="bo", why="not ours"),
            lambda: resume(s, "t", by="ana"),
            lambda: pause(s, "*", by="cy", why="everything"),
            lambda: None,
            lambda: resume(s, "*", by="cy", why="fixed"),
        ]
        for step in steps:
            step()
            assert cache.pause_state(s, "t") == pause_state(s, "t")
        assert not cache.pause_state(s, "t")
        m = Monitor(s, task="t")
        assert m.expected_error() == m.expected_error() == Monitor(s, task="t").expected_error()


def test_an_item_drawn_again_after_a_decision_while_not_drawn_is_read_again(tmp_path):
    def route(item: str, audit: bool, n: int) -> dict:
        return {
            "event_id": f"route-{item}-{n}",
            "created_at": stamp(0, n),
            "task": "t",
            "item_id": item,
            "action": "route",
            "model_label": "ok",
            "model_confidence": 0.9,
            "data": {"auto": not audit, "audit": audit, "reasons": [], "policies": []},
        }

    cache = RoutedCache()
    monitor = Monitor(str(tmp_path / "d.db"), task="t")
    with Store(tmp_path / "d.db") as s:
        s.append([route("x", True, 0), route("y", True, 0), *decide(["x", "y"], day=0, wrong_every=5)])
        check(s, cache, monitor)
        s.append([route("x", False, 1)])  # no longer drawn
        check(s, cache, monitor)
        s.append(decide(["x"], day=1, wrong_every=1, tag="again-"))  # decided meanwhile: wrong
        check(s, cache, monitor)
        s.append([route("x", True, 2)])  # drawn again: its latest decision counts
        f = check(s, cache, monitor)
        assert int(f["running_errors"].iloc[-1]) == 1
