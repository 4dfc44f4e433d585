"""The search-filter language for registered models and model versions.

A filter selects, orders and limits search results::

    name = 'credit-risk' AND metrics.auc > 0.9 ORDER BY metrics.auc DESC LIMIT 10

Grammar (keywords are case-insensitive; so are field names and prefixes, but not keys)::

    query      := [expr] [ORDER BY order_item {"," order_item}] [LIMIT integer]
    expr       := and_expr {OR and_expr}
    and_expr   := unary {AND unary}
    unary      := "(" expr ")" | comparison
    comparison := field op value
                | field [NOT] IN "(" value {"," value} ")"
                | field IS [NOT] NULL
    op         := = | == | != | <> | < | <= | > | >= | [NOT] LIKE | [NOT] ILIKE
    field      := attribute | prefix "." key
    prefix     := tags | tag | params | param | metrics | metric
    key        := [A-Za-z0-9_.-/:]+ | `back-quoted` | "double-quoted"
    value      := 'single-quoted string' | number
    order_item := field [ASC | DESC]

AND binds tighter than OR; use parentheses to group. ``==`` means ``=`` and ``<>`` means ``!=``.
An empty (or blank) filter matches everything; a filter may also be only ``ORDER BY ...`` and/or
``LIMIT n``.

Keys
    Everything after the first dot is the key, so ``metrics.val.auc`` is the metric ``val.auc``.
    Quote keys holding other characters: ``tags.`mlflow.prompt.is_prompt` != 'true'`` or
    ``params."batch size" = '32'``. Inside quotes, double the quote character to include it.

Values
    Strings use single quotes, with ``''`` for a quote inside: ``description = 'it''s new'``.
    Numbers are integers or decimals with an optional sign and exponent: ``-1``, ``0.5``, ``1e-3``.
    A bare number compared with a string field (tags, params, ``run_id`` ...) means its source text:
    ``params.lr = 0.01`` is ``params.lr = '0.01'``.

Fields by target
    models:   name, description, owner, created_at, updated_at, alias, latest_version, tags.<key>
    versions: name (the model's name), version, status, description, created_by, created_at,
              updated_at, alias, run_id, experiment_id, source_commit, parent_version, archived,
              mlflow_source (the URI an MLflow client registered the version from, such as
              ``runs:/<run id>/model``; missing for pushes), tags.<key>, params.<key>,
              metrics.<key>

Type rules
    * ``metrics.*``, ``version``, ``parent_version`` and ``latest_version`` (the highest READY
      version of a model) compare with numbers only.
    * ``created_at`` and ``updated_at`` compare with a quoted ISO-8601 timestamp such as
      ``'2024-05-01'`` or ``'2024-05-01T12:00:00+02:00'``; a trailing ``Z`` means UTC and a
      timestamp without an offset is taken as UTC.
    * LIKE and ILIKE (case-insensitive) apply to string fields only. ``%`` matches any run of
      characters, ``_`` one character, and ``\\`` escapes the next character (``'50\\%'``).
    * ``status`` is one of PENDING, READY, FAILED (any case) and supports ``=``, ``!=``, IN, NOT IN.
    * ``alias`` supports ``=``, ``!=``, IN and NOT IN: ``alias = 'prod'`` matches the version
      (or model) carrying that alias, ``alias != 'prod'`` the ones that do not. It cannot be
      used in ORDER BY.
    * ``archived`` compares with ``true`` or ``false`` (``=`` and ``!=``; not in ORDER BY).
      Version searches and listings leave archived versions out unless the filter names
      ``archived`` or the caller asks to include them.

Missing values
    A comparison never matches a missing value: ``tags.team != 'ml'`` matches the rows that
    have a ``team`` tag with another value (as MLflow does). Use ``tags.team IS NULL`` for rows
    without the key and ``IS NOT NULL`` for rows with it. In ORDER BY, missing values sort last
    in both directions.

LIMIT takes a positive integer no larger than the caller's maximum (10,000 by default).

Errors raise :class:`~modelreg.domain.errors.InvalidFilterError` naming the problem and its
0-based character position (also given as ``details["position"]``).
"""

from __future__ import annotations

import enum
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, NoReturn, TypeAlias

from modelreg.domain.errors import InvalidFilterError

__all__ = [
    "FIELD_HELP",
    "OPERATORS",
    "BoolOp",
    "Comparison",
    "Expr",
    "Field",
    "FieldKind",
    "OrderItem",
    "Query",
    "Scalar",
    "Target",
    "Value",
    "mentions",
    "parse_query",
]


class Target(enum.StrEnum):
    """What a filter searches."""

    MODELS = "models"
    VERSIONS = "versions"


FieldKind: TypeAlias = Literal["attr", "tag", "param", "metric"]
Scalar: TypeAlias = str | float | int
Value: TypeAlias = Scalar | tuple[Scalar, ...] | None


@dataclass(frozen=True, slots=True)
class Field:
    """An attribute (``kind="attr"``, ``key`` is its name) or a tag, param or metric key."""

    kind: FieldKind
    key: str

    def __str__(self) -> str:
        if self.kind == "attr":
            return self.key
        if _WORD_RE.fullmatch(self.key):
            return f"{self.kind}s.{self.key}"
        return f"{self.kind}s.`{self.key.replace('`', '``')}`"


@dataclass(frozen=True, slots=True)
class Comparison:
    """``field op value``. ``op`` is one of :data:`OPERATORS`; ``value`` is a tuple for IN and
    NOT IN, ``None`` for IS NULL and IS NOT NULL, and a normalized UTC ISO string for timestamps.
    """

    field: Field
    op: str
    value: Value


@dataclass(frozen=True, slots=True)
class BoolOp:
    op: Literal["AND", "OR"]
    operands: tuple[Expr, ...]


Expr: TypeAlias = Comparison | BoolOp


@dataclass(frozen=True, slots=True)
class OrderItem:
    field: Field
    descending: bool = False


@dataclass(frozen=True, slots=True)
class Query:
    where: Expr | None = None
    order_by: tuple[OrderItem, ...] = ()
    limit: int | None = None


OPERATORS = (
    "=", "!=", "<", "<=", ">", ">=", "LIKE", "NOT LIKE", "ILIKE", "NOT ILIKE",
    "IN", "NOT IN", "IS NULL", "IS NOT NULL",
)  # fmt: skip


class _Type(enum.Enum):
    STRING = "string"
    NUMBER = "number"
    TIMESTAMP = "timestamp"
    STATUS = "status"
    ALIAS = "alias"
    BOOLEAN = "boolean"


_COMPARABLE = frozenset({"=", "!=", "<", "<=", ">", ">=", "IN", "NOT IN", "IS NULL", "IS NOT NULL"})
_ALLOWED_OPS: dict[_Type, frozenset[str]] = {
    _Type.STRING: frozenset(OPERATORS),
    _Type.NUMBER: _COMPARABLE,
    _Type.TIMESTAMP: _COMPARABLE,
    _Type.STATUS: frozenset({"=", "!=", "IN", "NOT IN"}),
    _Type.ALIAS: frozenset({"=", "!=", "IN", "NOT IN"}),
    _Type.BOOLEAN: frozenset({"=", "!="}),
}
_ATTRIBUTES: dict[Target, dict[str, _Type]] = {
    Target.MODELS: {
        "name": _Type.STRING,
        "description": _Type.STRING,
        "owner": _Type.STRING,
        "created_at": _Type.TIMESTAMP,
        "updated_at": _Type.TIMESTAMP,
        "alias": _Type.ALIAS,
        "latest_version": _Type.NUMBER,
    },
    Target.VERSIONS: {
        "name": _Type.STRING,
        "version": _Type.NUMBER,
        "status": _Type.STATUS,
        "description": _Type.STRING,
        "created_by": _Type.STRING,
        "created_at": _Type.TIMESTAMP,
        "updated_at": _Type.TIMESTAMP,
        "alias": _Type.ALIAS,
        "run_id": _Type.STRING,
        "experiment_id": _Type.STRING,
        "source_commit": _Type.STRING,
        "parent_version": _Type.NUMBER,
        "archived": _Type.BOOLEAN,
        "mlflow_source": _Type.STRING,
    },
}
_PREFIXES: dict[str, FieldKind] = {
    "tags": "tag", "tag": "tag", "params": "param", "param": "param",
    "metrics": "metric", "metric": "metric",
}  # fmt: skip
_KIND_TYPES: dict[FieldKind, _Type] = {
    "tag": _Type.STRING,
    "param": _Type.STRING,
    "metric": _Type.NUMBER,
}
_TARGET_KINDS: dict[Target, tuple[FieldKind, ...]] = {
    Target.MODELS: ("tag",),
    Target.VERSIONS: ("tag", "param", "metric"),
}
_STATUSES = ("PENDING", "READY", "FAILED")

FIELD_HELP: dict[Target, str] = {
    target: ", ".join([*_ATTRIBUTES[target], *(f"{kind}s.<key>" for kind in _TARGET_KINDS[target])])
    for target in Target
}
"""The fields each target can filter and order by, as one line for error messages and help."""

_WORD_RE = re.compile(r"[A-Za-z0-9_.\-/:]+")
_SYMBOL_OP_RE = re.compile(r"==|!=|<>|<=|>=|=|<|>")
_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_MAX_DEPTH = 64


def parse_query(text: str, target: Target, *, max_limit: int = 10_000) -> Query:
    """Parse and validate ``text`` for ``target``; raise ``InvalidFilterError`` if it is wrong."""
    return _Parser(text, Target(target), max_limit).parse()


class _Parser:
    def __init__(self, text: str, target: Target, max_limit: int) -> None:
        self.text = text
        self.target = target
        self.max_limit = max_limit
        self.pos = 0
        self.depth = 0

    # -- query structure --------------------------------------------------------------------

    def parse(self) -> Query:
        where: Expr | None = None
        if not self._at_end() and self._peek_keyword() not in {"ORDER", "LIMIT"}:
            where = self._expr()
        order_by: tuple[OrderItem, ...] = ()
        if self._keyword("ORDER"):
            if not self._keyword("BY"):
                self._fail(f"expected BY after ORDER at {self._where()}")
            order_by = self._order_items()
        limit = self._limit() if self._keyword("LIMIT") else None
        if not self._at_end():
            expected = "AND, OR, ORDER BY, LIMIT or the end of the filter"
            if order_by:
                expected = "',', ASC, DESC, LIMIT or the end of the filter"
            if limit is not None:
                expected = "the end of the filter"
            self._fail(
                f"unexpected {self._next_text()} at position {self.pos}; expected {expected}"
            )
        return Query(where=where, order_by=order_by, limit=limit)

    def _expr(self) -> Expr:
        operands = [self._and_expr()]
        while self._keyword("OR"):
            operands.append(self._and_expr())
        return operands[0] if len(operands) == 1 else BoolOp("OR", tuple(operands))

    def _and_expr(self) -> Expr:
        operands = [self._unary()]
        while self._keyword("AND"):
            operands.append(self._unary())
        return operands[0] if len(operands) == 1 else BoolOp("AND", tuple(operands))

    def _unary(self) -> Expr:
        self._skip_ws()
        if not self._char("("):
            return self._comparison()
        opened = self.pos - 1
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            self._fail(f"parentheses nested deeper than {_MAX_DEPTH} at position {opened}", opened)
        expr = self._expr()
        self._skip_ws()
        if not self._char(")"):
            self._fail(
                f"expected ')' to close the '(' at position {opened}, "
                f"found {self._next_text()} at position {self.pos}"
            )
        self.depth -= 1
        return expr

    def _order_items(self) -> tuple[OrderItem, ...]:
        items = []
        while True:
            field, ftype, start = self._field()
            if ftype in (_Type.ALIAS, _Type.BOOLEAN):
                self._fail(f"{field} cannot be used in ORDER BY (position {start})", start)
            descending = self._keyword("DESC") is not None
            if not descending:
                self._keyword("ASC")
            items.append(OrderItem(field, descending))
            self._skip_ws()
            if not self._char(","):
                return tuple(items)

    def _limit(self) -> int:
        self._skip_ws()
        start = self.pos
        found = self._next_text() if start < len(self.text) else "nothing"
        number = self._number()
        if number is None or not isinstance(number[0], int) or number[0] <= 0:
            self._fail(
                f"LIMIT must be a positive integer, found {found} at position {start}", start
            )
        if number[0] > self.max_limit:
            self._fail(
                f"LIMIT {number[0]} at position {start} exceeds the maximum of {self.max_limit}",
                start,
            )
        return number[0]

    # -- comparisons --------------------------------------------------------------------------

    def _comparison(self) -> Comparison:
        field, ftype, _ = self._field()
        self._skip_ws()
        op_pos = self.pos
        op = self._operator()
        if op is None:
            self._fail(f"expected an operator after '{field}' at {self._where()}")
        if op not in _ALLOWED_OPS[ftype]:
            allowed = ", ".join(o for o in OPERATORS if o in _ALLOWED_OPS[ftype])
            self._fail(
                f"operator '{op}' is not supported for '{field}' at position {op_pos}; "
                f"use one of: {allowed}",
                op_pos,
            )
        if op in {"IS NULL", "IS NOT NULL"}:
            return Comparison(field, op, None)
        if op in {"IN", "NOT IN"}:
            return Comparison(field, op, self._value_list(field, ftype, op))
        return Comparison(field, op, self._checked_value(field, ftype, op))

    def _operator(self) -> str | None:
        match = _SYMBOL_OP_RE.match(self.text, self.pos)
        if match:
            self.pos = match.end()
            return {"==": "=", "<>": "!="}.get(match.group(), match.group())
        if self._keyword("IS"):
            negated = self._keyword("NOT")
            if not self._keyword("NULL"):
                self._fail(f"expected NULL after IS{' NOT' if negated else ''} at {self._where()}")
            return "IS NOT NULL" if negated else "IS NULL"
        negated = self._keyword("NOT")
        word = self._keyword("LIKE", "ILIKE", "IN")
        if word is None:
            if negated:
                self._fail(f"expected LIKE, ILIKE or IN after NOT at {self._where()}")
            return None
        return f"NOT {word}" if negated else word

    def _value_list(self, field: Field, ftype: _Type, op: str) -> tuple[Scalar, ...]:
        self._skip_ws()
        opened = self.pos
        if not self._char("("):
            self._fail(f"expected '(' after {op} at {self._where()}")
        self._skip_ws()
        if self._char(")"):
            self._fail(f"empty {op} list at position {opened}; give at least one value", opened)
        values = [self._checked_value(field, ftype, op)]
        while True:
            self._skip_ws()
            if self._char(")"):
                return tuple(values)
            if not self._char(","):
                self._fail(f"expected ',' or ')' in the {op} list at {self._where()}")
            values.append(self._checked_value(field, ftype, op))

    def _checked_value(self, field: Field, ftype: _Type, op: str) -> Scalar:
        """Read one value and check and normalize it for ``field``."""
        self._skip_ws()
        start = self.pos
        if ftype is _Type.BOOLEAN:
            word = self._keyword("TRUE", "FALSE")
            if word is None:
                self._fail(f"'{field}' compares with true or false, at {self._where()}", start)
            return word == "TRUE"
        value, raw = self._value(op)
        if ftype is _Type.NUMBER:
            if isinstance(value, str):
                self._fail(
                    f"'{field}' compares with numbers only, found a string at position {start}",
                    start,
                )
            return value
        if ftype is _Type.TIMESTAMP:
            if not isinstance(value, str):
                self._fail(
                    f"'{field}' compares with a quoted ISO-8601 timestamp such as "
                    f"'2024-05-01T12:00:00Z', found {raw} at position {start}",
                    start,
                )
            return _normalize_timestamp(value, start, self.text)
        if ftype is _Type.STATUS:
            if not isinstance(value, str) or value.upper() not in _STATUSES:
                self._fail(
                    f"invalid status {raw} at position {start}; expected one of: "
                    + ", ".join(_STATUSES),
                    start,
                )
            return value.upper()
        text = value if isinstance(value, str) else raw
        if op.endswith("LIKE") and re.search(r"(?<!\\)(?:\\\\)*\\\Z", text):
            self._fail(
                f"LIKE pattern at position {start} ends with a lone escape character '\\'", start
            )
        return text

    def _value(self, after: str) -> tuple[Scalar, str]:
        """Read a string or number; return it and its source text."""
        start = self.pos
        if self._char("'"):
            parts = []
            while True:
                end = self.text.find("'", self.pos)
                if end < 0:
                    self._fail(f"unterminated string starting at position {start}", start)
                parts.append(self.text[self.pos : end])
                self.pos = end + 1
                if not self._char("'"):
                    return "'".join(parts), self.text[start : self.pos]
        number = self._number()
        if number is not None:
            return number
        if self.text.startswith('"', self.pos):
            self._fail(f'string values use single quotes, not ", at position {start}', start)
        raise self._error(f"expected a value after '{after}' at {self._where()}")

    def _number(self) -> tuple[int | float, str] | None:
        match = _NUMBER_RE.match(self.text, self.pos)
        if match is None:
            return None
        raw = match.group()
        if _WORD_RE.match(self.text, match.end()):
            self._fail(f"invalid number {self._next_text()} at position {self.pos}")
        self.pos = match.end()
        if re.fullmatch(r"[+-]?\d+", raw):
            return int(raw), raw
        number = float(raw)
        if not math.isfinite(number):
            self._fail(f"number {raw} at position {match.start()} is out of range", match.start())
        return number, raw

    # -- fields -------------------------------------------------------------------------------

    def _field(self) -> tuple[Field, _Type, int]:
        self._skip_ws()
        start = self.pos
        match = _WORD_RE.match(self.text, self.pos)
        if match is None:
            self._fail(f"expected a field name at {self._where()}")
        word = match.group()
        self.pos = match.end()
        prefix, dot, key = word.partition(".")
        if not dot:
            ftype = _ATTRIBUTES[self.target].get(word.lower())
            if ftype is None:
                self._unknown_field(word, start)
            return Field("attr", word.lower()), ftype, start
        kind = _PREFIXES.get(prefix.lower())
        if kind is None or kind not in _TARGET_KINDS[self.target]:
            self._unknown_field(word, start)
        if not key:
            quote = self.text[self.pos : self.pos + 1]
            if quote not in {"`", '"'}:
                self._fail(f"missing key after '{word}' at position {start}", start)
            key = self._quoted_key(quote)
        return Field(kind, key), _KIND_TYPES[kind], start

    def _quoted_key(self, quote: str) -> str:
        start = self.pos
        self.pos += 1
        parts = []
        while True:
            end = self.text.find(quote, self.pos)
            if end < 0:
                self._fail(f"unterminated quoted key starting at position {start}", start)
            parts.append(self.text[self.pos : end])
            self.pos = end + 1
            if not self._char(quote):
                break
        key = quote.join(parts)
        if not key:
            self._fail(f"empty key at position {start}", start)
        return key

    def _unknown_field(self, word: str, start: int) -> NoReturn:
        self._fail(
            f"unknown field '{word}' at position {start}; "
            f"expected one of: {FIELD_HELP[self.target]}",
            start,
        )

    # -- scanning -----------------------------------------------------------------------------

    def _skip_ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def _at_end(self) -> bool:
        self._skip_ws()
        return self.pos >= len(self.text)

    def _char(self, char: str) -> bool:
        if self.text.startswith(char, self.pos):
            self.pos += len(char)
            return True
        return False

    def _peek_keyword(self) -> str | None:
        self._skip_ws()
        match = _WORD_RE.match(self.text, self.pos)
        return match.group().upper() if match else None

    def _keyword(self, *names: str) -> str | None:
        """Consume the next word if it is one of ``names`` (any case); return it upper-cased."""
        word = self._peek_keyword()
        if word in names:
            self.pos += len(word)
            return word
        return None

    def _next_text(self) -> str:
        if self.pos >= len(self.text):
            return "the end of the filter"
        match = _WORD_RE.match(self.text, self.pos)
        return repr(match.group() if match else self.text[self.pos])

    def _where(self) -> str:
        """Describe the current position, e.g. "position 12" or "the end (position 20)"."""
        if self.pos >= len(self.text):
            return f"the end of the filter (position {self.pos})"
        return f"position {self.pos}"

    def _fail(self, message: str, at: int | None = None) -> NoReturn:
        raise self._error(message, at)

    def _error(self, message: str, at: int | None = None) -> InvalidFilterError:
        position = self.pos if at is None else at
        return InvalidFilterError(message, position=position, filter=self.text)


def mentions(expr: Expr | None, field: Field) -> bool:
    """Whether ``field`` appears anywhere in the condition ``expr``."""
    if expr is None:
        return False
    if isinstance(expr, BoolOp):
        return any(mentions(operand, field) for operand in expr.operands)
    return expr.field == field


def _normalize_timestamp(value: str, start: int, text: str) -> str:
    raw = value.strip()
    if raw[-1:] in {"Z", "z"}:
        raw = raw[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidFilterError(
            f"invalid timestamp '{value}' at position {start}; expected ISO-8601 "
            "such as '2024-05-01' or '2024-05-01T12:00:00Z'",
            position=start,
            filter=text,
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()
