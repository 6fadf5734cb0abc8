"""Several annotators end to end: two browser pages (two people, each with their own
browser profile) open two notebooks whose kernels review one SQLite store with
ClassificationReview(overlap=1, gold=..., guideline=..., blind=True, break_every=3).

Checked in the real JupyterLab + Chromium: the two are handed different items; the
guideline panel shows the sanitized markdown and its version; blind mode shows no model
label; a wrong gold answer shows the feedback with the right label and the guideline
passage; the break prompt appears after break_every decisions and a key ends it; then
the store file itself (sqlite3).
"""

from __future__ import annotations

import sqlite3
import textwrap
from pathlib import Path
from typing import Any

import pytest
from jupyter_harness import NotebookPage, make_notebook, recorded_duration, wait_shows

pytestmark = pytest.mark.e2e

ROOT = '[data-testid="hitl-root"]'
LABELS = ["auto", "theft", "water"]
N_ITEMS = 60
GOLD_EVERY = 4  # rows 0, 4, 8, ... carry a known answer

GUIDE = """# Claim types

Pick the label that says **what the insurer pays for**.

## auto
Damage to or by a vehicle where nothing was taken.

## theft
Something was stolen, *even from a car*: a break-in with items taken is theft.
<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>
[help](javascript:window.__pwned=3)

## water
Water entering a home: burst pipes, leaks, floods.
"""

# What the annotator-facing parts of the (last) widget on the page show.
_JS_STATE = """() => {
  const roots = document.querySelectorAll('[data-testid="hitl-root"]');
  const r = roots[roots.length - 1];
  if (!r) return null;
  const q = (id) => r.querySelector(`[data-testid="${id}"]`);
  const visible = (e) => !!e && !e.hidden && !e.closest('[hidden]') && e.getClientRects().length > 0;
  const t = q('item-text'), g = q('guideline'), gb = q('guideline-body'), fb = q('gold-feedback'),
        bp = q('break-prompt'), ml = q('model-label');
  return {
    state: r.dataset.state,
    item: t ? (t.dataset.itemId ?? null) : null,
    painted: r.dataset.paintedQi === undefined ? null : Number(r.dataset.paintedQi),
    pending: Number(q('pending').textContent),
    focused: r.contains(document.activeElement),
    guideline: visible(g),
    guidelineOpen: g ? g.dataset.open : null,
    guidelineVersion: q('guideline-version') ? q('guideline-version').textContent : null,
    guidelineH2: gb ? [...gb.querySelectorAll('h2')].map((h) => h.textContent) : [],
    guidelineHtml: gb ? gb.innerHTML : '',
    guidelineBold: gb && gb.querySelector('strong') ? gb.querySelector('strong').textContent : null,
    modelVisible: visible(ml),
    modelText: ml ? ml.textContent : null,
    confidenceText: q('confidence') ? q('confidence').textContent : null,
    modelButtons: r.querySelectorAll('.hitl-label-btn.is-model').length,
    feedback: visible(fb),
    feedbackCorrect: fb ? (fb.dataset.correct ?? null) : null,
    feedbackItem: fb ? (fb.dataset.itemId ?? null) : null,
    feedbackExpected: q('gold-expected') ? q('gold-expected').textContent : null,
    passageH2: q('gold-passage') ? [...q('gold-passage').querySelectorAll('h2')].map((h) => h.textContent) : [],
    passageText: q('gold-passage') ? q('gold-passage').textContent : '',
    passageHtml: q('gold-passage') ? q('gold-passage').innerHTML : '',
    breakPrompt: visible(bp),
    breakText: bp ? bp.textContent : '',
  };
}"""


def review_source(store: Path, annotator: str) -> str:
    return textwrap.dedent(f"""\
        import pandas as pd
        import hitl_widgets as hw

        LABELS = {LABELS!r}
        GUIDE = {GUIDE!r}
        rows = [(f"claim-{{i:03d}}", f"Claim {{i:03d}}: something happened to the insured on day {{i}}.",
                 LABELS[(i + 1) % 3], 0.5 + (i % 40) / 100) for i in range({N_ITEMS})]
        df = pd.DataFrame(rows, columns=["id", "text", "pred", "confidence"]).set_index("id")
        df["gold"] = [LABELS[i % 3] if i % {GOLD_EVERY} == 0 else None for i in range({N_ITEMS})]
        review = hw.ClassificationReview(
            df, labels=LABELS, store={str(store)!r}, annotator={annotator!r}, overlap=1,
            gold="gold", gold_rate=0.25, guideline=GUIDE, blind=True, break_every=3, prefetch=4,
        )
        review""")


# The kernel's view of its queue: (qi, item id, gold label or None) of every claimed entry.
_QUEUE = (
    "[(qi, review._items.item_id(review._queue.position(qi)), "
    "review._gold[review._queue.position(qi)]) for qi in range(len(review._queue))]"
)


def state(page) -> dict[str, Any]:
    return page.evaluate(_JS_STATE) or {}


def wait_state(page, what: str, timeout: float = 60.0, **expect: Any) -> dict[str, Any]:
    return wait_shows(lambda: state(page), what, timeout, **expect)


def focus(page) -> None:
    page.locator(ROOT).last.locator('[data-testid="item-text"]').click()
    wait_state(page, "the widget to have the focus", focused=True, timeout=10)


def no_pwned(page) -> None:
    page.wait_for_timeout(150)
    assert page.evaluate("() => typeof window.__pwned") == "undefined", "injected markup ran"


def queue_of(nbp: NotebookPage) -> list[tuple[int, str, str | None]]:
    k = nbp.kernel()
    try:
        return [tuple(x) for x in k.eval(_QUEUE)]
    finally:
        k.close()


def store_rows(path: Path, sql: str) -> list[dict[str, Any]]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        con.row_factory = sqlite3.Row
        return [dict(r) for r in con.execute(sql)]
    finally:
        con.close()


def digit(label: str) -> str:
    return str(LABELS.index(label) + 1)


def test_two_annotators_gold_feedback_guideline_blind_and_breaks(
    lab_server, open_notebook, chromium, store_path
):
    # -- annotator A: the test's own page ----------------------------------------------
    a: NotebookPage = open_notebook(
        lab_server, "annotator_a.ipynb", make_notebook(review_source(store_path, "ann-a"))
    )
    a.run_all()
    page = a.page
    first_a = wait_state(page, "A's first item", state="item", painted=0)

    # -- annotator B: another person, another browser profile -------------------------------
    context_b = chromium.new_context(viewport={"width": 1280, "height": 900})
    b_page = context_b.new_page()
    b_page.set_default_timeout(60_000)
    b_path = lab_server.write_notebook("annotator_b.ipynb", make_notebook(review_source(store_path, "ann-b")))
    b = NotebookPage(b_page, lab_server, b_path)
    try:
        b.open()
        b.run_all()
        first_b = wait_state(b_page, "B's first item", state="item", painted=0)

        # they are handed different items (overlap 1: claims in the store)
        queue_a, queue_b = queue_of(a), queue_of(b)
        ids_a, ids_b = {i for _, i, _ in queue_a}, {i for _, i, _ in queue_b}
        assert ids_a and ids_b and not ids_a & ids_b, sorted(ids_a & ids_b)
        assert first_a["item"] in ids_a and first_b["item"] in ids_b and first_a["item"] != first_b["item"]

        # -- the guideline panel: sanitized markdown beside the item, with its version
        for p in (page, b_page):
            s = state(p)
            assert s["guideline"] and s["guidelineOpen"] == "true", s
            assert s["guidelineVersion"] == "v1"
            assert s["guidelineH2"] == LABELS
            assert s["guidelineBold"] == "what the insurer pays for"
            for bad in ("onerror", "<script", "javascript:"):
                assert bad not in s["guidelineHtml"], bad
            no_pwned(p)
        box_item = page.locator(ROOT).last.locator('[data-testid="item-text"]').bounding_box()
        box_guide = page.locator(ROOT).last.locator('[data-testid="guideline"]').bounding_box()
        assert box_guide["x"] >= box_item["x"] + box_item["width"] - 1, (box_item, box_guide)  # beside it

        # -- blind: no model label anywhere
        for p in (page, b_page):
            s = state(p)
            assert not s["modelVisible"] and s["modelText"] == "" and s["confidenceText"] == ""
            assert s["modelButtons"] == 0

        # -- G collapses the panel; G again opens it (no decision)
        focus(page)
        page.keyboard.press("g")
        wait_state(page, "the guideline to collapse", guidelineOpen="false")
        page.keyboard.press("g")
        wait_state(page, "the guideline to open", guidelineOpen="true")

        # -- B decides once: a decision of B's own
        focus(b_page)
        b_page.keyboard.press("3")
        wait_state(b_page, "B's decision saved", painted=1, pending=0)

        # -- A: go to the first gold item (arrows decide nothing) and answer it wrong
        gold_qi, gold_item, gold_label = next(x for x in queue_a if x[2] is not None)
        for qi in range(1, gold_qi + 1):
            page.keyboard.press("ArrowRight")
            wait_state(page, f"A at entry {qi}", painted=qi)
        assert state(page)["item"] == gold_item
        wrong = next(lab for lab in LABELS if lab != gold_label)
        page.keyboard.press(digit(wrong))
        s = wait_state(page, "the gold feedback", feedback=True, pending=0)
        assert s["feedbackCorrect"] == "false" and s["feedbackItem"] == gold_item
        assert gold_label in s["feedbackExpected"]
        assert s["passageH2"] == [gold_label]  # the guideline passage for the right label
        if gold_label == "theft":
            assert "even from a car" in s["passageText"]
            for bad in ("onerror", "<script", "javascript:"):
                assert bad not in s["passageHtml"]
        no_pwned(page)
        # the next key only dismisses it (no decision made by it)
        page.keyboard.press("x")
        s = wait_state(page, "the feedback to close", feedback=False)
        assert s["painted"] == gold_qi + 1 and not s["breakPrompt"]

        # -- two more decisions: 3 in this sitting -> the break prompt
        answers = {gold_item: wrong}
        by_qi = {qi: (item, g) for qi, item, g in queue_a}
        for k in range(2):
            qi = gold_qi + 1 + k
            item, g = by_qi[qi]
            label = g if g is not None else LABELS[k]  # gold answered right: no key is held back
            page.keyboard.press(digit(label))
            answers[item] = label
            if k == 0:
                s = wait_state(page, f"A at entry {qi + 1}", painted=qi + 1)
                assert not s["breakPrompt"]
        s = wait_state(page, "the break prompt", breakPrompt=True)
        assert "You have reviewed 3 items: take a break" in s["breakText"]
        at = s["painted"]
        page.keyboard.press("Enter")  # ends the break, decides nothing
        s = wait_state(page, "the break to end", breakPrompt=False)
        page.wait_for_timeout(300)
        assert state(page)["painted"] == at
        wait_state(page, "A's decisions saved", pending=0)
        assert state(page)["focused"]
    finally:
        lab_server.shutdown_session(b_path)
        context_b.close()

    # -- the store file ------------------------------------------------------------------
    events = store_rows(store_path, "SELECT * FROM events ORDER BY seq")
    by_ann: dict[str, list[dict]] = {}
    for e in events:
        by_ann.setdefault(e["annotator"], []).append(e)
    assert set(by_ann) == {"ann-a", "ann-b"}
    assert {e["item_id"]: e["label_after"] for e in by_ann["ann-a"]} == answers
    assert len(by_ann["ann-b"]) == 1 and by_ann["ann-b"][0]["label_after"] == "water"
    assert by_ann["ann-b"][0]["item_id"] == first_b["item"]
    assert not {e["item_id"] for e in by_ann["ann-a"]} & {e["item_id"] for e in by_ann["ann-b"]}
    assert all(e["guideline_version"] == "v1" for e in events)
    assert all(recorded_duration(e["duration_ms"]) for e in events)  # time on each item stored
    # blind mode: the model's label was never shown but is recorded for the metrics
    assert all(e["model_label"] == LABELS[(int(e["item_id"][-3:]) + 1) % 3] for e in events)
    gold_ev = next(e for e in by_ann["ann-a"] if e["item_id"] == gold_item)
    assert gold_ev["action"] == "correct" and gold_ev["label_after"] == wrong
    assert f'"gold": "{gold_label}"' in gold_ev["data"]
    guides = store_rows(store_path, "SELECT task, version, text FROM guidelines")
    assert guides == [{"task": "classification", "version": "v1", "text": GUIDE}]
    claims = store_rows(store_path, "SELECT item_id, annotator, done FROM claims WHERE done = 1")
    assert {(c["item_id"], c["annotator"]) for c in claims} == {
        (e["item_id"], e["annotator"]) for e in events
    }
    held = store_rows(store_path, "SELECT item_id, annotator FROM claims")
    holders: dict[str, set] = {}
    for c in held:
        holders.setdefault(c["item_id"], set()).add(c["annotator"])
    assert all(len(v) == 1 for v in holders.values()), "an item was handed to both (overlap 1)"
