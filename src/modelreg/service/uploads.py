"""The push protocol: declare files, receive only the missing blobs, commit the version.

Blobs are written first and checked against their digest; the version row is inserted READY in
one transaction at commit, so a crash at any point leaves at most orphan blobs or a stale
session (both collected by ``gc``), never a visible version pointing at missing data.

Which declared blobs a session still has to send (proof of possession, with ``readable_by``),
and receiving one of them, are in ``service/session_blobs.py``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import timedelta

from modelreg.blobs.base import BlobStore
from modelreg.domain.digests import Digest
from modelreg.domain.entities import (
    Event,
    FileEntry,
    ModelHead,
    ModelVersion,
    UploadSession,
    VersionDraft,
    VersionStatus,
)
from modelreg.domain.errors import (
    AlreadyExistsError,
    InvalidArgumentError,
    MissingBlobsError,
    ModelNotFoundError,
    UploadNotFoundError,
    VersionNotFoundError,
)
from modelreg.domain.permissions import Visibility
from modelreg.domain.rules import DEFAULT_LIMITS, Limits, validate_draft, validate_model_name
from modelreg.service.access import grant_creator
from modelreg.service.clock import Clock, utcnow
from modelreg.service.policies import enforce_new_version
from modelreg.service.session_blobs import BlobUpload, missing_digests, unique_files
from modelreg.store.base import MetadataStore, MetadataTransaction

UPLOAD_TTL = timedelta(hours=24)


class Uploads:
    def __init__(
        self,
        store: MetadataStore,
        blobs: BlobStore,
        *,
        limits: Limits = DEFAULT_LIMITS,
        clock: Clock = utcnow,
        scan_files: Callable[[Iterable[FileEntry]], object] | None = None,
    ) -> None:
        self.store = store
        self.blobs = blobs
        self.limits = limits
        self.clock = clock
        # Scans the version's blobs before its row is inserted (service/scans.py), so no
        # version is visible with a file nobody has scanned.
        self.scan_files = scan_files

    def start_upload(
        self,
        model_name: str,
        draft: VersionDraft,
        *,
        actor: str,
        readable_by: Visibility | None = None,
    ) -> UploadSession:
        """Open a session for a new version; answers which digests still have to be sent."""
        validate_model_name(model_name, self.limits)
        clean = validate_draft(draft, self.limits)
        session = UploadSession(
            id=secrets.token_hex(16),
            model_name=model_name,
            draft=clean,
            created_by=actor,
            started_at=self.clock(),
        )
        with self.store.transaction(write=True) as tx:
            if clean.lineage.parent_version is not None:
                tx.get_version(model_name, clean.lineage.parent_version)
            enforce_new_version(tx, model_name, clean, actor=actor)
            tx.create_upload(session)
        return replace(session, missing=self._missing(clean.files, session.id, readable_by))

    def get_upload(self, upload_id: str, *, readable_by: Visibility | None = None) -> UploadSession:
        with self.store.transaction() as tx:
            session = tx.get_upload(upload_id)
        return replace(session, missing=self._missing(session.draft.files, upload_id, readable_by))

    def begin_blob(self, upload_id: str, digest: Digest) -> BlobUpload:
        """Receive one of the session's declared blobs."""
        with self.store.transaction() as tx:
            session = tx.get_upload(upload_id)
        sizes = {entry.digest: entry.size for entry in session.draft.files}
        if digest not in sizes:
            raise InvalidArgumentError(
                f"blob {digest} is not part of upload {upload_id}", digest=str(digest)
            )
        return BlobUpload(
            self.blobs.begin_write(digest.algorithm),
            digest,
            sizes[digest],
            on_stored=lambda stored: self.record_received(upload_id, [stored]),
        )

    def record_received(self, upload_id: str, digests: Iterable[Digest]) -> None:
        """Note that the session sent these blobs (or chunks) and they were verified: from now
        on they count as present for it whoever else holds them."""
        with self.store.transaction(write=True) as tx:
            tx.record_receipts(upload_id, [str(digest) for digest in digests])

    def receive_blob(self, upload_id: str, digest: Digest, chunks: Iterable[bytes]) -> None:
        upload = self.begin_blob(upload_id, digest)
        try:
            for chunk in chunks:
                upload.write(chunk)
            upload.finish()
        except BaseException:
            upload.abort()
            raise

    def commit_upload(
        self, upload_id: str, *, actor: str, readable_by: Visibility | None = None
    ) -> ModelVersion:
        """Make the version visible, numbered, READY, once every blob is stored and verified
        (and, with ``readable_by``, possessed by the caller)."""
        with self.store.transaction() as tx:
            session = tx.get_upload(upload_id)
        missing = self._missing(session.draft.files, upload_id, readable_by)
        if missing:
            paths = [f.path for f in session.draft.files if f.digest in set(missing)]
            raise MissingBlobsError(
                f"upload {upload_id} is incomplete: the registry has not received "
                f"{len(paths)} file(s): {', '.join(paths[:5])}",
                missing=[str(d) for d in missing],
            )
        if self.scan_files is not None:
            self.scan_files(session.draft.files)
        now = self.clock()
        with self.store.transaction(write=True) as tx:
            name = session.model_name
            head: ModelHead | None = None
            try:
                head = tx.lock_model_head(name)
            except ModelNotFoundError:
                try:
                    tx.create_model(name, description="", owner=actor, tags={}, now=now)
                    grant_creator(tx, name, actor, now)
                    tx.add_event(Event(name, "model.created", actor, now))
                except AlreadyExistsError:
                    tx.lock_model(name)  # a concurrent first push created it meanwhile
            enforce_new_version(tx, name, session.draft, actor=session.created_by, model=head)
            parent = session.draft.lineage.parent_version
            if parent is not None:
                try:
                    tx.get_version(name, parent)
                except VersionNotFoundError as error:
                    raise InvalidArgumentError(
                        f"parent version {parent} of {name!r} does not exist"
                    ) from error
            version = tx.insert_version(
                name,
                session.draft,
                status=VersionStatus.READY,
                created_by=session.created_by,
                now=now,
            )
            # The session was read in an earlier transaction: since then it may have expired
            # (GC deletes it, then the blobs only it declared) or another commit may have used
            # it. Claiming it here turns both into a clean error, and the rollback undoes the
            # version. Claim and re-check come AFTER ``insert_version`` on purpose: GC's
            # ``hold_blob_references`` locks version_files before upload_sessions (PostgreSQL),
            # so touching upload_sessions first would deadlock against it. From the INSERT on,
            # our ROW EXCLUSIVE lock keeps GC's SHARE lock (and so any deletion) out until we
            # commit; on SQLite this write transaction is exclusive anyway.
            if not tx.delete_upload(upload_id):
                raise UploadNotFoundError(
                    f"upload {upload_id!r} expired or was already committed; push again",
                    upload=upload_id,
                )
            self._require_stored(upload_id, session.draft.files)
            tx.add_event(
                Event(
                    name,
                    "version.created",
                    actor,
                    now,
                    version.version,
                    {"files": len(version.files), "size": version.size},
                )
            )
        return version

    def _require_stored(self, upload_id: str, files: Sequence[FileEntry]) -> None:
        """Inside the commit's write transaction, once GC is held off: a blob collected since
        ``_missing`` looked (the session was stale for GC) fails the commit; the rollback keeps
        the session, so the client sends the blob again and retries."""
        gone = [entry for entry in unique_files(files) if not self.blobs.exists(entry.digest)]
        if gone:
            raise MissingBlobsError(
                f"upload {upload_id} is incomplete: {len(gone)} file(s) were removed by garbage "
                f"collection before the commit; send them again: "
                f"{', '.join(entry.path for entry in gone[:5])}",
                missing=[str(entry.digest) for entry in gone],
            )

    def register_version(
        self,
        model_name: str,
        draft: VersionDraft,
        *,
        actor: str,
        within: Callable[[MetadataTransaction, ModelVersion], None] | None = None,
    ) -> ModelVersion:
        """The next version of an existing model from files already stored as blobs (no upload
        session, nothing transferred): same checks, numbering and event as a committed push.
        ``within`` runs in the same transaction once the version is inserted, for a front end's
        own rows about it (MLflow's stage and source), so both commit or neither does.

        ``MissingBlobsError`` when a blob is absent or has another size than declared.
        """
        validate_model_name(model_name, self.limits)
        clean = validate_draft(draft, self.limits)
        missing = set(self._missing(clean.files))
        if missing:
            paths = [f.path for f in clean.files if f.digest in missing]
            raise MissingBlobsError(
                f"the registry does not hold {len(paths)} file(s): {', '.join(paths[:5])}",
                missing=[str(d) for d in missing],
            )
        if self.scan_files is not None:
            self.scan_files(clean.files)
        now = self.clock()
        with self.store.transaction(write=True) as tx:
            head = tx.lock_model_head(model_name)
            enforce_new_version(tx, model_name, clean, actor=actor, model=head)
            version = tx.insert_version(
                model_name, clean, status=VersionStatus.READY, created_by=actor, now=now
            )
            # As in ``commit_upload``: once the INSERT holds GC off, the blobs checked above
            # must still be there (an old unreferenced blob may have been collected meanwhile).
            gone = [
                entry for entry in unique_files(clean.files) if not self.blobs.exists(entry.digest)
            ]
            if gone:
                raise MissingBlobsError(
                    f"{len(gone)} file(s) were removed by garbage collection while the version "
                    f"was being registered; nothing was saved: "
                    f"{', '.join(entry.path for entry in gone[:5])}",
                    missing=[str(entry.digest) for entry in gone],
                )
            tx.add_event(
                Event(
                    model_name,
                    "version.created",
                    actor,
                    now,
                    version.version,
                    {"files": len(version.files), "size": version.size},
                )
            )
            if within is not None:
                within(tx, version)
        return version

    def cancel_upload(self, upload_id: str) -> None:
        """Drop a session; cancelling twice, or after a commit, is not an error."""
        with self.store.transaction(write=True) as tx:
            tx.delete_upload(upload_id)

    def open_blob(
        self, digest: Digest, offset: int = 0, length: int | None = None
    ) -> Iterator[bytes]:
        return self.blobs.open(digest, offset, length)

    def blob_size(self, digest: Digest) -> int:
        return self.blobs.size(digest)

    def _missing(
        self,
        files: Sequence[FileEntry],
        upload_id: str | None = None,
        readable_by: Visibility | None = None,
    ) -> tuple[Digest, ...]:
        return missing_digests(self.store, self.blobs, files, upload_id, readable_by)
