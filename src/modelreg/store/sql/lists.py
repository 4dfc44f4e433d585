"""Membership in a list bound as one parameter: ``member_of(column, bindparam("ids", ...))``.

SQLAlchemy's expanding ``IN`` renders one placeholder per element at every execution, so the
statement cannot be cached whole: for a page of 100 versions, rendering its ids took more time
than the database took to answer, and every distinct length is a new statement for SQLite to
prepare. A list bound as one value keeps the SQL fixed: SQLite reads it as a JSON array
(``json_each``), PostgreSQL as an array (``= ANY``). Both plan it as lookups of the column's
index, as they do a literal ``IN``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Integer, String, TypeDecorator
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import CompileError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import NullType, TypeEngine


class _ListOf(TypeDecorator[list[Any]]):
    """A list parameter: JSON text for SQLite, an array for PostgreSQL."""

    impl = String
    cache_ok = True
    item: TypeEngine[Any] = String()

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(self.item))
        return dialect.type_descriptor(String())

    def process_bind_param(self, value: Iterable[Any] | None, dialect: Dialect) -> Any:
        items = list(value or ())
        return items if dialect.name == "postgresql" else json.dumps(items)


class IntegerList(_ListOf):
    cache_ok = True
    item = Integer()


class TextList(_ListOf):
    cache_ok = True
    item = String()


class member_of(FunctionElement[Any]):
    """``column`` is one of the values of the list parameter (``IntegerList``/``TextList``)."""

    # Not Boolean: SQLite has no boolean type, and SQLAlchemy would compare a Boolean
    # function with 1 in a WHERE clause, which hides the IN from the planner.
    type: TypeEngine[Any] = NullType()
    inherit_cache = True
    name = "member_of"


@compiles(member_of, "sqlite")
def _sqlite(element: member_of, compiler: SQLCompiler, **kw: Any) -> str:
    column, values = list(element.clauses)
    # Both parts are compiled SQL (a column and a placeholder), never values.
    inner = f"SELECT value FROM json_each({compiler.process(values, **kw)})"  # noqa: S608
    return f"{compiler.process(column, **kw)} IN ({inner})"


@compiles(member_of, "postgresql")
def _postgresql(element: member_of, compiler: SQLCompiler, **kw: Any) -> str:
    column, values = list(element.clauses)
    return f"{compiler.process(column, **kw)} = ANY({compiler.process(values, **kw)})"


@compiles(member_of)
def _other(element: member_of, compiler: SQLCompiler, **kw: Any) -> str:
    # ``str(statement)`` (SQLAlchemy's default dialect) shows it; other databases are not
    # supported, and an IN over one JSON text would silently match nothing there.
    if compiler.dialect.name != "default":
        raise CompileError(
            f"member_of is written for SQLite and PostgreSQL, not {compiler.dialect.name}"
        )
    column, values = list(element.clauses)
    return f"{compiler.process(column, **kw)} IN ({compiler.process(values, **kw)})"
