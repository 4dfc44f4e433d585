"""MLflow's ``max_results`` over modelreg's pages.

MLflow clients ask for more rows per request than a service page holds (the fluent
``mlflow.search_runs`` asks for 10,000 runs at a time, an MLflow server allows 50,000), so one
answer is gathered from as many service pages as it takes, and the token it returns resumes
exactly after its last row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from modelreg.domain.entities import Page
from modelreg.server.mlflow.errors import invalid
from modelreg.server.mlflow.messages import Message
from modelreg.service.pagination import MAX_PAGE_SIZE

T = TypeVar("T")


def tracking_refusal(wanted: int, maximum: int) -> str:
    """MLflow's tracking server's words for a ``max_results`` out of range."""
    return (
        f"Invalid value {wanted} for parameter 'max_results' supplied. It must be between "
        f"1 and {maximum}"
    )


def registry_refusal(wanted: int, maximum: int) -> str:
    """MLflow's model registry's words for the same."""
    return (
        f"Invalid value for request parameter max_results. It must be at most {maximum}, "
        f"but got value {wanted}"
    )


def page_rows(msg: Message, limits: tuple[int, int]) -> int:
    """How many rows an answer to ``msg`` may hold (``collect`` refuses what is out of range)."""
    default, _maximum = limits
    return msg.integer("max_results", default) or default


def collect(
    search: Callable[[str | None, int], Page[T]],
    msg: Message,
    limits: tuple[int, int],
    *,
    refusal: Callable[[int, int], str] = tracking_refusal,
) -> tuple[list[T], str | None]:
    """Up to ``max_results`` items (``limits``: its default and maximum) from ``search(cursor,
    size)`` called with sizes of at most ``MAX_PAGE_SIZE``, and the token of what follows."""
    wanted, maximum = page_rows(msg, limits), limits[1]
    if not 1 <= wanted <= maximum:
        raise invalid(refusal(wanted, maximum))
    items: list[T] = []
    cursor = msg.text("page_token") or None
    while True:
        page = search(cursor, min(MAX_PAGE_SIZE, wanted - len(items)))
        items.extend(page.items)
        cursor = page.next_cursor
        if cursor is None or len(items) >= wanted:
            return items, cursor
