"""The blobs of an upload session: which ones it still has to send, and receiving one of them
(``Uploads`` in ``service/uploads.py`` runs the session itself).

Proof of possession (``docs/permissions.md``): with ``readable_by`` (the caller's visibility;
None in open mode and for registry admins) a stored blob counts as present for a session only
when the caller may read something that holds it, or the session itself sent its bytes.
Otherwise it is reported missing and must be sent in full (then verified, and nothing new is
stored), so knowing a digest never yields content the caller could not read.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence

from modelreg.blobs.base import BlobStore, BlobWriter
from modelreg.domain.digests import Digest
from modelreg.domain.entities import FileEntry
from modelreg.domain.errors import InvalidArgumentError
from modelreg.domain.permissions import Visibility
from modelreg.store.base import MetadataStore


class BlobUpload:
    """One blob of an upload session being received; hashes as it writes."""

    def __init__(
        self,
        writer: BlobWriter,
        digest: Digest,
        size: int,
        on_stored: Callable[[Digest], None] | None = None,
    ) -> None:
        self._writer = writer
        self.digest = digest
        self.expected_size = size
        self._on_stored = on_stored

    def write(self, data: bytes | memoryview) -> None:
        if self._writer.size + len(data) > self.expected_size:
            self._writer.abort()
            raise InvalidArgumentError(
                f"blob {self.digest} is larger than the {self.expected_size} bytes declared",
                digest=str(self.digest),
            )
        self._writer.write(data)

    def finish(self) -> None:
        self._writer.commit(self.digest, self.expected_size)
        if self._on_stored is not None:
            self._on_stored(self.digest)

    def abort(self) -> None:
        self._writer.abort()


def missing_digests(
    store: MetadataStore,
    blobs: BlobStore,
    files: Sequence[FileEntry],
    upload_id: str | None = None,
    readable_by: Visibility | None = None,
) -> tuple[Digest, ...]:
    """The declared digests still to be sent, in file order: not stored (or stored with
    another size), or, with ``readable_by``, stored but not possessed by the caller."""
    missing: dict[Digest, None] = {}
    stored: dict[Digest, None] = {}
    for entry in files:
        if entry.digest in missing or entry.digest in stored:
            continue
        if not blobs.exists(entry.digest) or blobs.size(entry.digest) != entry.size:
            missing[entry.digest] = None
        else:
            stored[entry.digest] = None
    if readable_by is None or not stored:
        return tuple(missing)
    held = possessed(store, upload_id, [str(digest) for digest in stored], readable_by)
    unproven = {digest for digest in stored if str(digest) not in held}
    return tuple(
        e.digest for e in unique_files(files) if e.digest in missing or e.digest in unproven
    )


def possessed(
    store: MetadataStore, upload_id: str | None, digests: Collection[str], readable_by: Visibility
) -> set[str]:
    """Those of ``digests`` the caller may read anyway, or that session ``upload_id`` sent."""
    with store.transaction() as tx:
        found = tx.readable_digests(digests, readable_by)
        rest = [digest for digest in digests if digest not in found]
        if upload_id is not None and rest:
            found |= tx.received_digests(upload_id, rest)
    return found


def unique_files(files: Iterable[FileEntry]) -> list[FileEntry]:
    """``files`` with the first entry of each digest only."""
    seen: dict[Digest, FileEntry] = {}
    for entry in files:
        seen.setdefault(entry.digest, entry)
    return list(seen.values())
