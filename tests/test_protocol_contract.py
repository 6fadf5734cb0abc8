"""Both sides of the protocol list the same messages and fields.

The kernel's TypedDicts (hitl_widgets/widgets/_protocol.py) and the browser's interfaces
(js/src/lib/types.ts) are written by hand; this test reads the TypeScript and compares:
every shape, every field, and which fields are optional (``?`` in TypeScript,
``NotRequired`` in Python).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hitl_widgets.widgets import _protocol as proto

TYPES_TS = Path(__file__).resolve().parents[1] / "js" / "src" / "lib" / "types.ts"


def ts_interfaces(text: str) -> dict[str, dict[str, bool]]:
    """interface name -> {field: optional} for every top-level ``export interface``."""
    out: dict[str, dict[str, bool]] = {}
    for m in re.finditer(
        r"^export interface (\w+)(?:<[^>]*>)?(?: extends [\w, <>]+)? \{\n(.*?)^\}", text, re.S | re.M
    ):
        body = re.sub(r"/\*.*?\*/", "", m.group(2), flags=re.S)
        fields = {}
        for line in body.splitlines():
            f = re.match(r"\s+(\w+)(\?)?:", line)
            if f:
                fields[f.group(1)] = bool(f.group(2))
        out[m.group(1)] = fields
    return out


def ts_union(text: str, name: str) -> set[str]:
    m = re.search(rf"^export type {name}(?:<[^>]*>)? =(.*?);", text, re.S | re.M)
    assert m, name
    return {re.sub(r"<.*", "", p.strip()) for p in m.group(1).split("|") if p.strip()}


TS = TYPES_TS.read_text()
INTERFACES = ts_interfaces(TS)


@pytest.mark.parametrize("name", sorted(proto.SHAPES))
def test_each_shape_has_the_same_fields_on_both_sides(name: str) -> None:
    py = proto.SHAPES[name]
    assert name in INTERFACES, f"{name} is a protocol shape in Python but not in types.ts"
    ts = INTERFACES[name]
    py_fields = {k: k in py.__optional_keys__ for k in py.__annotations__}
    assert set(py_fields) == set(ts), (
        f"{name}: only in Python {sorted(set(py_fields) - set(ts))}, "
        f"only in TypeScript {sorted(set(ts) - set(py_fields))}"
    )
    assert py_fields == ts, f"{name}: optional fields differ (Python NotRequired vs TypeScript ?)"


def test_the_same_messages_go_each_way() -> None:
    assert ts_union(TS, "BrowserMessage") == {c.__name__ for c in proto.BROWSER_MESSAGES.values()}
    assert ts_union(TS, "KernelMessage") == {c.__name__ for c in proto.KERNEL_MESSAGES.values()}
    for table in (proto.BROWSER_MESSAGES, proto.KERNEL_MESSAGES):
        for type_name, cls in table.items():
            assert re.search(rf'interface {cls.__name__}\b[^{{]*\{{\s*type: "{type_name}";', TS), (
                f"{cls.__name__} does not carry type: {type_name!r} in types.ts"
            )


def test_the_parser_reads_what_the_browser_sends() -> None:
    """Every field of the browser's Decision is read by parse_decision."""
    raw = {f: None for f in INTERFACES["Decision"]}
    raw.update(
        id="d1",
        item_id="i1",
        action="accept",
        content_hash="h",
        qi=0,
        duration_ms=812,
        created_at="2026-12-03T09:00:00.000Z",
        annotator="ana",
        session_id="s",
        task="t",
        guideline_version="v1",
    )
    d = proto.parse_decision(raw, frozenset({"accept"}))
    assert set(d) == set(proto.Decision.__annotations__)


def test_one_malformed_field_refuses_only_its_decision(tmp_path) -> None:
    """Issue 10 #14: a decision with duration_ms="abc" is refused with its reason, and the
    good decisions in the same message are stored and acknowledged."""
    import pandas as pd

    import hitl_widgets as hw

    df = pd.DataFrame({"text": ["a", "b", "c"], "pred": ["x", "y", "x"], "confidence": 0.5})
    w = hw.ClassificationReview(df, labels=["x", "y"], store=str(tmp_path / "s.db"), annotator="ana")
    sent: list[dict] = []
    w.send = lambda m, buffers=None: sent.append(m)
    w._handle_custom_msg(
        {
            "type": "decide",
            "decisions": [
                {"id": "ok1", "item_id": "0", "action": "accept", "duration_ms": 500},
                {"id": "bad", "item_id": "1", "action": "accept", "duration_ms": "abc"},
                {"id": "bad2", "item_id": "1", "action": "accept", "created_at": "yesterday"},
                {"id": "bad3", "item_id": "1", "action": "correct", "label": ["y"]},
                {"no id": True},
                "not a decision",
                {"id": "ok2", "item_id": "2", "action": "correct", "label": "y"},
            ],
        },
        [],
    )
    ack = sent[-1]
    assert ack["ids"] == ["ok1", "ok2"]
    assert set(ack["errors"]) == {"bad", "bad2", "bad3"}
    assert "duration_ms" in ack["errors"]["bad"] and "created_at" in ack["errors"]["bad2"]
    assert "label" in ack["errors"]["bad3"]
    assert list(w.decisions()["item_id"]) == ["0", "2"]
