"""Proof of possession for chunked pushes (``docs/permissions.md``): which of a blob's chunks a
session still has to send (``service/chunked_uploads.py``).

With ``readable_by`` (None in open mode and for registry admins) a stored chunk counts as
present only when this session sent it or it belongs to the recipe of the file at the same path
in the model's latest version; a stored blob only as for whole blobs
(``service/session_blobs.py``, ``possessed``). Otherwise its chunks are asked for and verified,
and nothing new is kept for a blob that was stored already.
"""

from __future__ import annotations

from collections.abc import Sequence

from modelreg.blobs.chunk_store import ChunkStore
from modelreg.domain.chunking import ChunkRef
from modelreg.domain.digests import Digest
from modelreg.domain.errors import BlobNotFoundError, NotFoundError
from modelreg.domain.permissions import Visibility
from modelreg.store.base import MetadataStore


def unproven_chunks(
    store: MetadataStore,
    chunk_store: ChunkStore,
    upload_id: str,
    digest: Digest,
    chunks: Sequence[ChunkRef],
    readable_by: Visibility | None,
) -> list[ChunkRef]:
    """The chunks not stored, and with ``readable_by`` the stored ones the caller has not
    shown it holds, each once, in file order."""
    missing = chunk_store.missing_chunks(chunks)
    if readable_by is None:
        return missing
    absent = {chunk.digest for chunk in missing}
    first: dict[Digest, ChunkRef] = {}
    for chunk in chunks:
        first.setdefault(chunk.digest, chunk)
    unique = list(first.values())
    pooled = [str(chunk.digest) for chunk in unique if chunk.digest not in absent]
    known = (
        _known_chunks(store, chunk_store, upload_id, digest, pooled, readable_by)
        if pooled
        else set()
    )
    return [c for c in unique if c.digest in absent or str(c.digest) not in known]


def _known_chunks(
    store: MetadataStore,
    chunk_store: ChunkStore,
    upload_id: str,
    digest: Digest,
    pooled: list[str],
    readable_by: Visibility,
) -> set[str]:
    """Of the stored chunks ``pooled``: those this session sent, and those of the recipe of
    the file at the same path in the model's latest version, if the caller may read it (the
    common case: a new checkpoint sharing most chunks with the previous one). One recipe
    read, not a scan of every recipe the caller could read."""
    with store.transaction() as tx:
        known = tx.received_digests(upload_id, pooled)
        session = tx.get_upload(upload_id)
        paths = {entry.path for entry in session.draft.files if entry.digest == digest}
        try:
            latest = tx.get_latest_version(session.model_name)
        except NotFoundError:
            return known
        previous = {e.digest for e in latest.files if e.path in paths}
        readable = tx.readable_digests([str(d) for d in previous], readable_by)
    for base in previous:
        if str(base) not in readable:
            continue
        try:
            known |= {str(chunk.digest) for chunk in chunk_store.read_recipe(base).chunks}
        except BlobNotFoundError:  # stored whole, not as chunks
            continue
    return known
