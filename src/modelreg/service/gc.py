"""Garbage collection: delete blobs nothing refers to, and what abandoned uploads left behind,
while the registry keeps serving pushes and pulls.

The algorithm, mark and sweep like the OCI registry's, but online:

1. **Stale sessions.** Upload sessions started more than ``upload_ttl`` (``UPLOAD_TTL``) ago
   are abandoned; their rows are deleted, so the blobs they declared are no longer marked.
2. **Mark.** Read the digests declared by every live upload session FIRST, then every digest
   a version (archived ones too), an evaluation report or a tracking artifact names.
3. **Sweep.** List the blob store; an unmarked blob last written before ``now - grace`` is a
   candidate. Younger ones are counted as ``kept_young`` and left alone.
4. **Re-check and delete**, a batch at a time, each batch in one write transaction that first
   holds off every writer that could add a reference (``hold_blob_references``), then reads
   the sessions and references of the batch again, deletes only what is still unreferenced
   and commits.
5. Temporary upload objects older than the grace (and at least ``UPLOAD_OBJECT_MIN_AGE``)
   are deleted, then ``BlobStore.sweep_parts`` removes chunk parts no blob uses any more.
6. **Override keys.** The once-a-day keys of quarantine overrides (``quarantine_overrides``)
   of days before ``override_retention`` ago are deleted. A key only keeps that day's repeated
   downloads from writing more ``scan.overridden`` events; the event, written in the same
   transaction as the key, is the audit record and stays (docs/scanning.md).

Why a push is never broken, whatever the grace (0 included):

* A push creates its session row before it sends a single blob, and the transaction that
  inserts the version's rows deletes that session row. From the moment a session exists, each
  digest it declares is named by the session or by the version, at every instant.
* Reading sessions before references means a commit between the two reads is seen by the
  second read; in the other order the commit would slip between both (on SQLite both reads
  share one snapshot anyway; PostgreSQL's READ COMMITTED gives each statement its own).
* The mark is only a snapshot, so step 4 checks again under the hold: no session and no
  version can appear between that check and the deletion. A session created after the batch
  commits finds the blob gone: ``start_upload`` asks which digests are missing only after its
  session row is committed, and ``commit_upload`` (like ``register_version``) checks again in
  its write transaction right after inserting the version, which holds GC off from then on, so
  the client sends the blob again instead of committing a version without it.

What the grace is for: blobs written outside upload sessions (evaluation reports, MLflow
artifacts, ``register_version``) are recorded in SQL only after their bytes are stored; the
grace keeps such a young blob alive until its row lands. With grace 0 a report or artifact
written at the same moment as a collection may lose its blob: use 0 only when nothing else
writes (tests, maintenance windows). Temporary upload objects exist only between a transfer's
last byte and its move into place, which ``UPLOAD_OBJECT_MIN_AGE`` always covers, so even
grace 0 never fails a transfer in flight. Chunked pushes are the exception: their chunks are
protected by their age alone until the recipe lands (``blobs/chunks.py``), so a grace shorter
than such a push can fail it (an error, never a blob with a part missing).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import islice

from modelreg.blobs.base import BlobStore, ObjectInfo
from modelreg.domain.digests import Digest
from modelreg.domain.entities import Event
from modelreg.domain.errors import InvalidArgumentError
from modelreg.domain.storage import Freed, GcReport, format_duration
from modelreg.service.clock import Clock, utcnow
from modelreg.service.uploads import UPLOAD_TTL
from modelreg.store.base import MetadataStore, MetadataTransaction

DEFAULT_GRACE = timedelta(hours=1)
UPLOAD_OBJECT_MIN_AGE = timedelta(minutes=1)
# A key is consulted only on its own UTC day; the margin covers servers (and the host running
# ``gc``) whose clocks disagree. Pruning too early costs one more audit event, never one less.
OVERRIDE_RETENTION = timedelta(days=2)
BATCH = 500
GC_ACTOR = "gc"

log = logging.getLogger("modelreg.gc")


@dataclass(frozen=True, slots=True)
class _Candidate:
    digest: Digest
    size: int


class GarbageCollector:
    def __init__(
        self,
        store: MetadataStore,
        blobs: BlobStore,
        *,
        clock: Clock = utcnow,
        upload_ttl: timedelta = UPLOAD_TTL,
        override_retention: timedelta = OVERRIDE_RETENTION,
        batch: int = BATCH,
    ) -> None:
        self.store = store
        self.blobs = blobs
        self.clock = clock
        self.upload_ttl = upload_ttl
        self.override_retention = override_retention
        self.batch = batch

    def collect(
        self, *, grace: timedelta = DEFAULT_GRACE, dry_run: bool = False, actor: str = GC_ACTOR
    ) -> GcReport:
        """Run one collection; with ``dry_run`` nothing is deleted and the report says what
        would have been (chunk parts: only those unused already, as the blobs that would free
        more are still there). Records a registry-wide ``gc.completed`` event (not for dry
        runs)."""
        if grace < timedelta(0):
            raise InvalidArgumentError("the grace period must not be negative", field="grace")
        started = self.clock()
        cutoff = started - grace
        stale_before = started - self.upload_ttl
        sessions = self._expire_sessions(stale_before, dry_run=dry_run)
        marked = self._mark(stale_before)
        candidates, kept_young = self._sweep(marked, cutoff)
        blobs = self._delete_blobs(candidates, stale_before, dry_run=dry_run)
        uploads = self._delete_upload_objects(min(cutoff, started - UPLOAD_OBJECT_MIN_AGE), dry_run)
        swept = self.blobs.sweep_parts(older_than=cutoff, dry_run=dry_run)
        overrides = self._prune_overrides((started - self.override_retention).date(), dry_run)
        report = GcReport(
            dry_run=dry_run,
            grace=grace,
            started_at=started,
            finished_at=self.clock(),
            referenced=len(marked),
            blobs=blobs,
            uploads=uploads,
            parts=Freed(swept.objects, swept.bytes),
            sessions=sessions,
            kept_young=kept_young,
            overrides=overrides,
        )
        self._record(report, actor)
        return report

    # -- the steps ---------------------------------------------------------------------------

    def _expire_sessions(self, stale_before: datetime, *, dry_run: bool) -> int:
        with self.store.transaction(write=not dry_run) as tx:
            stale = tx.list_uploads_started_before(stale_before)
            if not dry_run:
                for session in stale:
                    tx.delete_upload(session.id)
        return len(stale)

    def _mark(self, stale_before: datetime) -> set[str]:
        with self.store.transaction() as tx:
            marked = _session_digests(tx, stale_before)  # sessions first: see the docstring
            marked.update(tx.referenced_digests())
            marked.update(tx.referenced_artifact_digests())
        return marked

    def _sweep(self, marked: set[str], cutoff: datetime) -> tuple[list[_Candidate], int]:
        candidates: list[_Candidate] = []
        young = 0
        for digest, info in self.blobs.list_digests():
            if str(digest) in marked:
                continue
            if info.modified_at > cutoff:
                young += 1
                continue
            candidates.append(_Candidate(digest, info.size))
        return candidates, young

    def _delete_blobs(
        self, candidates: list[_Candidate], stale_before: datetime, *, dry_run: bool
    ) -> Freed:
        freed = Freed()
        for batch in _batches(candidates, self.batch):
            with self.store.transaction(write=not dry_run) as tx:
                if not dry_run:
                    tx.hold_blob_references()
                still = _session_digests(tx, stale_before)
                still.update(tx.referenced_among([str(c.digest) for c in batch]))
                for candidate in batch:
                    if str(candidate.digest) in still:
                        continue
                    if not dry_run:
                        # Inside the transaction: no reference can appear until it commits.
                        self.blobs.delete(candidate.digest)
                    freed += Freed(1, candidate.size)
        return freed

    def _delete_upload_objects(self, older_than: datetime, dry_run: bool) -> Freed:
        freed = Freed()
        old: list[ObjectInfo] = [
            info for info in self.blobs.list_uploads() if info.modified_at <= older_than
        ]
        for info in old:
            if not dry_run:
                self.blobs.delete_upload(info.key)
            freed += Freed(1, info.size)
        return freed

    def _prune_overrides(self, before: date, dry_run: bool) -> int:
        with self.store.transaction(write=not dry_run) as tx:
            if dry_run:
                return tx.count_overrides_before(before)
            return tx.delete_overrides_before(before)

    def _record(self, report: GcReport, actor: str) -> None:
        summary = {
            "dry_run": report.dry_run,
            "grace": format_duration(report.grace),
            "blobs": {"objects": report.blobs.objects, "bytes": report.blobs.bytes},
            "uploads": {"objects": report.uploads.objects, "bytes": report.uploads.bytes},
            "parts": {"objects": report.parts.objects, "bytes": report.parts.bytes},
            "sessions": report.sessions,
            "kept_young": report.kept_young,
            "overrides": report.overrides,
            "referenced": report.referenced,
        }
        log.info("garbage collection by %s: %s", actor, summary)
        if report.dry_run:
            return
        with self.store.transaction(write=True) as tx:
            tx.add_event(
                Event(
                    "",
                    "gc.completed",
                    actor,
                    report.finished_at,
                    target="storage:blobs",
                    details=summary,
                )
            )


def _session_digests(tx: MetadataTransaction, stale_before: datetime) -> set[str]:
    """Digests declared by sessions that are not stale (stale ones are, or will be, deleted;
    a dry run must count their blobs as a real run would)."""
    far_future = datetime(9000, 1, 1, tzinfo=UTC)
    return {
        str(entry.digest)
        for session in tx.list_uploads_started_before(far_future)
        if session.started_at >= stale_before
        for entry in session.draft.files
    }


def _batches(items: Iterable[_Candidate], size: int) -> Iterator[list[_Candidate]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
