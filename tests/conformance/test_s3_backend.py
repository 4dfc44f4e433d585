"""What only the S3 backend does: multipart writes and copies, ranged reads across parts, paged
listings, prefixes, and the direct transfers of pre-signed URLs, against a real moto_server."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from modelreg.blobs.base import (
    DirectBlobTransfers,
    DirectTransfers,
    ObjectBackend,
    UploadedPart,
)
from modelreg.blobs.cas import ContentAddressedStore
from modelreg.blobs.direct import ContentAddressedTransfers, direct_transfers
from modelreg.blobs.layout import blob_key, upload_key
from modelreg.blobs.local import LocalBackend
from modelreg.blobs.s3 import MIN_PART_SIZE, S3Backend
from modelreg.domain.errors import (
    BlobNotFoundError,
    DigestMismatchError,
    InvalidArgumentError,
    UnavailableError,
)
from tests.conformance.test_blob_store import digest_of, put, read

pytestmark = pytest.mark.s3

PART = MIN_PART_SIZE


def big(size: int) -> bytes:
    block = os.urandom(1 << 20)
    return (block * (size // len(block) + 1))[:size]


def etag_of(backend: S3Backend, key: str) -> str:
    return backend.client.head_object(Bucket=backend.bucket, Key=backend.prefix + key)["ETag"]


def open_multipart_uploads(backend: S3Backend) -> list[str]:
    found = backend.client.list_multipart_uploads(Bucket=backend.bucket)
    return [upload["Key"] for upload in found.get("Uploads", [])]


def test_s3_backend_conforms_to_the_ports(s3_backend):
    backend: ObjectBackend = s3_backend
    direct: DirectTransfers = s3_backend
    store = ContentAddressedStore(s3_backend)
    transfers: DirectBlobTransfers | None = direct_transfers(store)
    assert backend is direct
    assert isinstance(transfers, ContentAddressedTransfers)


def test_local_backend_offers_no_direct_transfers(tmp_path):
    assert direct_transfers(ContentAddressedStore(LocalBackend(tmp_path))) is None


def test_an_object_larger_than_a_part_is_written_in_parts(s3_backend):
    data = big(2 * PART + 12345)
    writer = s3_backend.create_writer("models/big")
    for i in range(0, len(data), 1 << 20):
        writer.write(data[i : i + (1 << 20)])
        assert s3_backend.stat("models/big") is None  # nothing visible before commit
    writer.commit()

    assert etag_of(s3_backend, "models/big").endswith('-3"')  # three parts, S3's multipart ETag
    assert b"".join(s3_backend.open_reader("models/big")) == data
    assert open_multipart_uploads(s3_backend) == []


def test_range_reads_cross_part_boundaries(s3_backend):
    data = big(2 * PART + 100)
    writer = s3_backend.create_writer("k")
    writer.write(data)
    writer.commit()

    for offset, length in [(PART - 10, 20), (PART - 1, PART + 2), (2 * PART + 99, 50)]:
        got = b"".join(s3_backend.open_reader("k", offset, length))
        assert got == data[offset : offset + length], (offset, length)


def test_aborting_a_multipart_write_leaves_nothing(s3_backend):
    writer = s3_backend.create_writer("aborted")
    writer.write(big(PART + 1))
    assert open_multipart_uploads(s3_backend) == ["registry/aborted"]

    writer.abort()
    writer.abort()

    assert open_multipart_uploads(s3_backend) == []
    assert s3_backend.stat("aborted") is None
    with pytest.raises(ValueError, match="already committed or aborted"):
        writer.write(b"more")


def test_a_large_blob_is_moved_into_place_by_part_copies(s3_backend):
    store = ContentAddressedStore(s3_backend)
    data = big(PART + PART // 2)

    digest = put(store, data)

    assert etag_of(s3_backend, blob_key(digest)).endswith('-2"')  # copied in two parts
    assert read(store, digest) == data
    assert list(store.list_uploads()) == []


def test_move_of_a_missing_object_raises_not_found(s3_backend):
    with pytest.raises(BlobNotFoundError):
        s3_backend.move("missing", "elsewhere")
    with pytest.raises(BlobNotFoundError):
        s3_backend.open_reader("missing")


def test_listing_follows_every_page(s3_backend):
    # S3 pages at 1,000 keys; a page of 10 runs the same continuation logic on fewer objects.
    paged = S3Backend(s3_backend.client, s3_backend.bucket, prefix="paged", list_page_size=10)

    def write(i: int) -> None:
        writer = paged.create_writer(f"many/{i:03d}")
        writer.write(b"x")
        writer.commit()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write, range(35)))

    keys = sorted(info.key for info in paged.list("many/"))
    assert keys == [f"many/{i:03d}" for i in range(35)]


def test_prefixes_keep_two_registries_apart_in_one_bucket(s3_backend):
    other = S3Backend(s3_backend.client, s3_backend.bucket, prefix="other")
    writer = other.create_writer("blobs/x")
    writer.write(b"other's")
    writer.commit()

    assert list(s3_backend.list("")) == []
    assert s3_backend.stat("blobs/x") is None
    assert [info.key for info in other.list("blobs/")] == ["blobs/x"]


@pytest.mark.parametrize("key", ["", "/abs", "a//b", "a/../b"])
def test_bad_keys_are_refused(s3_backend, key):
    with pytest.raises(InvalidArgumentError):
        s3_backend.stat(key)


def test_a_missing_bucket_is_one_clear_error(s3_server):
    backend = S3Backend(s3_server.client(), "no-such-bucket-here")
    with pytest.raises(UnavailableError, match="'no-such-bucket-here' does not exist"):
        backend.check_bucket()


def test_a_presigned_get_serves_ranges_and_names_the_file(s3_backend):
    store = ContentAddressedStore(s3_backend)
    digest = put(store, b"0123456789")
    transfers = ContentAddressedTransfers(store, s3_backend)

    url = transfers.download_url(digest, expires=60, filename="wéights.bin")
    whole = httpx.get(url)
    part = httpx.get(url, headers={"Range": "bytes=3-5"})

    assert whole.content == b"0123456789"
    # signed into the URL; S3 answers it as Content-Disposition (moto ignores it)
    disposition = parse_qs(urlsplit(url).query)["response-content-disposition"][0]
    assert "filename*=UTF-8''w%C3%A9ights.bin" in disposition
    assert part.status_code == 206
    assert part.content == b"345"
    assert transfers.download_url(digest_of(b"absent"), expires=60) is None


def send_parts(transfers: ContentAddressedTransfers, upload, data: bytes) -> list[UploadedPart]:
    count = max(1, -(-len(data) // PART))
    parts = []
    for number in range(1, count + 1):
        url = transfers.part_url(upload, number, expires=60)
        answer = httpx.put(url, content=data[(number - 1) * PART : number * PART])
        answer.raise_for_status()
        parts.append(UploadedPart(number, answer.headers["etag"]))
    return parts


@pytest.mark.parametrize("size", [0, 1000, 2 * PART + 7])
def test_a_direct_upload_is_verified_then_moved_into_place(s3_backend, size):
    store = ContentAddressedStore(s3_backend)
    transfers = ContentAddressedTransfers(store, s3_backend)
    data = big(size)
    upload = transfers.start_upload(multipart=size > PART)

    parts = send_parts(transfers, upload, data)
    transfers.finish_upload(upload, parts, digest_of(data), size)

    assert read(store, digest_of(data)) == data
    assert list(store.list_uploads()) == []
    assert open_multipart_uploads(s3_backend) == []


@pytest.mark.parametrize("declared", ["other content", "size"])
def test_a_direct_upload_that_does_not_match_leaves_nothing(s3_backend, declared):
    store = ContentAddressedStore(s3_backend)
    transfers = ContentAddressedTransfers(store, s3_backend)
    data = big(PART + 10)
    upload = transfers.start_upload(multipart=True)
    parts = send_parts(transfers, upload, data)
    expected = digest_of(b"x" * len(data)) if declared == "other content" else digest_of(data)
    size = len(data) if declared == "other content" else len(data) + 1

    with pytest.raises(DigestMismatchError):
        transfers.finish_upload(upload, parts, expected, size)

    assert list(store.list_digests()) == []
    assert list(store.list_uploads()) == []
    assert s3_backend.stat(upload_key(upload.transfer_id)) is None


def test_an_aborted_direct_upload_leaves_nothing(s3_backend):
    store = ContentAddressedStore(s3_backend)
    transfers = ContentAddressedTransfers(store, s3_backend)
    upload = transfers.start_upload(multipart=True)
    send_parts(transfers, upload, big(PART + 1))

    transfers.abort_upload(upload)
    transfers.abort_upload(upload)

    assert open_multipart_uploads(s3_backend) == []
    assert list(store.list_uploads()) == []
