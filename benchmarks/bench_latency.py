"""Key press -> next item painted, in real Chromium, through the real kernel, in JupyterLab.

    python benchmarks/bench_latency.py                 # 300 decisions, writes README section
    python benchmarks/bench_latency.py --decisions 500 --no-readme

What is measured (all in the page, on the page's performance.now() clock):

hitl_widgets ClassificationReview, one decision key at a time (Enter / A / 1-3):
  * widget: `root.__hitlTimings` (paint_ts - key_ts): the widget's own figures, from
    its keydown handler to the requestAnimationFrame callback of the frame that shows
    the next item.
  * independent: a `keydown` listener on window in the capture phase (it runs before
    the widget's) takes the event's `timeStamp` and polls requestAnimationFrame until
    the item text shows another item: key -> the frame that paints it. A MessageChannel
    message posted from that rAF callback runs after the frame is produced: "after paint".
  * kernel ack: the same keydown timeStamp -> the pending counter going back to 0
    (the kernel committed the decision to SQLite and acknowledged it).
pigeon (`pigeon-jupyter`, a classic ipywidgets labeller: every click is a round trip
to the kernel, which re-renders an Output widget), same server, browser and run:
  * a `click` listener on window (capture) takes the event's timeStamp; a
    MutationObserver on the Output widget sees the next example's text arrive and
    polls rAF the same way: click -> the frame that paints the next example.

Keys and clicks are real input events (Playwright -> Chrome DevTools Protocol), one at a
time: the next is sent once the previous item is painted and acknowledged, plus a short
pause, so the figures are per-decision latencies, not a throughput test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests" / "e2e"))
sys.path.insert(0, str(HERE))

from _readme import report  # noqa: E402
from _stats import summary  # noqa: E402
from jupyter_harness import (  # noqa: E402
    JupyterServer,
    NotebookPage,
    chromium_available,
    launch_chromium,
    make_notebook,
    wait_first_item,
    wait_for,
)

LABELS = ["billing", "technical", "account"]
KEYS = ["Enter", "1", "2", "3", "a"]
TARGET_P95_MS = 16.0

# ---------------------------------------------------------------------------------------
# in-page probes
# ---------------------------------------------------------------------------------------

HITL_PROBE = """() => {
  const B = window.__bench = {recs: []};
  const root = () => { const r = document.querySelectorAll('[data-testid="hitl-root"]');
                       return r[r.length - 1]; };
  const itemOf = () => { const t = root().querySelector('[data-testid="item-text"]');
                         return t ? t.dataset.itemId : null; };
  const pending = root().querySelector('[data-testid="pending"]');
  let waitingAck = null;
  new MutationObserver(() => {
    if (waitingAck && pending.textContent.trim() === '0') {
      waitingAck.ack_ts = performance.now();
      waitingAck = null;
    }
  }).observe(pending, {childList: true, characterData: true, subtree: true});
  window.addEventListener('keydown', (e) => {
    const rec = {key: e.key, key_ts: e.timeStamp, before: itemOf(), frames: 0};
    B.recs.push(rec);
    waitingAck = rec;
    // the observer's callback is a microtask: it runs as soon as the widget's own keydown
    // handler returns, if that handler changed the item text (the key has been handled)
    const text = root().querySelector('[data-testid="item-text"]');
    const mo = new MutationObserver(() => {
      if (rec.dom_ts === undefined) { rec.dom_ts = performance.now(); rec.dom_item = itemOf(); }
      mo.disconnect();
    });
    mo.observe(text, {childList: true, characterData: true, subtree: true, attributes: true});
    const poll = () => {
      rec.frames++;
      const now = itemOf();
      if (root().dataset.state === 'item' && now !== rec.before) {
        rec.raf_ts = performance.now();
        rec.after = now;
        const ch = new MessageChannel();
        ch.port1.onmessage = () => { rec.post_ts = performance.now(); };
        ch.port2.postMessage(0);
      } else if (rec.frames < 600) {
        requestAnimationFrame(poll);
      }
    };
    requestAnimationFrame(poll);
  }, true);
  return true;
}"""

PIGEON_PROBE = """() => {
  const B = window.__bench = {recs: []};
  const out = () => { const o = document.querySelectorAll('.widget-output');
                      return o[o.length - 1]; };
  const target = out();
  let cur = null;
  const check = () => {
    if (!cur || cur.seen_ts !== undefined) return;
    if (target.textContent.includes(cur.expect)) {
      cur.seen_ts = performance.now();
      const rec = cur;
      requestAnimationFrame(() => {
        rec.raf_ts = performance.now();
        const ch = new MessageChannel();
        ch.port1.onmessage = () => { rec.post_ts = performance.now(); };
        ch.port2.postMessage(0);
      });
    }
  };
  new MutationObserver(check).observe(target, {childList: true, characterData: true, subtree: true});
  window.__benchExpect = (marker) => { B.next = marker; };
  window.addEventListener('click', (e) => {
    if (!B.next) return;
    cur = {key_ts: e.timeStamp, expect: B.next};
    B.next = null;
    B.recs.push(cur);
    check();
  }, true);
  return true;
}"""


# ---------------------------------------------------------------------------------------


def hitl_notebook(store: Path, n_items: int) -> dict:
    return make_notebook(
        textwrap.dedent(f"""\
        import pandas as pd
        import hitl_widgets as hw

        LABELS = {LABELS!r}
        rows = [(f"t{{i:04d}}", f"Ticket {{i:04d}}: the customer cannot log in after paying "
                 f"invoice #{{10000 + i}} and asks for a refund of the second charge.",
                 LABELS[(i + 1) % 3], 0.5 + (i % 50) / 100) for i in range({n_items})]
        df = pd.DataFrame(rows, columns=["id", "text", "pred", "confidence"]).set_index("id")
        review = hw.ClassificationReview(df, labels=LABELS, store={str(store)!r},
                                         annotator="bench")
        review""")
    )


def pigeon_notebook(n_items: int) -> dict:
    return make_notebook(
        textwrap.dedent(f"""\
        from pigeon import annotate

        examples = [f"Ticket {{i:04d}}: the customer cannot log in after paying invoice "
                    f"#{{10000 + i}} and asks for a refund of the second charge."
                    for i in range({n_items})]
        annotations = annotate(examples, options={LABELS!r})""")
    )


def bench_hitl(server: JupyterServer, browser, n: int, pause_ms: int, tmp: Path) -> dict:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    nbp = NotebookPage(
        page, server, server.write_notebook("bench_hitl.ipynb", hitl_notebook(tmp / "bench.db", n + 20))
    )
    try:
        nbp.open()
        nbp.run_all()
        wait_first_item(page)
        page.locator('[data-testid="item-text"]').click()
        page.evaluate(HITL_PROBE)
        warm = 10  # first keys: JIT, first fetch pages; not counted
        for i in range(n + warm):
            page.keyboard.press(KEYS[i % len(KEYS)])
            page.wait_for_function(
                "(i) => { const r = window.__bench.recs[i];"
                " return r && r.post_ts !== undefined && r.ack_ts !== undefined; }",
                arg=i,
                polling=5,
                timeout=60_000,
            )
            page.wait_for_timeout(pause_ms)
        recs = page.evaluate("() => window.__bench.recs")[warm:]
        timings = page.evaluate(
            "() => { const r = document.querySelector('[data-testid=\"hitl-root\"]');"
            " return r.__hitlTimings || []; }"
        )
        timings = [t for t in timings if t["key"] != "f-enter"][-n:]
        pending = page.evaluate("() => document.querySelector('[data-testid=\"pending\"]').textContent")
    finally:
        server.shutdown_session(nbp.path)
        page.close()
    assert len(recs) == n and all(r["after"] != r["before"] for r in recs)
    assert pending.strip() == "0"
    # the widget's own keydown handler: its key_ts (handler start) -> the DOM mutation
    # the observer saw right after it (records and timings are one per key, in order)
    handler = [r["dom_ts"] - t["key_ts"] for r, t in zip(recs, timings, strict=True) if "dom_ts" in r]
    return {
        "handler": summary(handler),
        "dispatch": summary([t["key_ts"] - t["event_ts"] for t in timings]),
        "to_frame": summary([r["raf_ts"] - r["dom_ts"] for r in recs if "dom_ts" in r]),
        "handled": summary([r["dom_ts"] - r["key_ts"] for r in recs if "dom_ts" in r]),
        "handled_moved": sum(r.get("dom_item") != r["before"] for r in recs) / len(recs),
        "first_frame": sum(r["frames"] == 1 for r in recs) / len(recs),
        "widget": summary([t["paint_ts"] - t["key_ts"] for t in timings]),
        "widget_event": summary([t["paint_ts"] - t["event_ts"] for t in timings]),
        "frame": summary([r["raf_ts"] - r["key_ts"] for r in recs]),
        "painted": summary([r["post_ts"] - r["key_ts"] for r in recs]),
        "ack": summary([r["ack_ts"] - r["key_ts"] for r in recs]),
    }


FLOOR_PAGE = """<!doctype html><html><body>
<div id="r" data-testid="hitl-root" data-state="item" tabindex="0">
  <div data-testid="item-text" data-item-id="0">item 0</div><span data-testid="pending">0</span>
</div>
<script>
  const r = document.getElementById('r'), t = r.firstElementChild;
  let i = 0;
  r.addEventListener('keydown', (e) => { i++; t.textContent = 'item ' + i; t.dataset.itemId = String(i);
                                         e.preventDefault(); e.stopPropagation(); });
</script></body></html>"""


def nodelay_server() -> JupyterServer:
    """A JupyterLab server whose kernel websockets set TCP_NODELAY (benchmarks/_nodelay_ext.py)."""
    server = JupyterServer("lab", env={"PYTHONPATH": os.pathsep.join([str(REPO), str(HERE)])})
    (server.base / "config").mkdir(parents=True, exist_ok=True)
    (server.base / "config" / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": {"_nodelay_ext": True}}})
    )
    return server


def bench_floor(browser, n: int, pause_ms: int) -> dict:
    """The same probe on a bare page whose keydown handler only swaps a text: what this
    browser on this machine needs from a key to a painted frame, whatever the widget."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.set_content(FLOOR_PAGE)
        page.locator("#r").focus()
        page.evaluate(HITL_PROBE)
        for i in range(n + 10):
            page.keyboard.press("Enter")
            page.wait_for_function(
                "(i) => { const r = window.__bench.recs[i]; return r && r.post_ts !== undefined; }",
                arg=i,
                polling=5,
                timeout=60_000,
            )
            page.wait_for_timeout(pause_ms)
        recs = page.evaluate("() => window.__bench.recs")[10:]
    finally:
        page.close()
    return {
        "frame": summary([r["raf_ts"] - r["key_ts"] for r in recs]),
        "painted": summary([r["post_ts"] - r["key_ts"] for r in recs]),
    }


def bench_pigeon(server: JupyterServer, browser, n: int, pause_ms: int) -> dict:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    nbp = NotebookPage(page, server, server.write_notebook("bench_pigeon.ipynb", pigeon_notebook(n + 20)))
    try:
        nbp.open()
        nbp.run_all()
        wait_for(
            lambda: (
                "Ticket 0000"
                in (
                    page.evaluate(
                        "() => { const o = document.querySelectorAll('.widget-output');"
                        " return o.length ? o[o.length - 1].textContent : ''; }"
                    )
                    or ""
                )
            ),
            60,
            "pigeon's first example",
        )
        page.evaluate(PIGEON_PROBE)
        buttons = [page.locator("button.jupyter-button", has_text=lab).first for lab in LABELS]
        centers = []
        for b in buttons:
            box = b.bounding_box()
            centers.append((box["x"] + box["width"] / 2, box["y"] + box["height"] / 2))
        warm = 10
        for i in range(n + warm):
            page.evaluate("(m) => window.__benchExpect(m)", f"Ticket {i + 1:04d}")
            x, y = centers[i % len(centers)]
            page.mouse.click(x, y)
            page.wait_for_function(
                "(i) => { const r = window.__bench.recs[i]; return r && r.post_ts !== undefined; }",
                arg=i,
                polling=5,
                timeout=60_000,
            )
            page.wait_for_timeout(pause_ms)
        recs = page.evaluate("() => window.__bench.recs")[warm:]
        k = nbp.kernel()
        try:
            n_annot = k.eval("len(annotations)")
        finally:
            k.close()
    finally:
        server.shutdown_session(nbp.path)
        page.close()
    assert len(recs) == n and n_annot == n + warm, (len(recs), n_annot)
    return {
        "frame": summary([r["raf_ts"] - r["key_ts"] for r in recs]),
        "painted": summary([r["post_ts"] - r["key_ts"] for r in recs]),
    }


def versions(browser) -> dict[str, str]:
    import ipywidgets
    import jupyterlab

    out = {
        "chromium": browser.version,
        "jupyterlab": jupyterlab.__version__,
        "ipywidgets": ipywidgets.__version__,
        "python": platform.python_version(),
        "cpus": str(os.cpu_count()),
    }
    try:
        import anywidget

        out["anywidget"] = getattr(anywidget, "__version__", "?")
    except ImportError:
        pass
    return out


ACK_TARGET_MS = 30.0


def table(res: dict) -> str:
    rows = [
        ("hitl_widgets, part 1: key event → the widget's keydown handler starts", res["hitl"]["dispatch"]),
        ("hitl_widgets, part 2: the widget's handler (start → next item in the DOM)", res["hitl"]["handler"]),
        ("hitl_widgets, part 3: next item in the DOM → frame with it (rAF)", res["hitl"]["to_frame"]),
        (
            "hitl_widgets: key → next item painted (widget's `__hitlTimings`: paint_ts − key_ts)",
            res["hitl"]["widget"],
        ),
        (
            "hitl_widgets: key event → next item painted (`__hitlTimings`: paint_ts − event_ts)",
            res["hitl"]["widget_event"],
        ),
        ("hitl_widgets: key event → frame with the next item (independent probe, rAF)", res["hitl"]["frame"]),
        ("hitl_widgets: key event → that frame produced (rAF + MessageChannel)", res["hitl"]["painted"]),
        ("hitl_widgets: key event → kernel ack (committed to SQLite, pending back to 0)", res["hitl"]["ack"]),
    ]
    if res.get("nodelay"):
        rows += [
            (
                "hitl_widgets, server with TCP_NODELAY on its websockets: key event → frame with the next item",
                res["nodelay"]["frame"],
            ),
            (
                "hitl_widgets, server with TCP_NODELAY on its websockets: key event → kernel ack",
                res["nodelay"]["ack"],
            ),
        ]
    if res.get("floor"):
        rows += [
            (
                "bare page (no Jupyter; the handler only swaps a text): key event → frame with it",
                res["floor"]["frame"],
            ),
        ]
    if res.get("pigeon"):
        rows += [
            (
                "pigeon: click event → frame with the next example (MutationObserver + rAF)",
                res["pigeon"]["frame"],
            ),
            ("pigeon: click event → that frame produced (rAF + MessageChannel)", res["pigeon"]["painted"]),
        ]
    lines = ["| measure | n | p50 (ms) | p95 (ms) | mean (ms) | max (ms) |", "|---|---:|---:|---:|---:|---:|"]
    for name, s in rows:
        lines.append(
            f"| {name} | {s['n']} | {s['p50']:.1f} | {s['p95']:.1f} | {s['mean']:.1f} | {s['max']:.1f} |"
        )
    return "\n".join(lines)


def verdict(res: dict) -> list[str]:
    h = res["hitl"]["frame"]["p95"]
    w = res["hitl"]["widget"]["p95"]
    out = [
        f"p95 key → next item painted: {w:.1f} ms by the widget's own timings, {h:.1f} ms by the "
        f"independent probe ({'within' if max(w, h) <= TARGET_P95_MS else 'over'} the "
        f"{TARGET_P95_MS:.0f} ms target); "
        f"{100 * res['hitl']['first_frame']:.0f}% of the items are painted in the first frame "
        f"after the key (no key waits for a kernel round trip)"
    ]
    a = res["hitl"]["ack"]
    line = (
        f"key → kernel ack (the decision committed to SQLite and the browser told): p50 "
        f"{a['p50']:.1f}, p95 {a['p95']:.1f} ms ({'within' if a['p95'] < ACK_TARGET_MS else 'over'} "
        f"the {ACK_TARGET_MS:.0f} ms target)"
    )
    if res.get("nodelay"):
        nd = res["nodelay"]["ack"]
        line += (
            f"; the same widget in a server with TCP_NODELAY on its websockets: p50 {nd['p50']:.1f}, "
            f"p95 {nd['p95']:.1f} ms ({'within' if nd['p95'] < ACK_TARGET_MS else 'over'} the target). "
            f"The difference, {a['p50'] - nd['p50']:.0f} ms at p50, is Jupyter Server's websocket holding "
            f"the ack behind the kernel's previous small frame until the browser's delayed ACK "
            f"(Nagle's algorithm, which the server leaves on)"
        )
    out.append(line)
    if res.get("floor"):
        f = res["floor"]["frame"]
        out.append(
            f"the same probe on a bare page (the floor for this browser on this machine "
            f"now): p50 {f['p50']:.1f} ms, p95 {f['p95']:.1f} ms"
        )
    if res.get("pigeon"):
        p = res["pigeon"]["frame"]
        out.append(
            f"pigeon p50 / p95: {p['p50']:.1f} / {p['p95']:.1f} ms: hitl_widgets is "
            f"{p['p50'] / res['hitl']['frame']['p50']:.1f}x faster at p50, "
            f"{p['p95'] / h:.1f}x at p95"
        )
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--decisions", type=int, default=300)
    ap.add_argument("--pause-ms", type=int, default=40, help="pause after each decision")
    ap.add_argument("--no-pigeon", action="store_true")
    ap.add_argument(
        "--no-nodelay",
        action="store_true",
        help="skip the second hitl_widgets run in a server with TCP_NODELAY on its websockets",
    )
    ap.add_argument("--no-readme", action="store_true", help="do not update benchmarks/README.md")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    if not chromium_available():
        print("Chromium is missing at /usr/bin/chromium (apt-get install -y chromium)", file=sys.stderr)
        return 2
    have_pigeon = True
    try:
        import pigeon  # noqa: F401
    except ImportError:
        have_pigeon = False
        if not args.no_pigeon:
            print(
                "pigeon-jupyter is not installed (pip install pigeon-jupyter); measuring hitl_widgets only",
                file=sys.stderr,
            )
    from playwright.sync_api import sync_playwright

    t0 = time.time()
    load = os.getloadavg()[0]
    with (
        tempfile.TemporaryDirectory(prefix="hitl-bench-") as tmp,
        JupyterServer("lab") as server,
        sync_playwright() as pw,
    ):
        browser = launch_chromium(pw)
        try:
            res = {"versions": versions(browser), "decisions": args.decisions, "load1": load}
            print(f"bare page: {args.decisions} keys ...", flush=True)
            res["floor"] = bench_floor(browser, args.decisions, args.pause_ms)
            print(f"hitl_widgets: {args.decisions} decisions ...", flush=True)
            res["hitl"] = bench_hitl(server, browser, args.decisions, args.pause_ms, Path(tmp))
            if have_pigeon and not args.no_pigeon:
                print(f"pigeon: {args.decisions} decisions ...", flush=True)
                res["pigeon"] = bench_pigeon(server, browser, args.decisions, args.pause_ms)
            if not args.no_nodelay:
                print(f"hitl_widgets, server with TCP_NODELAY: {args.decisions} decisions ...", flush=True)
                (Path(tmp) / "nd").mkdir()
                with nodelay_server() as fast:
                    res["nodelay"] = bench_hitl(
                        fast, browser, args.decisions, args.pause_ms, Path(tmp) / "nd"
                    )
        finally:
            browser.close()
    tab = table(res)
    report(res, tab, verdict(res), time.time() - t0, args.json)
    if not args.no_readme:
        write_readme(res, tab, args)
    return 0


def write_readme(res: dict, tab: str, args: argparse.Namespace) -> None:
    from _readme import write_section

    v = res["versions"]
    cmd = "python benchmarks/bench_latency.py"
    if args.decisions != 300:
        cmd += f" --decisions {args.decisions}"
    text = f"""\
## Keyboard latency in a real browser (`bench_latency.py`)

Reproduce: `pip install pigeon-jupyter && {cmd}` (needs /usr/bin/chromium). A JupyterLab
{v["jupyterlab"]} server and headless Chromium {v["chromium"]} (Playwright, `--disable-gpu`,
software compositing), the real kernel, {res["decisions"]} decisions per
widget, one at a time (the next key once the previous item is painted and acknowledged,
then {args.pause_ms} ms), after 10 warm-up decisions. Machine: {v["cpus"]} CPU cores shared with
other jobs (1-minute load average at start: {res["load1"]:.1f}); ipywidgets {v["ipywidgets"]},
anywidget {v.get("anywidget", "?")}, Python {v["python"]}.

{tab}

{chr(10).join("- " + line for line in verdict(res))}

How each figure is taken: the widget's own figures come from `root.__hitlTimings`
(keydown handler / the key event's `timeStamp` to the `requestAnimationFrame` callback of
the frame that shows the next item). The independent probe is a capture-phase
`keydown` listener on `window` (it runs before the widget's) that polls
`requestAnimationFrame` until the item text shows another item; "that frame produced"
adds a `MessageChannel` hop from that callback, which runs after the frame. Ack: the key
event to the pending counter going back to 0. pigeon (`pigeon-jupyter` 0.1, ipywidgets
buttons + an Output widget) is measured by the same harness in the same run: a real
mouse click on its label button, a capture-phase `click` listener, and a
`MutationObserver` on its Output widget that waits for the next example's text, then the
same rAF probe. The bare-page row is the same probe on a page with no Jupyter whose
keydown handler only swaps a text: the floor this browser reaches on this machine at
that moment (headless Chromium produces a frame as soon as the page changes, it does not
wait for a 60 Hz tick). Parts 1-3 split the hitl_widgets figure: the input reaching the
page's main thread, the widget's own handler (decision recorded in memory and
localStorage, sent to the kernel, next item painted into the DOM), and the wait for
the frame, which in JupyterLab is longer than on the bare page because JupyterLab's
own main-thread work (layout of a large page, toolbar updates on kernel status
messages) runs before it. The TCP_NODELAY rows: the same widget and keys in a second
JupyterLab server that loads `benchmarks/_nodelay_ext.py` (a server extension for this
benchmark only, never shipped) so that its kernel websockets set TCP_NODELAY; the
difference in key → ack is the server holding the ack behind the kernel's previous small
frame (its "busy" status) until the browser's delayed ACK. Of the rest, about one frame
is the decision waiting for the frame that shows the next item before it is sent (on
purpose: see `sendAfterFrame` in `js/src/lib/protocol.ts`), and about 1 ms the durable
commit (`bench_store.py`). The figures are wall-clock on a shared 2-core machine and
vary from run to run by a factor of up to two at p95."""
    write_section("latency", text)
    print("benchmarks/README.md: latency section written")


if __name__ == "__main__":
    sys.exit(main())
