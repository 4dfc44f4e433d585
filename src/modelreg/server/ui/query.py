"""The catalog's search: the filter grammar of ``docs/search.md`` plus the form's controls.

The search box takes the same grammar as ``GET /api/v1/models?filter=``. The owner, tag and
alias controls and the sort menu are turned into grammar too and combined with the box's filter
as parsed trees, never by pasting strings, then written back as one filter for
``Registry.search_models``. One convenience sits on top: a box holding a single bare word that
is not a valid filter (``fraud``) searches names and descriptions containing it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from modelreg.domain.errors import InvalidArgumentError, InvalidFilterError
from modelreg.domain.filters import (
    BoolOp,
    Comparison,
    Expr,
    Field,
    OrderItem,
    Query,
    Scalar,
    Target,
    Value,
    parse_query,
)

# The sort menu: value -> (label, ordering). "" keeps the filter's own ORDER BY, else by name.
# Every choice sorts by a plain column; ORDER BY latest_version stays available in the search box
# but is left out of the menu, as it costs a correlated max() per model (see docs/ui.md).
SORTS: dict[str, tuple[str, tuple[OrderItem, ...]]] = {
    "": ("Name (A\u2013Z)", ()),
    "-name": ("Name (Z\u2013A)", (OrderItem(Field("attr", "name"), descending=True),)),
    "-updated_at": ("Recently updated", (OrderItem(Field("attr", "updated_at"), True),)),
    "-created_at": ("Newest", (OrderItem(Field("attr", "created_at"), True),)),
}

_BARE_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass(frozen=True)
class CatalogSearch:
    """What the catalog form asked for."""

    text: str = ""
    owner: str = ""
    tag: str = ""
    alias: str = ""
    sort: str = ""


@dataclass(frozen=True)
class CompiledSearch:
    filter: str
    note: str | None = None  # set when the box was read as a plain word


def compile_search(search: CatalogSearch) -> CompiledSearch:
    """One filter for ``search``; ``InvalidFilterError`` (positions in the box's text) if the
    box is not a valid filter, ``InvalidArgumentError`` for a control the grammar refuses."""
    text = search.text.strip()
    note = None
    try:
        query = parse_query(text, Target.MODELS)
    except InvalidFilterError:
        if not _BARE_WORD.fullmatch(text):
            raise
        query = Query(where=_contains(text))
        note = (
            f"Showing models whose name or description contains “{text}”. "
            "Use the filter grammar for exact searches, e.g. name = '…'."
        )
    conditions = [query.where] if query.where is not None else []
    if search.owner.strip():
        conditions.append(Comparison(Field("attr", "owner"), "=", search.owner.strip()))
    if search.alias.strip():
        conditions.append(Comparison(Field("attr", "alias"), "=", search.alias.strip()))
    if search.tag.strip():
        conditions.append(_tag_condition(search.tag.strip()))
    where: Expr | None = None
    if len(conditions) == 1:
        where = conditions[0]
    elif conditions:
        where = BoolOp("AND", tuple(conditions))
    order_by = query.order_by
    if search.sort in SORTS and (search.sort or not order_by):
        order_by = SORTS[search.sort][1]
    combined = format_query(replace(query, where=where, order_by=order_by))
    try:
        parse_query(combined, Target.MODELS)  # the controls' values must make a valid filter too
    except InvalidFilterError as error:
        raise InvalidArgumentError(
            f"the owner, tag or alias box does not make a valid filter: {error.message}"
        ) from error
    return CompiledSearch(combined, note)


def _contains(word: str) -> Expr:
    pattern = "%" + re.sub(r"([\\%_])", r"\\\1", word) + "%"
    return BoolOp(
        "OR",
        (
            Comparison(Field("attr", "name"), "ILIKE", pattern),
            Comparison(Field("attr", "description"), "ILIKE", pattern),
        ),
    )


def _tag_condition(text: str) -> Comparison:
    """``key=value`` matches the tag's value; a bare ``key`` matches models having the tag."""
    key, sep, value = text.partition("=")
    if not sep:
        return Comparison(Field("tag", key.strip()), "IS NOT NULL", None)
    return Comparison(Field("tag", key.strip()), "=", value.strip())


# -- writing parsed filters back as text -------------------------------------------------------


def format_query(query: Query) -> str:
    """The filter text of ``query``; parsing it gives ``query`` back."""
    parts = []
    if query.where is not None:
        parts.append(format_expr(query.where))
    if query.order_by:
        items = ", ".join(
            f"{item.field}{' DESC' if item.descending else ''}" for item in query.order_by
        )
        parts.append(f"ORDER BY {items}")
    if query.limit is not None:
        parts.append(f"LIMIT {query.limit}")
    return " ".join(parts)


def format_expr(expr: Expr) -> str:
    if isinstance(expr, BoolOp):
        return f" {expr.op} ".join(
            f"({format_expr(part)})" if isinstance(part, BoolOp) else format_expr(part)
            for part in expr.operands
        )
    if expr.op in {"IS NULL", "IS NOT NULL"}:
        return f"{expr.field} {expr.op}"
    return f"{expr.field} {expr.op} {_format_value(expr.value)}"


def _format_value(value: Value) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(_format_scalar(item) for item in value) + ")"
    if value is None:
        raise ValueError("a NULL value is written with IS NULL")
    return _format_scalar(value)


def _format_scalar(value: Scalar) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(value)
