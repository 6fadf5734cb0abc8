"""The live monitor widget: its figures are the monitor's, it sees other processes' writes
by polling, its pause message writes the switch, and close() stops its thread."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hitl_widgets.monitor import Monitor, MonitorWidget, pause_state
from hitl_widgets.routing import Router
from hitl_widgets.store import Store

LABELS = ["ok", "bad"]
ROOT = Path(__file__).resolve().parents[1]
HOSTILE = "<img src=x onerror=alert(1)> '; DROP TABLE events; -- \u202e"


def batch(n: int, seed: int, start: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": [f"i{k}" for k in range(start, start + n)],
            "text": [f"item {k}" for k in range(start, start + n)],
            "pred": "ok",
            "confidence": rng.uniform(0.8, 1.0, n),
        }
    )


def decisions(ids: list[str], wrong_every: int, task: str = "t") -> list[dict]:
    return [
        {
            "event_id": f"decide-{i}",
            "task": task,
            "item_id": i,
            "action": "correct" if j % wrong_every == 0 else "accept",
            "label_before": "ok",
            "label_after": "bad" if j % wrong_every == 0 else "ok",
            "model_label": "ok",
            "annotator": "ann",
        }
        for j, i in enumerate(ids)
    ]


def routed_store(path: Path, n: int = 300) -> tuple[Store, list[str]]:
    """A store with one routed batch of task "t" whose first half of audits is decided."""
    store = Store(path)
    res = Router(LABELS, thresholds=0.85, audit_rate=0.3, seed=2).route(
        batch(n, 0), id="id", store=store, task="t"
    )
    ids = res.frame.loc[res.frame["audit"], "id"].tolist()
    store.append(decisions(ids[: len(ids) // 2], wrong_every=4))
    return store, ids


def wait(predicate, timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())


@pytest.fixture
def widgets():
    made: list[MonitorWidget] = []
    yield made
    for w in made:
        w.close()


def test_the_figures_are_the_monitors(tmp_path, widgets):
    store, _ = routed_store(tmp_path / "m.db")
    rules = ["running_error > 0.1", "auto_share < 0.2"]
    w = MonitorWidget(store, task="t", refresh=60, rules=rules, overseer="ana")
    widgets.append(w)
    f = w.refresh_now()
    json.dumps(f, allow_nan=False)  # JSON as it is synced: no NaN, no timestamps
    m = Monitor(store, task="t")
    expect = m.audit_error()
    last = expect.iloc[-1]
    assert f["task"] == "t" and f["target_error"] == 0.05 and f["error"] is None
    audited = expect[expect["audits"] > 0].iloc[-1]  # the latest window with audits
    assert f["latest"]["audits"] == audited["audits"] and f["latest"]["errors"] == audited["errors"]
    assert (f["latest"]["low"], f["latest"]["upper"]) == pytest.approx(
        (audited["audit_error_low"], audited["audit_error_upper"])
    )
    assert f["latest"]["current"] == (audited["window_start"] == last["window_start"])
    r = f["running"]
    assert (r["audits"], r["errors"]) == (last["running_audits"], last["running_errors"])
    assert (r["error"], r["low"], r["upper"]) == pytest.approx(
        (last["running_error"], last["running_low"], last["running_upper"])
    )
    assert r["alarm"] == bool(last["alarm"])
    assert f["auto"]["share"] == pytest.approx(last["auto_share"])
    assert f["auto"]["auto_accepted"] == last["auto_accepted"] and f["auto"]["routed"] == last["routed"]
    e = m.expected_error()
    assert f["expected"]["estimate"] == pytest.approx(e.estimate) and f["expected"]["n"] == e.n
    assert "calibrated" in f["expected"]["assumption"]
    assert "single look" in f["cp_meaning"] and "however often" in f["cs_meaning"]
    fired = m.alerts(rules)
    assert [a["rule"] for a in f["alerts"]] == list(fired["rule"])
    assert len(f["series"]) == len(expect)
    assert [s["running_error"] for s in f["series"]] == pytest.approx(list(expect["running_error"]))
    assert f["paused"] == {"paused": False, "by": None, "at": None, "why": None}
    # the same through Monitor.widget, with the monitor's settings
    w2 = Monitor(store, task="t", target_error=0.2, window="6h").widget(refresh=60)
    widgets.append(w2)
    f2 = w2.refresh_now()
    assert f2["target_error"] == 0.2 and f2["window"] == "6h" and f2["overseer"] is None
    with pytest.raises(ValueError, match="unknown metric"):
        MonitorWidget(store, task="t", rules=["mood > 1"])
    with pytest.raises(ValueError, match="refresh must be"):
        MonitorWidget(store, task="t", refresh=0)


def test_a_store_without_routes_says_so_and_shows_the_switch(tmp_path, widgets):
    path = tmp_path / "later.db"
    w = MonitorWidget(str(path), task="t", refresh=60)
    widgets.append(w)
    assert "does not exist yet" in w.refresh_now()["error"]
    Store(path).close()
    f = w.refresh_now()
    assert "no route events" in f["error"] and f["paused"]["paused"] is False


def test_writes_from_another_process_show_up_by_polling(tmp_path, widgets):
    path = tmp_path / "m.db"
    store, ids = routed_store(path)
    store.close()
    w = MonitorWidget(str(path), task="t", refresh=0.2)
    widgets.append(w)
    assert wait(lambda: w.figures.get("running") is not None), w.figures
    before = w.figures["running"]["audits"]
    assert before == len(ids) // 2
    # unchanged store: polled, not recomputed
    recomputes, polls = w.recomputes, w.polls
    assert wait(lambda: w.polls >= polls + 3)
    assert w.recomputes == recomputes
    # another process decides the other audits, all wrong, and routes a new batch
    rest = ids[len(ids) // 2 :]
    code = textwrap.dedent(
        f"""
        import json, sys
        sys.path.insert(0, {str(ROOT)!r})
        import numpy as np, pandas as pd
        from hitl_widgets.routing import Router
        from hitl_widgets.store import Store
        st = Store({str(path)!r})
        st.append(json.loads(sys.stdin.read()))
        df = pd.DataFrame({{"id": ["n1", "n2"], "text": ["a", "b"], "pred": "ok", "confidence": [0.99, 0.5]}})
        Router(["ok", "bad"], thresholds=0.85, audit_rate=0.3, seed=2).route(df, id="id", store=st, task="t")
        st.close()
        """
    )
    t0 = time.monotonic()
    subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(decisions(rest, wrong_every=1)),
        text=True,
        check=True,
        timeout=60,
    )
    assert wait(lambda: w.figures["running"]["audits"] == len(ids), timeout=10), w.figures["running"]
    assert time.monotonic() - t0 < 30
    f = w.figures
    assert f["running"]["errors"] == len(range(0, len(ids) // 2, 4)) + len(rest)
    assert f["auto"]["routed_total"] == 302


def test_the_pause_message_writes_the_switch_and_routing_sends_everything_to_people(tmp_path, widgets):
    path = tmp_path / "m.db"
    store, _ = routed_store(path)
    w = MonitorWidget(store, task="t", refresh=0.2, overseer="ana")
    widgets.append(w)
    sent: list[dict] = []
    w.send = sent.append  # type: ignore[method-assign]
    w._on_msg(w, {"type": "pause", "why": HOSTILE, "req": "switch-1"}, [])
    st = pause_state(str(path), "t")
    assert st.paused and st.by == "ana" and st.why == HOSTILE  # stored as data, unchanged
    ev = store.events("t", action="pause")
    assert len(ev) == 1 and ev.iloc[0]["note"] == HOSTILE and ev.iloc[0]["annotator"] == "ana"
    assert sent[-1]["type"] == "switched" and sent[-1]["ok"] and sent[-1]["req"] == "switch-1"
    assert wait(lambda: (w.figures.get("paused") or {}).get("paused") is True), w.figures
    assert w.figures["paused"]["why"] == HOSTILE and w.figures["paused"]["by"] == "ana"
    router = Router(LABELS, thresholds=0.5, audit_rate=0.0)
    res = router.route(batch(50, 3, start=1000), id="id", store=store, task="t")
    assert (res.frame["route"] == "review").all()
    assert all("automation paused by ana" in r[0] for r in res.frame["reasons"])
    # resume likewise (the reason may be empty)
    w._on_msg(w, {"type": "resume", "why": "fixed", "req": "switch-2"}, [])
    assert not pause_state(store, "t") and pause_state(store, "t").by == "ana"
    assert wait(lambda: w.figures["paused"]["paused"] is False)
    res = router.route(batch(50, 4, start=2000), id="id", store=store, task="t")
    assert (res.frame["route"] == "auto").all()
    # a pause without a reason is refused, said back, and writes nothing
    n = store.count()
    w._on_msg(w, {"type": "pause", "why": "  ", "req": "switch-3"}, [])
    assert store.count() == n and sent[-1]["ok"] is False and "why" in sent[-1]["text"]
    w._on_msg(w, {"type": "pause", "why": ["not text"]}, [])
    assert store.count() == n and sent[-1]["ok"] is False


def test_without_an_overseer_the_page_cannot_switch(tmp_path, widgets):
    store, _ = routed_store(tmp_path / "m.db")
    w = MonitorWidget(store, task="t", refresh=60)
    widgets.append(w)
    sent: list[dict] = []
    w.send = sent.append  # type: ignore[method-assign]
    n = store.count()
    w._on_msg(w, {"type": "pause", "why": "drift"}, [])
    assert store.count() == n and not sent[-1]["ok"] and "overseer" in sent[-1]["text"]
    with pytest.raises(ValueError, match="no overseer"):  # scripted: raised, not shown
        w.pause("drift")
    assert store.count() == n
    with pytest.raises(ValueError, match="overseer must be a name"):
        MonitorWidget(store, task="t", overseer=" ")


def test_close_stops_the_thread(tmp_path):
    store, _ = routed_store(tmp_path / "m.db")
    w = MonitorWidget(store, task="t", refresh=0.1)
    assert wait(lambda: w.running and w.polls > 0)
    w.close()
    assert not w.running
    polls = w.polls
    time.sleep(0.4)
    assert w.polls == polls
    assert w._own is None  # its own connection closed
    with pytest.raises(RuntimeError, match="closed"):
        w.refresh_now()


def test_on_postgresql_writes_from_another_process_show_up_too(postgres_url, widgets):
    store = Store(postgres_url)
    res = Router(LABELS, thresholds=0.85, audit_rate=0.3, seed=2).route(
        batch(120, 0), id="id", store=store, task="t"
    )
    ids = res.frame.loc[res.frame["audit"], "id"].tolist()
    store.append(decisions(ids[:5], wrong_every=10))
    w = MonitorWidget(postgres_url, task="t", refresh=0.2, overseer="ana")
    widgets.append(w)
    assert wait(lambda: (w.figures.get("running") or {}).get("audits") == 5), w.figures
    code = textwrap.dedent(
        f"""
        import json, sys
        sys.path.insert(0, {str(ROOT)!r})
        from hitl_widgets.store import Store
        st = Store(sys.argv[1])
        st.append(json.loads(sys.stdin.read()))
        st.close()
        """
    )
    subprocess.run(
        [sys.executable, "-c", code, postgres_url],
        input=json.dumps(decisions(ids[5:], wrong_every=1)),
        text=True,
        check=True,
        timeout=60,
    )
    assert wait(lambda: w.figures["running"]["audits"] == len(ids), timeout=10), w.figures["running"]
    assert w.figures["running"]["errors"] == 1 + len(ids) - 5
    w.pause("drift")
    assert pause_state(store, "t").by == "ana"
    assert wait(lambda: w.figures["paused"]["paused"] is True)
    store.close()
