"""`Monitor`: the settings of one watch over a store's routed task, and its figures."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd

from ..store import Store, using_store
from .alerts import alerts as _alerts
from .audit import _window_offset, utc_time
from .audit import audit_error as _audit_error
from .cache import RoutedCache
from .drift import drift as _drift
from .stats import ExpectedError, _check_level
from .switch import PauseState, pause, pause_state, resume


class Monitor:
    """Watch the automated part of routed task `task` in `store`.

    Holds the settings (`window`, a pandas frequency; `target_error`, the error the
    auto-accepted items must stay under; `alpha`, the allowed chance of a false alarm or
    of an interval missing) and reads the store afresh on every call: the routed items
    through a `RoutedCache` (only the route events written since the last call are read;
    the figures are those of a full read).

    >>> m = Monitor("reviews.db", task="routing")              # doctest: +SKIP
    >>> m.audit_error()  # per window: audits, intervals, running CS, alarm  # doctest: +SKIP
    >>> m.alerts(["running_low > 0.05", "auto_share < 0.5"], persist=2)    # doctest: +SKIP
    >>> m.report().show()                                                # doctest: +SKIP
    """

    def __init__(
        self,
        store: Store | str,
        task: str = "routing",
        window: str = "1D",
        target_error: float = 0.05,
        alpha: float = 0.05,
    ) -> None:
        if not isinstance(store, (Store, str)):
            raise ValueError(f"store must be a Store or its path, got {type(store).__name__}")
        _window_offset(window)  # refused now, not at the first figure
        self.store = store
        self.task = str(task)
        self.window = window
        self.target_error = _check_level(target_error, "target_error")
        self.alpha = _check_level(alpha)
        self._cache = RoutedCache()

    def __repr__(self) -> str:
        return (
            f"Monitor(task={self.task!r}, window={self.window!r}, "
            f"target_error={self.target_error:g}, alpha={self.alpha:g})"
        )

    # -- the switch ------------------------------------------------------------
    def pause(self, *, by: str, why: str) -> PauseState:
        """Send every item of the task to a person (the router and the agent gate, in every
        process sharing the store) until `resume`; stored with who, when and why."""
        return pause(self.store, self.task, by=by, why=why)

    def resume(self, *, by: str, why: str = "") -> PauseState:
        """Let the automation decide again (logged too)."""
        return resume(self.store, self.task, by=by, why=why)

    @property
    def paused(self) -> PauseState:
        """The switch as it stands (truthy when paused)."""
        return pause_state(self.store, self.task)

    def audit_error(self, **kwargs: Any) -> pd.DataFrame:
        """`hitl_widgets.monitor.audit_error` with these settings (`kwargs`: its
        ``confidence_seq_prior``, ``since``; ``routed`` / ``decisions``: frames already
        read, else read here, the routed items through the monitor's cache)."""
        if kwargs.get("routed") is None or kwargs.get("decisions") is None:
            r, d = self._frames()
            if kwargs.get("routed") is None:
                kwargs["routed"] = r
            if kwargs.get("decisions") is None:
                kwargs["decisions"] = d
        return _audit_error(
            self.store,
            self.task,
            window=self.window,
            alpha=self.alpha,
            target_error=self.target_error,
            **kwargs,
        )

    def _frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The routed items and the decisions on the audited ones, through the cache."""
        with using_store(self.store, create=False) as st:
            return self._cache.frames(st, self.task)

    def _routed(self) -> pd.DataFrame:
        with using_store(self.store, create=False) as st:
            return self._cache.routed(st, self.task)

    def _period(self, period: Any, argument: str) -> pd.DataFrame:
        """The routed items of a period: a frame as given, or ``(start, end)`` times
        (either None for open; start included, end excluded) selecting by routing time."""
        if isinstance(period, pd.DataFrame):
            return period
        if not (isinstance(period, tuple) and len(period) == 2):
            raise ValueError(
                f"{argument} must be a DataFrame or a (start, end) pair of times, got {period!r}"
            )
        r = self._routed()
        keep = pd.Series(True, index=r.index)
        for bound, after in zip(period, (True, False), strict=True):
            if bound is None:
                continue
            t = utc_time(bound, argument)
            keep &= (r["routed_at"] >= t) if after else (r["routed_at"] < t)
        return r[keep]

    def drift(self, reference: Any, current: Any, **kwargs: Any) -> pd.DataFrame:
        """`hitl_widgets.monitor.drift` between two periods of the routed items (frames,
        or ``(start, end)`` times; `kwargs` go to `drift`)."""
        return _drift(self._period(reference, "reference"), self._period(current, "current"), **kwargs)

    def expected_error(self, routed: pd.DataFrame | None = None) -> ExpectedError:
        """The error the confidences predict among the task's auto-accepted items
        (`hitl_widgets.monitor.expected_error`, at level 1 - alpha); `routed`: the task's
        routed items already read (``routing.routed``), else read here."""
        r = self._routed() if routed is None else routed
        conf = pd.to_numeric(r.loc[r["auto"], "model_confidence"], errors="coerce").dropna()
        return self._cache.expected_error(conf.to_numpy(dtype=float), level=1 - self.alpha)

    def alerts(
        self,
        rules: str | Iterable[str],
        persist: int = 1,
        callback: Callable[[dict[str, Any]], Any] | None = None,
    ) -> pd.DataFrame:
        """`hitl_widgets.monitor.alerts` over this monitor's `audit_error` figures."""
        return _alerts(self.audit_error(), rules, persist=persist, callback=callback)

    def widget(
        self,
        *,
        refresh: float = 2.0,
        rules: str | Iterable[str] = (),
        persist: int = 1,
        overseer: str | None = None,
    ) -> Any:
        """The live `MonitorWidget` of this monitor: its figures refreshed (every `refresh`
        seconds, when the store changed), the alerts of `rules`, and the pause switch
        (written with ``by=overseer``)."""
        from .widget import MonitorWidget

        return MonitorWidget(self, refresh=refresh, rules=rules, persist=persist, overseer=overseer)

    def report(self, rules: str | Iterable[str] | None = None, persist: int = 1) -> Any:
        """A plotly figure over time: the audited error per window with its one-look
        Clopper-Pearson interval, the running error with its confidence sequence, the target,
        the windows where the alarm is on (and where `rules` fire, when given), and below the
        share of routed items auto-accepted per window."""
        from .report import report_figure

        figures = self.audit_error()
        fired = None if rules is None else _alerts(figures, rules, persist=persist)
        return report_figure(
            figures, self.target_error, self.alpha, fired, title=f"Monitor: task {self.task!r}"
        )
