"""AudioReview end to end: a real JupyterLab, Debian's Chromium driven by Playwright, the
real kernel and a real SQLite store; two 2 s sine WAVs written with soundfile in the
test's temp dir.

The test plays the clip from the keyboard (the media element really plays: its time
advances), marks a region with B ... E while it plays, labels it with Alt+2, edits the
transcript with T, accepts with Enter, then checks what the store holds. Another kills
the kernel mid-review (SIGKILL), decides two clips while it is dead, restarts it and checks
that the store ends up with every decision once.
"""

from __future__ import annotations

import json
import os
import sqlite3
import textwrap
from pathlib import Path
from typing import Any

import pytest
from jupyter_harness import NotebookPage, make_notebook, wait_for, wait_shows

pytestmark = pytest.mark.e2e

ROOT = '[data-testid="hitl-root"]'
LABELS = ["tone", "speech", "noise"]
REGION_LABELS = ["beep", "silence"]
ANNOTATOR = "e2e-audio"

_JS_STATE = """() => {
  const roots = document.querySelectorAll('[data-testid="hitl-root"]');
  const r = roots[roots.length - 1];
  if (!r) return null;
  const q = (id) => r.querySelector(`[data-testid="${id}"]`);
  const stage = q('audio-stage'), p = q('pending'), msg = q('message'), media = q('audio');
  const regions = [...r.querySelectorAll('[data-testid="region"]')].map((e) => ({
    id: e.dataset.regionId, label: e.dataset.label, start: Number(e.dataset.start), end: Number(e.dataset.end),
    selected: e.classList.contains('is-selected'),
  }));
  const wave = q('waveform');
  return {
    state: r.dataset.state, layout: r.dataset.layout, roots: roots.length,
    painted: r.dataset.paintedQi === undefined ? null : Number(r.dataset.paintedQi),
    pending: p ? Number(p.textContent) : null,
    message: msg && !msg.hidden ? msg.textContent : null,
    focused: r.contains(document.activeElement),
    item: stage ? (stage.dataset.itemId ?? null) : null,
    playing: stage ? stage.dataset.playing === 'true' : null,
    time: stage ? Number(stage.dataset.time) : null,
    duration: stage ? Number(stage.dataset.duration) : null,
    pendingRegion: stage ? (stage.dataset.pending ?? null) : null,
    media: media ? {paused: media.paused, time: media.currentTime, src: media.getAttribute('src') || '',
                    error: media.error ? media.error.code : null, rate: media.playbackRate,
                    preservesPitch: media.preservesPitch} : null,
    waveDrawn: !!(wave && wave.firstElementChild && wave.firstElementChild.shadowRoot &&
                  wave.firstElementChild.shadowRoot.querySelector('canvas')),
    transcript: q('transcript') ? q('transcript').textContent : null,
    plays: q('play-count') ? Number(q('play-count').dataset.plays) : null,
    regions,
  };
}"""


def review_notebook(
    tmp: Path,
    store: Path,
    freqs: tuple[float, ...] = (440.0, 660.0),
    seconds: float = 2.0,
    prefetch: int | None = None,
    labelled: bool = True,
) -> dict:
    """One sine WAV per frequency (soundfile, in the test's temp dir), ids a00, a01, ...,
    the model's label "tone" and a transcript per clip."""
    asr = ["a short tone", "another tone", "a third tone", "the last tone"][: len(freqs)]
    conf = [0.9, 0.6, 0.8, 0.7][: len(freqs)]
    extra = "" if prefetch is None else f", prefetch={prefetch}"
    # labelled False: a transcription review (no clip labels, no model label)
    # unlabelled: with the recogniser's confidence per word of each transcript
    wc = [[0.9, 0.3, 0.8], [0.95, 0.4], [0.9, 0.9, 0.9], [0.1, 0.9, 0.9]][: len(freqs)]
    label_args = (
        f'labels={LABELS!r}, pred="pred"' if labelled else 'labels=None, pred=None, word_confidence="wc"'
    )
    source = textwrap.dedent(f"""\
        from pathlib import Path
        import numpy as np
        import pandas as pd
        import soundfile as sf
        import hitl_widgets as hw

        folder = Path({str(tmp)!r})
        sr = 16000
        t = np.arange(int({seconds!r} * sr)) / sr
        paths = []
        for i, f in enumerate({list(freqs)!r}):
            path = folder / f"tone_{{i}}.wav"
            sf.write(path, 0.4 * np.sin(2 * np.pi * f * t), sr, subtype="PCM_16")
            paths.append(str(path))
        df = pd.DataFrame({{"path": paths, "pred": ["tone"] * len(paths), "confidence": {conf!r},
                           "asr": {asr!r}, "wc": {wc!r}}}, index=[f"a{{i:02d}}" for i in range(len(paths))])
        review = hw.AudioReview(df, audio="path", {label_args}, confidence="confidence",
                                transcript="asr", region_labels={REGION_LABELS!r},
                                store={str(store)!r}, annotator={ANNOTATOR!r}{extra})
        review""")
    return make_notebook(source)


def state(page) -> dict[str, Any]:
    return page.evaluate(_JS_STATE)


def wait_state(page, what: str, timeout: float = 60.0, **expect: Any) -> dict[str, Any]:
    return wait_shows(lambda: state(page), what, timeout, **expect)


def store_events(path: Path) -> list[dict[str, Any]]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        con.row_factory = sqlite3.Row
        return [dict(r) for r in con.execute("SELECT * FROM events ORDER BY seq")]
    finally:
        con.close()


def test_play_mark_label_transcribe_and_store(lab_server, open_notebook, store_path, tmp_path):
    nbp: NotebookPage = open_notebook(lab_server, "audio.ipynb", review_notebook(tmp_path, store_path))
    page = nbp.page
    page.set_viewport_size({"width": 1280, "height": 1100})
    nbp.run_all()
    s = wait_state(page, "the first clip", state="item", item="a00", painted=0, layout="audio")
    assert s["duration"] == 2.0  # the clip's length as the kernel sent it (32,000 frames at 16 kHz)
    assert s["media"]["src"].startswith("blob:"), s
    assert s["transcript"] == "a short tone"
    # the waveform is drawn (wavesurfer's canvas, from the kernel's peaks)
    wait_for(lambda: state(page)["waveDrawn"], 20, "the waveform drawn")
    page.locator(ROOT).last.locator('[data-testid="model-label"]').click()
    wait_state(page, "the widget to have the focus", focused=True, timeout=10)

    # Space: the media element really plays and its time advances
    page.keyboard.press(" ")
    s = wait_for(lambda: (x := state(page))["playing"] and x["time"] > 0.25 and x, 20, "playback to advance")
    assert s["media"]["paused"] is False and s["media"]["time"] > 0.25, s
    assert s["media"]["preservesPitch"] is True
    assert s["plays"] == 1

    # B while it plays: a region starts at the playhead; E a bit later ends it
    page.keyboard.press("b")
    s = wait_for(lambda: (x := state(page))["pendingRegion"] is not None and x, 10, "the region started")
    start = float(s["pendingRegion"])
    wait_for(lambda: state(page)["time"] >= start + 0.3, 20, "playback to move past the region's start")
    page.keyboard.press("e")
    s = wait_for(lambda: (x := state(page))["regions"] and x, 10, "the region made")
    (region,) = s["regions"]
    assert region["id"] == "new-1" and region["label"] == "beep" and region["selected"], s
    assert abs(region["start"] - start) < 0.01 and region["end"] >= start + 0.3, s

    page.keyboard.press("Alt+2")
    wait_for(lambda: state(page)["regions"][0]["label"] == "silence", 10, "the region relabelled")

    # ] faster with the pitch kept; J seeks back on the media element itself
    page.keyboard.press("]")
    wait_for(lambda: state(page)["media"]["rate"] == 1.25, 10, "the rate at 1.25x")
    assert state(page)["media"]["preservesPitch"] is True
    page.keyboard.press("j")
    page.keyboard.press("j")
    s = wait_for(lambda: (x := state(page))["time"] < 0.5 and x, 10, "seeked back")
    assert s["media"]["time"] < 0.6, s

    # the transcript: T, type, Ctrl+Enter
    page.keyboard.press("t")
    editor = page.locator(ROOT).last.locator('[data-testid="transcript-editor"]')
    editor.wait_for(state="visible", timeout=10_000)
    editor.fill("a long tone")
    diff = page.locator(ROOT).last.locator('[data-testid="transcript-diff"]')
    wait_for(lambda: "long" in (diff.text_content() or ""), 10, "the word diff shown")
    page.keyboard.press("Control+Enter")
    wait_for(lambda: state(page)["transcript"] == "a long tone", 10, "the transcript saved")
    wait_state(page, "the keys back on the widget", focused=True, timeout=10)

    page.keyboard.press("Enter")  # accept the clip's label, with the regions and transcript
    s = wait_state(page, "the second clip", state="item", item="a01", painted=1)
    assert s["playing"] is False
    wait_state(page, "every decision saved", pending=0, timeout=30)

    events = store_events(store_path)
    assert [(e["item_id"], e["action"]) for e in events] == [("a00", "accept")]
    data = json.loads(events[0]["data"])
    assert data["regions_before"] == []
    (after,) = data["regions_after"]
    assert after["id"] == "new-1" and after["label"] == "silence"
    assert abs(after["start"] - region["start"]) < 0.002 and abs(after["end"] - region["end"]) < 0.002
    assert data["transcript_before"] == "a short tone" and data["transcript_after"] == "a long tone"
    assert data["transcript_diff"] and data["wer"] is not None
    # the listening time is recorded (its size is a timing: benchmarks/bench_audio.py)
    assert data["plays"] >= 1 and isinstance(data["listened_ms"], (int, float))
    assert [o["op"] for o in data["ops"]] == ["add", "relabel"]
    assert data["audio"]["sample_rate"] == 16000 and data["audio"]["duration"] == 2.0  # 32,000 frames


def test_mouse_drag_makes_and_resizes_a_region(lab_server, open_notebook, store_path, tmp_path):
    nbp: NotebookPage = open_notebook(lab_server, "audio_mouse.ipynb", review_notebook(tmp_path, store_path))
    page = nbp.page
    page.set_viewport_size({"width": 1280, "height": 1100})
    nbp.run_all()
    wait_state(page, "the first clip", state="item", item="a00", painted=0)
    wait_for(lambda: state(page)["waveDrawn"], 20, "the waveform drawn")
    wave = page.locator(ROOT).last.locator('[data-testid="waveform"]')
    wave.scroll_into_view_if_needed()
    box = wave.bounding_box()
    assert box and box["width"] > 200, box
    y = box["y"] + 40
    # a drag over the second quarter of the waveform: a region from 0.5 s to 1.0 s
    page.mouse.move(box["x"] + 0.25 * box["width"], y)
    page.mouse.down()
    page.mouse.move(box["x"] + 0.5 * box["width"], y, steps=8)
    page.mouse.up()
    s = wait_for(lambda: (x := state(page))["regions"] and x, 10, "a region drawn by the mouse")
    (r,) = s["regions"]
    assert r["id"] == "new-1" and r["label"] == "beep", s
    assert abs(r["start"] - 0.5) < 0.08 and abs(r["end"] - 1.0) < 0.08, s
    # its right edge dragged to 1.5 s
    handle = wave.locator('[part~="region-handle-right"]').first
    hb = handle.bounding_box()
    assert hb, "no region handle on the waveform"
    page.mouse.move(hb["x"] + hb["width"] / 2, hb["y"] + 20)
    page.mouse.down()
    page.mouse.move(box["x"] + 0.75 * box["width"], hb["y"] + 20, steps=8)
    page.mouse.up()
    s = wait_for(
        lambda: abs(state(page)["regions"][0]["end"] - 1.5) < 0.08 and state(page),
        10,
        "the region's end moved",
    )
    page.keyboard.press("Enter")
    wait_state(page, "the second clip", state="item", item="a01", painted=1)
    wait_state(page, "every decision saved", pending=0, timeout=30)
    (ev,) = store_events(store_path)
    data = json.loads(ev["data"])
    (after,) = data["regions_after"]
    assert after["label"] == "beep" and abs(after["start"] - 0.5) < 0.08 and abs(after["end"] - 1.5) < 0.08
    assert [o["op"] for o in data["ops"]] == ["add", "move"]
    assert data["plays"] == 0 and data["transcript_after"] == "a short tone"


def focus(page) -> None:
    page.locator(ROOT).last.locator('[data-testid="model-label"]').click()
    wait_state(page, "the widget to have the focus", focused=True, timeout=10)


def test_kernel_killed_mid_review_loses_no_audio_decision(lab_server, open_notebook, store_path, tmp_path):
    # prefetch=8: all four clips (bytes and peaks) are in the browser before the kill
    nb = review_notebook(tmp_path, store_path, (440.0, 550.0, 660.0, 770.0), seconds=3.0, prefetch=8)
    nbp: NotebookPage = open_notebook(lab_server, "audio_kill.ipynb", nb)
    page = nbp.page
    page.set_viewport_size({"width": 1280, "height": 1100})
    nbp.run_all()
    wait_state(page, "the first clip", state="item", item="a00", painted=0, layout="audio")
    focus(page)

    # a00: a region from the start to 2 s (B at 0, L seeks 2 s on, E), then accept
    page.keyboard.press("b")
    wait_state(page, "the region started at 0", pendingRegion="0.00", timeout=10)
    page.keyboard.press("l")
    wait_for(lambda: abs(state(page)["time"] - 2.0) < 0.01, 10, "the playhead at 2 s")
    page.keyboard.press("e")
    s = wait_for(lambda: (x := state(page))["regions"] and x, 10, "the region made")
    (made,) = s["regions"]
    assert made["id"] == "new-1" and made["label"] == "beep", s
    assert abs(made["start"]) < 0.01 and abs(made["end"] - 2.0) < 0.01, s
    page.keyboard.press("Enter")
    wait_state(page, "a01, a00 saved", state="item", item="a01", painted=1, pending=0)
    assert [(e["item_id"], e["action"]) for e in store_events(store_path)] == [("a00", "accept")]

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

    # a01, while the kernel is dead: the transcript edited (T, type, Ctrl+Enter), accepted
    page.keyboard.press("t")
    editor = page.locator(ROOT).last.locator('[data-testid="transcript-editor"]')
    editor.wait_for(state="visible", timeout=10_000)
    editor.fill("another long tone")
    page.keyboard.press("Control+Enter")
    wait_for(lambda: state(page)["transcript"] == "another long tone", 10, "the transcript saved")
    wait_state(page, "the keys back on the widget", focused=True, timeout=10)
    page.keyboard.press("Enter")
    wait_state(page, "a02", state="item", item="a02", painted=2)
    # a02, while the kernel is dead: corrected to label 3 ("noise")
    page.keyboard.press("3")
    s = wait_state(page, "a03, two decisions pending", state="item", item="a03", painted=3, pending=2)
    pending_text = page.locator(ROOT).last.locator(".hitl-pending").text_content() or ""
    assert "2 unsaved" in pending_text, pending_text
    assert (
        page.evaluate("() => Object.keys(localStorage).filter((k) => k.startsWith('hitl:pending:')).length")
        == 1
    )
    assert [(e["item_id"], e["action"]) for e in store_events(store_path)] == [("a00", "accept")]

    # restart the kernel, run the notebook again: a new widget on the same store
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
    assert len(events) == 3 and len({e["event_id"] for e in events}) == 3, [
        (e["item_id"], e["action"]) for e in events
    ]
    got = {e["item_id"]: e for e in events}
    assert set(got) == {"a00", "a01", "a02"}
    data = {i: json.loads(e["data"]) for i, e in got.items()}
    assert got["a00"]["action"] == "accept" and got["a00"]["label_after"] == "tone"
    (region,) = data["a00"]["regions_after"]
    assert region["id"] == "new-1" and region["label"] == "beep"
    assert abs(region["start"]) < 0.002 and abs(region["end"] - 2.0) < 0.002, region
    assert data["a00"]["transcript_after"] == "a short tone"
    assert got["a01"]["action"] == "accept" and got["a01"]["label_after"] == "tone"
    assert data["a01"]["regions_after"] == []
    assert data["a01"]["transcript_before"] == "another tone"
    assert data["a01"]["transcript_after"] == "another long tone"
    assert got["a02"]["action"] == "correct" and got["a02"]["label_after"] == "noise"
    assert data["a02"]["regions_after"] == [] and data["a02"]["transcript_after"] == "a third tone"
    assert all(e["annotator"] == ANNOTATOR for e in events)


def test_a_transcription_review_with_the_next_clip_drawn_ahead(
    lab_server, open_notebook, store_path, tmp_path
):
    """labels=None: no label row, T edits the transcript, Enter submits it; the next clip
    waits drawn and loaded in the hidden second player, and Enter swaps the two."""
    nb = review_notebook(tmp_path, store_path, (440.0, 660.0, 550.0), labelled=False)
    nbp: NotebookPage = open_notebook(lab_server, "asr.ipynb", nb)
    page = nbp.page
    page.set_viewport_size({"width": 1280, "height": 1100})
    nbp.run_all()
    wait_state(page, "the first clip", state="item", item="a00", painted=0, layout="audio")
    root = page.locator(ROOT).last
    assert root.locator('[data-testid="label-button"]').count() == 0
    assert root.locator('[data-testid="model-label"]').is_hidden()
    # the recogniser's unsure word ("short", 30%) marked in its transcript
    unsure = root.locator('[data-testid="transcript"] .hitl-word.is-unsure')
    assert unsure.count() == 1 and unsure.text_content() == "short"
    assert unsure.get_attribute("title") == "confidence 30%"
    # the spare player holds clip a01: its waveform drawn (hidden) and its bytes on its media element
    spare = (
        "() => { const r = [...document.querySelectorAll('[data-testid=\"hitl-root\"]')].pop();"
        " const box = r.querySelector('[data-testid=\"waveform-next\"]');"
        " const m = r.querySelector('[data-testid=\"audio-next\"]');"
        " const c = box && box.firstElementChild && box.firstElementChild.shadowRoot &&"
        "   box.firstElementChild.shadowRoot.querySelector('canvas');"
        " return box && m && c ? {src: m.getAttribute('src') || '', hidden: getComputedStyle(box).visibility,"
        "   ready: m.readyState} : null; }"
    )
    ahead = wait_for(
        lambda: (x := page.evaluate(spare)) and x["src"] and x["ready"] >= 1 and x, 20, "a01 ahead"
    )
    assert ahead["hidden"] == "hidden" and ahead["src"].startswith("blob:"), ahead
    root.locator('[data-testid="audio-name"]').click()
    wait_state(page, "the widget to have the focus", focused=True, timeout=10)

    page.keyboard.press("t")
    editor = root.locator('[data-testid="transcript-editor"]')
    editor.wait_for(state="visible", timeout=10_000)
    editor.fill("a shorter tone")
    page.keyboard.press("Control+Enter")
    wait_for(lambda: state(page)["transcript"] == "a shorter tone", 10, "the transcript saved")
    wait_state(page, "the keys back on the widget", focused=True, timeout=10)
    page.keyboard.press("Enter")  # submit: no label to accept
    s = wait_state(page, "the second clip", state="item", item="a01", painted=1)
    # shown by the swap: the media element now shown is the one that was loaded ahead
    assert s["media"]["src"] == ahead["src"] and s["waveDrawn"], s
    page.keyboard.press(" ")
    s = wait_for(lambda: (x := state(page))["playing"] and x["time"] > 0.2 and x, 20, "a01 to play")
    assert s["media"]["paused"] is False, s
    page.keyboard.press(" ")
    wait_state(page, "every decision saved", pending=0, timeout=30)

    (event,) = store_events(store_path)
    assert (event["item_id"], event["action"], event["label_after"]) == ("a00", "accept", None)
    data = json.loads(event["data"])
    assert data["transcript_before"] == "a short tone" and data["transcript_after"] == "a shorter tone"
    # the person's 3 words are the reference: one substitution
    assert abs(data["wer"] - 1 / 3) < 1e-12 and data["wer_counts"]["substitutions"] == 1


def test_a_long_clip_is_drawn_from_its_peaks_and_plays_once_its_bytes_come(
    lab_server, open_notebook, store_path, tmp_path
):
    """A 75 s WAV (2.4 MB, over DEFER_CLIP_BYTES): its item carries the peaks only; the
    browser asks for the bytes (a `clip` message), then it plays."""
    nb = review_notebook(tmp_path, store_path, (440.0,), seconds=75.0)
    nbp: NotebookPage = open_notebook(lab_server, "long.ipynb", nb)
    page = nbp.page
    nbp.run_all()
    s = wait_state(page, "the clip", state="item", item="a00", painted=0, layout="audio")
    assert s["duration"] == 75.0
    wait_for(lambda: state(page)["waveDrawn"], 20, "the waveform drawn")
    s = wait_for(lambda: (x := state(page))["media"]["src"].startswith("blob:") and x, 30, "the clip's bytes")
    focus(page)
    page.keyboard.press(" ")
    s = wait_for(lambda: (x := state(page))["playing"] and x["time"] > 0.25 and x, 20, "playback to advance")
    assert s["media"]["paused"] is False, s
    page.keyboard.press("l")  # seek 2 s on
    wait_for(lambda: state(page)["media"]["time"] > 2.0, 10, "the seek")
    page.keyboard.press(" ")
    page.keyboard.press("Enter")
    wait_state(page, "the decision saved", pending=0, timeout=30)
    (event,) = store_events(store_path)
    data = json.loads(event["data"])
    assert event["action"] == "accept" and data["audio"]["duration"] == 75.0 and data["plays"] == 1
