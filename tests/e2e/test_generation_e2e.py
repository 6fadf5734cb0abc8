"""GenerationReview and PairwiseReview end to end: real JupyterLab, Debian's Chromium
through Playwright, the real kernel and a real SQLite store.

a. Security: every payload of the XSS corpus (tests/e2e/xss_payloads.py) is put in the
   responses, the prompts and the chat context of a GenerationReview and in both sides
   of a PairwiseReview; every item is shown (and hovered). None may execute (a page hook
   `window.__xss(N)` that any payload calls, bound into every frame, plus dialogs) and
   none may make the page fetch anything (the page's requests, and a loopback HTTP
   server the payloads point to, which must see no hit). A positive control proves
   that both detectors do fire when markup is injected without the sanitizer.
b. Keyboard review: rate, accept, edit (typing action keys into the editor), save with
   Ctrl+Enter, reject with a reason, flag, skip, undo; then the SQLite file (sqlite3) and
   the exports read from it.
c. Pairwise from the keyboard: the stored choice and the side each response was on.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import socketserver
import sqlite3
import textwrap
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from jupyter_harness import NotebookPage, make_notebook, recorded_duration, wait_for, wait_shows
from xss_payloads import payloads

from hitl_widgets import exports

pytestmark = pytest.mark.e2e

GEN = ".hitl-generation"
PAIR = ".hitl-pairwise"
ANNOTATOR = "e2e-gen"

_JS_STATE = """(sel) => {
  const r = document.querySelector(sel);
  if (!r) return null;
  const q = (id) => r.querySelector(`[data-testid="${id}"]`);
  const vis = (e) => !!e && !e.hidden && e.getClientRects().length > 0;
  const t = q('item-text'), ed = q('editor');
  const a = document.activeElement;
  return {
    state: r.dataset.state,
    item: t ? (t.dataset.itemId ?? null) : null,
    painted: r.dataset.paintedQi === undefined ? null : Number(r.dataset.paintedQi),
    pending: q('pending') ? Number(q('pending').textContent) : null,
    editor: vis(ed), diff: vis(q('diff')), reason: vis(q('reason-input')), note: vis(q('note-input')),
    focused: r.contains(a), rootFocused: a === r, editorFocused: a === ed,
    reasonFocused: a === q('reason-input'), noteFocused: a === q('note-input'),
    decision: (q('decision') && !q('decision').hidden) ? q('decision').textContent : null,
    editPainted: r.dataset.editPainted === undefined ? 0 : Number(r.dataset.editPainted),
  };
}"""

# Elements and attributes that must never appear in rendered model output.
_JS_DOM_AUDIT = """(sel) => {
  const bad = [];
  for (const box of document.querySelectorAll(sel + ' .hitl-md')) {
    for (const e of box.querySelectorAll('*')) {
      const tag = e.localName;
      if (['script','style','link','meta','base','iframe','frame','object','embed','form','input',
           'button','select','textarea','svg','math','img','video','audio','source','picture',
           'template','noscript','image'].includes(tag)) bad.push('<' + tag + '>');
      for (const at of e.attributes) {
        if (/^on/i.test(at.name) || ['style','srcset','src','ping','background','formaction','action'].includes(at.name))
          bad.push(tag + '[' + at.name + ']');
      }
      if (tag === 'a' && e.hasAttribute('href')) {
        const h = e.getAttribute('href');
        if (!/^(https?|mailto):/i.test(h)) bad.push('a[href=' + h + ']');
        if (e.getAttribute('rel') !== 'noopener noreferrer nofollow' || e.getAttribute('target') !== '_blank')
          bad.push('a without rel/target');
      }
    }
  }
  return bad;
}"""


# ------------------------------------------------------------------------------------
# a loopback server the payloads point to: any hit is a leak
# ------------------------------------------------------------------------------------


class LeakServer:
    def __init__(self) -> None:
        self.hits: list[str] = []
        hits = self.hits

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                hits.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(b"leak")

            do_GET = do_POST = do_HEAD = _answer

            def log_message(self, *args: Any) -> None:
                pass

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}/leak"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LeakServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def leak_server():
    with LeakServer() as s:
        yield s


class Tripwires:
    """Every way a payload could show it ran or leaked, recorded on the page."""

    def __init__(self, page, server_origin: str, leak: LeakServer) -> None:
        self.page = page
        self.calls: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.server_origin = server_origin
        self.leak = leak
        page.expose_function("__xssReport", lambda n: self.calls.append(str(n)))
        page.add_init_script(
            "window.__xss = function (n) { try { window.__xssReport(String(n)); } catch (e) {} };"
        )
        page.on("dialog", self._dialog)
        page.context.on("request", lambda req: self.requests.append(req.url))

    def _dialog(self, d) -> None:
        if d.type != "beforeunload":
            self.dialogs.append(f"{d.type}: {d.message}")
        with contextlib.suppress(Exception):
            d.dismiss()

    def pump(self, ms: int = 200) -> None:
        """Let Playwright deliver pending events (bindings, dialogs, requests): the sync
        API only dispatches them while one of its calls is running."""
        self.page.wait_for_timeout(ms)

    def foreign_requests(self) -> list[str]:
        out = []
        for url in self.requests:
            u = urlparse(url)
            if u.scheme in ("http", "https", "ws", "wss"):
                if f"{u.scheme.replace('ws', 'http')}://{u.netloc}" != self.server_origin:
                    out.append(url)
            elif u.scheme in ("data", "blob"):
                if "xss" in url or "leak" in url:
                    out.append(url)
            else:
                out.append(url)
        return out

    def leaked(self) -> list[str]:
        return [u for u in self.requests if str(self.leak.port) in u or "/leak" in u]


def state(page, sel: str) -> dict[str, Any]:
    return page.evaluate(_JS_STATE, sel) or {}


def wait_state(page, sel: str, what: str, timeout: float = 30.0, **expect: Any) -> dict[str, Any]:
    return wait_shows(lambda: state(page, sel), what, timeout, **expect)


def focus(page, sel: str) -> None:
    """Click a spot of the widget that holds no model output (the position line)."""
    page.locator(f'{sel} [data-testid="position"]').click()
    wait_state(page, sel, "the widget to have the focus", rootFocused=True, timeout=10)


def store_events(path: Path) -> list[dict[str, Any]]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        con.row_factory = sqlite3.Row
        rows = [dict(r) for r in con.execute("SELECT * FROM events ORDER BY seq")]
    finally:
        con.close()
    for r in rows:
        r["data"] = json.loads(r["data"]) if r["data"] else None
    return rows


def wait_saved(page, sel: str) -> None:
    wait_state(page, sel, "every decision acknowledged", pending=0, timeout=60)
    left = page.evaluate(
        "() => Object.keys(localStorage).filter((k) => k.startsWith('hitl:pending:'))"
        ".filter((k) => Object.keys(JSON.parse(localStorage.getItem(k) || '{}')).length > 0)"
    )
    assert left == [], f"decisions still pending in localStorage: {left}"


# ------------------------------------------------------------------------------------
# a. the XSS corpus in real Chromium
# ------------------------------------------------------------------------------------


def xss_notebook(corpus_json: Path, store: Path) -> dict:
    return make_notebook(
        textwrap.dedent(f"""\
            import json
            import pandas as pd
            from hitl_widgets.widgets import GenerationReview, PairwiseReview

            P = json.load(open({str(corpus_json)!r}))
            rows = []
            for n, name, text in P:
                rows.append({{
                    "id": f"x{{n:03d}}",
                    "prompt": f"Prompt {{n}} ({{name}}):\\n\\n{{text}}",
                    "response": f"Response {{n}}:\\n\\n{{text}}\\n\\nend of {{n}}",
                    "context": [
                        {{"role": "system", "content": text}},
                        {{"role": "user", "content": f"Earlier turn {{n}}: {{text}}"}},
                        {{"role": text if n == 1 else "assistant", "content": f"- {{text}}"}},
                    ],
                    "b": f"Other {{n}}: `{{text}}` and {{text}}",
                }})
            df = pd.DataFrame(rows)
            gen = GenerationReview(df, context="context", id="id", store={str(store)!r},
                                   annotator="xss", rubric={{"ok": ["yes", "no"]}}, prefetch=12)
            gen"""),
        textwrap.dedent(f"""\
            pw = PairwiseReview(df, a="response", b="b", context="context", id="id", seed=3,
                                store={str(store)!r}, annotator="xss", prefetch=12)
            pw"""),
    )


def walk(page, sel: str, n: int) -> None:
    """Show every item of a widget (→), hovering its model output."""
    focus(page, sel)
    for qi in range(n):
        if qi:
            page.keyboard.press("ArrowRight")
        wait_state(page, sel, f"item {qi} painted", state="item", painted=qi)
        for target in ('[data-testid="item-text"]', '[data-testid="prompt"]'):
            page.locator(f"{sel} {target}").hover(timeout=5000)
        if qi % 20 == 19:
            page.wait_for_timeout(100)
    page.wait_for_timeout(1000)  # time for any late handler / load to fire


def test_xss_corpus_never_runs_or_fetches(
    lab_server, browser_page, open_notebook, store_path, leak_server, tmp_path
):
    page = browser_page
    wires = Tripwires(page, lab_server.url, leak_server)
    corpus = payloads(leak_server.base)
    assert len(corpus) >= 50
    corpus_json = tmp_path / "corpus.json"
    corpus_json.write_text(json.dumps(corpus))
    nbp: NotebookPage = open_notebook(lab_server, "xss.ipynb", xss_notebook(corpus_json, store_path))
    nbp.run_all()
    wait_state(page, GEN, "the generation widget", state="item", painted=0, timeout=60)
    wait_state(page, PAIR, "the pairwise widget", state="item", painted=0, timeout=60)

    walk(page, GEN, len(corpus))
    audit_gen = page.evaluate(_JS_DOM_AUDIT, GEN)
    # the chat context is there, as turns (hostile role shown as text)
    assert page.locator(f'{GEN} [data-testid="context"] [data-testid="turn"]').count() == 3
    # one edit on a hostile response: the diff view shows the payload as text
    page.keyboard.press("e")
    wait_state(page, GEN, "the editor", editor=True, editorFocused=True)
    page.keyboard.press("Control+End")
    page.keyboard.type(" <img src=x onerror=__xss(9999)> [y](javascript:__xss(9998))")
    page.keyboard.press("Control+Enter")
    wait_state(page, GEN, "the diff", diff=True, editPainted=1)
    assert "__xss(9999)" in page.locator(f'{GEN} [data-testid="diff"] ins').last.inner_text()
    assert page.locator(f'{GEN} [data-testid="diff"] img, {GEN} [data-testid="diff"] a').count() == 0

    walk(page, PAIR, len(corpus))
    audit_pair = page.evaluate(_JS_DOM_AUDIT, PAIR)
    wait_saved(page, GEN)

    # nothing ran, nothing was fetched
    wires.pump(500)
    assert wires.calls == [], f"payloads executed: {sorted(set(wires.calls))}"
    assert wires.dialogs == [], wires.dialogs
    assert leak_server.hits == [], f"the leak server was hit: {leak_server.hits[:10]}"
    assert wires.leaked() == [], wires.leaked()[:10]
    assert wires.foreign_requests() == [], wires.foreign_requests()[:10]
    assert page.evaluate("() => typeof window.__pwned") == "undefined"
    # and the DOM of what was shown holds nothing that could run or load later
    assert audit_gen == [] and audit_pair == [], (audit_gen[:10], audit_pair[:10])

    # positive control: markup injected WITHOUT the sanitizer trips every detector
    page.evaluate(
        """(leak) => {
      const d = document.createElement('div');
      d.innerHTML = '<img src="' + leak + '/control.png" onerror="__xss(0)">';
      document.body.appendChild(d);
    }""",
        leak_server.base,
    )
    wait_for(lambda: wires.pump(50) or "0" in wires.calls, 20, "the control payload to call __xss")
    wait_for(lambda: any("/control.png" in h for h in leak_server.hits), 20, "the control hit")
    assert any("/control.png" in u for u in wires.leaked())
    page.evaluate("() => setTimeout(() => alert('control'), 0)")
    wait_for(lambda: wires.pump(50) or wires.dialogs, 20, "the control dialog")
    assert wires.dialogs == ["alert: control"]


# ------------------------------------------------------------------------------------
# b. a keyboard review with an edit, the store file and the exports
# ------------------------------------------------------------------------------------

RESPONSES = [
    "The capital of France is **Paris**.",
    "Use `requests.fetch(url)` to download a page:\n\n```python\nimport requests\nrequests.fetch('https://x')\n```",
    "Sure, here is the answer: 42.",
    "It depends on the region.",
    "Water boils at 100 °C at sea level.",
]


def review_notebook(store: Path) -> dict:
    return make_notebook(
        "import os\nstarted = os.getpid()",
        textwrap.dedent(f"""\
            import pandas as pd
            from hitl_widgets.widgets import GenerationReview
            df = pd.DataFrame({{
                "id": [f"q{{i}}" for i in range(5)],
                "prompt": [f"Question {{i}}?" for i in range(5)],
                "response": {RESPONSES!r},
                "context": [[{{"role": "system", "content": "Be brief."}}], None, None, None, None],
            }})
            review = GenerationReview(df, context="context", id="id", store={str(store)!r},
                                      annotator={ANNOTATOR!r},
                                      rubric={{"helpful": [1, 2, 3, 4, 5], "harmless": ["yes", "no"]}})
            review"""),
        "after = 1 + 1",
    )


def test_keyboard_edit_is_stored_and_exported(lab_server, browser_page, open_notebook, store_path):
    page = browser_page
    nbp: NotebookPage = open_notebook(lab_server, "gen_keys.ipynb", review_notebook(store_path))
    nbp.run_all()
    wait_state(page, GEN, "the first item", state="item", item="q0", painted=0, timeout=60)
    focus(page, GEN)
    before = nbp.snapshot()
    k = nbp.kernel()
    try:
        count_before = k.eval("get_ipython().execution_count")

        # q0: rate both criteria from the keyboard (Tab moves the rating focus), accept
        page.keyboard.press("4")
        page.keyboard.press("Tab")
        page.keyboard.press("1")
        wait_for(
            lambda: page.locator(f'{GEN} [data-testid="criterion"][data-rated]').count() == 2,
            10,
            "two ratings shown",
        )
        page.keyboard.press("Enter")
        wait_state(page, GEN, "q1", item="q1", painted=1)
        # q0's accept acknowledged first, so that "pending 0" below says the keys typed in
        # the editor made no decision (and not that q0's ack happened to be slow)
        wait_saved(page, GEN)

        # q1: edit; action keys typed in the editor are text
        page.keyboard.press("e")
        wait_state(page, GEN, "the editor", editor=True, editorFocused=True)
        page.keyboard.press("Control+End")
        typed = "\n\nCorrection: it is requests.get, not fetch. zsafre 123 ?"
        page.keyboard.type(typed)
        page.keyboard.press("Enter")  # a newline, not a save
        page.keyboard.press("ArrowLeft")  # moves the caret, not the review
        page.keyboard.press("ArrowRight")
        page.keyboard.type("(checked)")
        s = state(page, GEN)
        assert s["editor"] and s["item"] == "q1" and s["pending"] == 0 and not s["diff"], s
        page.keyboard.press("Control+Enter")
        s = wait_state(page, GEN, "the diff", diff=True, editor=False, editPainted=1, rootFocused=True)
        assert s["item"] == "q1" and s["decision"] == "edited", s
        ins = page.locator(f'{GEN} [data-testid="diff"] ins').all_inner_texts()
        assert "requests.get" in "".join(ins) and "(checked)" in "".join(ins)
        timing = page.evaluate(f"() => document.querySelector('{GEN}').__hitlEditTimings[0]")
        assert timing["paint_ts"] >= timing["start_ts"]
        page.keyboard.press("Enter")  # the edit stands: next
        wait_state(page, GEN, "q2", item="q2", painted=2)

        # q2: reject with a reason (keys in the box are text)
        page.keyboard.press("r")
        wait_state(page, GEN, "the reason box", reason=True, reasonFocused=True)
        page.keyboard.type("made-up answer; zap 42")
        page.keyboard.press("Enter")
        wait_state(page, GEN, "q3", item="q3", painted=3, rootFocused=True)

        # q3: flag with a note; q4: skip, undo, accept
        page.keyboard.press("f")
        wait_state(page, GEN, "the note box", note=True, noteFocused=True)
        page.keyboard.type("needs a geographer")
        page.keyboard.press("Enter")
        wait_state(page, GEN, "q4", item="q4", painted=4)
        page.keyboard.press("s")
        wait_state(page, GEN, "the summary", state="summary")
        page.keyboard.press("z")
        wait_state(page, GEN, "back on q4", state="item", item="q4")
        page.keyboard.press("a")
        wait_state(page, GEN, "the summary again", state="summary")
        wait_saved(page, GEN)

        after = nbp.snapshot()
        assert after == before, f"keys leaked into the notebook:\n{before}\n{after}"
        assert k.eval("get_ipython().execution_count") == count_before, "a cell was executed"
        live = k.eval("review.counts")
    finally:
        k.close()
    assert live == {"accepted": 2, "edited": 1, "rejected": 1, "flagged": 1}

    # -- the SQLite file itself
    events = store_events(store_path)
    assert [(e["item_id"], e["action"]) for e in events] == [
        ("q0", "rate"),
        ("q0", "rate"),
        ("q0", "accept"),
        ("q1", "edit"),
        ("q2", "reject"),
        ("q3", "flag"),
        ("q4", "skip"),
        ("q4", "undo"),
        ("q4", "accept"),
    ]
    assert all(e["kind"] == "generation" and e["annotator"] == ANNOTATOR for e in events)
    assert events[2]["data"]["ratings"] == {"helpful": 4, "harmless": "yes"}
    assert events[2]["data"]["context"] == [{"role": "system", "content": "Be brief."}]
    edit = events[3]["data"]
    assert edit["original"] == RESPONSES[1]
    assert edit["edited"].startswith(RESPONSES[1] + typed) and edit["edited"].endswith("(checked)")
    assert "".join(p["text"] for p in edit["diff"] if p["op"] != "insert") == edit["original"]
    assert "".join(p["text"] for p in edit["diff"] if p["op"] != "delete") == edit["edited"]
    assert {p["op"] for p in edit["diff"]} == {"equal", "insert"}
    assert events[4]["note"] == "made-up answer; zap 42"
    assert events[5]["note"] == "needs a geographer"
    assert all(recorded_duration(e["duration_ms"]) for e in events if e["action"] != "undo")

    # -- the exports, from the file alone
    sft = exports.to_sft(store_path)
    assert list(sft["item_id"]) == ["q0", "q1", "q4"]
    assert sft.loc[0, "messages"][0] == {"role": "system", "content": "Be brief."}
    assert sft.loc[1, "messages"][-1] == {"role": "assistant", "content": edit["edited"]}
    assert sft.loc[0, "ratings"] == {"helpful": 4, "harmless": "yes"}
    prefs = exports.to_preferences(store_path, conversational=False)
    assert len(prefs) == 1 and prefs.loc[0, "chosen"] == edit["edited"]
    assert prefs.loc[0, "rejected"] == RESPONSES[1] and prefs.loc[0, "prompt"] == "Question 1?"


# ------------------------------------------------------------------------------------
# c. pairwise from the keyboard: choice as a / b and the side each was shown on
# ------------------------------------------------------------------------------------


def test_pairwise_keys_store_choice_and_sides(lab_server, browser_page, open_notebook, store_path):
    page = browser_page
    nb = make_notebook(
        textwrap.dedent(f"""\
        import pandas as pd
        from hitl_widgets.widgets import PairwiseReview
        df = pd.DataFrame({{"prompt": [f"Q{{i}}" for i in range(4)],
                            "response_a": [f"alpha {{i}}" for i in range(4)],
                            "response_b": [f"beta {{i}}" for i in range(4)]}},
                           index=[f"p{{i}}" for i in range(4)])
        pw = PairwiseReview(df, seed=5, store={str(store_path)!r}, annotator={ANNOTATOR!r})
        pw""")
    )
    nbp = open_notebook(lab_server, "pair_keys.ipynb", nb)
    nbp.run_all()
    wait_state(page, PAIR, "the first pair", state="item", item="p0", painted=0, timeout=60)
    shown = []
    focus(page, PAIR)
    for qi, key in enumerate(["1", "2", "3", "4"]):
        wait_state(page, PAIR, f"pair {qi}", item=f"p{qi}", painted=qi)
        shown.append(page.locator(f'{PAIR} [data-testid="left-text"]').inner_text().split()[0])
        if qi == 1:  # a reason first, then the choice
            page.keyboard.press("r")
            wait_state(page, PAIR, "the reason box", reason=True)
            page.keyboard.type("1234 shorter")
            page.keyboard.press("Enter")
            wait_state(page, PAIR, "the reason kept", reason=False, rootFocused=True)
        page.keyboard.press(key)
    wait_state(page, PAIR, "the summary", state="summary")
    wait_saved(page, PAIR)
    k = nbp.kernel()
    try:
        lefts = k.eval("[pw.left_of(f'p{i}') for i in range(4)]")
    finally:
        k.close()
    assert shown == ["alpha" if s == "a" else "beta" for s in lefts]
    events = store_events(store_path)
    assert [e["action"] for e in events] == ["compare"] * 4
    data = [e["data"] for e in events]
    other = {"a": "b", "b": "a"}
    assert [d["choice"] for d in data] == [lefts[0], other[lefts[1]], "tie", "both_bad"]
    assert [d["left"] for d in data] == lefts and {d["seed"] for d in data} == {5}
    assert data[1]["reason"] == "1234 shorter" and events[1]["note"] == "1234 shorter"
    bias = exports.position_bias(store_path)
    assert bias["n"] == 2 and bias["left_wins"] == 1 and bias["ties"] == 1 and bias["both_bad"] == 1
