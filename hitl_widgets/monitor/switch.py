"""The switch an overseer uses to send everything to people: pause the automation, resume it.

>>> pause(store, "claims", by="ana", why="confidence drift since Monday")   # doctest: +SKIP
>>> Router(...).route(df, store=store, task="claims")   # every item to a person   # doctest: +SKIP
>>> resume(store, "claims", by="ana", why="new model calibrated")          # doctest: +SKIP

Each switch is an event in the store (who, when, why; ``pause`` / ``resume`` are records
in the one vocabulary, never decisions), so it is logged like everything else and every
process that shares the store (SQLite file or PostgreSQL) sees it: `Router.route` reads it
before routing a batch, the agent `Gate` before each call (at most `Gate.pause_check`
seconds old). ``task="*"`` pauses every task of the store.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pandas as pd

from ..store import Action, Store, using_store, utc_now

#: the item id the switch's events are written under (no review item has it: it is not a
#: row of anyone's frame, and the fold ignores records)
SWITCH_ID = "(automation)"
#: the task that stands for every task of the store
EVERY_TASK = "*"


@dataclass(frozen=True)
class PauseState:
    """Whether the automation of a task is paused, and by whom, when and why (the latest
    switch of the task or of every task)."""

    paused: bool
    task: str
    by: str | None = None
    why: str | None = None
    at: str | None = None

    @property
    def reason(self) -> str:
        """The reason a router gives an item it sends to a person while paused."""
        return f"automation paused by {self.by} at {self.at}: {self.why}"

    def __bool__(self) -> bool:
        return self.paused


def _switch(store: Store | str, task: str, action: Action, by: str, why: str) -> PauseState:
    if not isinstance(by, str) or not by.strip():
        raise ValueError("by: say who switches (a name or an annotator id)")
    if not isinstance(why, str) or (action == Action.PAUSE and not why.strip()):
        raise ValueError("why: say why the automation is paused (it is kept with the switch)")
    if not isinstance(task, str) or not task:
        raise ValueError(f"task must be a task name or {EVERY_TASK!r}, got {task!r}")
    at = utc_now()
    with using_store(store) as st:
        st.append(
            [
                {
                    "event_id": f"{action.value}-{uuid.uuid4().hex}",
                    "task": task,
                    "kind": "switch",
                    "item_id": SWITCH_ID,
                    "action": action.value,
                    "annotator": by.strip(),
                    "created_at": at,
                    "note": why,
                    "data": {"why": why},
                }
            ]
        )
    return PauseState(action == Action.PAUSE, task, by.strip(), why, at)


def pause(store: Store | str, task: str = "routing", *, by: str, why: str) -> PauseState:
    """Send every item of `task` (``"*"``: of every task) to a person until `resume`."""
    return _switch(store, task, Action.PAUSE, by, why)


def resume(store: Store | str, task: str = "routing", *, by: str, why: str = "") -> PauseState:
    """Let the automation of `task` decide again (logged with who and why)."""
    return _switch(store, task, Action.RESUME, by, why)


def pause_state(store: Store | str, task: str = "routing") -> PauseState:
    """The switch as it stands for `task`: the latest pause or resume of the task, or of
    every task (``"*"``). A store that does not exist yet is not paused."""
    switches: list[pd.DataFrame] = []
    try:
        with using_store(store, create=False) as st:
            for t in dict.fromkeys([task, EVERY_TASK]):
                for action in (Action.PAUSE, Action.RESUME):
                    ev = st.events(t, action=action.value)
                    if len(ev):
                        switches.append(ev)
    except FileNotFoundError:
        return PauseState(False, task)
    return _latest_switch(switches, task)


def _latest_switch(switches: list[pd.DataFrame], task: str) -> PauseState:
    """The switch as the latest of these pause / resume events (of `task` or of every
    task) sets it; not paused without any."""
    if not switches:
        return PauseState(False, task)
    ev = pd.concat(switches, ignore_index=True).sort_values(
        ["seq"] if "seq" in switches[0] else ["created_at"]
    )
    last = ev.iloc[-1]
    return PauseState(
        last["action"] == Action.PAUSE,
        task,
        str(last["annotator"]),
        str(last["note"]) if last["note"] is not None else None,
        _iso(last["created_at"]),
    )


def _iso(t: object) -> str:
    """A time as the store writes it (``2026-01-31T09:30:00.000Z``)."""
    ts = pd.Timestamp(t)  # type: ignore[arg-type]
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.isoformat(timespec="milliseconds").replace("+00:00", "Z")
