"""Opaque, validated page cursors.

A cursor is the offset of the next page, bound to a fingerprint of the query it belongs to, so a
cursor replayed against another query is refused instead of silently skipping rows.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable
from typing import TypeVar

from modelreg.domain.entities import Page
from modelreg.domain.errors import InvalidArgumentError
from modelreg.domain.filters import Query
from modelreg.store.base import MetadataStore, MetadataTransaction

T = TypeVar("T")

MAX_PAGE_SIZE = 1000


def fingerprint(*parts: object) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=6).hexdigest()


def encode_cursor(offset: int, query_fingerprint: str) -> str:
    raw = json.dumps({"o": offset, "q": query_fingerprint}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, query_fingerprint: str) -> int:
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        offset = data["o"]
        matches = data["q"] == query_fingerprint
    except (binascii.Error, ValueError, KeyError, TypeError) as error:
        raise InvalidArgumentError("invalid page cursor", field="cursor") from error
    if not isinstance(offset, int) or offset < 0 or not matches:
        raise InvalidArgumentError(
            "invalid page cursor: it belongs to another query", field="cursor"
        )
    return offset


def check_page_size(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidArgumentError(
            f"page size must be between 1 and {MAX_PAGE_SIZE}", field="limit"
        )
    return limit


def search_page(
    store: MetadataStore,
    query: Query,
    identity: tuple[str, str],
    cursor: str | None,
    limit: int,
    run: Callable[[MetadataTransaction, Query, int, int], list[T]],
) -> Page[T]:
    """One page of a search: an offset cursor bound to ``identity``, one row more than the page
    to learn whether another follows, and the query's own ``limit`` respected."""
    check_page_size(limit)
    key = fingerprint(*identity)
    offset = decode_cursor(cursor, key)
    remaining = limit
    if query.limit is not None:
        remaining = min(limit, query.limit - offset)
        if remaining <= 0:
            return Page(())
    with store.transaction() as tx:
        items = run(tx, query, offset, remaining + 1)
    if len(items) <= remaining or (query.limit is not None and offset + remaining >= query.limit):
        return Page(tuple(items[:remaining]))
    return Page(tuple(items[:remaining]), encode_cursor(offset + remaining, key))
