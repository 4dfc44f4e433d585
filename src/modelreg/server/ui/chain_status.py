"""The audit chain's verification as the audit page shows it.

A full walk of the chain costs ~35 µs per entry (3.5 s at 100,000 entries): far too slow to run
on every view of a page that must answer in well under 200 ms (docs/ui.md). So each server
process keeps its last result: the first view walks the chain, later views show that result
with the time it was taken, and start a new walk in the background once it is older than
``MAX_AGE``; the page's *Verify now* button walks at once. ``modelreg audit verify`` and the
API always walk the whole chain.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from modelreg.domain.audit import AuditVerification
from modelreg.service.audit import AuditTrail
from modelreg.service.clock import Clock, utcnow

log = logging.getLogger("modelreg.server.ui")

MAX_AGE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class ChainCheck:
    verification: AuditVerification
    checked_at: datetime


class ChainStatus:
    def __init__(self, audit: AuditTrail, *, clock: Clock = utcnow) -> None:
        self._audit = audit
        self._clock = clock
        self._last: ChainCheck | None = None
        self._lock = threading.Lock()
        self._running = False

    def current(self) -> ChainCheck:
        """The last result; walks now only when there is none yet."""
        last = self._last
        if last is None:
            return self.verify_now()
        if self._clock() - last.checked_at > MAX_AGE:
            self._refresh_in_background()
        return last

    def verify_now(self) -> ChainCheck:
        check = ChainCheck(self._audit.verify(), self._clock())
        self._last = check
        return check

    def _refresh_in_background(self) -> None:
        with self._lock:
            if self._running:
                return
            self._running = True

        def walk() -> None:
            try:
                self.verify_now()
            except Exception:  # the page keeps showing the older result, with its time
                log.exception("background verification of the audit chain failed")
            finally:
                self._running = False

        threading.Thread(target=walk, name="audit-chain-check", daemon=True).start()
