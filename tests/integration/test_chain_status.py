"""The audit page's chain status: walked once, then refreshed in the background when stale
(a full walk is too slow for every page view), on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from modelreg.server.ui.chain_status import MAX_AGE, ChainStatus
from modelreg.wiring import Services


def test_walked_once_then_refreshed_in_the_background_once_stale(services: Services) -> None:
    services.registry.create_model("first", actor="ann")
    now = [datetime(2026, 11, 27, 12, 0, tzinfo=UTC)]
    status = ChainStatus(services.audit, clock=lambda: now[0])
    first = status.current()
    assert first.verification.ok
    assert first.checked_at == now[0]

    services.registry.create_model("second", actor="ann")
    assert status.current() is first  # fresh: no new walk

    now[0] += MAX_AGE + timedelta(seconds=1)
    assert status.current() is first  # stale: answered at once, walked again meanwhile
    for _ in range(200):  # bounded wait for the background walk
        if status.current() is not first:
            break
        time.sleep(0.05)
    refreshed = status.current()
    assert refreshed is not first
    assert refreshed.verification.entries == first.verification.entries + 1
    assert refreshed.checked_at == now[0]


def test_verify_now_walks_at_once(services: Services) -> None:
    status = ChainStatus(services.audit)
    before = status.current()
    services.registry.create_model("late", actor="ann")
    assert status.verify_now().verification.entries == before.verification.entries + 1
