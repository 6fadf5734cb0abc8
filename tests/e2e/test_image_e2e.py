"""ImageReview end to end: a real JupyterLab, Debian's Chromium driven by Playwright, the
real kernel and a real SQLite store; small PNGs written with PIL in the test's temp dir.

Each test presses keys, then checks what the browser painted (the image decoded from its
binary buffer: naturalWidth > 0) and what the kernel and the store file hold.
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
LABELS = ["cat", "dog", "bird"]
ANNOTATOR = "e2e-tester"

# The state of the (last) review widget on the page, through the DOM contract only.
_JS_WIDGET = """() => {
  const roots = document.querySelectorAll('[data-testid="hitl-root"]');
  const r = roots[roots.length - 1];
  if (!r) return null;
  const q = (id) => r.querySelector(`[data-testid="${id}"]`);
  const frame = q('image-frame'), p = q('pending'), n = q('note-input'), img = q('image');
  const tiles = [...r.querySelectorAll('[data-testid="tile"]')];
  const visible = (e) => !!e && !e.hidden && e.getClientRects().length > 0;
  return {
    state: r.dataset.state,
    layout: r.dataset.layout,
    item: frame ? (frame.dataset.itemId ?? null) : null,
    decoded: frame ? frame.dataset.decoded === 'true' : false,
    painted: r.dataset.paintedQi === undefined ? null : Number(r.dataset.paintedQi),
    pending: p ? Number(p.textContent) : null,
    note: visible(n),
    noteFocused: !!n && document.activeElement === n,
    focused: r.contains(document.activeElement),
    naturalWidth: img ? img.naturalWidth : 0,
    orientation: img ? getComputedStyle(img).imageOrientation : null,
    src: img ? img.getAttribute('src') : null,
    tiles: tiles.map((t) => t.dataset.itemId),
    wrong: tiles.filter((t) => t.classList.contains('is-wrong')).map((t) => t.dataset.itemId),
    tilesPainted: tiles.length > 0 && tiles.every((t) => {
      const i = t.querySelector('[data-testid="image"]');
      return !!i && i.complete && i.naturalWidth > 0;
    }),
    gridLabel: q('grid-label') ? q('grid-label').textContent : null,
  };
}"""


def review_notebook(
    tmp: Path, store: Path, preds: list[str], layout: str, grid: tuple[int, int] = (3, 4)
) -> dict:
    """A notebook that writes one small PNG per row (PIL) and opens ImageReview on them."""
    source = textwrap.dedent(f"""\
        from pathlib import Path
        import pandas as pd
        from PIL import Image
        import hitl_widgets as hw

        PREDS = {preds!r}
        folder = Path({str(tmp)!r})
        paths = []
        for i, p in enumerate(PREDS):
            path = folder / f"img_{{i:02d}}.png"
            Image.new("RGB", (40 + i, 30), ((i * 37) % 256, 120, 200)).save(path)
            paths.append(str(path))
        df = pd.DataFrame({{"path": paths, "pred": PREDS}}, index=[f"im{{i:02d}}" for i in range(len(PREDS))])
        review = hw.ImageReview(
            df, image="path", labels={LABELS!r}, layout={layout!r}, grid={grid!r},
            store={str(store)!r}, annotator={ANNOTATOR!r},
        )
        review""")
    return make_notebook(source)


def widget(page) -> dict[str, Any]:
    return page.evaluate(_JS_WIDGET)


def wait_widget(page, what: str, timeout: float = 60.0, **expect: Any) -> dict[str, Any]:
    return wait_shows(lambda: widget(page), what, timeout, **expect)


def store_events(path: Path) -> list[dict[str, Any]]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        con.row_factory = sqlite3.Row
        return [dict(r) for r in con.execute("SELECT * FROM events ORDER BY seq")]
    finally:
        con.close()


def per_item(events: list[tuple]) -> dict[str, list[tuple]]:
    """Events grouped by item, each item's in commit order (across items the commit order
    can differ from the key order: comm messages may reach the kernel on two threads)."""
    out: dict[str, list[tuple]] = {}
    for e in events:
        out.setdefault(e[0], []).append(tuple(e[1:]))
    return out


def nan_none(v: Any) -> Any:
    return None if isinstance(v, float) and v != v else v


def wait_saved(page) -> None:
    wait_widget(page, "every decision to be acknowledged (pending 0)", pending=0)


def key_at(page, key: str, item: str, qi: int) -> dict[str, Any]:
    page.keyboard.press(key)
    return wait_widget(
        page, f"{item} after {key!r}", state="item", item=item, painted=qi, decoded=True, timeout=30
    )


def test_single_layout_keys_are_stored_with_the_image_hash(lab_server, open_notebook, store_path, tmp_path):
    preds = ["cat", "dog", "cat", "bird", "cat", "dog"]
    nb = review_notebook(tmp_path, store_path, preds, "single")
    nbp: NotebookPage = open_notebook(lab_server, "image_single.ipynb", nb)
    page = nbp.page
    nbp.run_all()
    w = wait_widget(page, "the first image", state="item", item="im00", painted=0, decoded=True)
    assert w["layout"] == "single"
    # the image came as a Blob URL made from the message's buffer, and was painted
    assert w["src"].startswith("blob:") and w["naturalWidth"] == 40, w
    assert w["orientation"] == "none"

    page.locator(ROOT).last.locator('[data-testid="image-frame"]').click()
    wait_widget(page, "the widget to have the focus", focused=True, timeout=10)
    key_at(page, "Enter", "im01", 1)  # accept im00 (cat)
    w = key_at(page, "3", "im02", 2)  # correct im01 (dog) -> bird
    assert w["naturalWidth"] == 42  # the next image, prefetched, is painted at once
    page.keyboard.press("f")  # flag im02: the note box
    wait_widget(page, "the note box", note=True, noteFocused=True, item="im02")
    page.keyboard.type("blurry")
    key_at(page, "Enter", "im03", 3)
    key_at(page, "s", "im04", 4)  # skip im03
    key_at(page, "z", "im03", 3)  # undo the skip
    key_at(page, "3", "im04", 4)  # correct im03 -> bird (its model's own label: accept)
    key_at(page, "a", "im05", 5)  # accept im04
    wait_saved(page)
    assert page.evaluate("() => typeof window.__pwned") == "undefined"

    k = nbp.kernel()
    try:
        session_id = k.eval("review.session_id")
        hashes = k.eval(
            "{review._items.item_id(p): review._items.hash(p) for p in range(len(review._items))}"
        )
        live = k.eval("review.decisions()[['item_id', 'status', 'human_label']].to_dict('records')")
    finally:
        k.close()
    expected = {
        "im00": ("accepted", "cat"),
        "im01": ("corrected", "bird"),
        "im02": ("flagged", None),
        "im03": ("accepted", "bird"),
        "im04": ("accepted", "cat"),
    }
    assert {d["item_id"]: (d["status"], nan_none(d["human_label"])) for d in live} == expected

    events = store_events(store_path)
    assert per_item([(e["item_id"], e["action"]) for e in events]) == {
        "im00": [("accept",)],
        "im01": [("correct",)],
        "im02": [("flag",)],
        "im03": [("skip",), ("undo",), ("accept",)],
        "im04": [("accept",)],
    }
    for e in events:
        assert e["content_hash"] == hashes[e["item_id"]]  # the image's sha256-based hash
        assert e["kind"] == "image" and e["annotator"] == ANNOTATOR and e["session_id"] == session_id
        if e["action"] != "undo":
            assert recorded_duration(e["duration_ms"]), e
    assert next(e["note"] for e in events if e["action"] == "flag") == "blurry"


def test_grid_marks_and_enter_store_one_decision_per_tile(lab_server, open_notebook, store_path, tmp_path):
    preds = ["cat"] * 8 + ["dog"] * 2  # pages of 6: six cats, two cats, two dogs
    nb = review_notebook(tmp_path, store_path, preds, "grid", grid=(2, 3))
    nbp: NotebookPage = open_notebook(lab_server, "image_grid.ipynb", nb)
    page = nbp.page
    nbp.run_all()
    first = [f"im{i:02d}" for i in range(6)]
    w = wait_widget(page, "the first page", state="item", painted=0, tiles=first, tilesPainted=True)
    assert w["layout"] == "grid" and w["gridLabel"] == "cat"

    page.locator(ROOT).last.locator('[data-testid="grid-label"]').click()
    wait_widget(page, "the widget to have the focus", focused=True, timeout=10)
    page.keyboard.press("2")
    page.keyboard.press("5")
    page.keyboard.press("6")
    page.keyboard.press("6")  # toggled back
    wait_widget(page, "tiles 2 and 5 marked", wrong=["im01", "im04"])
    page.keyboard.press("Enter")
    wait_widget(page, "the second page", tiles=["im06", "im07"], wrong=[], painted=6, tilesPainted=True)
    page.keyboard.press("Enter")
    w = wait_widget(page, "the dogs", tiles=["im08", "im09"], painted=8, tilesPainted=True)
    assert w["gridLabel"] == "dog"
    page.keyboard.press("1")
    wait_widget(page, "a dog marked", wrong=["im08"])
    page.keyboard.press("Enter")
    wait_widget(page, "the summary", state="summary")
    wait_saved(page)

    events = store_events(store_path)
    got = {e["item_id"]: e["action"] for e in events}
    assert got == {
        "im00": "accept",
        "im01": "flag",
        "im02": "accept",
        "im03": "accept",
        "im04": "flag",
        "im05": "accept",
        "im06": "accept",
        "im07": "accept",
        "im08": "flag",
        "im09": "accept",
    }
    assert len(events) == 10  # one decision per tile
    for e in events:
        data = e["data"] or ""
        assert '"layout": "grid"' in data or '"layout":"grid"' in data, e
        if e["action"] == "flag":
            assert '"wrong": true' in data or '"wrong":true' in data, e
        else:
            assert e["label_after"] == e["model_label"] == ("dog" if e["item_id"] >= "im08" else "cat")
    k = nbp.kernel()
    try:
        assert k.eval("int(review.done)") == 10
        assert k.eval("sorted(review.decisions().query('status == \"flagged\"')['item_id'])") == [
            "im01",
            "im04",
            "im08",
        ]
    finally:
        k.close()
