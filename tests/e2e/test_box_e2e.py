"""BoxReview end to end: a real JupyterLab, Debian's Chromium driven by Playwright, the
real kernel and a real SQLite store; PNGs written with PIL in the test's temp dir, sent
to the browser as a half-size preview (``max_side``) so that original-pixel coordinates
are checked across a preview, CSS scaling and zoom.

Each test presses keys and drags with the mouse (or clicks a cell of the box confusion
matrix), then checks what the store holds: the boxes before and after in original pixels,
the operations and the changes.
"""

from __future__ import annotations

import json
import os
import sqlite3
import textwrap
from pathlib import Path
from typing import Any

import pytest
from jupyter_harness import NotebookPage, heatmap_area, hover_tip, make_notebook, wait_for, wait_shows

pytestmark = pytest.mark.e2e

ROOT = '[data-testid="hitl-root"]'
LABELS = ["car", "person", "dog"]
ANNOTATOR = "e2e-boxes"
W, H = 400, 300

_JS_STATE = """() => {
  const roots = document.querySelectorAll('[data-testid="hitl-root"]');
  const r = roots[roots.length - 1];
  if (!r) return null;
  const q = (id) => r.querySelector(`[data-testid="${id}"]`);
  const stage = q('box-stage'), p = q('pending'), ov = q('box-overlay'), msg = q('message');
  const boxes = [...r.querySelectorAll('[data-testid="box"]')].map((g) => {
    const rect = g.querySelector('rect');
    const n = (a) => Number(rect.getAttribute(a));
    return {id: g.dataset.boxId, label: g.dataset.label, selected: g.classList.contains('is-selected'),
            xyxy: [n('x'), n('y'), n('x') + n('width'), n('y') + n('height')]};
  });
  const ob = ov ? ov.getBoundingClientRect() : null;
  const sb = stage ? stage.getBoundingClientRect() : null;
  return {
    state: r.dataset.state, roots: roots.length,
    painted: r.dataset.paintedQi === undefined ? null : Number(r.dataset.paintedQi),
    pending: p ? Number(p.textContent) : null,
    message: msg ? msg.textContent : null,
    focused: r.contains(document.activeElement),
    item: stage ? (stage.dataset.itemId ?? null) : null,
    decoded: stage ? stage.dataset.decoded === 'true' : false,
    resolution: stage ? (stage.dataset.resolution ?? null) : null,
    zoom: stage ? Number(stage.dataset.zoom) : null,
    mode: stage ? stage.dataset.mode : null,
    hidden: stage ? stage.dataset.hidden === 'true' : null,
    overlay: ob ? [ob.left, ob.top, ob.width, ob.height] : null,
    stage: sb ? [sb.left, sb.top, sb.width, sb.height] : null,
    boxes,
  };
}"""


def review_notebook(tmp: Path, store: Path, boxes: list[list[dict]], prefetch: int = 6) -> dict:
    """One W x H PNG per row (PIL; a different colour each) under the given model boxes,
    sent as a half-size preview."""
    source = textwrap.dedent(f"""\
        from pathlib import Path
        import pandas as pd
        from PIL import Image, ImageDraw
        import hitl_widgets as hw

        BOXES = {boxes!r}
        folder = Path({str(tmp)!r})
        paths = []
        for i, bxs in enumerate(BOXES):
            im = Image.new("RGB", ({W}, {H}), ((i * 67) % 256, 140, 90))
            d = ImageDraw.Draw(im)
            for b in bxs:
                d.rectangle(b["box"], outline=(255, 255, 255))
            path = folder / f"box_{{i:02d}}.png"
            im.save(path)
            paths.append(str(path))
        df = pd.DataFrame({{"path": paths, "pred": BOXES}}, index=[f"im{{i:02d}}" for i in range(len(BOXES))])
        review = hw.BoxReview(df, image="path", boxes="pred", labels={LABELS!r}, max_side={W // 2},
                              store={str(store)!r}, annotator={ANNOTATOR!r}, prefetch={prefetch})
        review""")
    return make_notebook(source)


def state(page) -> dict[str, Any]:
    return page.evaluate(_JS_STATE)


def wait_state(page, what: str, timeout: float = 60.0, **expect: Any) -> dict[str, Any]:
    return wait_shows(lambda: state(page), what, timeout, **expect)


def box(s: dict, box_id: str) -> dict:
    return next(b for b in s["boxes"] if b["id"] == box_id)


def selected(s: dict) -> str | None:
    return next((b["id"] for b in s["boxes"] if b["selected"]), None)


def screen(s: dict, x: float, y: float) -> tuple[float, float]:
    """Original-image pixels to page coordinates, through the overlay's box on screen
    (zoom, pan, CSS scaling and the preview all included)."""
    left, top, width, height = s["overlay"]
    return left + x * width / W, top + y * height / H


def drag(page, s: dict, start: tuple[float, float], end: tuple[float, float], steps: int = 6) -> None:
    x0, y0 = screen(s, *start)
    x1, y1 = screen(s, *end)
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x1, y1, steps=steps)
    page.mouse.up()


def store_events(path: Path) -> list[dict[str, Any]]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        con.row_factory = sqlite3.Row
        return [dict(r) for r in con.execute("SELECT * FROM events ORDER BY seq")]
    finally:
        con.close()


def close(a: list[float], b: list[float], tol: float = 1.0) -> bool:
    return len(a) == len(b) and all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


def coords(b: dict) -> list[float]:
    return [b["x1"], b["y1"], b["x2"], b["y2"]]


def focus(page) -> None:
    stage = page.locator(ROOT).last.locator('[data-testid="box-stage"]')
    # the whole image in the viewport: the mouse can only reach what is on screen
    stage.evaluate("(el) => el.scrollIntoView({block: 'center'})")
    page.locator(ROOT).last.locator('[data-testid="box-count"]').click()
    wait_state(page, "the widget to have the focus", focused=True, timeout=10)


MODEL_A = [
    {"box": [100, 80, 160, 130], "label": "car", "score": 0.9},
    {"box": [200, 90, 280, 170], "label": "person", "score": 0.7},
    {"box": [120, 160, 190, 220], "label": "dog", "score": 0.3},
]
MODEL_B = [{"box": [50, 50, 150, 150], "label": "car", "score": 0.8}]


def test_keys_and_mouse_at_zoom_store_boxes_in_original_pixels(
    lab_server, open_notebook, store_path, tmp_path
):
    nbp: NotebookPage = open_notebook(
        lab_server, "boxes.ipynb", review_notebook(tmp_path, store_path, [MODEL_A, MODEL_B])
    )
    page = nbp.page
    page.set_viewport_size({"width": 1280, "height": 1200})
    nbp.run_all()
    s = wait_state(page, "the first image", state="item", item="im00", painted=0, decoded=True)
    assert [b["id"] for b in s["boxes"]] == ["b0", "b1", "b2"]
    # the overlay is in original pixels although the image came as a 200 x 150 preview
    assert close(box(s, "b1")["xyxy"], [200, 90, 280, 170], 0.01)
    focus(page)

    page.keyboard.press("+")  # zoom in around the centre
    s = wait_for(lambda: (x := state(page))["zoom"] > 1 and x, 10, "zoomed in")
    zoom = s["zoom"]
    assert s["overlay"][2] > s["stage"][2] * 1.05, s  # the image is drawn larger than its frame

    # keyboard: select b0, move it 3 px right and 10 down, widen it by 1
    page.keyboard.press("Tab")
    wait_for(lambda: selected(state(page)) == "b0", 10, "b0 selected")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Shift+ArrowDown")
    page.keyboard.press("Alt+ArrowRight")
    wait_for(
        lambda: close(box(state(page), "b0")["xyxy"], [103, 90, 164, 140], 0.01), 10, "b0 moved and resized"
    )
    # b1: relabel to dog; b2: delete
    page.keyboard.press("Tab")
    wait_for(lambda: selected(state(page)) == "b1", 10, "b1 selected")
    page.keyboard.press("3")
    wait_for(lambda: box(state(page), "b1")["label"] == "dog", 10, "b1 relabelled")
    page.keyboard.press("Tab")
    wait_for(lambda: selected(state(page)) == "b2", 10, "b2 selected")
    page.keyboard.press("x")
    wait_for(lambda: "b2" not in [b["id"] for b in state(page)["boxes"]], 10, "b2 deleted")

    # mouse: select b1 by a click, move it by (+20, -10) original px, then resize it from
    # its bottom-right handle by (+10, +10)
    s = state(page)
    x, y = screen(s, 240, 130)
    page.mouse.click(x, y)
    wait_for(lambda: selected(state(page)) == "b1", 10, "b1 selected by a click")
    s = state(page)
    drag(page, s, (240, 130), (260, 120))
    wait_for(lambda: close(box(state(page), "b1")["xyxy"], [220, 80, 300, 160]), 10, "b1 dragged")
    s = state(page)
    drag(page, s, (300, 160), (310, 170))
    wait_for(
        lambda: close(box(state(page), "b1")["xyxy"], [220, 80, 310, 170]), 10, "b1 resized by its handle"
    )

    # draw a new box (N, then a drag on empty image), and redraw b0 (R, then a drag)
    page.keyboard.press("n")
    wait_state(page, "draw mode", mode="draw", timeout=10)
    s = state(page)
    drag(page, s, (300, 200), (340, 250))
    s = wait_for(lambda: x if len((x := state(page))["boxes"]) == 3 else None, 10, "a new box")
    new = next(b for b in s["boxes"] if b["id"] not in ("b0", "b1"))
    assert close(new["xyxy"], [300, 200, 340, 250]), new
    for _ in range(4):
        if selected(state(page)) == "b0":
            break
        page.keyboard.press("Tab")
    assert selected(state(page)) == "b0"
    page.keyboard.press("r")
    wait_state(page, "redraw mode", mode="redraw", timeout=10)
    s = state(page)
    drag(page, s, (70, 60), (115, 100))
    wait_for(lambda: close(box(state(page), "b0")["xyxy"], [70, 60, 115, 100]), 10, "b0 redrawn")
    assert state(page)["zoom"] == zoom  # still zoomed: every coordinate above was at zoom != 1

    page.keyboard.press("Enter")  # changed: an edit
    wait_state(page, "the second image", state="item", item="im01", painted=1, decoded=True)
    page.keyboard.press("Enter")  # unchanged: accept
    wait_state(page, "the summary, every decision saved", state="summary", pending=0)

    events = store_events(store_path)
    assert [(e["item_id"], e["action"]) for e in events] == [("im00", "edit"), ("im01", "accept")]
    a, b = (json.loads(e["data"]) for e in events)
    assert a["image"]["width"] == W and a["image"]["height"] == H and len(a["image"]["sha256"]) == 64
    assert [coords(x) for x in a["boxes_before"]] == [
        [100, 80, 160, 130],
        [200, 90, 280, 170],
        [120, 160, 190, 220],
    ]
    after = {x["id"]: x for x in a["boxes_after"]}
    assert set(after) == {"b0", "b1", new["id"]}
    assert close(coords(after["b0"]), [70, 60, 115, 100]) and after["b0"]["label"] == "car"
    assert close(coords(after["b1"]), [220, 80, 310, 170]) and after["b1"]["label"] == "dog"
    assert close(coords(after[new["id"]]), [300, 200, 340, 250]) and after[new["id"]]["label"] in LABELS
    assert a["changes"]["deleted"] == 1 and a["changes"]["added"] == 1
    ops = a["ops"]
    kinds = {(o["op"], o.get("via")) for o in ops}
    assert {("move", "key"), ("resize", "key"), ("relabel", "key"), ("delete", "key")} <= kinds, ops
    assert {("move", "mouse"), ("resize", "mouse"), ("add", "mouse"), ("redraw", "mouse")} <= kinds, ops
    # every operation carries its time (its size is a timing, not checked here), stored in the order made
    assert all(isinstance(o["t_ms"], (int, float)) for o in ops)
    assert [o["op"] for o in ops].index("delete") < [o["op"] for o in ops].index("add"), ops
    assert set(a["box_ms"]) >= {"b0", "b1"}
    assert b["boxes_after"] == [
        {"id": "b0", "x1": 50.0, "y1": 50.0, "x2": 150.0, "y2": 150.0, "label": "car"}
    ]
    k = nbp.kernel()
    try:
        res = k.eval("review.results()[['image_id', 'parts_decided']].to_dict('records')")
    finally:
        k.close()
    assert res == [{"image_id": "im00", "parts_decided": 1}, {"image_id": "im01", "parts_decided": 1}]


def test_kernel_killed_mid_review_loses_no_box_decision(lab_server, open_notebook, store_path, tmp_path):
    model = [[{"box": [40 + 10 * i, 40, 120 + 10 * i, 120], "label": "car"}] for i in range(4)]
    nbp = open_notebook(
        lab_server, "boxes_kill.ipynb", review_notebook(tmp_path, store_path, model, prefetch=8)
    )
    page = nbp.page
    nbp.run_all()
    wait_state(page, "the first image", state="item", item="im00", painted=0, decoded=True)
    focus(page)
    page.keyboard.press("Tab")
    page.keyboard.press("Delete")
    page.keyboard.press("Enter")  # im00: every box deleted
    wait_state(page, "im01, im00 saved", state="item", item="im01", pending=0)
    k = nbp.kernel()
    try:
        pid = k.pid()
    finally:
        k.close()
    kid = nbp.kernel_id()
    os.kill(pid, 9)
    # JupyterLab notices the death, the server restarts the kernel and a dialog may take
    # the focus: close it and click back into the widget, as a person would
    nbp.settle_after_kernel_death(kid)
    focus(page)
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")  # im01: moved 2 px, while the kernel is dead
    wait_state(page, "im02", state="item", item="im02")
    page.keyboard.press("Enter")  # im02: accepted, while the kernel is dead
    s = wait_state(page, "im03", state="item", item="im03")
    assert s["pending"] >= 1, s
    assert len(store_events(store_path)) == 1

    nbp.restart_kernel()
    nbp.dismiss_dialogs()
    nbp.run_all()

    def settled() -> str | None:
        w = state(page)
        if w and w["pending"] == 0 and w["roots"] == 1:
            return "saved"
        if w and "No answer from the kernel" in (w["message"] or ""):
            return "silent"
        return None

    if wait_for(settled, 90, "the decisions saved, or the widget saying the kernel is silent") == "silent":
        nbp.command("docmanager:save")
        page.once("dialog", lambda d: d.accept())
        page.reload(wait_until="domcontentloaded")
        nbp.open()
        nbp.run_all()
        wait_for(lambda: (w := state(page)) is not None and w["pending"] == 0, 90, "the decisions saved")
    events = store_events(store_path)
    got = {e["item_id"]: (e["action"], json.loads(e["data"])) for e in events}
    assert len(events) == 3 and len({e["event_id"] for e in events}) == 3, [
        (e["item_id"], e["action"]) for e in events
    ]
    assert got["im00"][0] == "edit" and got["im00"][1]["boxes_after"] == []
    assert got["im01"][0] == "edit" and close(
        coords(got["im01"][1]["boxes_after"][0]), [52, 40, 132, 120], 0.01
    )
    assert got["im02"][0] == "accept"


def test_the_parts_of_a_split_image_share_its_original(lab_server, open_notebook, store_path, tmp_path):
    """A crowded image split by label: both parts show the full-resolution original, which
    the kernel sends once (the browser keys the picture by the image, not the entry)."""
    crowd = [
        *MODEL_A[:2],
        {"box": [20, 20, 80, 70], "label": "car", "score": 0.6},
        {"box": [300, 200, 380, 280], "label": "person", "score": 0.5},
    ]
    source = textwrap.dedent(f"""\
        from PIL import Image
        import pandas as pd
        import hitl_widgets as hw

        path = {str(tmp_path / "crowd.png")!r}
        Image.new("RGB", ({W}, {H}), (40, 120, 200)).save(path)
        df = pd.DataFrame({{"path": [path], "pred": [{crowd!r}]}}, index=["im00"])
        review = hw.BoxReview(df, image="path", boxes="pred", labels={LABELS!r}, max_side={W // 2},
                              max_boxes=2, split_by="label", store={str(store_path)!r},
                              annotator={ANNOTATOR!r})
        CALLS = []
        _full = review._full_image
        review._full_image = lambda pos: (CALLS.append(pos), _full(pos))[1]
        review""")
    nbp: NotebookPage = open_notebook(lab_server, "split.ipynb", make_notebook(source))
    page = nbp.page
    page.set_viewport_size({"width": 1280, "height": 1200})
    nbp.run_all()
    wait_state(page, "part 1", state="item", item="im00#label=car", decoded=True)
    focus(page)
    page.keyboard.press("+")  # past the preview's resolution whatever the layout
    wait_state(page, "the original of part 1", resolution="full", decoded=True)
    k = nbp.kernel()
    assert k.eval("len(CALLS)") == 1
    page.keyboard.press("Enter")
    s = wait_state(page, "part 2, at full resolution at once", item="im00#label=person", resolution="full")
    assert s["decoded"] is True
    page.keyboard.press("+")
    page.keyboard.press("+")
    page.keyboard.press("Enter")
    wait_for(
        lambda: len([e for e in store_events(store_path) if e["action"] == "accept"]) == 2,
        30,
        "two parts stored",
    )
    # any request for the original would have reached the kernel before the second decision
    assert k.eval("len(CALLS)") == 1
    assert sorted(e["item_id"] for e in store_events(store_path) if e["action"] == "accept") == [
        "im00#label=car",
        "im00#label=person",
    ]


def test_box_confusion_cell_click_rechecks_its_images(lab_server, open_notebook, store_path, tmp_path):
    """The box confusion matrix in JupyterLab: a click on the cell (model dog, human cat)
    opens a BoxReview on exactly that cell's images; Enter accepts, and the store holds
    the recheck."""
    source = textwrap.dedent(f"""\
        from PIL import Image
        import pandas as pd
        import hitl_widgets as hw

        folder = {str(tmp_path)!r}
        B = [60, 60, 160, 140]
        model = {{"im00": [{{"box": B, "label": "dog"}}], "im01": [{{"box": B, "label": "cat"}}],
                 "im02": [{{"box": B, "label": "dog"}}]}}
        human = {{"im00": [{{"box": B, "label": "cat"}}], "im01": [{{"box": B, "label": "cat"}}],
                 "im02": [{{"box": B, "label": "dog"}}]}}
        paths = []
        for k in model:
            Image.new("RGB", ({W}, {H}), (90, 140, 60)).save(f"{{folder}}/{{k}}.png")
            paths.append(f"{{folder}}/{{k}}.png")
        df = pd.DataFrame({{"path": paths, "pred": list(model.values())}}, index=list(model))
        to_xyxy = lambda bs: [{{"x1": b["box"][0], "y1": b["box"][1], "x2": b["box"][2], "y2": b["box"][3],
                               "label": b["label"]}} for b in bs]
        view = hw.plots.box_confusion_matrix({{k: to_xyxy(v) for k, v in model.items()}},
                                             {{k: to_xyxy(v) for k, v in human.items()}},
                                             items=df, store={str(store_path)!r}, annotator={ANNOTATOR!r},
                                             review_kwargs={{"image": "path", "boxes": "pred"}})
        view""")
    nbp: NotebookPage = open_notebook(lab_server, "box_confusion.ipynb", make_notebook(source))
    page = nbp.page
    page.set_viewport_size({"width": 1400, "height": 1200})
    nbp.run_all()
    drag_area, area = heatmap_area(page)
    k = nbp.kernel()
    xs, ys = k.eval("list(view.figure.data[0].x)"), k.eval("list(view.figure.data[0].y)")
    # categories at equal steps; the y axis reversed: the first model label on top
    at = {
        "x": area["width"] * (xs.index("cat") + 0.5) / len(xs),
        "y": area["height"] * (ys.index("dog") + 0.5) / len(ys),
    }
    assert "list and recheck the 1 image" in hover_tip(page, drag_area, at)
    drag_area.click(position=at)
    wait_for(lambda: k.eval("view.review is not None and len(view.review)") == 1, 30, "the recheck review")
    s = wait_state(page, "the recheck's image", state="item", item="im00", decoded=True)
    assert [b["label"] for b in s["boxes"]] == ["dog"]
    focus(page)
    page.keyboard.press("Enter")
    wait_for(
        lambda: any(e["task"] == "recheck" and e["action"] == "accept" for e in store_events(store_path)),
        30,
        "the recheck in the store",
    )
    stored = [e for e in store_events(store_path) if e["task"] == "recheck" and e["action"] == "accept"]
    assert [(e["item_id"], e["annotator"]) for e in stored] == [("im00", ANNOTATOR)]
