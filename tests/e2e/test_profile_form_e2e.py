"""The profile form end to end: a real JupyterLab, Debian's Chromium driven by Playwright,
the real kernel and a real SQLite store.

A review with ``profile_form`` opened by an annotator without a profile shows the form
before the first item; review keys do nothing while it is open; the person picks answers,
ticks the consent box and saves; the store holds exactly one PROFILE event with those
answers ("prefer not to say" where untouched) and the review keys work again.
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

ROOT = '[data-testid="hitl-root"]'
ANNOTATOR = "e2e-profile"
EVIL = "<img src=x onerror=window.__pwned=1>"

_JS_WIDGET = """() => {
  const roots = document.querySelectorAll('[data-testid="hitl-root"]');
  const r = roots[roots.length - 1];
  if (!r) return null;
  const q = (id) => r.querySelector(`[data-testid="${id}"]`);
  const visible = (e) => !!e && !e.hidden && e.getClientRects().length > 0;
  const form = q('profile-form'), p = q('pending'), item = q('item-id');
  return {
    state: r.dataset.state,
    form: visible(form),
    item: visible(item) ? item.textContent : null,
    pending: p ? Number(p.textContent) : null,
    error: visible(q('profile-error')) ? q('profile-error').textContent : null,
    choices: form ? [...form.querySelectorAll('option')].map((o) => o.textContent) : [],
  };
}"""


def review_notebook(store: Path) -> dict:
    source = textwrap.dedent(f"""\
        import pandas as pd
        import hitl_widgets as hw

        df = pd.DataFrame({{"text": ["first", "second", "third"], "pred": ["x", "y", "x"],
                            "confidence": 0.7}}, index=["c0", "c1", "c2"])
        review = hw.ClassificationReview(
            df, labels=["x", "y"], store={str(store)!r}, annotator={ANNOTATOR!r},
            profile_form={{"gender": ["woman", "man", {EVIL!r}], "age": ["18-29", "30-44"], "locale": None}},
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


def test_the_form_is_filled_in_chromium_and_the_store_holds_the_profile(
    lab_server, open_notebook, store_path
):
    nbp: NotebookPage = open_notebook(lab_server, "profile_form.ipynb", review_notebook(store_path))
    page = nbp.page
    nbp.run_all()
    w = wait_widget(page, "the profile form", form=True)
    assert w["item"] is None  # the item waits under the form
    assert EVIL in w["choices"]  # shown as text
    root = page.locator(ROOT).last
    # review keys do nothing while the form is open
    root.click(position={"x": 5, "y": 5})
    for key in ("Enter", "a", "2", "s"):
        page.keyboard.press(key)
    page.wait_for_timeout(300)
    assert widget(page)["form"] is True
    root.locator('[data-field="gender"] select').select_option("man")
    root.locator('[data-testid="profile-input"]').fill("  de-AT ")
    root.locator('[data-testid="profile-consent"]').check()
    root.locator('[data-testid="profile-save"]').click()
    w = wait_widget(page, "the first item after the form", form=False, item="c0", state="item")
    # the keys review again
    root.click(position={"x": 5, "y": 5})
    page.keyboard.press("Enter")
    wait_widget(page, "the accept to be saved", item="c1", pending=0)
    assert page.evaluate("() => typeof window.__pwned") == "undefined"

    events = store_events(store_path)
    prof = [e for e in events if e["action"] == "profile"]
    assert len(prof) == 1
    e = prof[0]
    assert e["task"] == "(annotators)" and e["annotator"] == ANNOTATOR and e["item_id"] == ANNOTATOR
    data = json.loads(e["data"])
    assert data == {
        "attributes": {"gender": "man", "age": "prefer not to say", "locale": "de-AT"},
        "source": "self",
        "consent": True,
    }
    decisions = [(e["item_id"], e["action"]) for e in events if e["action"] != "profile"]
    assert decisions == [("c0", "accept")]  # the keys pressed under the form decided nothing
    k = nbp.kernel()
    try:
        assert k.eval("'profile_form' in review.config") is False
        assert k.eval(f"hw.annotators.group_of(review.store, {ANNOTATOR!r}, 'gender')") == "man"
    finally:
        k.close()
