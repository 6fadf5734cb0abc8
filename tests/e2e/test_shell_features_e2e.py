"""The review shell's features on the LLM kinds, end to end: GenerationReview and
PairwiseReview with a guideline, gold questions, blind mode, overlap and breaks, in a
real JupyterLab + Chromium, then the kernel's state and the store file.

Checked for each kind: the guideline panel (sanitized markdown, its version, G toggles it
and decides nothing); a wrong answer to a gold item shows the feedback with the right
answer, the gold item's text and the guideline passage, and the key that closes it
decides nothing; the break prompt after `break_every` decisions, and the Enter that ends
it decides nothing and does not move; the help overlay (? then Enter) and the note box
(F then Esc) decide nothing; every decision in the store with its gold answer and the
guideline version; the claims of overlap=1 settled.
"""

from __future__ import annotations

import json
import sqlite3
import textwrap
from pathlib import Path
from typing import Any

import pytest
from jupyter_harness import NotebookPage, make_notebook, wait_shows

pytestmark = pytest.mark.e2e

GUIDE = """# Reviewing answers

## accept
The answer is right and complete as written.

## reject
The answer is wrong, *even when partly right*: a wrong figure is a reject.
<img src=x onerror="window.__pwned=1">

## a
Pick the left/right answer that is right.
"""

_JS_STATE = """(sel) => {
  const r = document.querySelector(sel);
  if (!r) return null;
  const q = (id) => r.querySelector(`[data-testid="${id}"]`);
  const vis = (e) => !!e && !e.hidden && !e.closest('[hidden]') && e.getClientRects().length > 0;
  const t = q('item-text'), g = q('guideline'), fb = q('gold-feedback'), bp = q('break-prompt');
  const help = q('help');
  return {
    state: r.dataset.state,
    item: t ? (t.dataset.itemId ?? null) : null,
    painted: r.dataset.paintedQi === undefined ? null : Number(r.dataset.paintedQi),
    pending: q('pending') ? Number(q('pending').textContent) : null,
    focused: r.contains(document.activeElement),
    guideline: vis(g), guidelineOpen: g ? g.dataset.open : null,
    guidelineVersion: q('guideline-version') ? q('guideline-version').textContent : null,
    guidelineHtml: q('guideline-body') ? q('guideline-body').innerHTML : '',
    feedback: vis(fb), feedbackCorrect: fb ? (fb.dataset.correct ?? null) : null,
    feedbackItem: fb ? (fb.dataset.itemId ?? null) : null,
    feedbackText: fb ? fb.textContent : '',
    feedbackExpected: q('gold-expected') ? q('gold-expected').textContent : null,
    passage: q('gold-passage') ? q('gold-passage').textContent : '',
    breakPrompt: vis(bp), breakText: bp ? bp.textContent : '',
    help: vis(help), note: vis(q('note-input')),
  };
}"""


def source(store: Path) -> str:
    return textwrap.dedent(f"""\
        import pandas as pd
        import hitl_widgets as hw

        GUIDE = {GUIDE!r}
        n = 24
        gen = pd.DataFrame({{
            "prompt": [f"What is {{i}} + {{i}}?" for i in range(n)],
            "response": [f"It is {{2 * i + (i % 3 == 0)}}." for i in range(n)],
        }}, index=[f"g{{i:02d}}" for i in range(n)])
        # gold: the known verdict of every 4th row (these answers are wrong: reject them)
        gen["gold"] = ["reject" if i % 4 == 0 else None for i in range(n)]
        gen_review = hw.GenerationReview(gen, rubric={{"helpful": [1, 2, 3]}}, store={str(store)!r},
                                         annotator="ana", guideline=GUIDE, gold="gold", gold_rate=0.25,
                                         blind=True, break_every=3, overlap=1, prefetch=4)
        pairs = pd.DataFrame({{
            "prompt": [f"Say {{i}}" for i in range(n)],
            "response_a": [f"{{i}}" for i in range(n)],
            "response_b": [f"not {{i}}" for i in range(n)],
        }}, index=[f"p{{i:02d}}" for i in range(n)])
        pairs["gold"] = ["a" if i % 4 == 0 else None for i in range(n)]
        pair_review = hw.PairwiseReview(pairs, store={str(store)!r}, annotator="ana", guideline=GUIDE,
                                        gold="gold", gold_rate=0.25, blind=True, break_every=3,
                                        overlap=1, prefetch=4, seed=1)
        """)


def st(page: Any, sel: str) -> dict[str, Any]:
    return page.evaluate(_JS_STATE, sel) or {}


def wait(page: Any, sel: str, what: str, timeout: float = 60.0, **expect: Any) -> dict[str, Any]:
    return wait_shows(lambda: st(page, sel), what, timeout, **expect)


def queue(nbp: NotebookPage, name: str) -> list[tuple[int, str, str | None]]:
    k = nbp.kernel()
    try:
        return [
            tuple(x)
            for x in k.eval(
                f"[(qi, {name}._items.item_id({name}._queue.position(qi)), "
                f"{name}._gold[{name}._queue.position(qi)]) for qi in range(len({name}._queue))]"
            )
        ]
    finally:
        k.close()


def left_of(nbp: NotebookPage, item: str) -> str:
    k = nbp.kernel()
    try:
        return str(k.eval(f"pair_review.left_of({item!r})"))
    finally:
        k.close()


def check_prompt_keys_decide_nothing(page: Any, sel: str) -> None:
    """? opens the help, Enter closes it; F opens the note box, Esc closes it: nothing is
    decided and the view stays on its item."""
    s0 = wait(page, sel, "settled", pending=0)
    page.keyboard.press("?")
    wait(page, sel, "the help overlay", help=True)
    page.keyboard.press("Enter")
    wait(page, sel, "the help to close", help=False)
    page.keyboard.press("f")
    wait(page, sel, "the note box", note=True)
    page.keyboard.press("Escape")
    wait(page, sel, "the note box to close", note=False)
    page.wait_for_timeout(300)
    s = st(page, sel)
    assert (s["painted"], s["item"], s["pending"]) == (s0["painted"], s0["item"], 0), (s0, s)


def run_kind(
    page: Any, nbp: NotebookPage, sel: str, name: str, answers_ok: list[str], give: Any
) -> dict[str, str]:
    """Review a kind up to its first gold item (answered wrong), then to the break.
    `give(item, answer)` presses the keys that give `answer`; `answers_ok` lists the
    answers, the first being the one given to regular items. Returns item -> answer."""
    s = wait(page, sel, f"{name}'s first item", state="item", painted=0)
    page.locator(sel).locator('[data-testid="item-text"]').click()
    wait(page, sel, "focus", focused=True, timeout=10)
    # the guideline: sanitized, versioned; G toggles it and decides nothing
    assert s["guideline"] and s["guidelineOpen"] == "true" and s["guidelineVersion"] == "v1", s
    assert "onerror" not in s["guidelineHtml"]
    page.keyboard.press("g")
    wait(page, sel, "the guideline to collapse", guidelineOpen="false")
    page.keyboard.press("g")
    wait(page, sel, "the guideline to open", guidelineOpen="true")
    check_prompt_keys_decide_nothing(page, sel)

    q = queue(nbp, name)
    gold_qi, gold_item, gold_answer = next(x for x in q if x[2] is not None)
    answers: dict[str, str] = {}
    wrong = next(a for a in answers_ok if a != gold_answer)
    for qi in range(gold_qi):  # arrows decide nothing
        page.keyboard.press("ArrowRight")
        wait(page, sel, f"entry {qi + 1}", painted=qi + 1)
    assert st(page, sel)["item"] == gold_item
    give(gold_item, wrong)
    answers[gold_item] = wrong
    s = wait(page, sel, "the gold feedback", feedback=True, pending=0)
    assert s["feedbackCorrect"] == "false" and s["feedbackItem"] == gold_item, s
    assert gold_answer in (s["feedbackExpected"] or ""), s
    assert page.evaluate("() => typeof window.__pwned") == "undefined"
    at = s["painted"]
    page.keyboard.press("Enter")  # closes the feedback: decides nothing, does not move
    wait(page, sel, "the feedback to close", feedback=False)
    page.wait_for_timeout(300)
    s = st(page, sel)
    assert s["painted"] == at and s["pending"] == 0, s
    # two more decisions make three: the break prompt
    for k in range(2):
        cur = st(page, sel)
        item = cur["item"]
        g = next((x[2] for x in q if x[1] == item), None)
        ans = g if g is not None else answers_ok[0]
        give(item, ans)
        answers[item] = ans
        if k == 0:
            wait(page, sel, "the next item", painted=cur["painted"] + 1)
    s = wait(page, sel, "the break prompt", breakPrompt=True)
    assert "take a break" in s["breakText"], s
    at = s["painted"]
    page.keyboard.press("Enter")  # ends the break: decides nothing, does not move
    wait(page, sel, "the break to end", breakPrompt=False)
    page.wait_for_timeout(400)
    s = wait(page, sel, "saved", pending=0)
    assert s["painted"] == at, s
    return answers


def test_guideline_gold_blind_breaks_on_generation_and_pairwise(lab_server, open_notebook, store_path):
    nbp: NotebookPage = open_notebook(
        lab_server, "llm_features.ipynb", make_notebook(source(store_path), "gen_review", "pair_review")
    )
    nbp.run_all()
    page = nbp.page
    sel_gen, sel_pair = ".hitl-generation", ".hitl-pairwise"

    def give_gen(item: str, answer: str) -> None:
        if answer == "accept":
            page.keyboard.press("a")
        else:  # reject: R, a reason, Enter
            page.keyboard.press("r")
            wait(page, sel_gen, "the reason box", timeout=10)
            page.keyboard.type("wrong sum")
            page.keyboard.press("Enter")

    gen_answers = run_kind(page, nbp, sel_gen, "gen_review", ["accept", "reject"], give_gen)

    def give_pair(item: str, answer: str) -> None:
        page.keyboard.press("1" if answer == left_of(nbp, item) else "2")

    pair_answers = run_kind(page, nbp, sel_pair, "pair_review", ["b", "a"], give_pair)

    con = sqlite3.connect(f"file:{store_path}?mode=ro", uri=True)
    con.row_factory = sqlite3.Row
    try:
        events = [dict(r) for r in con.execute("SELECT * FROM events ORDER BY seq")]
        claims = [dict(r) for r in con.execute("SELECT * FROM claims WHERE done = 1")]
        guides = [dict(r) for r in con.execute("SELECT task, version FROM guidelines ORDER BY task")]
    finally:
        con.close()
    assert guides == [{"task": "generation", "version": "v1"}, {"task": "pairwise", "version": "v1"}]
    gen_ev = [e for e in events if e["task"] == "generation"]
    pair_ev = [e for e in events if e["task"] == "pairwise"]
    assert {e["item_id"] for e in gen_ev} == set(gen_answers)
    assert {e["item_id"] for e in pair_ev} == set(pair_answers)
    assert all(e["guideline_version"] == "v1" for e in events)
    golds = {e["item_id"]: json.loads(e["data"]).get("gold") for e in events if e["data"]}
    assert any(g is not None for i, g in golds.items() if i.startswith("g"))
    assert any(g is not None for i, g in golds.items() if i.startswith("p"))
    for e in pair_ev:
        assert json.loads(e["data"])["choice"] == pair_answers[e["item_id"]]
    assert {(c["task"], c["item_id"]) for c in claims} == {(e["task"], e["item_id"]) for e in events}
