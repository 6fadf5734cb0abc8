"""The word diff of an edited text, as stored with every edit (the browser computes
its own only to show it): lines are matched first, then words inside changed lines."""

from __future__ import annotations

import difflib
import re

# A word with the spaces after it, a punctuation mark with the spaces after it, a
# newline, or leading spaces. Joined, the tokens give the text back exactly.
_WORD_TOKENS = re.compile(r"\w+[^\S\r\n]*|\r?\n|[^\w\s][^\S\r\n]*|[^\S\r\n]+|\s")


def word_tokens(text: str) -> list[str]:
    """Word tokens (each with its trailing spaces); ``"".join(word_tokens(t)) == t``."""
    return _WORD_TOKENS.findall(text)


def _push(out: list[dict[str, str]], op: str, text: str) -> None:
    if not text:
        return
    if out and out[-1]["op"] == op:
        out[-1]["text"] += text
    else:
        out.append({"op": op, "text": text})


def _token_diff(a: list[str], b: list[str], out: list[dict[str, str]]) -> None:
    # common prefix / suffix first: most edits touch a small part of a long text
    i = 0
    while i < len(a) and i < len(b) and a[i] == b[i]:
        i += 1
    j = 0
    while j < len(a) - i and j < len(b) - i and a[-1 - j] == b[-1 - j]:
        j += 1
    _push(out, "equal", "".join(a[:i]))
    mid_a, mid_b = a[i : len(a) - j], b[i : len(b) - j]
    sm = difflib.SequenceMatcher(None, mid_a, mid_b, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            _push(out, "equal", "".join(mid_a[i1:i2]))
        else:
            _push(out, "delete", "".join(mid_a[i1:i2]))
            _push(out, "insert", "".join(mid_b[j1:j2]))
    _push(out, "equal", "".join(a[len(a) - j :]))


def word_diff(original: str, edited: str) -> list[dict[str, str]]:
    """Word-level diff of two texts with difflib: a list of ``{"op": "equal" | "delete" |
    "insert", "text": ...}``. The equal + delete texts give `original` back, the equal +
    insert texts give `edited`. Lines are matched first, then words inside changed lines."""
    out: list[dict[str, str]] = []
    la, lb = original.splitlines(keepends=True), edited.splitlines(keepends=True)
    sm = difflib.SequenceMatcher(None, la, lb, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            _push(out, "equal", "".join(la[i1:i2]))
        elif tag == "replace":
            _token_diff(word_tokens("".join(la[i1:i2])), word_tokens("".join(lb[j1:j2])), out)
        else:
            _push(out, "delete", "".join(la[i1:i2]))
            _push(out, "insert", "".join(lb[j1:j2]))
    return out
