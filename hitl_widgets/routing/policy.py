"""Policy expressions: a small, safe language for the routing rules a person types.

A policy such as ``"amount > 10000"`` is *data* (a reviewer lead writes it), so it must
never reach Python's or pandas' evaluators: ``DataFrame.eval``/``query`` resolve ``@names``
from the caller's scope and follow attribute chains (``amount.__class__...``) and method
calls (``amount.to_pickle(...)``), which is arbitrary code. Here a policy is parsed with
`ast.parse` (``mode="eval"``; the tree is never compiled), every node is checked against
a short whitelist and converted into a tiny expression tree of our own, and that tree is
evaluated by walking it, vectorised over a DataFrame with ordinary pandas operations.

The language (what ``DataFrame.eval`` accepted for the policies this package documents):

* column names: bare identifiers, or backtick-quoted names (`` `claim amount` > 10 ``);
* literals: numbers, strings, ``True``, ``False``, ``None``, and lists/tuples of these
  (only after ``in`` / ``not in`` and inside ``isin(...)``);
* comparisons ``== != < <= > >=`` (chained too: ``1 < x <= 5``), ``in`` / ``not in`` a list;
* ``and`` / ``or`` / ``not`` and ``&`` / ``|`` / ``~``. As in pandas, ``&`` and ``|`` bind
  like ``and`` / ``or`` (``a > 1 & b < 2`` means ``(a > 1) and (b < 2)``), and they work
  element by element;
* arithmetic ``+ - * / // %`` and unary ``-`` / ``+``;
* exactly these calls on a column: ``col.isin([...])``, ``col.isna()``, ``col.notna()``,
  ``col.str.contains("x")`` (a literal substring, optionally ``case=False``),
  ``col.str.startswith("x")``, ``col.str.endswith("x")``.

Anything else is refused by `parse_policy` with a `PolicyError` (a ValueError) naming the
policy and the offending part, before anything runs.
"""

from __future__ import annotations

import ast
import operator
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

# Bounds that keep parsing and evaluation cheap whatever is typed: a policy is a one-line
# rule, and the Python parser and our recursive walk must not be driven into deep recursion.
MAX_LENGTH = 10_000
MAX_DEPTH = 60

ALLOWED = (
    "allowed are column names (backticks around names with spaces), literals (numbers, "
    "'text', True, False, None, and [lists] of them after in / not in or in isin), "
    "comparisons (== != < <= > >=, in / not in [list]), and / or / not, & | ~, "
    "+ - * / // %, and the calls col.isin([...]), col.isna(), col.notna(), "
    "col.str.contains('x') (optionally case=False), col.str.startswith('x'), "
    "col.str.endswith('x')"
)


class PolicyError(ValueError):
    """A policy expression outside the allowed language, or one that fails on a frame."""


# -- the expression tree we evaluate (never Python's own) ---------------------------------
@dataclass(frozen=True)
class Col:
    name: str


@dataclass(frozen=True)
class Lit:
    value: Any  # int, float, str, bool, None, or a tuple of those (a literal list)


@dataclass(frozen=True)
class Compare:
    left: Node
    pairs: tuple[tuple[str, Node], ...]  # (operator, right operand), chained left to right


@dataclass(frozen=True)
class Logical:
    op: str  # "and" | "or"
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Unary:
    op: str  # "not" | "~" | "-" | "+"
    operand: Node


@dataclass(frozen=True)
class Arith:
    op: str  # "+" "-" "*" "/" "//" "%"
    left: Node
    right: Node


@dataclass(frozen=True)
class Call:
    method: str  # "isin" "isna" "notna" "str.contains" "str.startswith" "str.endswith"
    column: str
    arg: Any = None  # isin: tuple of literals; str.*: the text
    case: bool = True


Node = Col | Lit | Compare | Logical | Unary | Arith | Call

_COMPARE_OPS: dict[type, str] = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
}
_ARITH_OPS: dict[type, str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
}
_UNARY_OPS: dict[type, str] = {ast.Not: "not", ast.Invert: "~", ast.USub: "-", ast.UAdd: "+"}
_CALLS = {"isin", "isna", "notna"}
_STR_CALLS = {"contains", "startswith", "endswith"}

_CMP_FUNCS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_ARITH_FUNCS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "//": operator.floordiv,
    "%": operator.mod,
}


# -- source rewriting: backticks, @names, & and | ------------------------------------------
@dataclass
class _Source:
    """The policy text as Python can parse it, and where each character came from."""

    original: str
    text: str = ""
    origin: list[int] = field(default_factory=list)  # text[i] came from original[origin[i]]
    backticks: dict[str, str] = field(default_factory=dict)  # placeholder -> column name

    def copy(self, start: int, end: int) -> None:
        """Append original[start:end] unchanged."""
        self.text += self.original[start:end]
        self.origin.extend(range(start, end))

    def replace(self, chunk: str, start: int, end: int) -> None:
        """Append `chunk` in place of original[start:end]."""
        self.text += chunk
        # the last character points at the end of the span, so that a part of the tree
        # ending on this chunk quotes the whole original span (a backtick name, an '&')
        self.origin.extend([start] * (len(chunk) - 1) + [end - 1])

    def span(self, start: int, end: int) -> str:
        """The original text behind text[start:end]."""
        if not self.origin or start >= end:
            return ""
        start = min(max(start, 0), len(self.origin) - 1)
        end = min(max(end, 1), len(self.origin))
        return self.original[self.origin[start] : self.origin[end - 1] + 1]


def _rewrite(name: str, expr: str) -> _Source:
    """Replace `backtick names` by placeholders and & / | by and / or (pandas' precedence),
    leaving string literals alone; refuse ``@name`` (pandas' caller-scope variables)."""
    prefix = "_hw_col_"
    while prefix in expr:  # placeholders must not collide with a name in the policy
        prefix += "x"
    src = _Source(expr)
    i, n = 0, len(expr)
    while i < n:
        ch = expr[i]
        if ch in "'\"":
            j = _string_end(expr, i)
            src.copy(i, j)
            i = j
        elif ch == "`":
            j = expr.find("`", i + 1)
            if j < 0:
                raise PolicyError(
                    f"policy {name!r}: the expression {expr!r} does not parse "
                    "(a backtick-quoted column name is not closed)"
                )
            column = expr[i + 1 : j]
            if not column.strip():
                raise PolicyError(f"policy {name!r}: an empty `` column name in {expr!r}")
            placeholder = f"{prefix}{len(src.backticks)}"
            src.backticks[placeholder] = column
            # spaces around it, so that it never merges with a name next to it:
            # `a b`__class__ must not become one identifier
            src.replace(" ", i, i + 1)
            src.replace(placeholder, i, j + 1)
            src.replace(" ", j, j + 1)
            i = j + 1
        elif ch == "@":
            j = i + 1
            while j < n and (expr[j].isalnum() or expr[j] == "_"):
                j += 1
            part = expr[i:j]
            raise PolicyError(
                f"policy {name!r}: {part!r} is not allowed: a policy reads only the frame's "
                f"columns, not variables (@name) nor the @ operator; {ALLOWED}"
            )
        elif ch in "&|":
            src.replace(" and " if ch == "&" else " or ", i, i + 1)
            i += 1
        else:
            src.copy(i, i + 1)
            i += 1
    return src


def _string_end(expr: str, i: int) -> int:
    """Index just past the string literal that starts at expr[i] (a quote)."""
    quote = expr[i]
    triple = expr[i : i + 3] == quote * 3
    delim = quote * 3 if triple else quote
    j = i + len(delim)
    while j < len(expr):
        if expr[j] == "\\":
            j += 2
            continue
        if expr.startswith(delim, j):
            return j + len(delim)
        j += 1
    return len(expr)  # unterminated: the parser reports it


# -- parsing ---------------------------------------------------------------------------------
class _Converter:
    """Check a Python expression tree against the whitelist and convert it to our nodes."""

    def __init__(self, name: str, src: _Source) -> None:
        self.name = name
        self.src = src
        self.columns: list[str] = []
        self.missing_tested: set[str] = set()
        lines = src.text.splitlines(keepends=True) or [""]
        self._line_starts = [0]
        for line in lines:
            self._line_starts.append(self._line_starts[-1] + len(line))
        self._lines = lines

    # where a node came from, in the text the person typed
    def _index(self, lineno: int, col_byte: int) -> int:
        line = self._lines[lineno - 1] if lineno - 1 < len(self._lines) else ""
        return self._line_starts[lineno - 1] + len(line.encode("utf-8")[:col_byte].decode("utf-8", "ignore"))

    def part(self, node: ast.AST) -> str:
        try:
            start = self._index(node.lineno, node.col_offset)  # type: ignore[attr-defined]
            end = self._index(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
        except (AttributeError, IndexError, TypeError):
            return type(node).__name__
        return self.src.span(start, end) or type(node).__name__

    def refuse(self, node: ast.AST, why: str) -> PolicyError:
        return PolicyError(f"policy {self.name!r}: {self.part(node)!r} is not allowed ({why}); {ALLOWED}")

    # the walk
    def convert(self, node: ast.AST) -> Node:
        if isinstance(node, ast.Name):
            return Col(self._column(node))
        if isinstance(node, ast.Constant):
            return Lit(self._constant(node))
        if isinstance(node, (ast.List, ast.Tuple)):
            raise self.refuse(node, "a list goes only after in / not in, or inside isin(...)")
        if isinstance(node, ast.Compare):
            return self._compare(node)
        if isinstance(node, ast.BoolOp):
            op = "and" if isinstance(node.op, ast.And) else "or"
            return Logical(op, tuple(self.convert(v) for v in node.values))
        if isinstance(node, ast.UnaryOp):
            uop = _UNARY_OPS.get(type(node.op))
            if uop is None:  # pragma: no cover - the four unary operators are all listed
                raise self.refuse(node, "unknown operator")
            return Unary(uop, self.convert(node.operand))
        if isinstance(node, ast.BinOp):
            return self._arith(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.Attribute):
            # name the innermost part that is not allowed: 'amount.__class__' rather than
            # the whole chain built on it ('col.str' is the start of an allowed call)
            inner = node.value
            if not isinstance(inner, ast.Name) and not (
                isinstance(inner, ast.Attribute) and inner.attr == "str" and isinstance(inner.value, ast.Name)
            ):
                self.convert(inner)
            raise self.refuse(node, "attributes are not allowed, only the calls listed")
        if isinstance(node, ast.Subscript):
            self.convert(node.value)
            raise self.refuse(node, "subscripts [...] are not allowed")
        what = {
            ast.Lambda: "lambdas",
            ast.JoinedStr: "f-strings",
            ast.FormattedValue: "f-strings",
            ast.NamedExpr: "assignments (:=)",
            ast.Starred: "starred expressions",
            ast.ListComp: "comprehensions",
            ast.SetComp: "comprehensions",
            ast.DictComp: "comprehensions",
            ast.GeneratorExp: "comprehensions",
            ast.IfExp: "if / else expressions",
            ast.Dict: "dicts",
            ast.Set: "sets",
            ast.Await: "await",
            ast.Yield: "yield",
            ast.YieldFrom: "yield",
            ast.Slice: "slices",
        }.get(type(node), f"{type(node).__name__} expressions")
        raise self.refuse(node, f"{what} are not allowed")

    def _column(self, node: ast.Name) -> str:
        column = self.src.backticks.get(node.id)
        if column is None:
            if node.id.startswith("__"):
                raise self.refuse(node, "names with double underscores are not allowed")
            column = node.id
        if column not in self.columns:
            self.columns.append(column)
        return column

    def _constant(self, node: ast.Constant) -> Any:
        v = node.value
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        raise self.refuse(node, f"{type(v).__name__} literals are not allowed")

    def _literal_list(self, node: ast.AST) -> tuple[Any, ...]:
        if not isinstance(node, (ast.List, ast.Tuple)):
            raise self.refuse(node, "expected a literal list such as [1, 2] or ['a', 'b']")
        out = []
        for elt in node.elts:
            if isinstance(elt, ast.Constant):
                out.append(self._constant(elt))
            elif (
                isinstance(elt, ast.UnaryOp)
                and isinstance(elt.op, (ast.USub, ast.UAdd))
                and isinstance(elt.operand, ast.Constant)
                and type(elt.operand.value) in (int, float)
            ):
                v: Any = elt.operand.value
                out.append(-v if isinstance(elt.op, ast.USub) else v)
            else:
                raise self.refuse(elt, "a list holds only literals (numbers, 'text', True, False, None)")
        return tuple(out)

    def _compare(self, node: ast.Compare) -> Compare:
        left = self.convert(node.left)
        pairs: list[tuple[str, Node]] = []
        for op, right in zip(node.ops, node.comparators, strict=True):
            sym = _COMPARE_OPS.get(type(op))
            if sym is None:
                raise self.refuse(node, "is / is not are not allowed; use == / != or isna()")
            if sym in ("in", "not in"):
                pairs.append((sym, Lit(self._literal_list(right))))
            else:
                pairs.append((sym, self.convert(right)))
        return Compare(left, tuple(pairs))

    def _arith(self, node: ast.BinOp) -> Arith:
        sym = _ARITH_OPS.get(type(node.op))
        if sym is None:
            raise self.refuse(node, f"the operator {type(node.op).__name__} is not allowed")
        left, right = self.convert(node.left), self.convert(node.right)
        # text literals only join text: 'x' * 10**9 or '%999999999d' % 1 would build huge
        # strings, and % on text is formatting, not arithmetic
        if sym != "+" and any(isinstance(s, Lit) and isinstance(s.value, str) for s in (left, right)):
            raise self.refuse(node, f"text cannot be used with {sym}, only joined with +")
        return Arith(sym, left, right)

    def _call(self, node: ast.Call) -> Call:
        method, column = self._call_target(node)
        for a in node.args:
            if isinstance(a, ast.Starred):
                raise self.refuse(a, "starred arguments are not allowed")
        case = self._case_keyword(node, method)
        if method in ("isna", "notna"):
            if node.args:
                raise self.refuse(node, f"{method}() takes no argument")
            self.missing_tested.add(column)
            return Call(method, column)
        if len(node.args) != 1:
            raise self.refuse(node, f"{method}() takes exactly one argument")
        if method == "isin":
            return Call(method, column, self._literal_list(node.args[0]))
        arg = node.args[0]
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
            raise self.refuse(arg, f"{method}() takes one literal 'text'")
        return Call(method, column, arg.value, case)

    def _call_target(self, node: ast.Call) -> tuple[str, str]:
        """The allowed method a call names (``isin``, ``str.contains``, ...) and the column
        it is called on; any other call is refused."""
        func = node.func
        method: str | None = None
        target: ast.AST | None = None
        if isinstance(func, ast.Attribute) and func.attr in _CALLS:
            method, target = func.attr, func.value
        elif (
            isinstance(func, ast.Attribute)
            and func.attr in _STR_CALLS
            and isinstance(func.value, ast.Attribute)
            and func.value.attr == "str"
        ):
            method, target = f"str.{func.attr}", func.value.value
        why = (
            "calls are allowed only as col.isin/isna/notna(...) or "
            "col.str.contains/startswith/endswith(...) on a column"
        )
        if method is None:
            if isinstance(func, ast.Name):
                raise self.refuse(func, why)
            # name the innermost part not allowed ('amount.__class__' in a longer chain);
            # when what is called is itself allowed (amount.isna()()), refuse the call
            self.convert(func)
            raise self.refuse(func, why)
        if not isinstance(target, ast.Name):
            if target is not None:
                self.convert(target)  # e.g. 'amount.values': refuse the innermost part
            raise self.refuse(target or node, "these calls apply to a column name only")
        return method, self._column(target)

    def _case_keyword(self, node: ast.Call, method: str) -> bool:
        """The call's ``case=`` (True when not given): the only keyword, in str.contains."""
        case = True
        for kw in node.keywords:
            if kw.arg != "case" or method != "str.contains":
                raise self.refuse(kw, "the only keyword allowed is case= in str.contains")
            if not (isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, bool)):
                raise self.refuse(kw.value, "case= takes True or False")
            case = kw.value.value
        return case


def _depth(tree: ast.AST) -> int:
    """Nesting depth of `tree`, without recursion (the tree may be very deep)."""
    deepest = 0
    stack = [(tree, 1)]
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        stack.extend((child, d + 1) for child in ast.iter_child_nodes(node))
    return deepest


@dataclass(frozen=True)
class Policy:
    """A parsed policy: evaluate it on a frame with `evaluate`.

    ``columns`` are the columns it reads, in order of first use; ``missing_tested`` those
    it tests with ``isna()`` / ``notna()`` (there the policy itself decides what a missing
    value means); ``nan_sensitive`` the others, where a missing value leaves the policy
    unable to decide.
    """

    name: str
    text: str
    root: Node = field(repr=False)
    columns: tuple[str, ...] = ()
    missing_tested: frozenset[str] = frozenset()

    @property
    def nan_sensitive(self) -> tuple[str, ...]:
        return tuple(c for c in self.columns if c not in self.missing_tested)

    def check_columns(self, df: pd.DataFrame) -> None:
        """A PolicyError naming the policy and the first column `df` does not have."""
        for column in self.columns:
            if column not in df.columns:
                cols = ", ".join(map(repr, list(df.columns)[:20]))
                more = ", ..." if len(df.columns) > 20 else ""
                raise PolicyError(
                    f"policy {self.name!r}: unknown column {column!r} in {self.text!r} "
                    f"(columns: {cols}{more})"
                )

    def evaluate(self, df: pd.DataFrame) -> pd.Series:
        """The policy's value on every row of `df` (a Series on df's index).

        Raises PolicyError for an unknown column or when an operation fails on the data
        (comparing text with a number, ``.str`` on a numeric column, ...)."""
        self.check_columns(df)
        try:
            out = _Evaluator(df, self.name).value(self.root)
        except PolicyError:
            raise
        except Exception as exc:
            raise PolicyError(
                f"policy {self.name!r}: the expression {self.text!r} failed on the frame: "
                f"{type(exc).__name__}: {exc}"
            ) from None
        if not isinstance(out, pd.Series):  # no column involved: the same for every row
            out = pd.Series([out] * len(df), index=df.index, dtype=object)
        return out


def parse_policy(text: str, name: str | None = None) -> Policy:
    """Parse and check a policy expression; a PolicyError names the offending part."""
    name = text if name is None else name
    if not isinstance(text, str):
        raise PolicyError(f"policy {name!r}: expected a str expression, got {type(text).__name__}")
    if not text.strip():
        raise PolicyError(f"policy {name!r}: empty expression")
    if len(text) > MAX_LENGTH:
        raise PolicyError(
            f"policy {name!r}: the expression is {len(text):,} characters long; at most "
            f"{MAX_LENGTH:,} are allowed"
        )
    src = _rewrite(name, text)
    lead = len(src.text) - len(src.text.lstrip())  # Python refuses leading indentation
    if lead:
        src.text, src.origin = src.text[lead:], src.origin[lead:]
    try:
        with warnings.catch_warnings():
            # the parser's warnings ('1and', 'x is 1') are about Python code; a refusal
            # or the tree below says what matters about a policy
            warnings.simplefilter("ignore", SyntaxWarning)
            tree = ast.parse(src.text, mode="eval")
    except SyntaxError as exc:
        raise PolicyError(f"policy {name!r}: the expression {text!r} does not parse ({exc.msg})") from None
    except ValueError as exc:  # e.g. a null byte, or an integer literal of 5,000 digits
        raise PolicyError(f"policy {name!r}: the expression {text!r} does not parse ({exc})") from None
    except (RecursionError, MemoryError):  # the parser's own limits on nesting
        raise PolicyError(
            f"policy {name!r}: the expression is too deeply nested (at most {MAX_DEPTH} levels)"
        ) from None
    if _depth(tree) > MAX_DEPTH:
        raise PolicyError(
            f"policy {name!r}: the expression is too deeply nested (at most {MAX_DEPTH} levels)"
        )
    conv = _Converter(name, src)
    root = conv.convert(tree.body)
    return Policy(name, text, root, tuple(conv.columns), frozenset(conv.missing_tested))


# -- evaluation ------------------------------------------------------------------------------
def _logical(v: Any) -> Any:
    """Object columns of True/False/missing as pandas' nullable boolean, so that not, ~,
    and, or treat a missing value as unknown instead of failing on it."""
    if isinstance(v, pd.Series) and v.dtype == object:
        try:
            return v.astype("boolean")
        except (TypeError, ValueError):
            return v
    return v


_NUMERIC_KINDS = {"integer", "floating", "mixed-integer-float", "decimal", "boolean", "empty"}


def _is_text(v: Any) -> bool:
    """Whether `v` is text (a str, or a column that is not numeric, boolean nor time)."""
    if isinstance(v, str):
        return True
    if not isinstance(v, pd.Series):
        return False
    if v.dtype == object:
        return pd.api.types.infer_dtype(v, skipna=True) not in _NUMERIC_KINDS
    return not (
        pd.api.types.is_numeric_dtype(v.dtype)
        or pd.api.types.is_bool_dtype(v.dtype)
        or pd.api.types.is_datetime64_any_dtype(v.dtype)
        or pd.api.types.is_timedelta64_dtype(v.dtype)
    )


class _Evaluator:
    """Walks our node tree over one frame; values are Series (per row) or Python scalars."""

    def __init__(self, df: pd.DataFrame, name: str) -> None:
        self.df = df
        self.name = name

    def column(self, name: str) -> pd.Series:
        s = self.df[name]
        if isinstance(s, pd.DataFrame):
            raise PolicyError(
                f"policy {self.name!r}: the column {name!r} appears more than once in the frame"
            )
        return s

    def value(self, node: Node) -> Any:
        if isinstance(node, Col):
            return self.column(node.name)
        if isinstance(node, Lit):
            return node.value
        if isinstance(node, Compare):
            return self._compare(node)
        if isinstance(node, Logical):
            values = [_logical(self.value(v)) for v in node.operands]
            f = operator.and_ if node.op == "and" else operator.or_
            out = values[0]
            for v in values[1:]:  # element by element, as pandas evaluates and / or
                out = f(out, v)
            return out
        if isinstance(node, Unary):
            v = self.value(node.operand)
            if node.op in ("not", "~"):
                v = _logical(v)
                if isinstance(v, (bool, np.bool_)) or (node.op == "not" and not isinstance(v, pd.Series)):
                    return not v
                return ~v
            if _is_text(v):
                raise PolicyError(f"policy {self.name!r}: unary {node.op} is not defined on text")
            return -v if node.op == "-" else +v
        if isinstance(node, Arith):
            left, right = self.value(node.left), self.value(node.right)
            # arithmetic other than joining runs Python's str operators per row: 'x' * n
            # repeats, '%' formats; a policy has no use for them, and they can be costly
            if node.op != "+" and (_is_text(left) or _is_text(right)):
                raise PolicyError(
                    f"policy {self.name!r}: {node.op} is not defined on text; only + joins text"
                )
            return _ARITH_FUNCS[node.op](left, right)
        if isinstance(node, Call):
            return self._call(node)
        raise TypeError(f"unknown node {node!r}")  # pragma: no cover

    def _compare(self, node: Compare) -> Any:
        left = self.value(node.left)
        out: Any = None
        r: Any
        for op, right_node in node.pairs:
            right = self.value(right_node)
            if op in ("in", "not in"):
                values = list(right)
                if isinstance(left, pd.Series):
                    r = left.isin(values)
                    r = ~r if op == "not in" else r
                else:
                    r = (left in values) == (op == "in")
            else:
                r = _CMP_FUNCS[op](left, right)
            out = r if out is None else operator.and_(out, r)
            left = right  # chained: a < b < c is a < b and b < c
        return out

    def _call(self, node: Call) -> pd.Series:
        s = self.column(node.column)
        if node.method == "isna":
            return s.isna()
        if node.method == "notna":
            return s.notna()
        if node.method == "isin":
            return s.isin(list(node.arg))
        acc = s.str
        if node.method == "str.contains":
            return acc.contains(node.arg, case=node.case, regex=False)
        if node.method == "str.startswith":
            return acc.startswith(node.arg)
        return acc.endswith(node.arg)
