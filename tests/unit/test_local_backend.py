"""``LocalBackend``: keys stay inside the root, and nothing partial is ever under a final key."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelreg.blobs.base import ObjectBackend
from modelreg.blobs.local import PARTIAL_DIR, LocalBackend
from modelreg.domain.errors import BlobNotFoundError, InvalidArgumentError

ESCAPING_KEYS = [
    "",
    "../outside",
    "a/../../outside",
    "a/..",
    "/etc/passwd",
    "a\\..\\..\\outside",
    "a/./b",
    "a//b",
    "a/",
    ".partial/x",
    "a/.hidden",
    "nul\x00byte",
]


@pytest.fixture
def backend(tmp_path: Path) -> LocalBackend:
    return LocalBackend(tmp_path / "root", chunk_size=4)


def put(backend: LocalBackend, key: str, data: bytes) -> None:
    writer = backend.create_writer(key)
    writer.write(data)
    writer.commit()


def test_conforms_to_the_port(tmp_path):
    backend: ObjectBackend = LocalBackend(tmp_path)
    assert backend is not None


@pytest.mark.parametrize("key", ESCAPING_KEYS)
def test_escaping_keys_are_rejected(backend, key):
    with pytest.raises(InvalidArgumentError):
        backend.path_for(key)
    with pytest.raises(InvalidArgumentError):
        backend.create_writer(key)
    with pytest.raises(InvalidArgumentError):
        backend.open_reader(key)
    with pytest.raises(InvalidArgumentError):
        backend.stat(key)
    with pytest.raises(InvalidArgumentError):
        backend.delete(key)
    with pytest.raises(InvalidArgumentError):
        backend.move("a/b", key)


def test_path_for_stays_under_the_root(backend):
    expected = backend.root / "blobs" / "blake3" / "ab" / "abc"
    assert backend.path_for("blobs/blake3/ab/abc") == expected


def test_crash_before_commit_leaves_no_final_file(backend):
    writer = backend.create_writer("uploads/1/data")
    writer.write(b"half of the data")
    # The process "dies" here: no commit, no abort.

    assert not backend.path_for("uploads/1/data").exists()
    assert backend.stat("uploads/1/data") is None
    assert list(backend.list("")) == []
    assert len(list((backend.root / PARTIAL_DIR).iterdir())) == 1
    writer.abort()  # only to close the file handle


def test_abort_removes_the_partial_file(backend):
    writer = backend.create_writer("a/b")
    writer.write(b"data")
    writer.abort()
    writer.abort()

    assert list((backend.root / PARTIAL_DIR).iterdir()) == []
    assert backend.stat("a/b") is None


def test_commit_replaces_an_existing_object_only_at_commit(backend):
    put(backend, "a/b", b"old")
    writer = backend.create_writer("a/b")
    writer.write(b"new content")

    assert backend.path_for("a/b").read_bytes() == b"old"
    writer.commit()
    assert backend.path_for("a/b").read_bytes() == b"new content"
    with pytest.raises(ValueError, match="already committed"):
        writer.write(b"more")


def test_reader_yields_chunks_of_the_configured_size(backend):
    put(backend, "k", b"0123456789")

    assert list(backend.open_reader("k")) == [b"0123", b"4567", b"89"]
    assert list(backend.open_reader("k", 3, 6)) == [b"3456", b"78"]
    assert list(backend.open_reader("k", 10)) == []


def test_missing_key_raises_not_found_when_opened(backend):
    with pytest.raises(BlobNotFoundError):
        backend.open_reader("missing")
    put(backend, "folder/file", b"x")
    with pytest.raises(BlobNotFoundError):
        backend.open_reader("folder")


def test_move_creates_folders_and_prunes_empty_ones(backend):
    put(backend, "uploads/1/data", b"x")

    backend.move("uploads/1/data", "blobs/blake3/ab/abcd")

    assert backend.path_for("blobs/blake3/ab/abcd").read_bytes() == b"x"
    # The emptied upload folder goes; the top-level folder stays for the next writer.
    assert not (backend.root / "uploads" / "1").exists()
    assert (backend.root / "uploads").is_dir()
    with pytest.raises(BlobNotFoundError):
        backend.move("uploads/1/data", "elsewhere")


def test_list_matches_prefixes_and_skips_partial_files(backend):
    put(backend, "blobs/blake3/ab/ab1", b"1")
    put(backend, "blobs/blake3/ac/ac2", b"22")
    put(backend, "uploads/9/data", b"333")
    unfinished = backend.create_writer("blobs/blake3/ab/ab3")
    unfinished.write(b"unfinished")

    assert sorted(info.key for info in backend.list("")) == [
        "blobs/blake3/ab/ab1",
        "blobs/blake3/ac/ac2",
        "uploads/9/data",
    ]
    assert [info.key for info in backend.list("blobs/blake3/ab")] == ["blobs/blake3/ab/ab1"]
    assert [info.size for info in backend.list("uploads/")] == [3]
    assert list(backend.list("nothing/here/")) == []
    unfinished.abort()


def test_delete_is_idempotent_and_prunes_folders(backend):
    put(backend, "a/b/c", b"x")

    backend.delete("a/b/c")
    backend.delete("a/b/c")

    assert sorted(backend.root.iterdir()) == [backend.root / PARTIAL_DIR, backend.root / "a"]
    assert list((backend.root / "a").iterdir()) == []
