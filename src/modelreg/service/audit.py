"""Reading and verifying the audit trail. Entries are written only by the other use cases, through
``tx.add_event``; nothing here (or anywhere in the API) edits or deletes them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from modelreg.domain.audit import (
    AuditEntry,
    AuditQuery,
    AuditVerification,
    ChainVerifier,
)
from modelreg.domain.entities import Page
from modelreg.domain.errors import InvalidArgumentError
from modelreg.service.pagination import check_page_size, decode_cursor, encode_cursor, fingerprint
from modelreg.store.base import MetadataStore

BATCH = 1000


class AuditTrail:
    def __init__(self, store: MetadataStore) -> None:
        self.store = store

    def list_entries(
        self,
        query: AuditQuery | None = None,
        *,
        descending: bool = False,
        cursor: str | None = None,
        limit: int = 100,
    ) -> Page[AuditEntry]:
        """Entries matching ``query``, oldest first (newest first when ``descending``).

        Cursors are keyed on ``seq``, so pages stay exact while new entries are appended.
        """
        query = query or AuditQuery()
        _check_window(query.since, query.until)
        check_page_size(limit)
        key = fingerprint("audit", repr(query), descending)
        after = decode_cursor(cursor, key) if cursor else None
        with self.store.transaction() as tx:
            entries = tx.list_audit(query, after_seq=after, limit=limit + 1, descending=descending)
        if len(entries) > limit:
            entries = entries[:limit]
            return Page(tuple(entries), encode_cursor(entries[-1].seq, key))
        return Page(tuple(entries))

    def iter_entries(self, query: AuditQuery | None = None) -> Iterator[AuditEntry]:
        """Every matching entry, oldest first, read in batches (for exports)."""
        query = query or AuditQuery()
        _check_window(query.since, query.until)
        after: int | None = None
        while True:
            with self.store.transaction() as tx:
                batch = tx.list_audit(query, after_seq=after, limit=BATCH)
            yield from batch
            if len(batch) < BATCH:
                return
            after = batch[-1].seq

    def verify(self) -> AuditVerification:
        """Walk the whole chain and report the first altered, inserted or deleted entry.

        Entries may be appended while this runs: the head is read after every entry it is
        compared with, and the walk goes on until no entry lies beyond the last one read.
        """
        verifier = ChainVerifier()
        everything = AuditQuery()
        while True:
            with self.store.transaction() as tx:
                batch = tx.list_audit(everything, after_seq=verifier.last_seq, limit=BATCH)
            intact = all(verifier.feed(entry) for entry in batch)
            if intact and len(batch) == BATCH:
                continue
            with self.store.transaction() as tx:
                head = tx.audit_head()
                more = tx.list_audit(everything, after_seq=verifier.last_seq, limit=1)
                beyond = None
                if head is not None and verifier.last_seq > head.seq:
                    beyond = tx.list_audit(everything, after_seq=head.seq, limit=1)[0]
            if intact and more:
                continue  # appended meanwhile
            return verifier.finish(head, beyond)


def _check_window(since: datetime | None, until: datetime | None) -> None:
    for label, moment in (("since", since), ("until", until)):
        if moment is not None and moment.tzinfo is None:
            raise InvalidArgumentError(f"{label} must include a time zone", field=label)
    if since is not None and until is not None and until <= since:
        raise InvalidArgumentError("until must be later than since", field="until")
