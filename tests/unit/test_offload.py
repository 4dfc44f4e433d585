"""``server/offload.py``: a read runs on the event loop only when the store's reads never wait
and the answer is small; otherwise in a worker thread, as FastAPI runs a ``def`` endpoint."""

from __future__ import annotations

import asyncio
import threading

import pytest

from modelreg.server.offload import INLINE_ROWS, read, read_rows
from modelreg.store.sql.engine import SqlMetadataStore


def where(*calls: tuple[bool, int]) -> list[bool]:
    """For each (inline, rows): whether ``read_rows`` ran on the loop's own thread; then the
    same for ``read`` itself, inline and not."""

    async def run() -> list[bool]:
        loop_thread = threading.get_ident()
        found = []
        for inline, rows in calls:
            ran_on = await read_rows(rows, inline, threading.get_ident)
            found.append(ran_on == loop_thread)
        found.append(await read(True, threading.get_ident) == loop_thread)
        found.append(await read(False, threading.get_ident) == loop_thread)
        return found

    return asyncio.run(run())


def test_small_reads_of_a_store_that_never_waits_stay_on_the_loop():
    ran_here = where((True, 1), (True, INLINE_ROWS), (True, INLINE_ROWS + 1), (False, 1))
    assert ran_here == [True, True, False, False, True, False]


def test_read_passes_arguments_and_raises_from_either_place():
    async def run() -> None:
        for inline in (True, False):
            assert await read(inline, divmod, 7, 2) == (3, 1)
            try:
                await read(inline, int, "seven")
            except ValueError:
                continue
            raise AssertionError("the error of the call was lost")

    asyncio.run(run())


@pytest.mark.postgres
def test_only_sqlite_in_wal_mode_reads_never_wait(tmp_path, postgres_url):
    sqlite = SqlMetadataStore(f"sqlite:///{tmp_path / 'r.db'}")
    postgres = SqlMetadataStore(postgres_url)
    try:
        assert sqlite.reads_never_wait is True
        assert postgres.reads_never_wait is False
    finally:
        for store in (sqlite, postgres):
            store.close()
