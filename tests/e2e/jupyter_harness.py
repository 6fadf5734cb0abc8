"""A real JupyterLab / Notebook 7 server, a real Chromium and a live kernel, for the
end-to-end tests (tests/e2e) and the latency benchmark (benchmarks/bench_latency.py).

Nothing here is pytest-specific: the fixtures in conftest.py and the benchmark script
both drive the same three objects:

- `JupyterServer`: a `jupyter lab` (or `jupyter notebook`) process on a free loopback
  port, with its own runtime / config / settings / workspaces directories and a
  temporary root_dir into which notebooks are written; REST helpers (/api/sessions,
  kernel restart) and `KernelHandle`s on the live kernels.
- `KernelHandle`: a `jupyter_client.BlockingKernelClient` on the kernel's connection
  file (`$JUPYTER_RUNTIME_DIR/kernel-<id>.json`): evaluates `user_expressions` in the
  live kernel (silently: no execution count moves), gives its pid, SIGKILLs it.
- `NotebookPage`: a Playwright page on one notebook: open, run all cells (the command
  is fired, never awaited), wait for the run to finish, snapshot the cells, switch
  theme, save screenshots.
"""

from __future__ import annotations

import ast
import contextlib
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = os.environ.get("HITL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

# Slow shared machines (2 cores, other jobs): every wait is generous, and each one
# says what it was waiting for when it gives up.
SERVER_START_TIMEOUT = 90.0
RUN_TIMEOUT = 120.0


class HarnessError(RuntimeError):
    pass


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.05) -> Any:
    """Poll `predicate` until it returns something truthy; raise HarnessError on timeout."""
    deadline = time.monotonic() + timeout
    last_exc: BaseException | None = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except HarnessError:
            raise
        except Exception as exc:
            last_exc = exc
        if time.monotonic() > deadline:
            extra = f" (last error: {last_exc!r})" if last_exc else ""
            raise HarnessError(f"timed out after {timeout:.0f}s waiting for {what}{extra}")
        time.sleep(interval)


def wait_shows(
    read: Callable[[], dict[str, Any] | None], what: str, timeout: float, **expect: Any
) -> dict[str, Any]:
    """Poll `read()` (a widget's state as a dict) until it shows every `expect` key's value;
    return that state. On timeout: AssertionError with the state it showed last."""
    last: dict[str, Any] = {}

    def ok() -> bool:
        nonlocal last
        last = read() or {}
        return all(last.get(k) == v for k, v in expect.items())

    try:
        wait_for(ok, timeout, what, interval=0.02)
    except HarnessError as exc:
        raise AssertionError(f"{exc}; widget now: {last}") from None
    return last


def heatmap_area(page: Any) -> tuple[Any, dict[str, float]]:
    """The first plotly heatmap on `page`, scrolled into view: its plot area (the locator
    a click or hover on a cell goes to) and that area's box on the page."""
    plot = page.locator(".js-plotly-plot").first
    plot.wait_for(state="visible", timeout=60_000)
    plot.scroll_into_view_if_needed()
    area = plot.locator(".nsewdrag").first
    wait_for(lambda: area.bounding_box() is not None, 30, "the heatmap's plot area")
    return area, area.bounding_box()


def hover_tip(page: Any, area: Any, at: dict[str, float]) -> str:
    """Hover the heatmap's plot area at `at` (relative to the area); the tooltip's text."""
    area.hover(position=at)
    tip = page.locator(".hoverlayer .hovertext")
    wait_for(lambda: tip.count() > 0, 20, "the cell's tooltip")
    return str(tip.first.text_content())


def wait_first_item(page: Any, timeout: float = 60.0) -> None:
    """Wait until the (only) review widget on `page` has painted its first item."""
    wait_for(
        lambda: page.evaluate(
            "() => { const r = document.querySelector('[data-testid=\"hitl-root\"]');"
            " return r && r.dataset.state === 'item' && r.dataset.paintedQi === '0'; }"
        ),
        timeout,
        "the first item",
    )


def recorded_duration(value: Any) -> bool:
    """A decision's duration_ms was recorded: a finite number (not None / NaN)."""
    return isinstance(value, (int, float)) and math.isfinite(value)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chromium_available() -> bool:
    return os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)


def launch_chromium(playwright: Any, **kwargs: Any) -> Any:
    """Debian's Chromium through Playwright (Playwright's own browser download does not
    work offline); headless, with flags that work as root and with no network."""
    return playwright.chromium.launch(
        executable_path=CHROMIUM, args=list(CHROMIUM_ARGS), headless=True, **kwargs
    )


# --------------------------------------------------------------------------------------
# Notebooks
# --------------------------------------------------------------------------------------


def make_notebook(*sources: str) -> dict[str, Any]:
    """An nbformat-4 notebook (as a dict) with one code cell per source, python3 kernel."""
    cells = [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": f"cell-{i}",
            "metadata": {},
            "outputs": [],
            "source": src,
        }
        for i, src in enumerate(sources)
    ]
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


# --------------------------------------------------------------------------------------
# The kernel, from the outside
# --------------------------------------------------------------------------------------


class KernelHandle:
    """A BlockingKernelClient on a live kernel's connection file.

    `eval(expr)` evaluates a Python expression in the kernel through `user_expressions`
    of a silent execute request (no execution count moves, nothing shows in the
    notebook) and returns it through JSON.
    """

    def __init__(self, connection_file: str | os.PathLike[str], timeout: float = 30.0) -> None:
        from jupyter_client import BlockingKernelClient

        self.connection_file = str(connection_file)
        self.client = BlockingKernelClient(connection_file=self.connection_file)
        self.client.load_connection_file()
        self.client.start_channels()
        try:
            self.client.wait_for_ready(timeout=timeout)
        except Exception:
            self.close()
            raise

    def _request(self, code: str, user_expressions: dict[str, str], timeout: float) -> dict[str, Any]:
        msg_id = self.client.execute(
            code,
            silent=True,
            store_history=False,
            user_expressions=user_expressions,
            allow_stdin=False,
        )
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise HarnessError(f"kernel did not answer within {timeout:.0f}s: {code[:80]!r}")
            try:
                msg = self.client.get_shell_msg(timeout=left)
            except Exception:  # queue.Empty
                continue
            if msg.get("parent_header", {}).get("msg_id") == msg_id:
                content = msg["content"]
                if content.get("status") != "ok":
                    raise HarnessError(
                        f"kernel error {content.get('ename')}: {content.get('evalue')}\n"
                        + "\n".join(content.get("traceback") or [])
                    )
                return content

    def exec(self, code: str, timeout: float = 60.0) -> None:
        """Run statements silently in the kernel."""
        self._request(code, {}, timeout)

    def eval(self, expr: str, timeout: float = 60.0) -> Any:
        """Evaluate `expr` in the kernel; the value comes back through JSON (default=str)."""
        wrapped = f"__import__('json').dumps(({expr}), default=str)"
        content = self._request("", {"r": wrapped}, timeout)
        res = content["user_expressions"]["r"]
        if res.get("status") != "ok":
            raise HarnessError(f"{expr!r} raised {res.get('ename')}: {res.get('evalue')}")
        return json.loads(ast.literal_eval(res["data"]["text/plain"]))

    def pid(self) -> int:
        return int(self.eval("__import__('os').getpid()"))

    def sigkill(self) -> int:
        """SIGKILL the kernel process; return its pid."""
        pid = self.pid()
        os.kill(pid, signal.SIGKILL)
        return pid

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.stop_channels()


# --------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------


class JupyterServer:
    """`jupyter lab` (flavor "lab") or `jupyter notebook` (flavor "notebook", Notebook 7)
    on a free loopback port, isolated from the user's Jupyter configuration."""

    def __init__(
        self,
        flavor: str = "lab",
        base_dir: str | os.PathLike[str] | None = None,
        extra_args: Iterable[str] = (),
        env: dict[str, str] | None = None,
    ) -> None:
        if flavor not in ("lab", "notebook"):
            raise ValueError(f"flavor must be 'lab' or 'notebook', got {flavor!r}")
        self.flavor = flavor
        self._own_base = base_dir is None
        self.base = Path(base_dir or tempfile.mkdtemp(prefix=f"hitl-e2e-{flavor}-"))
        self.root_dir = self.base / "root"
        self.runtime_dir = self.base / "runtime"
        self.log_path = self.base / "server.log"
        self.extra_args = list(extra_args)
        self.extra_env = dict(env or {})
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self._log = None

    # -- lifecycle ---------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        for sub in ("config", "settings", "workspaces", "ipython"):
            (self.base / sub).mkdir(parents=True, exist_ok=True)
        env.update(
            {
                "JUPYTER_RUNTIME_DIR": str(self.runtime_dir),
                "JUPYTER_CONFIG_DIR": str(self.base / "config"),
                "JUPYTERLAB_SETTINGS_DIR": str(self.base / "settings"),
                "JUPYTERLAB_WORKSPACES_DIR": str(self.base / "workspaces"),
                "IPYTHONDIR": str(self.base / "ipython"),
                "HF_HUB_OFFLINE": "1",
                "PYTHONUNBUFFERED": "1",
                # So the kernels import this checkout's hitl_widgets whether or not it is
                # pip-installed (an editable install points here anyway).
                "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p),
            }
        )
        env.pop("JUPYTER_TOKEN", None)
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = SERVER_START_TIMEOUT) -> JupyterServer:
        self.root_dir.mkdir(parents=True, exist_ok=True)
        self.runtime_dir.mkdir(parents=True, exist_ok=True)
        # No "get Jupyter news?" toast and no update check (offline, and in screenshots).
        notif = self.base / "settings" / "@jupyterlab" / "apputils-extension"
        notif.mkdir(parents=True, exist_ok=True)
        (notif / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False})
        )
        last_err = ""
        for _attempt in range(3):  # a free port can be taken between probe and bind
            self.port = free_port()
            args = [
                sys.executable,
                "-m",
                "jupyter",
                self.flavor,
                "--no-browser",
                f"--port={self.port}",
                "--ServerApp.ip=127.0.0.1",
                "--ServerApp.token=",
                "--ServerApp.password=",
                "--ServerApp.port_retries=0",
                f"--ServerApp.root_dir={self.root_dir}",
                "--ServerApp.allow_root=True",
                "--ServerApp.disable_check_xsrf=True",
            ]
            if self.flavor == "lab":
                args += ["--LabApp.extension_manager=readonly", "--LabApp.expose_app_in_browser=True"]
            else:
                args += ["--JupyterNotebookApp.expose_app_in_browser=True"]
            args += self.extra_args
            # the server writes its output there until it stops (closed in _close_log)
            self._log = open(self.log_path, "ab")  # noqa: SIM115
            self.proc = subprocess.Popen(
                args,
                cwd=self.root_dir,
                env=self._env(),
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    last_err = self.log_tail()
                    break
                try:
                    self.api("GET", "/api/status", timeout=2)
                    return self
                except Exception:
                    time.sleep(0.2)
            else:
                self.stop()
                raise HarnessError(
                    f"jupyter {self.flavor} did not answer /api/status within "
                    f"{timeout:.0f}s\n{self.log_tail()}"
                )
            self._close_log()
        raise HarnessError(f"jupyter {self.flavor} exited at start:\n{last_err}")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            try:  # kernels first, so none is left orphaned
                for k in self.api("GET", "/api/kernels", timeout=3):
                    self.api("DELETE", f"/api/kernels/{k['id']}", timeout=5)
            except Exception:
                pass
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()  # the server can ignore SIGTERM for a while
                proc.wait(timeout=10)
        self._close_log()

    def cleanup(self) -> None:
        self.stop()
        if self._own_base:
            shutil.rmtree(self.base, ignore_errors=True)

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, n: int = 4000) -> str:
        try:
            return self.log_path.read_bytes()[-n:].decode("utf-8", "replace")
        except OSError:
            return ""

    def __enter__(self) -> JupyterServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.cleanup()

    # -- REST ----------------------------------------------------------------------------
    def api(self, method: str, path: str, body: Any = None, timeout: float = 10.0) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None

    def notebook_url(self, path: str) -> str:
        if self.flavor == "lab":
            return f"{self.url}/lab/tree/{path}?reset"
        return f"{self.url}/notebooks/{path}"

    def write_notebook(self, name: str, nb: dict[str, Any]) -> str:
        """Write a notebook (dict) into the root dir; return its server path."""
        (self.root_dir / name).write_text(json.dumps(nb, indent=1))
        return name

    def copy_notebook(self, src: str | os.PathLike[str], name: str | None = None) -> str:
        name = name or Path(src).name
        shutil.copy(src, self.root_dir / name)
        return name

    def session_for(self, path: str) -> dict[str, Any] | None:
        for s in self.api("GET", "/api/sessions"):
            if s.get("path") == path or s.get("notebook", {}).get("path") == path:
                return s
        return None

    def kernel_id(self, path: str, timeout: float = 60.0) -> str:
        s = wait_for(lambda: self.session_for(path), timeout, f"a session for {path}")
        return s["kernel"]["id"]

    def kernel_state(self, kernel_id: str) -> str:
        return self.api("GET", f"/api/kernels/{kernel_id}")["execution_state"]

    def wait_idle(self, path: str, timeout: float = RUN_TIMEOUT, stable: int = 3) -> None:
        """Wait until the notebook's kernel reports idle in /api/sessions on `stable`
        consecutive polls (one idle poll can fall between two queued executions)."""
        seen = 0
        deadline = time.monotonic() + timeout
        while True:
            s = self.session_for(path)
            state = s["kernel"]["execution_state"] if s else None
            seen = seen + 1 if state == "idle" else 0
            if seen >= stable:
                return
            if time.monotonic() > deadline:
                raise HarnessError(f"kernel of {path} not idle after {timeout:.0f}s (state {state!r})")
            time.sleep(0.1)

    def restart_kernel(self, kernel_id: str, timeout: float = 60.0) -> None:
        self.api("POST", f"/api/kernels/{kernel_id}/restart", timeout=timeout)

    def connection_file(self, kernel_id: str) -> Path:
        return self.runtime_dir / f"kernel-{kernel_id}.json"

    def kernel(self, path: str, timeout: float = 60.0) -> KernelHandle:
        kid = self.kernel_id(path, timeout)
        cf = wait_for(
            lambda: self.connection_file(kid).exists() and self.connection_file(kid),
            timeout,
            f"connection file of kernel {kid}",
        )
        return KernelHandle(cf, timeout=timeout)

    def shutdown_session(self, path: str) -> None:
        s = self.session_for(path)
        if s is not None:
            with contextlib.suppress(Exception):
                self.api("DELETE", f"/api/sessions/{s['id']}", timeout=15)


# --------------------------------------------------------------------------------------
# The browser side
# --------------------------------------------------------------------------------------

_JS_PANEL = """
const app = window.jupyterapp;
const panel = (() => {
  if (!app) return null;
  const w = app.shell.currentWidget;
  if (w && w.content && w.sessionContext) return w;
  return null;
})();
"""

_JS_NOTEBOOK_STATE = (
    "() => {"
    + _JS_PANEL
    + """
  if (!app) return {ready: false, why: 'no window.jupyterapp'};
  if (!panel) return {ready: false, why: 'no notebook panel'};
  const sc = panel.sessionContext;
  const k = sc.session && sc.session.kernel;
  return {
    ready: !!(sc.isReady && k && k.connectionStatus === 'connected' && k.status === 'idle'
              && panel.context.isReady),
    why: k ? (k.connectionStatus + ':' + k.status) : 'no kernel',
    path: panel.context.path,
  };
}"""
)

_JS_CELLS = (
    "() => {"
    + _JS_PANEL
    + """
  if (!panel) return null;
  return panel.content.widgets.map((c) => {
    const m = c.model;
    const out = {type: m.type, source: m.sharedModel.getSource(), count: null, errors: [],
                 running: false};
    if (m.type === 'code') {
      out.count = m.executionCount;
      out.running = m.executionState === 'running';
      const outs = m.outputs.toJSON();
      for (const o of outs) {
        if (o.output_type === 'error') out.errors.push(o.ename + ': ' + o.evalue + '\\n' +
          (o.traceback || []).join('\\n'));
      }
    }
    return out;
  });
}"""
)


class NotebookPage:
    """One notebook open in a Playwright page of JupyterLab or Notebook 7."""

    def __init__(self, page: Any, server: JupyterServer, path: str) -> None:
        self.page = page
        self.server = server
        self.path = path

    # -- opening and running -----------------------------------------------------------
    def open(self, timeout: float = 120.0) -> NotebookPage:
        self.page.goto(
            self.server.notebook_url(self.path), wait_until="domcontentloaded", timeout=timeout * 1000
        )

        def ready() -> bool:
            st = self.page.evaluate(_JS_NOTEBOOK_STATE)
            return bool(st and st.get("ready") and st.get("path") == self.path)

        try:
            wait_for(ready, timeout, f"{self.path} open with an idle kernel", interval=0.2)
        except HarnessError as exc:
            state = self.page.evaluate(_JS_NOTEBOOK_STATE)
            raise HarnessError(f"{exc}; page state {state}\n{self.server.log_tail()}") from None
        return self

    def command(self, name: str, args: dict[str, Any] | None = None) -> None:
        """Fire a JupyterLab command without awaiting it (page.evaluate has no timeout
        and some commands wait for the kernel)."""
        self.page.evaluate(
            "([name, args]) => { window.jupyterapp.commands.execute(name, args || {}); return true; }",
            [name, args or {}],
        )

    def cells(self) -> list[dict[str, Any]]:
        return self.page.evaluate(_JS_CELLS) or []

    def snapshot(self) -> dict[str, Any]:
        """What a stray key would change: every cell (type, source, execution count),
        the active cell and the notebook mode (command / edit)."""
        extra = self.page.evaluate(
            "() => {"
            + _JS_PANEL
            + """
          if (!panel) return null;
          return {active: panel.content.activeCellIndex, mode: panel.content.mode,
                  n: panel.content.model.cells.length};
        }"""
        )
        cells = [{k: c[k] for k in ("type", "source", "count")} for c in self.cells()]
        return {"cells": cells, **(extra or {})}

    def run_all(self, timeout: float = RUN_TIMEOUT) -> None:
        """Run every cell and wait until each code cell has an execution count, none is
        running, and the kernel is idle in /api/sessions. A cell error fails at once."""
        self.command("notebook:run-all-cells")
        deadline = time.monotonic() + timeout

        def done() -> bool:
            cells = self.cells()
            errors = [e for c in cells for e in c["errors"]]
            if errors:
                raise HarnessError("a cell raised:\n" + "\n".join(errors)[-4000:])
            code = [c for c in cells if c["type"] == "code" and c["source"].strip()]
            return bool(code) and all(c["count"] is not None and not c["running"] for c in code)

        wait_for(done, timeout, f"all cells of {self.path} to run", interval=0.2)
        self.server.wait_idle(self.path, timeout=max(5.0, deadline - time.monotonic()))

    def wait_kernel_ready(self, timeout: float = 120.0) -> None:
        try:
            wait_for(
                lambda: (self.page.evaluate(_JS_NOTEBOOK_STATE) or {}).get("ready"),
                timeout,
                f"the kernel of {self.path} to be connected and idle",
                interval=0.2,
            )
        except HarnessError as exc:
            raise HarnessError(f"{exc}; page sees {self.page.evaluate(_JS_NOTEBOOK_STATE)}") from None

    def kernel(self, timeout: float = 60.0) -> KernelHandle:
        return self.server.kernel(self.path, timeout)

    def kernel_id(self) -> str:
        return self.server.kernel_id(self.path)

    def restart_kernel(self, timeout: float = 120.0) -> None:
        """POST /api/kernels/<id>/restart (retried while the server's own auto-restarter
        holds the kernel), then wait until the page sees it connected and idle again.

        Seen here (JupyterLab 4.6, jupyter_server 2.21, ipykernel 7): after a restart
        of a kernel that was SIGKILLed, the page can stay at "Starting" for good while
        the server reports the new kernel idle; `kernel.reconnect()` (what a user gets
        by reloading) recovers it, so the harness does that after a while.
        """
        deadline = time.monotonic() + timeout
        kid = self.kernel_id()
        while True:
            try:
                self.server.restart_kernel(kid, timeout=max(5.0, deadline - time.monotonic()))
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1.0)
        for attempt in range(4):
            left = deadline - time.monotonic()
            try:
                self.wait_kernel_ready(timeout=min(10.0, max(1.0, left)) if attempt < 3 else max(1.0, left))
                return
            except HarnessError:
                if attempt == 3 or time.monotonic() > deadline:
                    raise
                self.page.evaluate(
                    "() => { const w = window.jupyterapp.shell.currentWidget;"
                    " const k = w && w.sessionContext.session && w.sessionContext.session.kernel;"
                    " if (k) k.reconnect(); return !!k; }"
                )

    def settle_after_kernel_death(self, kid: str, timeout: float = 30.0, quiet: float = 2.0) -> int:
        """After the kernel `kid` was SIGKILLed: wait until the server has restarted it (its
        log says so), then close every dialog JupyterLab shows about it ("Kernel
        Restarting") until none has come for `quiet` seconds; return how many were closed.

        Why not a fixed wait: on a loaded machine the restart, and the dialog that takes
        the focus with it, can come after any fixed wait, in the middle of the keys a test
        presses next."""
        wait_for(
            lambda: f"kernel {kid} restarted" in self.server.log_tail(20000),
            timeout,
            f"the server to restart kernel {kid}",
            interval=0.2,
        )
        closed, calm_since = 0, time.monotonic()
        while time.monotonic() - calm_since < quiet:
            n = self.dismiss_dialogs()
            if n:
                closed, calm_since = closed + n, time.monotonic()
            time.sleep(0.2)
        return closed

    def dismiss_dialogs(self) -> int:
        """Close any modal dialog (e.g. 'Kernel Restarting'); return how many."""
        n = 0
        for _ in range(5):
            btn = self.page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept")
            if btn.count() == 0:
                break
            try:
                btn.first.click(timeout=2000)
                n += 1
            except Exception:
                break
        return n

    # -- theme ---------------------------------------------------------------------------
    def set_theme(self, name: str, timeout: float = 30.0) -> None:
        light = "true" if "Dark" not in name else "false"
        self.command("apputils:change-theme", {"theme": name})
        wait_for(
            lambda: self.page.evaluate(
                "(l) => document.body.dataset.jpThemeLight === l && "
                "document.body.dataset.jpThemeName !== undefined",
                light,
            ),
            timeout,
            f"theme {name!r} to apply",
        )
        wait_for(
            lambda: self.page.evaluate("() => document.body.dataset.jpThemeName") == name,
            timeout,
            f"theme name {name!r}",
        )

    # -- artifacts -----------------------------------------------------------------------
    def screenshot(self, name: str, **kwargs: Any) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / name
        self.page.screenshot(path=str(path), **kwargs)
        return path
