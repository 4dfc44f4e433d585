"""Lists bound as one parameter (``store/sql/lists.py``), on SQLite and PostgreSQL: the same
members as an ``IN`` of the values, and one SQL text whatever the list's length."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    create_engine,
    event,
    insert,
    select,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.exc import CompileError

from modelreg.store.sql.lists import IntegerList, TextList, member_of

metadata = MetaData()
things = Table(
    "list_things", metadata, Column("id", Integer, primary_key=True), Column("name", String(64))
)
NAMES = ["plain", "it's", 'say "hi"', "naïve ✓", "back\\slash", "[1, 2]", ""]
BY_ID = select(things.c.id).where(member_of(things.c.id, bindparam("ids", type_=IntegerList())))
BY_NAME = select(things.c.name).where(
    member_of(things.c.name, bindparam("names", type_=TextList()))
)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine(database_url)
    metadata.create_all(engine)
    with engine.begin() as connection:
        rows = [{"id": number, "name": name} for number, name in enumerate(NAMES, start=1)]
        connection.execute(insert(things), rows)
    yield engine
    metadata.drop_all(engine)
    engine.dispose()


def test_members_are_the_listed_values(engine: Engine):
    with engine.connect() as connection:

        def ids(values: object) -> set[int]:
            return set(connection.execute(BY_ID, {"ids": values}).scalars())

        def names(values: object) -> set[str]:
            return set(connection.execute(BY_NAME, {"names": values}).scalars())

        assert ids([1, 3, 99]) == {1, 3}
        assert ids((2,)) == {2}
        assert ids([]) == set()
        assert ids(range(1, 1000)) == set(range(1, len(NAMES) + 1))
        # Quotes, backslashes, brackets and non-ASCII text are values, not syntax.
        assert names(NAMES) == set(NAMES)
        assert names(["it's", "[1, 2]", "missing"]) == {"it's", "[1, 2]"}
        assert names([]) == set()


def test_one_statement_text_whatever_the_length(engine: Engine):
    sent: list[str] = []

    def record(*args: object) -> None:
        sent.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    with engine.connect() as connection:
        for values in ([], [1], list(range(1, 200))):
            connection.execute(BY_ID, {"ids": values}).all()
    event.remove(engine, "before_cursor_execute", record)
    assert len(sent) == 3
    assert len(set(sent)) == 1


def test_other_databases_are_refused_and_the_default_dialect_shows_it():
    assert str(BY_ID).endswith("WHERE list_things.id IN (:ids)")
    with pytest.raises(CompileError, match="SQLite and PostgreSQL, not mysql"):
        BY_ID.compile(dialect=mysql.dialect())
