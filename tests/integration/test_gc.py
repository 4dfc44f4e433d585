"""Garbage collection on SQLite and PostgreSQL over a real local blob folder: what it deletes,
what it keeps (versions, archived versions, evaluation reports, MLflow artifacts, uploads in
progress), stale sessions, dry runs, and pushes racing a collector that runs with grace 0."""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest

from modelreg import Client
from modelreg.blobs.cas import ContentAddressedStore, write_stream
from modelreg.blobs.layout import blob_key
from modelreg.blobs.local import LocalBackend
from modelreg.client.embedded import EmbeddedTransport
from modelreg.domain.audit import AuditQuery
from modelreg.domain.digests import Digest
from modelreg.domain.errors import InvalidArgumentError, UploadNotFoundError
from modelreg.domain.storage import Freed
from modelreg.service.artifacts import Artifacts
from modelreg.service.evaluations import ReportUpload
from modelreg.service.gc import GarbageCollector
from modelreg.service.uploads import Uploads
from modelreg.wiring import Services
from tests.factories import digest_of, make_draft, read_tree, write_model_dir

HOUR = timedelta(hours=1)


def backend(services: Services) -> LocalBackend:
    return cast(LocalBackend, cast(ContentAddressedStore, services.blobs).backend)


def make_old(services: Services, digest: Digest, hours: float = 2) -> None:
    """Backdate a blob's modification time, as if it had been written ``hours`` ago."""
    moment = time.time() - hours * 3600
    os.utime(backend(services).path_for(blob_key(digest)), (moment, moment))


def put_blob(services: Services, data: bytes) -> Digest:
    digest = digest_of(data)
    write_stream(services.blobs, digest.algorithm, [data], digest, len(data))
    return digest


def stored(services: Services) -> set[Digest]:
    return {digest for digest, _info in services.blobs.list_digests()}


def push(services: Services, name: str, files: dict[str, bytes]) -> int:
    uploads = services.uploads
    session = uploads.start_upload(name, make_draft(files), actor="alice")
    for data in files.values():
        if digest_of(data) in session.missing:
            uploads.receive_blob(session.id, digest_of(data), [data])
    return uploads.commit_upload(session.id, actor="alice").version


def age_everything(services: Services) -> None:
    for digest in stored(services):
        make_old(services, digest)


def test_deletes_exactly_the_unreferenced_blobs_older_than_the_grace(services):
    push(services, "m", {"a.bin": b"weights-a", "b.bin": b"weights-b"})
    old_orphan = put_blob(services, b"old orphan" * 10)
    age_everything(services)
    young_orphan = put_blob(services, b"young orphan")

    report = services.storage.gc.collect(grace=HOUR, actor="ops")

    assert report.blobs == Freed(1, len(b"old orphan" * 10))
    assert report.kept_young == 1
    assert report.referenced == 2
    assert stored(services) == {digest_of(b"weights-a"), digest_of(b"weights-b"), young_orphan}
    assert old_orphan not in stored(services)
    entries = services.audit.list_entries(AuditQuery(action="gc.completed")).items
    assert [(e.actor, e.model_name, e.details["blobs"]["objects"]) for e in entries] == [
        ("ops", None, 1)
    ]


def test_keeps_archived_versions_evaluation_reports_and_mlflow_artifacts(services):
    push(services, "m", {"v1.bin": b"first"})
    push(services, "m", {"v2.bin": b"second"})
    services.lifecycle.archive_version("m", 1, actor="alice")
    report_bytes = b"accuracy: 0.93\n"
    services.evaluations.add_evaluation(
        "m",
        2,
        dataset="holdout",
        actor="alice",
        report=ReportUpload(
            "report.txt", len(report_bytes), digest_of(report_bytes), [report_bytes]
        ),
    )
    artifact = b"mlflow artifact bytes"
    Artifacts(services.outbox, services.blobs).upload("1/run/artifacts/model.pkl", [artifact])
    age_everything(services)

    report = services.storage.gc.collect(grace=timedelta(0))

    assert report.blobs == Freed()
    assert stored(services) == {
        digest_of(b"first"),
        digest_of(b"second"),
        digest_of(report_bytes),
        digest_of(artifact),
    }

    services.registry.delete_version("m", 1, actor="alice")
    report = services.storage.gc.collect(grace=timedelta(0))
    assert report.blobs == Freed(1, len(b"first"))
    assert digest_of(b"first") not in stored(services)


def test_keeps_the_blobs_of_an_upload_in_progress(services, tmp_path):
    files = {"part1.bin": b"\x00" + os.urandom(5000), "part2.bin": b"\x00" + os.urandom(7000)}
    session = services.uploads.start_upload("m", make_draft(files), actor="alice")
    services.uploads.receive_blob(session.id, digest_of(files["part1.bin"]), [files["part1.bin"]])
    make_old(services, digest_of(files["part1.bin"]))  # even when old: the session declares it

    report = services.storage.gc.collect(grace=timedelta(0))

    assert report.blobs == Freed()
    assert report.sessions == 0
    services.uploads.receive_blob(session.id, digest_of(files["part2.bin"]), [files["part2.bin"]])
    services.uploads.commit_upload(session.id, actor="alice")
    client = Client(transport=EmbeddedTransport(services, user="alice"), cache_dir=tmp_path / "c")
    assert read_tree(client.pull("m/1", tmp_path / "out")) == files


def stale_setup(services: Services) -> tuple[str, Digest, str]:
    """A session started 25 hours ago with one blob received, plus a leftover upload object."""
    started = datetime.now(UTC) - timedelta(hours=25)
    old_uploads = Uploads(services.outbox, services.blobs, clock=lambda: started)
    data = b"abandoned push"
    session = old_uploads.start_upload("m", make_draft({"x.bin": data}), actor="alice")
    old_uploads.receive_blob(session.id, digest_of(data), [data])
    make_old(services, digest_of(data), hours=25)
    writer = backend(services).create_writer("uploads/crashed/data")
    writer.write(b"half a blob")
    writer.commit()
    moment = time.time() - 3 * 3600
    os.utime(backend(services).path_for("uploads/crashed/data"), (moment, moment))
    return session.id, digest_of(data), "uploads/crashed/data"


def test_deletes_stale_sessions_their_blobs_and_leftover_upload_objects(services):
    session_id, digest, leftover = stale_setup(services)
    fresh = services.uploads.start_upload("n", make_draft({"y.bin": b"fresh"}), actor="bob")

    report = services.storage.gc.collect(grace=HOUR)

    assert report.sessions == 1
    assert report.blobs == Freed(1, len(b"abandoned push"))
    assert report.uploads == Freed(1, len(b"half a blob"))
    with pytest.raises(UploadNotFoundError):
        services.uploads.get_upload(session_id)
    assert services.uploads.get_upload(fresh.id).model_name == "n"
    assert digest not in stored(services)
    assert backend(services).stat(leftover) is None


def test_dry_run_deletes_nothing_and_reports_what_a_real_run_frees(services):
    session_id, _digest, leftover = stale_setup(services)
    orphan = put_blob(services, b"orphan")
    make_old(services, orphan)
    push(services, "m", {"kept.bin": b"kept"})
    before = stored(services)

    dry = services.storage.gc.collect(grace=HOUR, dry_run=True)

    assert stored(services) == before
    assert services.uploads.get_upload(session_id).id == session_id
    assert backend(services).stat(leftover) is not None
    assert services.audit.list_entries(AuditQuery(action="gc.completed")).items == ()

    real = services.storage.gc.collect(grace=HOUR)

    assert dry.dry_run
    assert not real.dry_run
    assert (dry.blobs, dry.uploads, dry.parts, dry.sessions, dry.kept_young) == (
        real.blobs,
        real.uploads,
        real.parts,
        real.sessions,
        real.kept_young,
    )
    assert dry.blobs == Freed(2, len(b"abandoned push") + len(b"orphan"))
    assert stored(services) == {digest_of(b"kept")}


def test_negative_grace_is_refused(services):
    with pytest.raises(InvalidArgumentError, match="grace"):
        GarbageCollector(services.outbox, services.blobs).collect(grace=-HOUR)


def test_pushes_racing_a_collector_with_grace_zero_all_pull_byte_identically(services, tmp_path):
    """Pushers share one file across all their versions and delete their previous version
    before pushing the next, so the shared blob now and then loses its last reference while
    a new session declares it; meanwhile a collector runs over and over with grace 0. Every
    version that exists at the end must pull byte for byte, and the collector must have
    deleted every deleted version's own blob."""
    # Opaque data (a NUL first: neither a pickle nor text), so the upload scanner passes it.
    shared = b"\x00" + os.urandom(20_000)
    expected: dict[str, dict[str, bytes]] = {}
    errors: list[BaseException] = []
    done = threading.Event()
    freed: list[int] = []

    def pusher(worker: int) -> None:
        try:
            client = Client(
                transport=EmbeddedTransport(services, user=f"u{worker}"),
                cache_dir=tmp_path / f"cache{worker}",
            )
            name = f"model-{worker}"
            for round_ in range(6):
                if round_:
                    client.delete_version(name, round_)
                    del expected[f"{name}/{round_}"]
                own = b"\x00" + os.urandom(3000)
                files = {"shared.bin": shared, "own.bin": own}
                folder = write_model_dir(tmp_path / f"src-{worker}-{round_}", files)
                version = client.push(name, folder).version
                expected[f"{name}/{version}"] = files
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    def collector() -> None:
        try:
            while not done.is_set():
                freed.append(services.storage.gc.collect(grace=timedelta(0)).blobs.objects)
        except BaseException as error:
            errors.append(error)

    # Seed the shared blob (and its scan result: concurrent first scans of one new digest are
    # a separate matter) in a version that is deleted at once, so it starts unreferenced.
    push(services, "seed", {"shared.bin": shared})
    services.registry.delete_version("seed", 1, actor="alice")
    workers = [threading.Thread(target=pusher, args=(i,)) for i in range(3)]
    gc_thread = threading.Thread(target=collector)
    gc_thread.start()
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    done.set()
    gc_thread.join()
    assert errors == []
    freed.append(services.storage.gc.collect(grace=timedelta(0)).blobs.objects)

    # Every deleted version's own.bin once, plus the shared blob each time it was unreferenced.
    assert sum(freed) >= 3 * 5
    client = Client(transport=EmbeddedTransport(services, user="check"), cache_dir=tmp_path / "v")
    assert sorted(expected) == [f"model-{i}/6" for i in range(3)]
    for ref, files in expected.items():
        assert read_tree(client.pull(ref, tmp_path / "pulled" / ref)) == files
    assert stored(services) == {digest_of(shared)} | {
        digest_of(files["own.bin"]) for files in expected.values()
    }


def test_gc_through_the_sdk(client, tmp_path):
    folder = write_model_dir(tmp_path / "src", {"w.bin": b"weights"})
    client.push("m", folder)
    client.delete_version("m", 1)

    dry = client.collect_garbage(grace="0", dry_run=True)
    report = client.collect_garbage(grace=timedelta(0))

    assert dry.dry_run
    assert dry.blobs == report.blobs == Freed(1, len(b"weights"))
    assert report.grace == timedelta(0)
    assert client.collect_garbage(grace="0s").blobs == Freed()
