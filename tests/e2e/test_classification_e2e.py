"""ClassificationReview end to end: a real JupyterLab (and Notebook 7), Debian's Chromium
driven by Playwright, the real kernel and a real SQLite store.

Every test asserts behaviour on both sides: what the browser shows (the DOM contract of
docs/protocol.md) and what the kernel / the store file hold.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from jupyter_harness import REPO, NotebookPage, make_notebook, recorded_duration, wait_for, wait_shows

import hitl_widgets

pytestmark = pytest.mark.e2e

ROOT = '[data-testid="hitl-root"]'
LABELS = ["billing", "technical", "account"]
ANNOTATOR = "e2e-tester"

# The state of the (last) review widget on the page, through the DOM contract only.
_JS_WIDGET = """() => {
  const roots = document.querySelectorAll('[data-testid="hitl-root"]');
  const r = roots[roots.length - 1];
  if (!r) return null;
  const q = (id) => r.querySelector(`[data-testid="${id}"]`);
  const t = q('item-text'), h = q('help'), p = q('pending'), n = q('note-input');
  const visible = (e) => !!e && !e.hidden && e.getClientRects().length > 0;
  return {
    roots: roots.length,
    state: r.dataset.state,
    item: t ? (t.dataset.itemId ?? null) : null,
    text: t ? t.textContent : null,
    painted: r.dataset.paintedQi === undefined ? null : Number(r.dataset.paintedQi),
    pending: p ? Number(p.textContent) : null,
    help: visible(h),
    note: visible(n),
    focused: r.contains(document.activeElement),
    noteFocused: !!n && document.activeElement === n,
    decision: (q('decision') && !q('decision').hidden) ? q('decision').textContent : null,
    message: (q('message') && !q('message').hidden) ? q('message').textContent : null,
  };
}"""

# Every keydown, seen first (window, capture phase), with what the widget showed then.
_JS_KEYLOG = """() => {
  window.__keylog = [];
  window.addEventListener('keydown', (e) => {
    const roots = document.querySelectorAll('[data-testid="hitl-root"]');
    const r = roots[roots.length - 1];
    const t = r && r.querySelector('[data-testid="item-text"]');
    window.__keylog.push({key: e.key, state: r ? r.dataset.state : null,
      item: t ? (t.dataset.itemId ?? null) : null, inRoot: !!r && r.contains(e.target)});
  }, true);
  return true;
}"""


# ------------------------------------------------------------------------------------
# notebooks
# ------------------------------------------------------------------------------------


def pred_of(i: int) -> str:
    """The model label of row i in the generated frames (also computed in the kernel)."""
    return LABELS[(i + 1) % 3]


def review_source(
    store: Path, n: int, *, prefetch: int = 8, texts: list[str] | None = None, labels: list[str] | None = None
) -> str:
    """A cell that builds an n-row frame, opens ClassificationReview on `store`, shows it."""
    labels = labels or LABELS
    text_expr = (
        "TEXTS[i]"
        if texts is not None
        else 'f"Ticket {i:03d}: the customer writes about invoice #{1000 + i} and a login problem."'
    )
    return textwrap.dedent(f"""\
        import pandas as pd
        import hitl_widgets as hw

        LABELS = {labels!r}
        TEXTS = {texts!r}
        rows = [
            (f"claim-{{i:03d}}", {text_expr}, LABELS[(i + 1) % 3], 0.5 + (i % 50) / 100)
            for i in range({n})
        ]
        df = pd.DataFrame(rows, columns=["id", "text", "pred", "confidence"]).set_index("id")
        review = hw.ClassificationReview(
            df, labels=LABELS, store={str(store)!r}, annotator={ANNOTATOR!r}, prefetch={prefetch}
        )
        review""")


def review_notebook(store: Path, n: int, **kw: Any) -> dict:
    return make_notebook(
        "import os\nstarted_pid = os.getpid()", review_source(store, n, **kw), "after = 1 + 1"
    )


# ------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------


def widget(page) -> dict[str, Any]:
    return page.evaluate(_JS_WIDGET)


def wait_widget(page, what: str, timeout: float = 60.0, **expect: Any) -> dict[str, Any]:
    """Wait until the widget shows all of `expect` (keys of _JS_WIDGET)."""
    return wait_shows(lambda: widget(page), what, timeout, **expect)


def item_id(qi: int) -> str:
    return f"claim-{qi:03d}"


def focus_widget(page) -> None:
    """Click the widget, as a person would, and check the keys now go to it."""
    page.locator(ROOT).last.locator('[data-testid="item-text"]').click()
    wait_widget(page, "the widget to have the focus", focused=True, timeout=10)


def key_at(page, key: str, qi: int, *, painted: int | None = None) -> dict[str, Any]:
    """Press `key`, then wait until item `qi` is shown and painted."""
    page.keyboard.press(key)
    return wait_widget(
        page,
        f"item {qi} after {key!r}",
        state="item",
        item=item_id(qi),
        painted=qi if painted is None else painted,
        timeout=30,
    )


def wait_saved(page, timeout: float = 60.0) -> None:
    wait_widget(page, "every decision to be acknowledged (pending 0)", pending=0, timeout=timeout)
    stored = page.evaluate(
        "() => Object.keys(localStorage).filter((k) => k.startsWith('hitl:pending:'))"
        ".map((k) => [k, Object.keys(JSON.parse(localStorage.getItem(k) || '{}')).length])"
        ".filter(([, n]) => n > 0)"
    )
    assert stored == [], f"decisions still pending in localStorage: {stored}"


def store_events(path: Path) -> list[dict[str, Any]]:
    """The events table, read with sqlite3 straight from the file."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        con.row_factory = sqlite3.Row
        return [dict(r) for r in con.execute("SELECT * FROM events ORDER BY seq")]
    finally:
        con.close()


def nan_none(v: Any) -> Any:
    """pandas gives NaN for a missing label in some columns; compare it as None."""
    return None if isinstance(v, float) and v != v else v


def per_item(events: list[tuple]) -> dict[str, list[tuple]]:
    """(item_id, action, label) events grouped by item, each item's in commit order.

    Only the order within one item matters for its decision. Across items the commit
    order can differ from the key order: JupyterLab >= 4.4 sends a widget's comm
    messages over a kernel subshell once it has one (the first ones go to the main
    shell), and ipykernel 7 runs the two in different threads.
    """
    out: dict[str, list[tuple]] = {}
    for e in events:
        out.setdefault(e[0], []).append(tuple(e[1:]))
    return out


def no_pwned(page) -> None:
    assert page.evaluate("() => typeof window.__pwned") == "undefined", "injected markup ran"


# ------------------------------------------------------------------------------------
# a. keyboard review in JupyterLab, store and kernel agree, no key leaks into the notebook
# ------------------------------------------------------------------------------------


def test_keyboard_review_is_stored_and_keys_do_not_leak(lab_server, open_notebook, store_path):
    nbp: NotebookPage = open_notebook(lab_server, "keyboard.ipynb", review_notebook(store_path, 30))
    page = nbp.page
    nbp.run_all()
    wait_widget(page, "the first item", state="item", item=item_id(0), painted=0)
    # the sequence below corrects rows 1 and 5 to labels their model did not predict
    assert pred_of(1) != "technical" and pred_of(5) not in ("account", "technical")

    focus_widget(page)
    before = nbp.snapshot()
    k = nbp.kernel()
    try:
        count_before = k.eval("get_ipython().execution_count")
        session_id = k.eval("review.session_id")

        key_at(page, "Enter", 1)  # accept 0
        key_at(page, "2", 2)  # correct 1 -> technical
        key_at(page, "a", 3)  # accept 2
        page.keyboard.press("f")  # flag 3: the note box opens
        wait_widget(page, "the note box", note=True, noteFocused=True, item=item_id(3))
        page.keyboard.type("unclear wording")
        key_at(page, "Enter", 4)  # saves the note, next item
        wait_widget(page, "the focus back on the widget", focused=True, note=False)
        key_at(page, "s", 5)  # skip 4
        key_at(page, "3", 6)  # correct 5 -> account
        key_at(page, "z", 5)  # undo: back on 5, undecided
        assert widget(page)["decision"] is None
        key_at(page, "2", 6)  # correct 5 -> technical
        w = key_at(page, "ArrowLeft", 5)  # back: shows the decision
        assert "technical" in (w["decision"] or ""), w
        w = key_at(page, "ArrowLeft", 4)
        assert "skip" in (w["decision"] or ""), w
        key_at(page, "ArrowRight", 5)
        key_at(page, "ArrowRight", 6)
        key_at(page, "Enter", 7)  # accept 6
        assert not widget(page)["help"]
        page.keyboard.press("?")
        wait_widget(page, "the help", help=True)
        assert page.locator(ROOT).last.locator('[data-testid="help"]').inner_text().count("\n") >= 5
        page.keyboard.press("?")
        wait_widget(page, "the help to close", help=False)
        wait_saved(page)

        # -- the notebook did not see any of those keys
        after = nbp.snapshot()
        assert after == before, f"keys leaked into the notebook:\nbefore {before}\nafter  {after}"
        assert k.eval("get_ipython().execution_count") == count_before, "a cell was executed"
        no_pwned(page)

        # -- the live kernel
        live = k.eval(
            "review.decisions()[['item_id', 'status', 'human_label', 'annotator', 'duration_ms',"
            " 'session_id', 'note']].to_dict('records')"
        )
        live_events = k.eval("review.events()[['item_id', 'action', 'label_after']].to_dict('records')")
    finally:
        k.close()

    expected = {
        item_id(0): ("accepted", pred_of(0)),
        item_id(1): ("corrected", "technical"),
        item_id(2): ("accepted", pred_of(2)),
        item_id(3): ("flagged", None),
        item_id(5): ("corrected", "technical"),
        item_id(6): ("accepted", pred_of(6)),
    }
    expected_events = [
        (item_id(0), "accept", pred_of(0)),
        (item_id(1), "correct", "technical"),
        (item_id(2), "accept", pred_of(2)),
        (item_id(3), "flag", None),
        (item_id(4), "skip", None),
        (item_id(5), "correct", "account"),
        (item_id(5), "undo", None),
        (item_id(5), "correct", "technical"),
        (item_id(6), "accept", pred_of(6)),
    ]
    assert {d["item_id"]: (d["status"], nan_none(d["human_label"])) for d in live} == expected
    for d in live:
        assert d["annotator"] == ANNOTATOR
        assert d["session_id"] == session_id
        assert recorded_duration(d["duration_ms"]), d  # the time on the item is stored
    assert [d["note"] for d in live if d["item_id"] == item_id(3)] == ["unclear wording"]
    assert per_item(
        [
            (e["item_id"], e["action"], nan_none(e["label_after"]))
            for e in live_events
            if e["action"] != "undo"
        ]
    ) == per_item([e for e in expected_events if e[1] != "undo"])

    # -- the SQLite file itself, read by the test (sqlite3 and hitl_widgets.open_store)
    events = store_events(store_path)
    assert per_item([(e["item_id"], e["action"]) for e in events]) == per_item(
        [e[:2] for e in expected_events]
    )
    assert per_item(
        [(e["item_id"], e["action"], e["label_after"]) for e in events if e["action"] != "undo"]
    ) == per_item([e for e in expected_events if e[1] != "undo"])
    assert len({e["event_id"] for e in events}) == len(events)
    assert all(e["annotator"] == ANNOTATOR and e["session_id"] == session_id for e in events)
    assert all(recorded_duration(e["duration_ms"]) for e in events if e["action"] != "undo")
    assert next(e["note"] for e in events if e["action"] == "flag") == "unclear wording"
    with hitl_widgets.open_store(store_path) as store:
        dec = store.decisions()
        assert {r.item_id: (r.status, nan_none(r.human_label)) for r in dec.itertuples()} == expected
        assert set(dec["session_id"]) == {session_id}
        assert all(recorded_duration(v) for v in dec["duration_ms"])  # the time on each item is kept

    # control: the same kind of key, with the focus on the notebook instead of the
    # widget, does reach JupyterLab (so the snapshot comparison above can see a leak)
    page.locator(".jp-Cell .jp-InputPrompt").first.click()
    page.keyboard.press("Escape")
    page.keyboard.press("b")
    wait_for(lambda: nbp.snapshot()["n"] == before["n"] + 1, 10, "'b' to insert a cell")


# ------------------------------------------------------------------------------------
# b. hostile text is shown as text
# ------------------------------------------------------------------------------------

HOSTILE = [
    "<img src=x onerror=window.__pwned=1>",
    "<script>window.__pwned=1</script>",
    '"><svg onload=window.__pwned=1>',
]


def test_hostile_text_is_shown_literally(lab_server, open_notebook, store_path):
    labels = ["<b onmouseover=window.__pwned=1>bold</b>", "<img src=y onerror=window.__pwned=1>", "ok"]
    nb = make_notebook(review_source(store_path, len(HOSTILE), texts=HOSTILE, labels=labels))
    nbp = open_notebook(lab_server, "hostile.ipynb", nb)
    page = nbp.page
    nbp.run_all()
    root = page.locator(ROOT).last
    for qi, hostile in enumerate(HOSTILE):
        w = wait_widget(page, f"hostile item {qi}", state="item", item=item_id(qi), painted=qi)
        assert w["text"] == hostile
        assert root.locator('[data-testid="item-text"]').evaluate("(e) => e.children.length") == 0
        assert root.locator("img, script, svg[onload]").count() == 0
        page.wait_for_timeout(200)  # give an injected handler time to fire
        no_pwned(page)
        if qi == 0:
            focus_widget(page)
        page.keyboard.press("Enter")
    for label in labels:
        btn = root.locator(f'[data-testid="label-button"][data-label="{label}"]')
        assert btn.count() == 1
        assert label in btn.inner_text()
    wait_saved(page)
    no_pwned(page)
    assert [e["action"] for e in store_events(store_path)] == ["accept"] * len(HOSTILE)


# ------------------------------------------------------------------------------------
# c. SIGKILL the kernel in the middle of a fast review: nothing lost, nothing doubled
# ------------------------------------------------------------------------------------

DECISION_KEYS = ["Enter", "1", "2", "3", "a"]


def test_kernel_killed_mid_review_loses_and_doubles_nothing(lab_server, open_notebook, store_path):
    n_items, n_fast, kill_at = 300, 150, 100
    # prefetch=200: the whole queue is in the browser before the first key, so every fast
    # key lands on an item (keys pressed while "Loading…" are dropped by design) and the
    # keys after the kill can still be decided while the kernel is dead.
    nbp = open_notebook(lab_server, "kill.ipynb", review_notebook(store_path, n_items, prefetch=200))
    page = nbp.page
    nbp.run_all()
    wait_widget(page, "the first item", state="item", item=item_id(0), painted=0)
    wait_for(
        lambda: page.evaluate("() => document.querySelectorAll('[data-testid=\"hitl-root\"]').length") == 1,
        10,
        "one root",
    )
    focus_widget(page)
    k = nbp.kernel()
    try:
        pid = k.pid()
    finally:
        k.close()
    page.evaluate(_JS_KEYLOG)

    pressed: list[str] = []
    pending_at_kill = None
    t0 = time.monotonic()
    for i in range(n_fast):  # no waits between keys
        if i == kill_at:
            os.kill(pid, 9)
            t_kill = time.monotonic()
            pending_at_kill = widget(page)["pending"]
        elif i > kill_at and nbp.dismiss_dialogs():
            # JupyterLab noticed the death ("Kernel Restarting" dialog, focus taken):
            # close it and click back into the widget, as a person would
            focus_widget(page)
        key = DECISION_KEYS[i % len(DECISION_KEYS)]
        page.keyboard.press(key)
        pressed.append(key)
    t_end = time.monotonic()
    wait_for(lambda: widget(page)["painted"] is not None, 5, "a paint")
    w_dead = widget(page)
    log = page.evaluate("() => window.__keylog")
    assert [e["key"] for e in log] == pressed
    decided = [
        (e["key"], e["item"])
        for e in log
        if e["key"] in DECISION_KEYS and e["state"] == "item" and e["inRoot"]
    ]
    missed = [(i, e) for i, e in enumerate(log) if not (e["state"] == "item" and e["inRoot"])]
    timing = (
        f"{kill_at} keys in {t_kill - t0:.2f}s, then {n_fast - kill_at} in {t_end - t_kill:.2f}s;"
        f" missed {missed}"
    )
    # every key before the kill landed on an item; most after it did too (a key that
    # JupyterLab's own dialog took is not a decision, and is not counted as one)
    assert [item for _, item in decided[:kill_at]] == [item_id(q) for q in range(kill_at)], timing
    assert len(decided) >= kill_at + 20, timing
    # none was pressed twice on one item
    assert len({item for _, item in decided}) == len(decided)
    assert [item for _, item in decided] == [item_id(q) for q in range(len(decided))]
    assert w_dead["pending"] > 0, f"nothing pending after the kill: {w_dead}"
    before_restart = store_events(store_path)
    assert len(before_restart) < len(decided), "every decision was already stored before the kill?"
    assert (
        page.evaluate("() => Object.keys(localStorage).filter((k) => k.startsWith('hitl:pending:')).length")
        == 1
    )

    # restart the kernel (REST), run the notebook again: a new widget on the same store
    nbp.restart_kernel()
    nbp.dismiss_dialogs()
    nbp.run_all()

    # JupyterLab 4.6 can keep addressing widget comms to the killed kernel's subshell (its
    # per-comm-target subshell cache is cleared on "restarting", not after a kill), which the
    # new kernel drops ("Unknown subshell_id" in its log). The widget must then say so, keep
    # every decision, and a person reloads the page and runs the notebook again.
    def settled() -> str | None:
        w = widget(page)
        if w["pending"] == 0:
            return "saved"
        if "No answer from the kernel" in (w["message"] or ""):
            return "silent"
        return None

    if wait_for(settled, 90, "the decisions saved, or the widget saying the kernel is silent") == "silent":
        w = widget(page)
        assert f"{w['pending']} decisions are kept in this browser" in w["message"], w
        assert "reload the page" in w["message"], w
        nbp.command("docmanager:save")
        page.once("dialog", lambda d: d.accept())
        page.reload(wait_until="domcontentloaded")
        nbp.open()
        nbp.run_all()
    wait_saved(page, timeout=90)
    k = nbp.kernel()
    try:
        assert k.pid() != pid
        live = k.eval("len(review.decisions())")
    finally:
        k.close()
    # the hello's ack (pending 0) comes before the answer to the first fetch: wait for that
    # too (a widget stuck on "Loading" fails here after 60 s)
    w = wait_widget(page, "the new widget's first item", state="item")
    assert w["roots"] == 1, w

    events = store_events(store_path)
    ids = [e["event_id"] for e in events]
    assert len(ids) == len(set(ids)), "an event id was stored twice"
    assert len(events) == len(decided), (len(events), len(decided), pending_at_kill)
    by_item: dict[str, list[dict]] = {}
    for e in events:
        by_item.setdefault(e["item_id"], []).append(e)
    assert set(by_item) == {item for _, item in decided}
    assert all(len(v) == 1 for v in by_item.values()), "an item was decided twice"
    for key, item in decided:
        (e,) = by_item[item]
        qi = int(item.split("-")[1])
        want = pred_of(qi) if key in ("Enter", "a") else LABELS[int(key) - 1]
        assert e["label_after"] == want, (key, item, e)
        assert e["action"] == ("accept" if want == pred_of(qi) else "correct"), (key, item, e)
        assert e["annotator"] == ANNOTATOR
    with hitl_widgets.open_store(store_path) as store:
        assert len(store.decisions()) == len(decided) == live


# ------------------------------------------------------------------------------------
# d. Notebook 7
# ------------------------------------------------------------------------------------


def test_review_in_notebook7(notebook7_server, open_notebook, store_path):
    nbp = open_notebook(notebook7_server, "nb7.ipynb", review_notebook(store_path, 12))
    page = nbp.page
    nbp.run_all()
    wait_widget(page, "the first item", state="item", item=item_id(0), painted=0)
    focus_widget(page)
    before = nbp.snapshot()
    key_at(page, "Enter", 1)
    key_at(page, "2", 2)
    key_at(page, "s", 3)
    key_at(page, "a", 4)
    wait_saved(page)
    assert nbp.snapshot() == before, "keys leaked into the notebook"
    events = store_events(store_path)
    assert per_item([(e["item_id"], e["action"], e["label_after"]) for e in events]) == per_item(
        [
            (item_id(0), "accept", pred_of(0)),
            (item_id(1), "correct", "technical"),
            (item_id(2), "skip", None),
            (item_id(3), "accept", pred_of(3)),
        ]
    )
    assert all(e["annotator"] == ANNOTATOR for e in events)


# ------------------------------------------------------------------------------------
# e. light and dark theme
# ------------------------------------------------------------------------------------


def _luminance(css_color: str) -> float:
    import re

    nums = [float(x) for x in re.findall(r"[\d.]+", css_color)[:3]]
    assert len(nums) == 3, css_color
    r, g, b = nums
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_widget_follows_jupyterlab_theme(lab_server, open_notebook, store_path):
    nbp = open_notebook(lab_server, "theme.ipynb", review_notebook(store_path, 5))
    page = nbp.page
    nbp.run_all()
    wait_widget(page, "the first item", state="item", item=item_id(0))
    root = page.locator(ROOT).last
    style = "(e) => { const s = getComputedStyle(e); return [s.backgroundColor, s.color]; }"
    light_bg, _ = root.evaluate(style)
    try:
        nbp.set_theme("JupyterLab Dark")
        wait_for(lambda: root.evaluate(style)[0] != light_bg, 20, "the widget background to change")
        dark_bg, dark_fg = root.evaluate(style)
        assert _luminance(dark_bg) < _luminance(light_bg), (light_bg, dark_bg)
        assert _luminance(dark_fg) > _luminance(dark_bg), "text must stay readable on dark"
        nbp.screenshot("theme-dark.png")
    finally:
        nbp.set_theme("JupyterLab Light")
    wait_for(lambda: root.evaluate(style)[0] == light_bg, 20, "the light background back")


# ------------------------------------------------------------------------------------
# f. the README screenshot
# ------------------------------------------------------------------------------------

SCREENSHOT_SETUP = """\
import numpy as np
import hitl_widgets as hw
from hitl_widgets.data import CLAIM_TYPES, load_claims

claims = load_claims().set_index("claim_id")
# a stand-in for a fine-tuned classifier: right ~85% of the time, unsure now and then
rng = np.random.default_rng(7)
truth = claims["claim_type"].map(CLAIM_TYPES.index).to_numpy()
logits = rng.normal(0, 1.0, (len(claims), len(CLAIM_TYPES)))
logits[np.arange(len(claims)), truth] += 2.2
proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
# an earlier session: 40 claims already reviewed
seed = hw.ClassificationReview(claims, labels=CLAIM_TYPES, proba=proba, store=STORE, annotator="maria")
for i in range(40):
    seed.accept() if i % 5 else seed.correct(
        CLAIM_TYPES[(CLAIM_TYPES.index(seed.current["model_label"]) + 1) % len(CLAIM_TYPES)])
seed.close()"""

SCREENSHOT_CELL = """\
review = hw.ClassificationReview(claims, labels=CLAIM_TYPES, proba=proba,
                                 store="claims.db", annotator="maria")
review"""


def test_readme_screenshot(lab_server, open_notebook, tmp_path):
    """JupyterLab with the review of the shipped demo claims, 1000x600: written to
    docs/screenshot.png when HITL_WRITE_SCREENSHOT=1, else to tests/e2e/artifacts/."""
    store = lab_server.root_dir / "claims.db"
    for old in lab_server.root_dir.glob("claims.db*"):
        old.unlink()
    nb = make_notebook(
        "# Set-up: the demo claims shipped with hitl_widgets, a model's probabilities\n"
        f"STORE = {str(store)!r}\n" + SCREENSHOT_SETUP,
        SCREENSHOT_CELL,
    )
    nb["cells"][0]["metadata"]["jupyter"] = {"source_hidden": True}
    nbp = open_notebook(lab_server, "claims_review.ipynb", nb)
    page = nbp.page
    page.set_viewport_size({"width": 1000, "height": 600})
    nbp.run_all()
    w = wait_widget(page, "the first claim", state="item", painted=0)
    assert w["item"] == "CLM-00041", w  # resumes after the 40 decided claims
    nbp.command("application:toggle-left-area")
    focus_widget(page)
    for key in ["Enter", "Enter", "2"]:  # a person's pace, so the rate reads like one
        before = widget(page)["painted"]
        page.wait_for_timeout(1200)
        page.keyboard.press(key)
        wait_for(lambda before=before: widget(page)["painted"] == before + 1, 20, "the next claim")
    wait_saved(page)
    w = wait_widget(page, "a claim, help hidden", state="item", help=False, note=False)
    assert w["text"] and len(w["text"]) > 40
    progress = page.locator(ROOT).last.locator('[data-testid="progress"]').inner_text()
    assert "43 / 600" in progress, progress
    page.locator(".jp-Notebook").first.evaluate("(e) => e.scrollTo(0, 0)")
    page.mouse.move(0, 0)
    page.wait_for_timeout(1000)
    box = page.locator(ROOT).last.bounding_box()
    assert box and box["y"] + box["height"] <= 600, f"the widget does not fit the frame: {box}"
    out = nbp.screenshot("screenshot.png")
    assert out.stat().st_size > 20_000
    if os.environ.get("HITL_WRITE_SCREENSHOT") == "1":
        shutil.copy(out, REPO / "docs" / "screenshot.png")
