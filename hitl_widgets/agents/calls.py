"""A Python tool's arguments: its parameters read from the signature (for the edit form
and the check of an edited call), and a call's arguments bound to them."""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

from ..items.tool_call import ArgumentsError, Param, check_json_args

_SIMPLE: dict[Any, str] = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    list: "array",
    tuple: "array",
    dict: "object",
}


def param_of(name: str, annotation: Any, default: Any) -> Param:
    """A parameter from its annotation: the JSON type the edit form offers."""
    required = default is inspect.Parameter.empty
    p = Param(name, required=required, default=None if required else default)
    ann = annotation
    if ann is inspect.Parameter.empty or ann is Any:
        return p
    origin = typing.get_origin(ann)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        p.nullable = len(args) < len(typing.get_args(ann))
        if len(args) == 1:
            inner = param_of(name, args[0], default)
            inner.nullable = p.nullable
            inner.required, inner.default = p.required, p.default
            return inner
        return p
    if origin is typing.Literal:
        p.type, p.enum = "enum", list(typing.get_args(ann))
        return p
    base = origin or ann
    for t, kind in _SIMPLE.items():
        if base is t:
            p.type = kind
            return p
    if isinstance(base, type) and issubclass(base, Mapping):
        p.type = "object"
    return p


def params_of(fn: Callable[..., Any]) -> list[Param]:
    """The parameters of a tool function; a tool whose arguments cannot be named (*args,
    **kwargs) cannot be checked, shown or edited, and is refused."""
    sig = inspect.signature(fn)
    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # unresolvable string annotations: fall back to what is written
        hints = {}
    out = []
    for name, prm in sig.parameters.items():
        if prm.kind in (prm.VAR_POSITIONAL, prm.VAR_KEYWORD):
            raise TypeError(
                f"tool {getattr(fn, '__name__', fn)!r}: *{name} / **{name} arguments cannot be "
                "shown to a person or checked; give the tool named parameters"
            )
        out.append(param_of(name, hints.get(name, prm.annotation), prm.default))
    return out


def bind(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The call's arguments by name, defaults filled in, as JSON data (a deep copy)."""
    try:
        bound = inspect.signature(fn).bind(*args, **kwargs)
    except TypeError as exc:
        raise ArgumentsError(f"tool {getattr(fn, '__name__', fn)!r}: {exc}") from None
    bound.apply_defaults()
    return check_json_args(dict(bound.arguments))
