"""Tool-call items: an agent's call held for a person (or let through and drawn for an
audit): the tool, the exact arguments that will run, why it was held, the agent's
context, and the schema an edit of the arguments is checked against.

Unlike a DataFrame's rows, the calls arrive while the review is open: the items are a
list that grows (`add`), looked up by call id.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ._common import hash_parts

#: What a gold tool call's known answer may be (the call was right, or it was not).
ANSWERS = ("approve", "reject")


class ArgumentsError(ValueError):
    """Arguments that cannot be a tool call's (not JSON, not the tool's)."""


def canonical_json(value: Any) -> str:
    """The arguments as the one text they are hashed and stored as: JSON with sorted keys,
    no NaN or infinity (what cannot be JSON cannot be shown, stored or approved)."""
    try:
        return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ArgumentsError(f"the arguments are not JSON data ({exc})") from None


def content_hash(tool: str, args: Mapping[str, Any]) -> str:
    """The content version of a tool call: its tool and its exact arguments. An approval
    is tied to this hash: the call runs only with arguments that hash to it."""
    return hash_parts(str(tool), canonical_json(dict(args)))


def check_json_args(args: Any) -> dict[str, Any]:
    """A copy of `args` that is a JSON object (a deep copy: what was approved cannot change
    under the approval)."""
    if not isinstance(args, Mapping):
        raise ArgumentsError(f"the arguments must be a mapping of name -> value, got {type(args).__name__}")
    for k in args:
        if not isinstance(k, str):
            raise ArgumentsError(f"argument names must be text, got {k!r}")
    out: dict[str, Any] = json.loads(canonical_json(dict(args)))
    return out


@dataclass
class Param:
    """One argument of a tool, for the edit form and the kernel's check of an edit."""

    name: str
    type: str = "any"  # string | integer | number | boolean | array | object | enum | any
    required: bool = True
    default: Any = None
    enum: list[Any] | None = None
    nullable: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "required": self.required,
            "default": self.default,
            "enum": self.enum,
            "nullable": self.nullable,
        }

    def check(self, value: Any) -> Any:
        """The value if it is one this argument takes, else ArgumentsError naming it."""
        if value is None:
            if self.nullable or (not self.required and self.default is None):
                return None
            raise ArgumentsError(f"{self.name}: a value is required")
        t = self.type
        ok = {
            "string": isinstance(value, str),
            "integer": isinstance(value, int) and not isinstance(value, bool),
            "number": isinstance(value, (int, float))
            and not isinstance(value, bool)
            and math.isfinite(float(value)),
            "boolean": isinstance(value, bool),
            "array": isinstance(value, list),
            "object": isinstance(value, dict),
            "enum": self.enum is not None and value in self.enum,
        }.get(t, True)
        if not ok:
            want = f"one of {self.enum!r}" if t == "enum" else f"a{'n' if t[0] in 'aeiou' else ''} {t}"
            raise ArgumentsError(f"{self.name}: {value!r} is not {want}")
        return value


def check_args(params: Sequence[Param], args: Mapping[str, Any]) -> dict[str, Any]:
    """Edited arguments checked against the tool's parameters: no unknown name, every
    required one given, each of its type; defaults filled in. ArgumentsError names the
    first problem."""
    out = check_json_args(args)
    known = {p.name: p for p in params}
    unknown = sorted(set(out) - set(known))
    if unknown and params:
        raise ArgumentsError(
            f"unknown argument(s) {', '.join(map(repr, unknown))}; the tool takes "
            f"{', '.join(known) or 'none'}"
        )
    for p in params:
        if p.name not in out:
            if p.required:
                raise ArgumentsError(f"{p.name}: a value is required")
            out[p.name] = p.default
        out[p.name] = p.check(out[p.name])
    return out


@dataclass
class ToolCall:
    """One call as the queue shows it."""

    call_id: str
    tool: str
    args: dict[str, Any]
    reasons: list[str]
    context: list[dict[str, str]] | None = None
    params: list[Param] = field(default_factory=list)
    confidence: float | None = None
    audit: bool = False  # let through, drawn for an audit (shown after it ran)
    two_person: bool = False
    created_at: str = ""

    @property
    def args_hash(self) -> str:
        return content_hash(self.tool, self.args)


class ToolCallItems:
    """The calls of an approval queue, in the order they arrived; the list grows."""

    kind: ClassVar[str] = "tool_call"
    answers: ClassVar[tuple[str, ...]] = ANSWERS

    def __init__(self, calls: Sequence[ToolCall] = ()) -> None:
        self.calls: list[ToolCall] = []
        self._pos: dict[str, int] = {}
        for c in calls:
            self.add(c)

    def add(self, call: ToolCall) -> int | None:
        """Append a call; its position, or None when the call id is here already."""
        if call.call_id in self._pos:
            return None
        self._pos[call.call_id] = len(self.calls)
        self.calls.append(call)
        return len(self.calls) - 1

    def __len__(self) -> int:
        return len(self.calls)

    def item_id(self, pos: int) -> str:
        return self.calls[pos].call_id

    def positions_of(self, item_ids: Sequence[str]) -> np.ndarray:
        return np.array([self._pos.get(str(i), -1) for i in item_ids], dtype=np.int64)

    def hash(self, pos: int) -> str:
        return self.calls[pos].args_hash

    def call(self, item_id: str) -> ToolCall | None:
        p = self._pos.get(item_id)
        return None if p is None else self.calls[p]

    def payload(self, pos: int) -> dict[str, Any]:
        c = self.calls[pos]
        return {
            "item_id": c.call_id,
            "content_hash": c.args_hash,
            "tool": c.tool,
            # the exact arguments that will run, as JSON (shown as text, never as HTML)
            "args": c.args,
            "args_json": json.dumps(c.args, indent=2, sort_keys=True, ensure_ascii=False),
            "params": [p.as_dict() for p in c.params],
            "reasons": list(c.reasons),
            "context": c.context,
            "confidence": c.confidence,
            "audit": c.audit,
            "two_person": c.two_person,
            "created_at": c.created_at,
        }
