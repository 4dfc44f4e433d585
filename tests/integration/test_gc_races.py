"""The narrow windows between a writer's look at the blob store and the transaction that records
its row, each replayed deterministically on SQLite and PostgreSQL: a collection (grace 0) runs
exactly inside the window through a hook the service calls there, never through timing.

Whatever the interleaving: no row ever names a missing blob, and the caller gets a clear error
(CONFLICT for a report or artifact whose old copy was collected, UPLOAD_NOT_FOUND for a session
that expired, MISSING_BLOBS for a blob that vanished) and can retry."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from sqlalchemy import text

from modelreg.blobs.base import BlobStore
from modelreg.domain.digests import Digest
from modelreg.domain.entities import FileEntry
from modelreg.domain.errors import (
    ConflictError,
    MissingBlobsError,
    ModelNotFoundError,
    UploadNotFoundError,
)
from modelreg.domain.records import ReportFile
from modelreg.domain.tracking import ArtifactEntry, ArtifactNotFoundError
from modelreg.service.artifacts import Artifacts
from modelreg.service.evaluations import Evaluations, ReportUpload
from modelreg.service.uploads import Uploads
from modelreg.wiring import Services
from tests.factories import digest_of, make_draft
from tests.integration.test_gc import make_old, push, put_blob, stored

GRACE_ZERO = timedelta(0)


def collect(services: Services) -> None:
    services.storage.gc.collect(grace=GRACE_ZERO)


def assert_every_reference_is_stored(services: Services) -> None:
    with services.metadata.transaction() as tx:
        referenced = set(tx.referenced_digests()) | set(tx.referenced_artifact_digests())
    assert referenced <= {str(digest) for digest in stored(services)}


def old_orphan(services: Services, data: bytes) -> Digest:
    """Bytes stored long ago that nothing refers to: what a new writer finds and reuses."""
    digest = put_blob(services, data)
    make_old(services, digest)
    return digest


class CollectedBeforeRecording(Evaluations):
    """Runs a collection after the report's bytes were found already stored, before the
    transaction that records the evaluation."""

    services: Services

    def _store_report(self, report: ReportUpload) -> ReportFile:
        stored_report = super()._store_report(report)
        collect(self.services)
        return stored_report


class CollectedBeforeIndexing(Artifacts):
    """Runs a collection between the artifact's blob commit and the index transaction."""

    services: Services

    def _index(self, path: str, digest: Digest, size: int) -> ArtifactEntry:
        collect(self.services)
        return super()._index(path, digest, size)


def report_upload(data: bytes) -> ReportUpload:
    return ReportUpload("report.txt", len(data), digest_of(data), [data])


# -- evaluation reports and MLflow artifacts ---------------------------------------------------


def test_a_report_whose_old_copy_is_collected_meanwhile_is_refused_and_nothing_is_recorded(
    services,
):
    push(services, "m", {"w.bin": b"weights"})
    data = b"accuracy: 0.91\n"
    old_orphan(services, data)
    racing = CollectedBeforeRecording(services.outbox, services.blobs)
    racing.services = services

    with pytest.raises(ConflictError) as raised:
        racing.add_evaluation("m", 1, dataset="holdout", actor="alice", report=report_upload(data))

    assert raised.value.code == "CONFLICT"
    assert "garbage collection" in str(raised.value)
    assert "send it again" in str(raised.value)
    assert services.evaluations.list_evaluations("m", 1) == []
    assert_every_reference_is_stored(services)
    # The retry the message asks for stores the bytes again and records the evaluation.
    retried = services.evaluations.add_evaluation(
        "m", 1, dataset="holdout", actor="alice", report=report_upload(data)
    )
    assert retried.report is not None
    assert retried.report.digest in stored(services)
    assert b"".join(services.evaluations.open_report(retried.report)) == data


def test_a_report_reusing_an_old_blob_is_recorded_when_no_collection_interferes(services):
    push(services, "m", {"w.bin": b"weights"})
    data = b"f1: 0.8\n"
    old_orphan(services, data)

    evaluation = services.evaluations.add_evaluation(
        "m", 1, dataset="holdout", actor="alice", report=report_upload(data)
    )

    collect(services)  # once recorded, the report is referenced whatever its age
    assert evaluation.report is not None
    assert evaluation.report.digest in stored(services)
    assert_every_reference_is_stored(services)


def test_an_artifact_whose_old_copy_is_collected_meanwhile_is_refused_and_not_indexed(services):
    data = b"pickled model bytes"
    old_orphan(services, data)
    racing = CollectedBeforeIndexing(services.outbox, services.blobs)
    racing.services = services

    with pytest.raises(ConflictError) as raised:
        racing.upload("7/run/artifacts/model.pkl", [data])

    assert "send it again" in str(raised.value)
    with pytest.raises(ArtifactNotFoundError):
        racing.stat("7/run/artifacts/model.pkl")
    assert_every_reference_is_stored(services)
    entry = Artifacts(services.outbox, services.blobs).upload("7/run/artifacts/model.pkl", [data])
    assert entry.digest == digest_of(data)
    assert entry.digest in stored(services)


def test_an_artifact_reusing_an_old_blob_is_indexed_when_no_collection_interferes(services):
    data = b"metrics.json bytes"
    old_orphan(services, data)
    artifacts = Artifacts(services.outbox, services.blobs)

    artifacts.upload("7/run/artifacts/metrics.json", [data])

    collect(services)
    stat = artifacts.stat("7/run/artifacts/metrics.json")
    assert b"".join(artifacts.open(stat)) == data
    assert_every_reference_is_stored(services)


# -- commits of upload sessions ----------------------------------------------------------------


def stale_session(services: Services, data: bytes) -> str:
    """A session started 25 hours ago (past UPLOAD_TTL) whose blob was sent and is old."""
    started = datetime.now(UTC) - timedelta(hours=25)
    old = Uploads(services.outbox, services.blobs, clock=lambda: started)
    session = old.start_upload("m", make_draft({"x.bin": data}), actor="alice")
    old.receive_blob(session.id, digest_of(data), [data])
    make_old(services, digest_of(data), hours=25)
    return session.id


def uploads_with_hook(services: Services, hook: object) -> Uploads:
    """``scan_files`` runs after the commit's blob check and before its write transaction:
    exactly the window under test."""

    def in_the_window(files: Iterable[FileEntry]) -> None:
        assert callable(hook)
        hook()

    return Uploads(services.outbox, services.blobs, scan_files=in_the_window)


def test_a_session_expiring_between_the_commit_check_and_its_transaction_fails_cleanly(
    services,
):
    data = b"abandoned then committed"
    session_id = stale_session(services, data)
    uploads = uploads_with_hook(services, lambda: collect(services))

    with pytest.raises(UploadNotFoundError) as raised:
        uploads.commit_upload(session_id, actor="alice")

    assert raised.value.code == "UPLOAD_NOT_FOUND"
    assert "expired or was already committed" in str(raised.value)
    with pytest.raises(ModelNotFoundError):
        services.registry.get_model("m")  # the first push's model was rolled back too
    assert digest_of(data) not in stored(services)
    assert_every_reference_is_stored(services)


def test_a_blob_vanishing_before_the_commit_transaction_fails_it_and_keeps_the_session(services):
    data = b"collected under a live session"
    session = services.uploads.start_upload("m", make_draft({"x.bin": data}), actor="alice")
    services.uploads.receive_blob(session.id, digest_of(data), [data])
    # What a collection does to a session that turned stale after its expiry step: its blob
    # goes, its row stays.
    uploads = uploads_with_hook(services, lambda: services.blobs.delete(digest_of(data)))

    with pytest.raises(MissingBlobsError) as raised:
        uploads.commit_upload(session.id, actor="alice")

    assert raised.value.code == "MISSING_BLOBS"
    assert "send them again" in str(raised.value)
    with pytest.raises(ModelNotFoundError):
        services.registry.get_model("m")
    assert_every_reference_is_stored(services)
    # The session survived the rollback: the client sends the blob again and commits.
    assert services.uploads.get_upload(session.id).missing == (digest_of(data),)
    services.uploads.receive_blob(session.id, digest_of(data), [data])
    version = services.uploads.commit_upload(session.id, actor="alice")
    assert version.version == 1
    assert b"".join(services.uploads.open_blob(digest_of(data))) == data


def test_a_session_committed_twice_at_once_yields_one_version(services):
    data = b"committed by two clients"
    session = services.uploads.start_upload("m", make_draft({"x.bin": data}), actor="alice")
    services.uploads.receive_blob(session.id, digest_of(data), [data])
    # The second commit lands inside the first one's window.
    uploads = uploads_with_hook(
        services, lambda: services.uploads.commit_upload(session.id, actor="alice")
    )

    with pytest.raises(UploadNotFoundError):
        uploads.commit_upload(session.id, actor="alice")

    versions = services.registry.list_versions("m").items
    assert [version.version for version in versions] == [1]


def test_cancelling_stays_idempotent(services):
    data = b"cancelled"
    session = services.uploads.start_upload("m", make_draft({"x.bin": data}), actor="alice")
    services.uploads.cancel_upload(session.id)
    services.uploads.cancel_upload(session.id)
    committed = services.uploads.start_upload("n", make_draft({"y.bin": b"y"}), actor="alice")
    services.uploads.receive_blob(committed.id, digest_of(b"y"), [b"y"])
    services.uploads.commit_upload(committed.id, actor="alice")
    services.uploads.cancel_upload(committed.id)  # after a commit: not an error either
    with pytest.raises(UploadNotFoundError):
        services.uploads.get_upload(session.id)


class BlobsEnteringTheWindow:
    """The real blob store; once armed, its next ``exists`` (the commit's re-check, inside the
    write transaction after the version's INSERT) first starts a collection in a thread and,
    on PostgreSQL, waits until that collection is queued behind the commit's locks."""

    def __init__(self, services: Services) -> None:
        self._blobs = services.blobs
        self._services = services
        self.armed = False
        self.collector: threading.Thread | None = None
        self.failures: list[BaseException] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._blobs, name)

    def exists(self, digest: Digest) -> bool:
        if self.armed:
            self.armed = False
            self.collector = threading.Thread(target=self._collect)
            self.collector.start()
            if self._services.metadata.engine.dialect.name == "postgresql":
                wait_until_a_lock_is_awaited(self._services, self.collector)
        return self._blobs.exists(digest)

    def _collect(self) -> None:
        try:
            collect(self._services)
        except BaseException as error:  # reported by the test, not lost in the thread
            self.failures.append(error)


def wait_until_a_lock_is_awaited(services: Services, collector: threading.Thread) -> None:
    """Returns once a session of this database waits for a lock (the collector's SHARE lock
    behind the commit's ROW EXCLUSIVE one). A condition, not a timing: the deadline only stops
    a broken build from hanging."""
    waiting = text(
        "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
        "WHERE NOT l.granted AND d.datname = current_database()"
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with services.metadata.engine.connect() as connection:
            if connection.execute(waiting).scalar_one():
                return
        assert collector.is_alive(), "the collection ran inside the commit's transaction"
        collector.join(0.01)
    pytest.fail("the collection never waited for the commit's locks")


def test_a_collection_entering_the_commit_transaction_waits_for_it_and_keeps_the_blobs(
    services,
):
    data = b"committed while a collection starts"
    orphan = old_orphan(services, b"a real orphan")  # gives the collector a batch to lock for
    session = services.uploads.start_upload("m", make_draft({"x.bin": data}), actor="alice")
    services.uploads.receive_blob(session.id, digest_of(data), [data])
    make_old(services, digest_of(data))
    blobs = BlobsEnteringTheWindow(services)
    uploads = Uploads(
        services.outbox,
        cast(BlobStore, blobs),
        scan_files=lambda files: setattr(blobs, "armed", True),
    )

    version = uploads.commit_upload(session.id, actor="alice")

    assert blobs.collector is not None
    blobs.collector.join()
    assert blobs.failures == []
    assert version.version == 1
    assert digest_of(data) in stored(services)
    assert orphan not in stored(services)
    assert_every_reference_is_stored(services)


def test_a_blob_collected_while_a_version_is_registered_fails_it_and_saves_nothing(services):
    data = b"registered from stored blobs"
    services.uploads.receive_blob(
        services.uploads.start_upload("m", make_draft({"x.bin": data}), actor="alice").id,
        digest_of(data),
        [data],
    )
    services.registry.create_model("other", actor="alice")
    # register_version's blob check passed; the blob goes before its transaction.
    uploads = uploads_with_hook(services, lambda: services.blobs.delete(digest_of(data)))

    with pytest.raises(MissingBlobsError) as raised:
        uploads.register_version("other", make_draft({"x.bin": data}), actor="alice")

    assert "removed by garbage collection" in str(raised.value)
    assert services.registry.get_model("other").latest_version is None
    assert_every_reference_is_stored(services)


def test_a_blob_arriving_after_its_session_was_committed_is_a_clean_not_found(services):
    data = b"late blob"
    session = services.uploads.start_upload("m", make_draft({"x.bin": data}), actor="alice")
    services.uploads.cancel_upload(session.id)  # as a concurrent commit or GC would
    with pytest.raises(UploadNotFoundError):
        services.uploads.record_received(session.id, [digest_of(data)])
