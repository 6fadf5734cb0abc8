"""`MonitorWidget`: the monitor's figures live in a notebook, with the pause switch.

A daemon thread polls the store every `refresh` seconds with one cheap query (the largest
event number and the count of events of the task and of every task, ``"*"``), and only
when that changed recomputes the figures (`Monitor.audit_error`, `expected_error`,
`alerts`, the pause switch; reading only the events written since the last recompute,
through a `cache.RoutedCache`) and sets the one synced trait `figures`, a JSON-able dict. So
events written by other processes or machines (a SQLite file or PostgreSQL) show up
within `refresh` seconds, and the kernel's main thread (the notebook, review widgets) never
waits on a recomputation. The browser's Pause / Resume button sends a message; the kernel
writes the switch with `Monitor.pause` / `Monitor.resume`, ``by`` the widget's `overseer`.

>>> w = MonitorWidget("reviews.db", task="claims", overseer="ana",
...                   rules=["running_low > 0.05"])         # doctest: +SKIP
>>> w                                                         # doctest: +SKIP
>>> w.close()   # stops the thread                            # doctest: +SKIP
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import pandas as pd
import traitlets

from ..store import Store, utc_now
from ..store.backends import SQLiteBackend, is_postgres_url
from .alerts import alerts as _alerts
from .alerts import parse_rule
from .cache import RoutedCache
from .monitor import Monitor
from .switch import EVERY_TASK

STATIC = Path(__file__).resolve().parents[1] / "static"
_log = logging.getLogger("hitl_widgets.monitor")

#: what each interval is valid for, shown under it
CP_MEANING = "one-look {level:g}% Clopper-Pearson interval: valid for a single look at this window"
CS_MEANING = (
    "{level:g}% confidence sequence: valid however often it is watched (anytime-valid); "
    "its lower end above the target raises the alarm"
)
#: the largest number of windows sent to the browser's chart
MAX_WINDOWS = 500
#: the longest reason the browser may send (characters)
MAX_REASON = 2000


def _num(x: Any) -> float | int | None:
    """A JSON-able number (None for NaN, missing, infinite)."""
    if x is None or x is pd.NaT:
        return None
    if isinstance(x, (bool, np.bool_)):
        return int(bool(x))
    if isinstance(x, (int, np.integer)):
        return int(x)
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _time(t: Any) -> str | None:
    if t is None or (not isinstance(t, str) and pd.isna(t)):
        return None
    ts = pd.Timestamp(t)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.isoformat(timespec="seconds").replace("+00:00", "Z")


def _alarm_since(f: pd.DataFrame) -> str | None:
    """The start of the window where the alarm that is on now went on (None: it is off)."""
    on = f["alarm"].astype(bool).to_numpy()
    if not len(on) or not on[-1]:
        return None
    off = np.flatnonzero(~on)
    return _time(f["window_start"].iloc[int(off[-1]) + 1 if len(off) else 0])


class MonitorWidget(anywidget.AnyWidget):
    """The live monitor of a routed task: its figures, refreshed when the store changes,
    and the pause switch.

    monitor_or_store: a `Monitor` (its task and settings are used), or a store (a `Store`
        or its path / URL) watched with `task`, `window`, `target_error` and `alpha`.
    refresh: seconds between two polls of the store (a poll is one small query; the
        figures are recomputed only when the task's events changed).
    rules, persist: alert rules (``"running_low > 0.05"``, see `hitl_widgets.monitor.alerts`),
        shown when they fire.
    overseer: the name written as ``by`` with a pause or resume from the browser; without
        it the switch is shown but cannot be used from the page.
    """

    _esm = STATIC / "monitor.js"
    _css = STATIC / "monitor.css"

    figures = traitlets.Dict().tag(sync=True)

    def __init__(
        self,
        monitor_or_store: Monitor | Store | str,
        task: str | None = None,
        *,
        refresh: float = 2.0,
        rules: str | Iterable[str] = (),
        persist: int = 1,
        overseer: str | None = None,
        window: str | None = None,
        target_error: float | None = None,
        alpha: float | None = None,
    ) -> None:
        if isinstance(monitor_or_store, Monitor):
            m = monitor_or_store
            if task is not None and str(task) != m.task:
                raise ValueError(f"task={task!r}: the monitor watches task {m.task!r}")
            if window is not None or target_error is not None or alpha is not None:
                m = Monitor(
                    m.store,
                    m.task,
                    window=m.window if window is None else window,
                    target_error=m.target_error if target_error is None else target_error,
                    alpha=m.alpha if alpha is None else alpha,
                )
        else:
            m = Monitor(
                monitor_or_store,
                task="routing" if task is None else task,
                window="1D" if window is None else window,
                target_error=0.05 if target_error is None else target_error,
                alpha=0.05 if alpha is None else alpha,
            )
        if isinstance(refresh, bool) or not isinstance(refresh, (int, float)) or not refresh > 0:
            raise ValueError(f"refresh must be a positive number of seconds, got {refresh!r}")
        self.rules = [rules] if isinstance(rules, str) else [str(r) for r in rules]
        for r in self.rules:
            parse_rule(r)  # refused now, not in the thread
        if isinstance(persist, bool) or not isinstance(persist, int) or persist < 1:
            raise ValueError(f"persist must be a positive integer, got {persist!r}")
        if overseer is not None and (not isinstance(overseer, str) or not overseer.strip()):
            raise ValueError(f"overseer must be a name, got {overseer!r}")
        self.monitor = m
        self.refresh = float(refresh)
        self.persist = persist
        self.overseer = overseer.strip() if overseer else None
        self._notice: dict[str, Any] | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._compute_lock = threading.Lock()
        self._own: Store | None = None  # the thread's own connection (SQLite)
        self._fingerprint: tuple[Any, ...] | None = None
        self._cache = RoutedCache()  # the routed items: only new route events read per refresh
        self._last_error: str | None = None
        self.polls = 0  # polls of the store (a counter for tests and the curious)
        self.recomputes = 0
        super().__init__(figures=self._base(loading=True))
        self.on_msg(self._on_msg)
        self._thread = threading.Thread(target=self._run, name=f"hitl-monitor-{m.task}", daemon=True)
        self._thread.start()

    def __repr__(self) -> str:
        state = "closed" if self._stop.is_set() else f"refresh every {self.refresh:g} s"
        return f"MonitorWidget({self.monitor!r}, {state})"

    # -- the thread ------------------------------------------------------------
    @property
    def running(self) -> bool:
        """Whether the polling thread is alive."""
        return self._thread.is_alive()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    self._tick(force=False)
                except Exception as exc:  # never let the thread die: show the trouble
                    text = f"{type(exc).__name__}: {exc}"
                    if text != self._last_error:  # logged once, not at every poll
                        _log.warning("monitor refresh failed: %s", text, exc_info=True)
                    self._last_error = text
                    self._fingerprint = None  # recompute at the next poll that works
                    self._publish(self._base(error=text))
                self._wake.wait(self.refresh)
                self._wake.clear()
        finally:
            with self._compute_lock:
                if self._own is not None:
                    self._own.close()
                    self._own = None

    def _store(self) -> Store | str:
        """The store the figures are read from: for SQLite a connection of the widget's own
        (so that the kernel's other users of the store never wait on its lock), opened once."""
        target = self.monitor.store
        if self._own is not None:
            return self._own
        if isinstance(target, Store):
            if not isinstance(target.backend, SQLiteBackend):
                return target  # PostgreSQL: its lock is held one short query at a time
            own = Store(target.backend.path, create=False)
        elif is_postgres_url(target):
            own = Store(target, create=False)
        else:
            try:
                own = Store(target, create=False)
            except FileNotFoundError:
                return target  # not there yet: polled again next time
        self._own = own
        return own

    def _poll(self, store: Store | str) -> tuple[Any, ...]:
        """The cheap look: the last event number and the count of events of the task (and
        of every task, whose switch applies to it)."""
        if not isinstance(store, Store):
            if not Path(str(store)).expanduser().exists():
                return ("missing",)
            raise FileNotFoundError(store)  # pragma: no cover - opened above when present
        sql = "SELECT MAX(seq), COUNT(*) FROM events WHERE task = ? OR task = ?"

        def look(st: Store) -> Any:
            return st.backend.fetch(sql, (self.monitor.task, EVERY_TASK))

        with store._lock:
            rows = store._run(look, (), {})
        self.polls += 1
        return tuple(rows[0]) if rows else (None, 0)

    def _tick(self, force: bool) -> bool:
        """Poll; recompute and publish when the task's events changed (or `force`).
        Returns whether it recomputed."""
        with self._compute_lock:
            if self._stop.is_set():
                if force:
                    raise RuntimeError("this MonitorWidget is closed: open a new one")
                return False
            store = self._store()
            fp = self._poll(store)
            if not force and fp == self._fingerprint:
                return False
            if fp == ("missing",):
                figures = self._base(error=f"the store {self.monitor.store!s} does not exist yet")
            else:
                figures = self._compute(store, fp)
            self._fingerprint = fp
            self.recomputes += 1
        self._publish(figures)
        return True

    def _publish(self, figures: dict[str, Any]) -> None:
        if self._notice is not None:
            figures["notice"] = self._notice
        self.figures = figures

    # -- the figures -----------------------------------------------------------
    def _base(self, **extra: Any) -> dict[str, Any]:
        m = self.monitor
        level = round(100 * (1 - m.alpha), 6)
        out: dict[str, Any] = {
            "task": m.task,
            "window": str(m.window),
            "target_error": m.target_error,
            "alpha": m.alpha,
            "level": level,
            "cp_meaning": CP_MEANING.format(level=level),
            "cs_meaning": CS_MEANING.format(level=level),
            "overseer": self.overseer,
            "rules": list(self.rules),
            "persist": self.persist,
            "refresh": self.refresh,
            "updated_at": utc_now(),
            "loading": False,
            "error": None,
            "paused": None,
            "latest": None,
            "running": None,
            "expected": None,
            "auto": None,
            "alerts": [],
            "series": [],
            "seq": None,
            "notice": None,
        }
        out.update(extra)
        return out

    def _compute(self, store: Store | str, fp: tuple[Any, ...]) -> dict[str, Any]:
        src = self.monitor
        m = Monitor(store, src.task, window=src.window, target_error=src.target_error, alpha=src.alpha)
        m._cache = self._cache
        out = self._base(seq=_num(fp[0]), events=_num(fp[1]))
        st = self._cache.pause_state(store, src.task) if isinstance(store, Store) else m.paused
        out["paused"] = {"paused": bool(st.paused), "by": st.by, "at": st.at, "why": st.why}
        r, d = m._frames()  # read once, for the audit figures and the expected error
        try:
            f = m.audit_error(routed=r, decisions=d)
        except ValueError as exc:  # no routes or no audits yet: said, the rest still shown
            out["error"] = str(exc)
            return out
        if not len(f):
            out["error"] = "no routes or audits since the restart yet"
            return out
        last = f.iloc[-1]
        # the latest window with audits: the current one may have none yet
        audited = f[f["audits"] > 0]
        w = audited.iloc[-1] if len(audited) else last
        out["latest"] = {
            "window_start": _time(w["window_start"]),
            "window_end": _time(w["window_end"]),
            "current": bool(w["window_start"] == last["window_start"]),
            "audits": _num(w["audits"]),
            "errors": _num(w["errors"]),
            "error": _num(w["audit_error"]),
            "low": _num(w["audit_error_low"]),
            "upper": _num(w["audit_error_upper"]),
        }
        out["running"] = {
            "audits": _num(last["running_audits"]),
            "errors": _num(last["running_errors"]),
            "error": _num(last["running_error"]),
            "low": _num(last["running_low"]),
            "upper": _num(last["running_upper"]),
            "alarm": bool(last["alarm"]),
            "alarm_since": _alarm_since(f),
        }
        out["auto"] = {
            "routed": _num(last["routed"]),
            "auto_accepted": _num(last["auto_accepted"]),
            "share": _num(last["auto_share"]),
            "routed_total": _num(f["routed"].sum()),
            "auto_total": _num(f["auto_accepted"].sum()),
        }
        e = m.expected_error(routed=r)
        out["expected"] = {
            "estimate": _num(e.estimate),
            "low": _num(e.interval[0]),
            "high": _num(e.interval[1]),
            "n": int(e.n),
            "confidence": _num(e.confidence),
            "assumption": e.assumption,
        }
        if self.rules:
            fired = _alerts(f, self.rules, persist=self.persist)
            out["alerts"] = [
                {
                    "rule": str(a["rule"]),
                    "metric": str(a["metric"]),
                    "value": _num(a["value"]),
                    "threshold": _num(a["threshold"]),
                    "window_start": _time(a["window_start"]),
                    "row": int(a["row"]),
                }
                for a in fired.to_dict("records")
            ]
        tail = f.iloc[-MAX_WINDOWS:]
        out["series"] = [
            {
                "window_start": _time(r["window_start"]),
                "audits": _num(r["audits"]),
                "audit_error": _num(r["audit_error"]),
                "running_error": _num(r["running_error"]),
                "running_low": _num(r["running_low"]),
                "running_upper": _num(r["running_upper"]),
                "alarm": bool(r["alarm"]),
            }
            for r in tail.to_dict("records")
        ]
        return out

    # -- API -------------------------------------------------------------------
    def refresh_now(self) -> dict[str, Any]:
        """Recompute now, on the calling thread, whether or not the store changed; returns
        the figures (as synced)."""
        self._tick(force=True)
        return dict(self.figures)

    def close(self) -> None:
        """Stop the polling thread (it closes its store connection) and close the widget."""
        stop, wake, thread = (getattr(self, n, None) for n in ("_stop", "_wake", "_thread"))
        if stop is not None and wake is not None:  # (None: __init__ refused its arguments)
            stop.set()
            wake.set()
        if thread is not None and thread.is_alive() and thread is not threading.current_thread():
            thread.join(timeout=max(5.0, 2 * self.refresh))
        super().close()

    # -- the switch -------------------------------------------------------------
    def _switch(self, action: str, why: Any) -> dict[str, Any]:
        """Write a pause or resume with ``by`` the overseer; the notice the page shows."""
        if self.overseer is None:
            raise ValueError(
                "this monitor has no overseer: open it with MonitorWidget(..., overseer='your name') "
                "to pause or resume from it"
            )
        if not isinstance(why, str):
            raise ValueError("why: the reason must be text")
        if len(why) > MAX_REASON:
            raise ValueError(f"why: at most {MAX_REASON} characters")
        if action == "pause":
            st = self.monitor.pause(by=self.overseer, why=why)
        else:
            st = self.monitor.resume(by=self.overseer, why=why)
        return {"ok": True, "action": action, "text": f"{action}d by {st.by} at {st.at}"}

    def _on_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        """The page's Pause / Resume: ``{type: "pause" | "resume", why, req}``; answered
        with ``{type: "switched", req, ok, action, text}`` (never raised in the handler)."""
        if not isinstance(content, dict) or content.get("type") not in ("pause", "resume"):
            return
        action = str(content["type"])
        req = content.get("req") if isinstance(content.get("req"), str) else None
        try:
            notice = self._switch(action, content.get("why", ""))
        except Exception as exc:  # said on the page
            notice = {"ok": False, "action": action, "text": str(exc)}
        self._notice = notice
        self.send({"type": "switched", "req": req, **notice})
        self._wake.set()  # the thread sees the new event and republishes

    def pause(self, why: str) -> None:
        """Pause as the page's button does (`Monitor.pause` with ``by`` the overseer), for
        scripts; raises ValueError where the page would show the refusal."""
        self._notice = self._switch("pause", why)
        self._wake.set()

    def resume(self, why: str = "") -> None:
        """Resume as the page's button does."""
        self._notice = self._switch("resume", why)
        self._wake.set()
