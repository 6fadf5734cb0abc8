"""Run an agent in the background, so that its held tool calls can be decided in the
notebook while it waits: a thread of its own (with an event loop of its own for an async
agent), and a small widget that shows how it is doing.

The kernel's main thread must stay free: the approval queue's messages reach the kernel
there (JupyterLab 4 also delivers them on a subshell thread, so decisions arrive even
while another cell runs).
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

import anywidget
import traitlets

__all__ = ["AgentRun", "run_in_background"]

_ESM = """
export default { render({ model, el }) {
  const box = document.createElement("div");
  box.className = "hitl-agent-run";
  box.setAttribute("data-testid", "agent-run");
  const paint = () => {
    const s = model.get("status");
    box.setAttribute("data-status", s);
    box.textContent = `agent ${model.get("name")}: ${s}` + (model.get("detail") ? ` (${model.get("detail")})` : "");
  };
  model.on("change:status", paint); model.on("change:detail", paint); paint();
  el.appendChild(box);
  return () => { model.off("change:status", paint); model.off("change:detail", paint); box.remove(); };
} };
"""
_CSS = """.hitl-agent-run { font: 12px var(--jp-code-font-family, monospace); padding: 2px 6px;
  border-left: 3px solid var(--jp-brand-color1, #1976d2); }
.hitl-agent-run[data-status="failed"] { border-color: var(--jp-error-color1, #d32f2f); }
.hitl-agent-run[data-status="finished"] { border-color: var(--jp-success-color1, #388e3c); }"""


class AgentRun(anywidget.AnyWidget):  # type: ignore[misc]
    """A background run of an agent: ``status`` ("running", "finished", "failed"),
    `result()` / `wait()`, `exception`. Shown in a notebook as one status line."""

    _esm = _ESM
    _css = _CSS
    name = traitlets.Unicode("").tag(sync=True)
    status = traitlets.Unicode("running").tag(sync=True)
    detail = traitlets.Unicode("").tag(sync=True)

    def __init__(self, name: str) -> None:
        super().__init__(name=name)
        self._done = threading.Event()
        self._result: Any = None
        self.exception: BaseException | None = None
        self.started = time.time()
        self.thread: threading.Thread | None = None

    def _finish(self, result: Any = None, exc: BaseException | None = None) -> None:
        self._result, self.exception = result, exc
        took = f"{time.time() - self.started:.1f} s"
        if exc is None:
            self.status, self.detail = "finished", took
        else:
            self.status = "failed"
            self.detail = f"{type(exc).__name__}: {exc}"[:300]
        self._done.set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the run to end (True), or until `timeout` (False). Never call it on the
        kernel's main thread while the run waits for a person."""
        return self._done.wait(timeout)

    def result(self, timeout: float | None = None) -> Any:
        """The agent's return value (its exception re-raised if it failed)."""
        if not self._done.wait(timeout):
            raise TimeoutError(f"agent {self.name!r} is still running")
        if self.exception is not None:
            raise self.exception
        return self._result

    def __repr__(self) -> str:
        return f"AgentRun({self.name!r}, status={self.status!r})"


def run_in_background(fn: Callable[..., Any], *args: Any, name: str | None = None, **kwargs: Any) -> AgentRun:
    """Run ``fn(*args, **kwargs)`` on a thread of its own (a coroutine function in an event
    loop of its own) and return its `AgentRun` at once; display it to watch it. The
    caller's context (e.g. `Gate.context`) goes with it."""
    run = AgentRun(name or str(getattr(fn, "__name__", "agent")))
    ctx = contextvars.copy_context()

    def target() -> None:
        try:
            if inspect.iscoroutinefunction(fn):
                result = asyncio.run(fn(*args, **kwargs))
            else:
                result = fn(*args, **kwargs)
                if inspect.isawaitable(result):
                    result = asyncio.run(_await(result))
        except BaseException as exc:  # reported on the run, not lost in a thread
            run._traceback = traceback.format_exc()  # type: ignore[attr-defined]
            run._finish(exc=exc)
        else:
            run._finish(result)

    run.thread = threading.Thread(target=ctx.run, args=(target,), name=f"hitl-agent-{run.name}", daemon=True)
    run.thread.start()
    return run


async def _await(aw: Any) -> Any:
    return await aw
