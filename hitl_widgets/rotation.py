"""Rotate annotators between task kinds, so nobody labels one kind for hours.

A team reviews several tasks at once (e.g. claim types, generations, pairwise
preferences). :class:`Rotation` says which task an annotator should do next:
round-robin over ``tasks``, switching every ``every`` decisions, and each annotator
starting at another task (so at any moment the team is spread over the tasks)::

    >>> from hitl_widgets.rotation import Rotation
    >>> rot = Rotation(["claims", "generations", "pairwise"], every=25,
    ...                annotators=["ana", "ben", "cy"])
    >>> rot.task_for("ana", done=0), rot.task_for("ben", done=0), rot.task_for("cy", done=0)
    ('claims', 'generations', 'pairwise')
    >>> rot.task_for("ana", done=25), rot.task_for("ana", done=60)
    ('generations', 'pairwise')

With a store, the count is read from it: ``rot.next_task("ana", store)`` counts ana's
decisions in the rotation's tasks (what she decided, whichever widget, kernel or
machine). Open the review of that task (``task=`` of the widget) and ask again after
``rot.left("ana", store)`` more decisions.

Annotators not in ``annotators`` (or all of them, when it is not given) get a starting
task from a stable hash of their name, the same in every process.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import pandas as pd

__all__ = ["Rotation"]


class Rotation:
    """Round-robin of task kinds per annotator and count.

    Parameters
    ----------
    tasks:
        The task names (as given to the review widgets' ``task=``), in rotation order.
    every:
        Decisions on one task before the annotator moves on to the next.
    annotators:
        Optional fixed order of the team: the i-th annotator starts at task ``i mod
        len(tasks)``. Others start at a stable hash of their name.
    """

    def __init__(self, tasks: Sequence[str], every: int, annotators: Sequence[str] | None = None) -> None:
        tasks = [str(t) for t in tasks]
        if not tasks:
            raise ValueError("tasks must name at least one task")
        if len(set(tasks)) != len(tasks):
            raise ValueError(f"tasks must be distinct, got {tasks!r}")
        if not isinstance(every, int) or isinstance(every, bool) or every < 1:
            raise ValueError(f"every must be a positive integer (decisions per turn), got {every!r}")
        self.tasks = tasks
        self.every = every
        self.annotators = [str(a) for a in annotators] if annotators is not None else None

    def offset(self, annotator: str) -> int:
        """The index of the task `annotator` starts with."""
        name = str(annotator)
        if self.annotators is not None and name in self.annotators:
            return self.annotators.index(name) % len(self.tasks)
        return int(hashlib.sha256(name.encode("utf-8")).hexdigest()[:8], 16) % len(self.tasks)

    def task_for(self, annotator: str, done: int) -> str:
        """The task for `annotator` after `done` decisions."""
        if done < 0:
            raise ValueError(f"done must be >= 0, got {done}")
        turn = int(done) // self.every
        return self.tasks[(self.offset(annotator) + turn) % len(self.tasks)]

    def count(self, annotator: str, store: Any) -> int:
        """Decisions of `annotator` in the rotation's tasks, read from a store (a
        ``Store``, a path or URL): the items with a current decision, as in
        ``Store.decisions()``; 0 while the store file does not exist yet)."""
        from .store import Store, open_store

        try:
            s = store if isinstance(store, Store) else open_store(store)
        except FileNotFoundError:  # no store yet: nothing decided
            return 0
        try:
            d = s.decisions()
        finally:
            if s is not store:
                s.close()
        if not len(d):
            return 0
        return int(((d["annotator"] == str(annotator)) & d["task"].isin(self.tasks)).sum())

    def next_task(self, annotator: str, store: Any = None, *, done: int | None = None) -> str:
        """The task `annotator` should do next: from `done` when given, else counted in
        `store`."""
        if done is None:
            if store is None:
                raise ValueError("give the decisions made so far (done=) or a store to count them in")
            done = self.count(annotator, store)
        return self.task_for(annotator, done)

    def left(self, annotator: str, store: Any = None, *, done: int | None = None) -> int:
        """Decisions left on the current task before the next switch."""
        if done is None:
            if store is None:
                raise ValueError("give the decisions made so far (done=) or a store to count them in")
            done = self.count(annotator, store)
        return self.every - int(done) % self.every

    def schedule(self, annotators: Sequence[str], decisions: int) -> pd.DataFrame:
        """Preview: which task each annotator is on at each turn, up to `decisions`
        decisions (rows: turns starting at decision 0, every, 2*every, ...)."""
        starts = list(range(0, max(int(decisions), 1), self.every))
        return pd.DataFrame(
            {a: [self.task_for(a, s) for s in starts] for a in annotators},
            index=pd.Index(starts, name="from_decision"),
        )

    def __repr__(self) -> str:
        return f"Rotation(tasks={self.tasks!r}, every={self.every})"
