"""The profile form of the review widgets (``profile_form=``): the option's checks, the
form offered only to an annotator without a profile, and the kernel's handling of the
`profile` message (exactly the answers with consent; anything outside the choices
refused with nothing written; hostile text kept as data)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

import hitl_widgets as hw
from hitl_widgets.annotators import PREFER_NOT_TO_SAY, PROFILE_TASK, history, profile, profiles
from hitl_widgets.store import Store
from hitl_widgets.widgets._options import DEFAULT_PROFILE_FIELDS, resolve_profile_form

EVIL = "<img src=x onerror=alert(1)>'; DROP TABLE events; --{{7*7}}${7*7}"
FORM = {"gender": ["woman", "man", "non-binary", EVIL], "age": ["18-29", "30-44"], "locale": None}


def frame() -> pd.DataFrame:
    return pd.DataFrame({"text": ["a", "b", "c"], "pred": ["x", "y", "x"], "confidence": 0.5})


def review(db: Any, annotator: str = "ana", **kw: Any) -> Any:
    w = hw.ClassificationReview(frame(), labels=["x", "y"], store=db, annotator=annotator, **kw)
    sent: list[dict[str, Any]] = []
    w.send = lambda m, buffers=None: sent.append(m)
    w.sent = sent  # type: ignore[attr-defined]
    return w


def ask(w: Any, **msg: Any) -> dict[str, Any]:
    w._handle_custom_msg({"type": "profile", "req": "r1", **msg}, [])
    replies = [m for m in w.sent if m.get("type") == "profile"]
    return replies[-1]


# ---------------------------------------------------------------------------- the option
def test_the_option_resolves_to_one_form_and_refuses_bad_specs_clearly():
    assert resolve_profile_form(None) is None and resolve_profile_form(False) is None
    default = resolve_profile_form(True)
    assert default == DEFAULT_PROFILE_FIELDS and list(default) == ["gender", "age", "locale", "expertise"]
    assert default["locale"] is None  # free text
    assert resolve_profile_form({"gender": ("woman", "man"), "locale": None}) == {
        "gender": ["woman", "man"],
        "locale": None,
    }
    bad = [
        ("yes", "profile_form must be True"),
        ({}, "names no field"),
        ({"gender": "woman"}, r"profile_form\['gender'\] must be a list of choices"),
        ({"gender": []}, "1 to 50 choices"),
        ({"gender": ["woman", "woman"]}, "given twice"),
        ({"gender": ["woman", 3]}, "a choice must be text"),
        ({"gender": ["woman", ""]}, "a choice must be text"),
        ({"gender": ["x" * 101]}, "a choice must be text of 1 to 100"),
        ({"gender": ["woman", PREFER_NOT_TO_SAY]}, "always offered"),
        ({"": None}, "a field name must be text"),
        ({"annotator": None}, "column of the profile table"),
        ({f"f{i}": None for i in range(21)}, "at most 20 fields"),
    ]
    for spec, match in bad:
        with pytest.raises(ValueError, match=match):
            resolve_profile_form(spec)
    # through a review: checked before the store is touched
    with pytest.raises(ValueError, match="profile_form"):
        hw.ClassificationReview(
            frame(), labels=["x", "y"], store=":memory:", profile_form={"gender": "woman"}
        )


# ---------------------------------------------------------------------------- when it is sent
def test_the_form_is_sent_only_when_the_annotator_has_no_profile(tmp_path):
    db = str(tmp_path / "s.db")
    assert "profile_form" not in review(db).config  # no option: no form
    w = review(db, profile_form=True)
    form = w.config["profile_form"]
    assert [f["name"] for f in form["fields"]] == ["gender", "age", "locale", "expertise"]
    assert form["fields"][0]["choices"] == DEFAULT_PROFILE_FIELDS["gender"]
    assert form["fields"][2]["choices"] is None and form["prefer_not"] == PREFER_NOT_TO_SAY
    w.close()
    profile(db, "bob", {"gender": "man"}, source="admin", consent=True)
    assert "profile_form" not in review(db, "bob", profile_form=True).config  # has one: no form
    assert "profile_form" in review(db, "cy", profile_form=FORM).config


# ---------------------------------------------------------------------------- the message
def test_save_writes_exactly_the_answers_with_consent_and_the_form_goes(tmp_path):
    db = str(tmp_path / "s.db")
    w = review(db, profile_form=FORM)
    reply = ask(
        w, values={"gender": "non-binary", "age": PREFER_NOT_TO_SAY, "locale": "  fr-CA "}, consent=True
    )
    assert reply == {"type": "profile", "req": "r1", "saved": True}
    st = Store(db)
    ev = st.events(PROFILE_TASK)
    assert len(ev) == 1
    data = ev["data"].iloc[0]
    assert data == {
        "attributes": {"gender": "non-binary", "age": PREFER_NOT_TO_SAY, "locale": "fr-CA"},
        "source": "self",
        "consent": True,
    }
    assert ev["annotator"].iloc[0] == "ana" and ev["item_id"].iloc[0] == "ana"
    assert profiles(db).loc[0, "gender"] == "non-binary"
    assert hw.annotators.group_of(db, "ana", "gender") == "non-binary"
    assert hw.annotators.group_of(db, "ana", "age") is None  # prefer not to say: no group
    assert "profile_form" not in w.config  # not offered again in this session
    again = ask(w, values={"gender": "man"}, consent=True)
    assert again["saved"] is False and "already" in again["error"]
    assert len(history(db)) == 1
    # a new review for the same annotator: they have a profile now
    assert "profile_form" not in review(db, profile_form=FORM).config
    # nothing of it in the review's decisions or its export
    w.accept()
    w._handle_custom_msg({"type": "export", "req": "e1", "format": "jsonl"}, [])
    export = next(m for m in w.sent if m.get("type") == "export")
    assert export["rows"] == 1 and "non-binary" not in export["text"] and "fr-CA" not in export["text"]
    assert "gender" not in w.decisions().columns


@pytest.mark.parametrize(
    ("msg", "why"),
    [
        ({"values": {"gender": "alien"}, "consent": True}, "'alien' is not one of the choices"),
        ({"values": {"gender": "WOMAN"}, "consent": True}, "not one of the choices"),
        ({"values": {"age": "99"}, "consent": True}, "not one of the choices"),
        ({"values": {"salary": "1"}, "consent": True}, "unknown field"),
        ({"values": {"gender": ["woman"]}, "consent": True}, "must be text"),
        ({"values": {"locale": 7}, "consent": True}, "must be text"),
        ({"values": {"locale": "x" * 101}, "consent": True}, "at most 100 characters"),
        ({"values": "gender=woman", "consent": True}, "values must be an object"),
        ({"values": {"gender": "woman"}, "consent": False}, "consent"),
        ({"values": {"gender": "woman"}, "consent": "yes"}, "consent must be true or false"),
        ({"values": {"gender": "woman"}}, "consent must be true or false"),
    ],
)
def test_a_value_outside_the_form_is_refused_and_nothing_written(tmp_path, msg, why):
    db = str(tmp_path / "s.db")
    w = review(db, profile_form=FORM)
    reply = ask(w, **msg)
    assert reply["saved"] is False and why in reply["error"]
    assert len(history(db)) == 0
    assert "profile_form" in w.config  # still offered: the person can correct it
    assert ask(w, values={"gender": "woman"}, consent=True)["saved"] is True


def test_skip_writes_nothing_and_the_form_does_not_come_back(tmp_path):
    db = str(tmp_path / "s.db")
    w = review(db, profile_form=True)
    reply = ask(w, values={}, consent=False, skip=True)
    assert reply == {"type": "profile", "req": "r1", "saved": False}
    assert len(history(db)) == 0 and "profile_form" not in w.config
    assert ask(w, values={"gender": "woman"}, consent=True)["saved"] is False
    assert len(history(db)) == 0
    # a review without the option refuses the message
    plain = review(db, "bob")
    r = ask(plain, values={"gender": "woman"}, consent=True)
    assert r["saved"] is False and "no profile form" in r["error"] and len(history(db)) == 0


def test_hostile_text_is_stored_as_data(tmp_path):
    db = str(tmp_path / "s.db")
    w = review(db, profile_form=FORM)
    assert EVIL in w.config["profile_form"]["fields"][0]["choices"]  # sent as text, shown as text
    evil_text = "${{7*7}}<script>alert(1)</script>\n\x00"[:100]
    reply = ask(w, values={"gender": EVIL, "locale": evil_text}, consent=True)
    assert reply["saved"] is True
    got = profiles(db).iloc[0]
    assert got["gender"] == EVIL and got["locale"] == evil_text.strip()
    # a hostile value that is not a choice is refused, and its text only quoted back
    w2 = review(db, "bob", profile_form=FORM)
    r = ask(w2, values={"gender": "__import__('os').system('x')"}, consent=True)
    assert r["saved"] is False and len(history(db)) == 1
