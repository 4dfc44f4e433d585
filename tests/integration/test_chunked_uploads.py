"""``ChunkedUploads``, the service of chunked pushes, on SQLite and PostgreSQL: what it accepts,
and that a blob becomes visible only whole and verified."""

from __future__ import annotations

import pytest

from modelreg.blobs.cas import write_stream
from modelreg.blobs.chunks import ChunkedStore
from modelreg.blobs.recipes import Recipe, recipe_key
from modelreg.domain.chunking import ChunkLimits, ChunkRef
from modelreg.domain.errors import (
    InvalidArgumentError,
    LimitExceededError,
    MissingBlobsError,
    UploadNotFoundError,
)
from modelreg.service.chunked_uploads import ChunkedUploads
from tests.factories import digest_of, make_draft

PARTS = [b"p" * 700, b"q" * 300, b"r" * 500]
DATA = b"".join(PARTS)
REFS = [ChunkRef(digest_of(part), len(part)) for part in PARTS]


class SweptDuringAssembly(ChunkedStore):
    """A store where a garbage-collection sweep removes a chunk right after the recipe lands:
    the interleaving ``sweep_parts``'s docstring leaves to ``assemble_blob``."""

    def write_recipe(self, recipe: Recipe) -> None:
        super().write_recipe(recipe)
        self.delete_chunk(recipe.chunks[1].digest)


@pytest.fixture
def session(services) -> str:
    draft = make_draft({"model.bin": DATA})
    return services.uploads.start_upload("m", draft, actor="alice").id


def chunked(services, store: ChunkedStore | None = None, **limits: int) -> ChunkedUploads:
    target = store or services.blobs
    return ChunkedUploads(services.metadata, target, limits=ChunkLimits(**limits))


def send_all(uploads: ChunkedUploads, session: str) -> None:
    for part, ref in zip(PARTS, REFS, strict=True):
        uploads.receive_chunk(session, digest_of(DATA), ref, [part])


def test_assembled_blob_commits_like_a_whole_one(services, session):
    uploads = chunked(services)
    assert uploads.missing_chunks(session, digest_of(DATA), REFS) == REFS
    send_all(uploads, session)
    assert uploads.missing_chunks(session, digest_of(DATA), REFS) == []

    uploads.assemble_blob(session, digest_of(DATA), REFS)
    version = services.uploads.commit_upload(session, actor="alice")

    assert b"".join(services.blobs.open(version.files[0].digest)) == DATA


def test_recipe_is_withdrawn_when_a_sweep_took_a_chunk_meanwhile(services, session):
    racing = SweptDuringAssembly(services.blobs.whole)
    uploads = chunked(services, racing)
    send_all(uploads, session)

    with pytest.raises(MissingBlobsError) as caught:
        uploads.assemble_blob(session, digest_of(DATA), REFS)

    assert caught.value.details["missing"] == [str(REFS[1].digest)]
    assert not services.blobs.exists(digest_of(DATA))
    with pytest.raises(MissingBlobsError):
        services.uploads.commit_upload(session, actor="alice")


def test_blob_already_stored_whole_needs_no_chunks(services, session):
    write_stream(services.blobs, "blake3", [DATA], digest_of(DATA), len(DATA))
    uploads = chunked(services)

    assert uploads.missing_chunks(session, digest_of(DATA), REFS) == []
    uploads.assemble_blob(session, digest_of(DATA), REFS)  # already present counts as success
    assert services.blobs.backend.stat(recipe_key(digest_of(DATA))) is None  # kept whole


def test_chunk_larger_than_the_limit_is_refused(services, session):
    uploads = chunked(services, max_chunk_size=600)

    with pytest.raises(LimitExceededError):
        uploads.receive_chunk(session, digest_of(DATA), REFS[0], [PARTS[0]])
    with pytest.raises(LimitExceededError):
        uploads.missing_chunks(session, digest_of(DATA), REFS)


def test_too_many_chunks_are_refused(services, session):
    uploads = chunked(services, max_chunks=2)

    with pytest.raises(LimitExceededError):
        uploads.missing_chunks(session, digest_of(DATA), REFS)


def test_chunk_larger_than_its_blob_is_refused(services):
    small = services.uploads.start_upload("m", make_draft({"a": b"tiny"}), actor="alice").id

    with pytest.raises(InvalidArgumentError):
        chunked(services).receive_chunk(small, digest_of(b"tiny"), REFS[0], [PARTS[0]])


def test_unknown_session_is_not_found(services):
    with pytest.raises(UploadNotFoundError):
        chunked(services).missing_chunks("f" * 32, digest_of(DATA), REFS)
