"""Where a read runs: on the event loop, or in a worker thread.

FastAPI runs a plain ``def`` endpoint in a worker thread, and the hand-over there and back costs
two thread wake-ups. On the 2-core machine of ``benchmarks/bench_mlflow.py`` that was 1-2 ms a
request: more than the alias lookup it carried, and most of what separated modelreg from a server
answering canned bytes (docs/mlflow.md, "Benchmark").

A read of the embedded SQLite database (WAL mode) neither waits for a writer nor crosses the
network, so a small one costs the event loop less than the hop: it runs there. Everything else
keeps its thread: writes (they may queue on the write lock for seconds), every statement on
PostgreSQL (a round trip that would stall every other request of the process meanwhile), and
answers of more than ``INLINE_ROWS`` rows (a thread gives up the interpreter every few
milliseconds, so other requests go on; the loop would not).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from starlette.concurrency import run_in_threadpool

P = ParamSpec("P")
T = TypeVar("T")

# ~10 ms of rendering MLflow versions on the benchmark machine; the client's default page of
# models (100) stays under it, its default page of versions (10,000) does not.
INLINE_ROWS = 200


async def read(inline: bool, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``call(*args, **kwargs)``, a read answering one row: on the loop when ``inline`` (the
    store's reads never wait), else in a worker thread."""
    if inline:
        return call(*args, **kwargs)
    return await run_in_threadpool(call, *args, **kwargs)


async def read_rows(rows: int, inline: bool, call: Callable[[], T]) -> T:
    """``read`` for an answer of up to ``rows`` rows: in a thread when they are many."""
    return await read(inline and rows <= INLINE_ROWS, call)
