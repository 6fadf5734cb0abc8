"""Write the cases on which the browser's fold (js/src/lib/fold.ts) must agree with the
Python one (hitl_widgets/store/events.py): js/test/fixtures/fold_cases.json.

    python scripts/fold_cases.py           # write the file
    python scripts/fold_cases.py --check   # exit 1 when the file is not what the fold gives

tests/test_fold.py runs the check, so the file cannot go stale.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from typing import Any

from hitl_widgets.store.events import fold, vocabulary

OUT = Path(__file__).resolve().parents[1] / "js" / "test" / "fixtures" / "fold_cases.json"
# the vocabulary the browser falls back to (fold.ts DEFAULT_VOCABULARY) must be this one
VOCABULARY = OUT.with_name("vocabulary.json")

HAND: list[tuple[str, list[dict[str, Any]]]] = [
    ("accept", [{"action": "accept"}]),
    (
        "accept then rate keeps accepted",
        [{"action": "accept"}, {"action": "rate", "data": {"ratings": {"helpful": 4}}}],
    ),
    (
        "rate then undo restores no ratings",
        [{"action": "rate", "data": {"ratings": {"helpful": 4}}}, {"action": "undo"}],
    ),
    (
        "rate twice merges",
        [
            {"action": "rate", "data": {"ratings": {"helpful": 4}}},
            {"action": "rate", "data": {"ratings": {"harmless": "yes"}}},
        ],
    ),
    ("skip after accept changes nothing", [{"action": "accept"}, {"action": "skip"}]),
    ("skip then undo", [{"action": "skip"}, {"action": "undo"}]),
    (
        "rate after skip ends the skip",
        [{"action": "skip"}, {"action": "rate", "data": {"ratings": {"helpful": 2}}}],
    ),
    (
        "undo of a correction restores the accept",
        [{"action": "accept"}, {"action": "correct", "label": "b"}, {"action": "undo"}],
    ),
    ("undo on nothing", [{"action": "undo"}]),
    ("note keeps the verdict", [{"action": "correct", "label": "b"}, {"action": "note", "note": "why"}]),
    ("flag with a note", [{"action": "flag", "note": "unclear"}]),
    (
        "verdict with ratings merges them",
        [
            {"action": "rate", "data": {"ratings": {"helpful": 1}}},
            {"action": "edit", "data": {"edited": "x", "ratings": {"harmless": "no"}}},
        ],
    ),
    ("compare", [{"action": "compare", "label": "a", "data": {"choice": "a"}}]),
    (
        "reject then undo then accept",
        [{"action": "reject", "note": "wrong"}, {"action": "undo"}, {"action": "accept"}],
    ),
    ("route changes nothing", [{"action": "accept"}, {"action": "route"}]),
    ("execute changes nothing", [{"action": "accept"}, {"action": "execute"}]),
    ("answer a held tool call", [{"action": "answer", "note": "use the claim's second page"}]),
]

ACTIONS = ["accept", "correct", "edit", "reject", "flag", "compare", "answer", "rate", "skip", "note", "undo"]


def random_events(rng: random.Random, n: int) -> list[dict[str, Any]]:
    out = []
    for _ in range(n):
        a = rng.choice(ACTIONS)
        ev: dict[str, Any] = {"action": a}
        if a == "correct":
            ev["label"] = rng.choice(["a", "b", "c"])
        if a == "compare":
            c = rng.choice(["a", "b", "tie"])
            ev["label"], ev["data"] = c, {"choice": c}
        if a in ("rate", "accept", "edit") and rng.random() < 0.6:
            ev["data"] = {"ratings": {rng.choice(["helpful", "harmless"]): rng.randint(1, 5)}}
        if a in ("flag", "reject", "note", "skip") and rng.random() < 0.7:
            ev["note"] = rng.choice(["n1", "n2"])
        out.append(ev)
    return out


def expected(events: list[dict[str, Any]], model_label: str | None) -> dict[str, Any]:
    st = None
    for i, e in enumerate(events):
        st = fold(
            st,
            {
                "event_id": f"e{i}",
                "action": e["action"],
                "label_after": e.get("label"),
                "model_label": model_label,
                "note": e.get("note"),
                "data": e.get("data"),
            },
        )
    if st is None:
        return {"status": None, "action": None, "label": None, "note": None, "ratings": None}
    return {
        "status": st.status,
        "action": st.action,
        "label": st.label,
        "note": st.note,
        "ratings": dict(st.ratings) if st.ratings else None,
    }


def cases() -> list[dict[str, Any]]:
    out = [
        {"name": name, "model_label": "a", "events": evs, "expected": expected(evs, "a")}
        for name, evs in HAND
    ]
    rng = random.Random(20261203)
    for k in range(200):
        evs = random_events(rng, rng.randint(1, 12))
        ml = "a" if k % 4 else None
        out.append({"name": f"random {k}", "model_label": ml, "events": evs, "expected": expected(evs, ml)})
    return out


def render() -> str:
    # one case a line: small, and a changed case shows as one changed line
    lines = [json.dumps(c, sort_keys=True, separators=(",", ":")) for c in cases()]
    return "[\n" + ",\n".join(lines) + "\n]\n"


def render_vocabulary() -> str:
    v = vocabulary()
    v.pop("actions")  # per kind; the browser's default has none
    return json.dumps(v, indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":
    if "--check" in sys.argv:
        fresh = (
            OUT.exists()
            and OUT.read_text() == render()
            and VOCABULARY.exists()
            and VOCABULARY.read_text() == render_vocabulary()
        )
        sys.exit(0 if fresh else 1)
    OUT.write_text(render())
    VOCABULARY.write_text(render_vocabulary())
    print(f"wrote {OUT} and {VOCABULARY}")
