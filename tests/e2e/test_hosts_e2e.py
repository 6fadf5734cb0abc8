"""The review widgets in every host a user meets them in, driven in Debian's Chromium:

- JupyterLab: notebook 03 after Run All shows its reviews; the confusion matrix's recheck
  opens where it is seen and shows what people answered before;
- marimo (``marimo run``, plain display and ``mo.ui.anywidget``): keys reach the store;
- Voila, through the documented command (``python -m hitl_widgets.serve``): a page per
  person, the annotator taken from the link, keys reach the store;
- the ``?`` help overlay is fully visible in marimo, JupyterLab, Notebook 7 and Voila.

Servers started here run in their own process session and are stopped (SIGTERM, then
SIGKILL) at the end of each test; their logs are printed when a test fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from jupyter_harness import (
    ARTIFACTS,
    REPO,
    HarnessError,
    free_port,
    heatmap_area,
    hover_tip,
    make_notebook,
    wait_for,
)

pytestmark = pytest.mark.e2e

ROOT = '[data-testid="hitl-root"]'
LABELS = ["auto", "property", "theft", "water_damage", "medical", "liability"]  # CLAIM_TYPES

# The help overlay against the widget and every ancestor that clips overflow (across
# shadow roots): "fully visible" is inside the widget's box, or clipped by no ancestor.
_JS_HELP_BOX = """(root) => {
  const help = root.querySelector('[data-testid="help"]');
  if (!help || help.hidden || help.getClientRects().length === 0) return {open: false};
  const box = (e) => { const b = e.getBoundingClientRect();
                       return {l: b.left, t: b.top, r: b.right, b: b.bottom}; };
  const inside = (a, b) => a.l >= b.l - 1 && a.t >= b.t - 1 && a.r <= b.r + 1 && a.b <= b.b + 1;
  const h = box(help), w = box(root);
  const clipped = [];
  for (let e = help; e; ) {
    e = e.parentElement || (e.getRootNode().host || null);
    if (!e || e === document.documentElement || e === document.body) continue;
    const cs = getComputedStyle(e);
    if (cs.overflowX === 'visible' && cs.overflowY === 'visible') continue;
    const b = box(e);
    if (!inside(h, b)) clipped.push({by: e.tagName.toLowerCase() + '.' +
        String(e.className).trim().split(/\\s+/).slice(0, 4).join('.'),
        overflow: cs.overflowX + '/' + cs.overflowY, box: b});
  }
  return {open: true, help: h, widget: w, inWidget: inside(h, w), clipped,
          position: getComputedStyle(help).position,
          inViewport: inside(h, {l: 0, t: 0, r: innerWidth, b: innerHeight})};
}"""


# ------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------


def host_env(tmp: Path) -> dict[str, str]:
    """Environment of a host server: this checkout importable, offline, its own config."""
    env = dict(os.environ)
    for sub in ("config", "cache", "state", "data"):
        (tmp / "xdg" / sub).mkdir(parents=True, exist_ok=True)
    env.update(
        {
            "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p),
            "HF_HUB_OFFLINE": "1",
            "PYTHONUNBUFFERED": "1",
            "XDG_CONFIG_HOME": str(tmp / "xdg" / "config"),
            "XDG_CACHE_HOME": str(tmp / "xdg" / "cache"),
            "XDG_STATE_HOME": str(tmp / "xdg" / "state"),
            "XDG_DATA_HOME": str(tmp / "xdg" / "data"),
            "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
            "JUPYTER_CONFIG_DIR": str(tmp / "jupyter-config"),
        }
    )
    env.pop("JUPYTER_TOKEN", None)
    return env


class Served:
    """A server process (marimo, Voila through hitl_widgets.serve) in its own session, its
    output in a log file; `stop()` ends the session it started, nothing else."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str], log: Path) -> None:
        self.args, self.log = args, log
        self._fh = open(log, "ab")  # noqa: SIM115 - open for the process's life, closed in stop()
        self.proc = subprocess.Popen(
            args,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def text(self) -> str:
        try:
            return self.log.read_bytes().decode("utf-8", "replace")
        except OSError:
            return ""

    def wait_http(self, url: str, timeout: float = 90.0) -> None:
        def up() -> bool:
            if self.proc.poll() is not None:
                raise HarnessError(f"{self.args[:4]} exited ({self.proc.returncode}):\n{self.text()[-3000:]}")
            with urllib.request.urlopen(url, timeout=3) as r:
                return r.status == 200

        wait_for(up, timeout, f"{url} to answer", interval=0.3)

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)  # the session this test started
                self.proc.wait(timeout=15)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._fh.close()


@pytest.fixture
def served(request: pytest.FixtureRequest):
    """served(args, cwd, env, name) -> Served; stopped at the end (log shown on failure)."""
    started: list[Served] = []

    def _start(args: list[str], cwd: Path, env: dict[str, str], name: str) -> Served:
        s = Served(args, cwd, env, cwd / f"{name}.log")
        started.append(s)
        return s

    yield _start
    rep = getattr(request.node, "rep_call", None)
    for s in started:
        s.stop()
        if rep is not None and rep.failed:
            sys.stderr.write(f"\n--- {s.args[:4]} log tail ---\n{s.text()[-3000:]}\n")


def store_rows(path: Path, task: str) -> list[tuple]:
    """(item_id, action, label_after, annotator) of the task's events, from the file."""
    if not path.exists():
        return []
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [
            tuple(r)
            for r in con.execute(
                "SELECT item_id, action, label_after, annotator FROM events WHERE task = ? ORDER BY seq",
                (task,),
            )
        ]
    except sqlite3.OperationalError:  # the schema is being created
        return []
    finally:
        con.close()


def wait_rows(path: Path, task: str, n: int, timeout: float = 60.0) -> list[tuple]:
    return wait_for(
        lambda: (lambda r: r if len(r) >= n else None)(store_rows(path, task)),
        timeout,
        f"{n} event(s) of task {task!r} in {path.name}",
        interval=0.2,
    )


def wait_item(root: Any, qi: int, timeout: float = 90.0) -> None:
    """Wait until the widget (a Playwright locator; shadow roots are pierced) paints queue
    entry `qi`."""
    wait_for(
        lambda: (
            root.get_attribute("data-state") == "item" and root.get_attribute("data-painted-qi") == str(qi)
        ),
        timeout,
        f"the widget to paint entry {qi}",
        interval=0.1,
    )


def focus(root: Any) -> None:
    root.locator('[data-testid="item-text"]').click()


def shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    return path


def assert_help_fully_visible(page: Any, root: Any, host: str) -> None:
    """Open the help with '?', bring it into view, check nothing hides part of it; close it."""
    focus(root)
    page.keyboard.press("?")
    helpbox = root.locator('[data-testid="help"]')
    helpbox.wait_for(state="visible", timeout=10_000)
    helpbox.scroll_into_view_if_needed()
    page.wait_for_timeout(200)
    r = root.evaluate(_JS_HELP_BOX)
    shot(page, f"hosts-help-{host}.png")
    assert r["open"], f"{host}: '?' did not open the help"
    # (seen before the overlay's CSS fix: absolutely positioned, it ran past the widget's
    # bottom and the output area of JupyterLab / Notebook 7 / Voila, overflow auto, cut it)
    assert r["inWidget"] or not r["clipped"], (
        f"{host}: the '?' help overlay is cut off ({r['position']}): help box {r['help']}, widget box "
        f"{r['widget']}, clipped by {json.dumps(r['clipped'])} "
        f"(screenshot tests/e2e/artifacts/hosts-help-{host}.png)"
    )
    page.keyboard.press("Escape")
    helpbox.wait_for(state="hidden", timeout=10_000)


# ------------------------------------------------------------------------------------
# JupyterLab: notebook 03 after Run All
# ------------------------------------------------------------------------------------


def test_notebook03_run_all_shows_its_reviews(lab_server, open_notebook):
    nb = json.loads((REPO / "notebooks" / "03_routing.ipynb").read_text())
    nbp = open_notebook(lab_server, "03_routing.ipynb", nb)
    page = nbp.page
    nbp.run_all(timeout=420)
    roots = page.locator(ROOT)
    wait_for(lambda: roots.count() == 2, 60, "the two reviews (routed claims, random sample)")
    for i in range(2):
        r = roots.nth(i)
        r.scroll_into_view_if_needed()
        wait_for(
            lambda r=r: r.is_visible() and r.get_attribute("data-state") in ("summary", "item"),
            60,
            f"review {i + 1} visible, painted",
        )
        box = r.bounding_box()
        assert box and box["width"] > 200 and box["height"] > 40, box
    # the simulated reviewer decided every item: each review shows its summary
    assert [roots.nth(i).get_attribute("data-state") for i in range(2)] == ["summary", "summary"]
    shot(page, "hosts-notebook03-lab.png")


# ------------------------------------------------------------------------------------
# JupyterLab: the confusion matrix opens the recheck where it is seen
# ------------------------------------------------------------------------------------

_TEAM = textwrap.dedent("""\
    import pandas as pd
    import hitl_widgets as hw
    from hitl_widgets.plots import confusion_matrix

    LABELS = ["auto", "theft", "water"]
    STORE = {store!r}
    ids = [f"c{{i:02d}}" for i in range(12)]
    df = pd.DataFrame({{"text": [f"claim text {{i}}" for i in range(12)],
                        "pred": [LABELS[(i // 2) % 3] for i in range(12)], "confidence": 0.8}},
                      index=ids)
    truth = {{k: LABELS[i % 3] for i, k in enumerate(ids)}}
    for who in ("ana", "bob"):
        w = hw.ClassificationReview(df, labels=LABELS, store=STORE, annotator=who, overlap=2)
        while w.current is not None:
            item = w.current["item_id"]
            w.correct("auto" if who == "bob" and truth[item] == "theft" else truth[item])
        w.close()
    view = confusion_matrix(STORE, labels=LABELS, items=df, annotator="lead",
                            review_kwargs={{"text": "text"}})
    view""")


def test_confusion_matrix_recheck_opens_in_view_with_earlier_answers(lab_server, open_notebook, tmp_path):
    store = tmp_path / "team.db"
    nbp = open_notebook(lab_server, "confusion.ipynb", make_notebook(_TEAM.format(store=str(store))))
    page = nbp.page
    nbp.run_all()
    drag, box = heatmap_area(page)
    # human "auto" (top row: the y axis is reversed) x model "theft" (middle column)
    tip = hover_tip(page, drag, {"x": box["width"] * 0.5, "y": box["height"] / 6})
    want = nbp.kernel().eval("view.items_of('auto', 'theft')")
    assert f"{len(want)} item" in tip and "recheck" in tip, tip
    drag.click(position={"x": box["width"] * 0.5, "y": box["height"] / 6})
    root = page.locator(ROOT).last
    root.wait_for(state="attached", timeout=60_000)
    wait_item(root, 0)
    # the review is seen without the person scrolling: beside the chart where the page is
    # wide enough, else below it and scrolled into view (JupyterLab's file browser is open
    # here: 560 + 360 pixels do not fit)
    vp = page.viewport_size

    def in_view() -> bool:
        rb = root.bounding_box()
        return bool(rb) and rb["y"] >= 0 and rb["y"] + rb["height"] <= vp["height"] + 1

    wait_for(in_view, 15, "the recheck review to be in view")
    # the earlier answers, as chips, and the tooltip's count is what the review opened
    assert root.get_attribute("data-state") == "item"
    chips = root.locator('[data-testid="reasons"] .hitl-reason').all_text_contents()
    assert any(c.startswith("ana: ") for c in chips) and any(c.startswith("bob: ") for c in chips), chips
    n_open = nbp.kernel().eval("len(view.review._queue)")
    assert n_open == len(want), (n_open, want)
    shot(page, "hosts-confusion-recheck-lab.png")


# ------------------------------------------------------------------------------------
# marimo
# ------------------------------------------------------------------------------------

_MARIMO_APP = textwrap.dedent("""\
    import marimo

    app = marimo.App()


    @app.cell
    def _():
        import marimo as mo
        import hitl_widgets as hw
        from hitl_widgets.data import CLAIM_TYPES, load_claims

        df = load_claims().head(6).assign(confidence=0.9)
        df["pred"] = df["claim_type"]
        review = hw.ClassificationReview(df, text="text", labels=CLAIM_TYPES, pred="pred",
                                         confidence="confidence", id="claim_id",
                                         store={store!r}, task="quickstart", annotator="marimo-user")
        return mo, review


    {cells}

    if __name__ == "__main__":
        app.run()
    """)


_MARIMO_PLAIN = """\
@app.cell
def _(mo, review):
    review
    return
"""

# wrapped, with a cell that shows the counts and runs again as decisions arrive: marimo
# re-runs cells on UI values and on `mo.state`, not on a widget's traitlets (a cell reading
# `review.counts`, or `mo.ui.anywidget(review).value["counts"]`, keeps its first value:
# tried here), so the README's recipe mirrors the counts into a `mo.state`
_MARIMO_WRAPPED = """\
@app.cell
def _(mo, review):
    get_counts, set_counts = mo.state(dict(review.counts))
    review.observe(lambda change: set_counts(dict(change["new"])), names="counts")
    wrapped = mo.ui.anywidget(review)
    wrapped
    return (get_counts,)


@app.cell
def _(get_counts, mo):
    mo.md("counts: " + ", ".join(f"{k}={v}" for k, v in sorted(get_counts().items())))
    return
"""


def _marimo(served, tmp_path: Path, wrapped: bool) -> tuple[str, Path]:
    pytest.importorskip("marimo")
    store = tmp_path / "quickstart.db"
    app = tmp_path / "app.py"
    app.write_text(_MARIMO_APP.format(store=str(store), cells=_MARIMO_WRAPPED if wrapped else _MARIMO_PLAIN))
    port = free_port()
    srv = served(
        [
            sys.executable,
            "-m",
            "marimo",
            "run",
            str(app),
            "--headless",
            "--port",
            str(port),
            "--host",
            "127.0.0.1",
            "--no-token",
            "--no-sandbox",
        ],
        tmp_path,
        host_env(tmp_path),
        "marimo",
    )
    url = f"http://127.0.0.1:{port}/"
    srv.wait_http(url)
    return url, store


@pytest.mark.parametrize("wrapped", [False, True], ids=["plain", "mo.ui.anywidget"])
def test_marimo_quickstart_keys_reach_the_store(served, browser_page, tmp_path, wrapped):
    url, store = _marimo(served, tmp_path, wrapped)
    page = browser_page
    page.goto(url, wait_until="domcontentloaded")
    root = page.locator(ROOT)
    root.first.wait_for(state="visible", timeout=90_000)
    assert root.count() == 1
    root = root.first
    wait_item(root, 0)
    focus(root)
    from hitl_widgets.data import load_claims

    first = load_claims().head(6)
    page.keyboard.press("Enter")  # accept the model's label
    wait_item(root, 1)
    page.keyboard.press("1")  # correct to label 1 (auto)
    wait_item(root, 2)
    rows = wait_rows(store, "quickstart", 2)
    assert rows == [
        (first["claim_id"].iloc[0], "accept", first["claim_type"].iloc[0], "marimo-user"),
        (
            first["claim_id"].iloc[1],
            "correct" if first["claim_type"].iloc[1] != "auto" else "accept",
            "auto",
            "marimo-user",
        ),
    ], rows
    wait_for(
        lambda: root.locator('[data-testid="pending"]').text_content() == "0",
        30,
        "both decisions acknowledged",
    )
    if wrapped:  # the cell reading the counts ran again with both decisions
        two = first["claim_type"].iloc[1] == "auto"
        want = "accepted=2" if two else "accepted=1, corrected=1"
        wait_for(lambda: f"counts: {want}" in page.inner_text("body"), 30, f"the counts cell to show {want}")
    shot(page, f"hosts-marimo-{'wrapped' if wrapped else 'plain'}.png")
    assert not page.page_errors, page.page_errors  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------------
# Voila, through the documented command
# ------------------------------------------------------------------------------------

_PILOT = textwrap.dedent("""\
    import pandas as pd
    import hitl_widgets as hw
    from hitl_widgets.serve import annotator_from_link

    df = pd.DataFrame({{"text": ["water came through the ceiling", "my car was hit in the car park",
                                 "my bike was stolen", "the basement flooded"],
                        "pred": ["water_damage", "auto", "theft", "water_damage"],
                        "confidence": [0.9, 0.8, 0.7, 0.6]}}, index=["c1", "c2", "c3", "c4"])
    review = hw.ClassificationReview(df, labels={labels!r}, store={store!r}, task="pilot",
                                     annotator=annotator_from_link(default="guest"))
    review""")


def _voila(served, tmp_path: Path) -> tuple[dict[str, str], Path]:
    pytest.importorskip("voila")
    store = tmp_path / "pilot.db"
    nb = tmp_path / "pilot.ipynb"
    nb.write_text(json.dumps(make_notebook(_PILOT.format(labels=LABELS, store=str(store)))))
    port = free_port()
    srv = served(
        [
            sys.executable,
            "-m",
            "hitl_widgets.serve",
            str(nb),
            "--port",
            str(port),
            "--name",
            "ana",
            "--name",
            "bob",
        ],
        tmp_path,
        host_env(tmp_path),
        "voila",
    )
    wait_for(
        lambda: "Ctrl+C stops" in srv.text() or srv.proc.poll() is not None,
        90,
        "the serve command to print the links",
    )
    out = srv.text()
    assert srv.proc.poll() is None, out[-3000:]
    found = dict(re.findall(r"(http://\S+)\s+\((\w+)\)", out))
    links = {name: url for url, name in found.items()}
    assert set(links) == {"ana", "bob"}, out[-2000:]
    assert links["ana"] == f"http://127.0.0.1:{port}/?annotator=ana", links
    return links, store


def test_voila_page_from_a_link_takes_the_annotator_from_it(served, chromium, tmp_path):
    links, store = _voila(served, tmp_path)
    for name, keys in (("ana", ["Enter", "3"]), ("bob", ["Enter"])):
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        try:
            page = context.new_page()
            page.goto(links[name], wait_until="domcontentloaded", timeout=120_000)
            root = page.locator(ROOT).first
            root.wait_for(state="visible", timeout=120_000)
            wait_item(root, 0)
            focus(root)
            for qi, key in enumerate(keys, start=1):
                page.keyboard.press(key)
                wait_item(root, qi)
            wait_for(
                lambda root=root: root.locator('[data-testid="pending"]').text_content() == "0",
                30,
                f"{name}'s decisions acknowledged",
            )
            shot(page, f"hosts-voila-{name}.png")
        finally:
            context.close()
    rows = wait_rows(store, "pilot", 3)
    assert sorted(rows) == sorted(
        [
            ("c1", "accept", "water_damage", "ana"),
            ("c2", "correct", "theft", "ana"),
            ("c1", "accept", "water_damage", "bob"),
        ]
    ), rows


# ------------------------------------------------------------------------------------
# the '?' help overlay, fully visible in every host
# ------------------------------------------------------------------------------------


def _help_notebook(store: Path) -> dict:
    return make_notebook(
        textwrap.dedent(f"""\
        import pandas as pd
        import hitl_widgets as hw
        df = pd.DataFrame({{"text": ["a short claim", "another claim"], "pred": ["auto", "theft"],
                            "confidence": [0.9, 0.8]}}, index=["h1", "h2"])
        review = hw.ClassificationReview(df, labels={LABELS!r}, store={str(store)!r}, annotator="help-check")
        review"""),
        "after = 1",
    )


@pytest.mark.parametrize("host", ["marimo", "lab", "notebook7", "voila"])
def test_help_overlay_fully_visible(host, request, served, browser_page, tmp_path):
    page = browser_page
    if host == "marimo":
        url, _ = _marimo(served, tmp_path, wrapped=False)
        page.goto(url, wait_until="domcontentloaded")
    elif host == "voila":
        links, _ = _voila(served, tmp_path)
        page.goto(links["ana"], wait_until="domcontentloaded", timeout=120_000)
    else:
        server = request.getfixturevalue("lab_server" if host == "lab" else "notebook7_server")
        nbp = request.getfixturevalue("open_notebook")(
            server, f"help-{host}.ipynb", _help_notebook(tmp_path / "help.db")
        )
        nbp.run_all()
    root = page.locator(ROOT).first
    root.wait_for(state="visible", timeout=120_000)
    wait_item(root, 0)
    root.scroll_into_view_if_needed()
    assert_help_fully_visible(page, root, host)
