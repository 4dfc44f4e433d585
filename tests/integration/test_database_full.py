"""A metadata database that has no room left refuses the change as ``StorageFullError`` (507,
not the 503 "try again later" of a database that is down) and keeps none of it.

SQLite's ``max_page_count`` caps the database file as a full disk would, and SQLite answers
with the same SQLITE_FULL ("database or disk is full").
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import event

from modelreg.domain.errors import StorageFullError
from modelreg.settings import Settings
from modelreg.wiring import open_services


# Pages of room left: each run fills the database in another statement of a model's creation.
@pytest.mark.parametrize("headroom", [3, 5, 8, 13, 21])
def test_a_full_sqlite_database_is_storage_full_and_keeps_nothing(
    tmp_path: Path, headroom: int
) -> None:
    services = open_services(Settings(home=tmp_path / "home"))
    try:
        engine = services.metadata.engine
        with engine.connect() as connection:
            pages = int(connection.exec_driver_sql("PRAGMA page_count").scalar_one())

        @event.listens_for(engine, "connect")
        def _cap(dbapi_connection: object, _record: object) -> None:
            cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
            cursor.execute(f"PRAGMA max_page_count = {pages + headroom}")
            cursor.close()

        engine.dispose()  # every connection from now on is capped
        created: list[str] = []
        refused: StorageFullError | None = None
        # ~4 KiB each: the cap is reached long before the end, in whichever statement (the
        # model's INSERT in its savepoint, its tags, the audit entries).
        for i in range(200):
            try:
                services.registry.create_model(f"model-{i}", actor="ann", description="d" * 4000)
            except StorageFullError as error:
                refused = error
                break
            created.append(f"model-{i}")
        assert refused is not None, "200 models fitted under the cap"
        assert refused.code == "STORAGE_FULL"
        assert "no room" in refused.message
        assert created  # the cap left room for some

        event.remove(engine, "connect", _cap)
        engine.dispose()
        listed = [m.name for m in services.registry.search_models(limit=1000).items]
        assert sorted(listed) == sorted(created)  # the refused model left nothing behind
    finally:
        services.close()
