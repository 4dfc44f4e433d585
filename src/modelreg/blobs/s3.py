"""An ``ObjectBackend`` over one bucket of an S3-compatible object store (AWS S3, MinIO, Ceph...).

Each key is the object ``<prefix><key>`` in the bucket. Nothing becomes visible before a write is
committed: a small object is sent with one PUT on ``commit``; a larger one is sent as a multipart
upload, one part each time ``part_size`` bytes have been buffered (so memory stays at about one
part), and appears only when ``commit`` completes it. ``abort`` aborts the multipart upload.
Reads stream one ranged GET. ``move`` is a server-side copy then a delete: the target appears
whole or not at all, although the pair of calls is not atomic.

The backend also offers ``DirectTransfers`` (``blobs/base.py``): pre-signed URLs and multipart
uploads driven by clients, so model bytes can bypass the registry server. Pre-signed URLs are
signed for ``public_endpoint_url`` when given (the address clients reach), else for the endpoint
the server uses.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from modelreg.blobs.base import ObjectInfo, UploadedPart
from modelreg.domain.errors import BlobNotFoundError, InvalidArgumentError, UnavailableError

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

MiB = 1 << 20
GiB = 1 << 30
MIN_PART_SIZE = 5 * MiB  # S3 refuses smaller parts, except the last one
DEFAULT_PART_SIZE = 16 * MiB
DEFAULT_CHUNK_SIZE = 1 * MiB
# One CopyObject call copies up to 5 GiB; past that the managed copy switches to part copies.
DEFAULT_COPY_THRESHOLD = 5 * GiB
_MISSING = {"404", "NoSuchKey", "NotFound"}


def s3_client(
    *, endpoint_url: str | None = None, region: str | None = None, path_style: bool | None = None
) -> S3Client:
    """A boto3 S3 client; credentials come from the standard AWS chain (environment, files,
    instance roles). Path-style addressing is the default for a custom endpoint (MinIO, moto)."""
    style = path_style if path_style is not None else endpoint_url is not None
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path" if style else "auto"},
        retries={"mode": "standard"},
    )
    return boto3.client("s3", endpoint_url=endpoint_url, region_name=region, config=config)


class S3Backend:
    """Objects in ``bucket`` under ``prefix``; ``presigner`` signs URLs handed to clients."""

    def __init__(
        self,
        client: S3Client,
        bucket: str,
        *,
        prefix: str = "",
        presigner: S3Client | None = None,
        part_size: int = DEFAULT_PART_SIZE,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        copy_threshold: int = DEFAULT_COPY_THRESHOLD,
        list_page_size: int = 1000,
    ) -> None:
        if part_size < MIN_PART_SIZE:
            raise InvalidArgumentError(
                f"part_size must be at least {MIN_PART_SIZE} bytes (the S3 minimum)",
                field="part_size",
            )
        if chunk_size <= 0:
            raise InvalidArgumentError("chunk_size must be positive", field="chunk_size")
        self.client = client
        self.presigner = presigner or client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.part_size = part_size
        self.chunk_size = chunk_size
        self.list_page_size = list_page_size  # S3 answers at most 1,000 keys a page
        self._copy_config = TransferConfig(
            multipart_threshold=copy_threshold, multipart_chunksize=max(copy_threshold // 4, MiB)
        )

    def check_bucket(self) -> None:
        """Fail with one clear ``UnavailableError`` when the bucket cannot be reached."""
        where = self.client.meta.endpoint_url
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as e:
            if _code(e) in {"404", "NoSuchBucket", "NotFound"}:
                raise UnavailableError(
                    f"S3 bucket {self.bucket!r} does not exist at {where}; create it first",
                    bucket=self.bucket,
                ) from e
            raise UnavailableError(
                f"S3 bucket {self.bucket!r} at {where} is not usable: {e}", bucket=self.bucket
            ) from e
        except BotoCoreError as e:  # unreachable endpoint, no credentials, ...
            raise UnavailableError(
                f"S3 bucket {self.bucket!r} at {where} is not usable: {e}", bucket=self.bucket
            ) from e

    # -- ObjectBackend -----------------------------------------------------------------------

    def create_writer(self, key: str) -> S3Writer:
        return S3Writer(self, key, self._name(key))

    def open_reader(self, key: str, offset: int = 0, length: int | None = None) -> Iterator[bytes]:
        _check_range(offset, length)
        info = self.stat(key)  # raise on the call, not on the first ``next``
        if info is None:
            raise BlobNotFoundError(f"object {key!r} not found", key=key)
        end = info.size if length is None else min(info.size, offset + length)
        if offset >= end:
            return iter(())
        return self._read(key, offset, end)

    def _read(self, key: str, start: int, end: int) -> Iterator[bytes]:
        try:
            found = self.client.get_object(
                Bucket=self.bucket, Key=self._name(key), Range=f"bytes={start}-{end - 1}"
            )
        except ClientError as e:
            if _code(e) in _MISSING:
                raise BlobNotFoundError(f"object {key!r} not found", key=key) from e
            raise
        body = found["Body"]
        try:
            yield from body.iter_chunks(self.chunk_size)
        finally:
            body.close()

    def stat(self, key: str) -> ObjectInfo | None:
        try:
            found = self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as e:
            if _code(e) in _MISSING:
                return None
            raise
        return ObjectInfo(key=key, size=found["ContentLength"], modified_at=found["LastModified"])

    def move(self, source: str, target: str) -> None:
        source_name, target_name = self._name(source), self._name(target)
        try:
            self.client.copy(
                {"Bucket": self.bucket, "Key": source_name},
                self.bucket,
                target_name,
                Config=self._copy_config,
            )
        except ClientError as e:
            if _code(e) in _MISSING:
                raise BlobNotFoundError(f"object {source!r} not found", key=source) from e
            raise
        self.client.delete_object(Bucket=self.bucket, Key=source_name)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket,
            Prefix=self.prefix + prefix,
            PaginationConfig={"PageSize": self.list_page_size},
        )
        for page in pages:
            for item in page.get("Contents", []):
                key = item["Key"].removeprefix(self.prefix)
                yield ObjectInfo(key=key, size=item["Size"], modified_at=item["LastModified"])

    # -- DirectTransfers ---------------------------------------------------------------------

    def presign_get(self, key: str, *, expires: int, filename: str | None = None) -> str:
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": self._name(key)}
        if filename:
            params["ResponseContentDisposition"] = _attachment(filename)
        return self.presigner.generate_presigned_url("get_object", params, ExpiresIn=expires)

    def presign_put(self, key: str, *, expires: int) -> str:
        params = {"Bucket": self.bucket, "Key": self._name(key)}
        return self.presigner.generate_presigned_url("put_object", params, ExpiresIn=expires)

    def create_multipart(self, key: str) -> str:
        started = self.client.create_multipart_upload(Bucket=self.bucket, Key=self._name(key))
        return started["UploadId"]

    def presign_part(self, key: str, upload_id: str, part_number: int, *, expires: int) -> str:
        params = {
            "Bucket": self.bucket,
            "Key": self._name(key),
            "UploadId": upload_id,
            "PartNumber": part_number,
        }
        return self.presigner.generate_presigned_url("upload_part", params, ExpiresIn=expires)

    def complete_multipart(self, key: str, upload_id: str, parts: Sequence[UploadedPart]) -> None:
        try:
            self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=self._name(key),
                UploadId=upload_id,
                MultipartUpload={
                    "Parts": [{"PartNumber": p.number, "ETag": p.etag} for p in parts]
                },
            )
        except ClientError as e:
            raise InvalidArgumentError(
                f"object storage refused to complete the upload of {key!r}: {_code(e)}", key=key
            ) from e

    def abort_multipart(self, key: str, upload_id: str) -> None:
        try:
            self.client.abort_multipart_upload(
                Bucket=self.bucket, Key=self._name(key), UploadId=upload_id
            )
        except ClientError as e:
            if _code(e) in {"404", "NoSuchUpload"}:  # aborting twice is fine
                return
            raise InvalidArgumentError(
                f"object storage refused to abort the upload of {key!r}: {_code(e)}", key=key
            ) from e

    def _name(self, key: str) -> str:
        _check_key(key)
        return self.prefix + key


class S3Writer:
    """Buffers up to one part; the object appears only when ``commit`` puts or completes it."""

    def __init__(self, backend: S3Backend, key: str, name: str) -> None:
        self.key = key
        self._backend = backend
        self._name = name
        self._buffer: bytearray | None = bytearray()
        self._upload_id: str | None = None
        self._parts: builtins.list[UploadedPart] = []

    def write(self, data: bytes | memoryview) -> None:
        buffer = self._open_buffer()
        buffer += data
        if len(buffer) >= self._backend.part_size:
            self._send_part(buffer)

    def commit(self) -> None:
        buffer = self._open_buffer()
        backend = self._backend
        try:
            if self._upload_id is None:
                backend.client.put_object(Bucket=backend.bucket, Key=self._name, Body=bytes(buffer))
            else:
                if buffer:
                    self._send_part(buffer)
                backend.client.complete_multipart_upload(
                    Bucket=backend.bucket,
                    Key=self._name,
                    UploadId=self._upload_id,
                    MultipartUpload={
                        "Parts": [{"PartNumber": p.number, "ETag": p.etag} for p in self._parts]
                    },
                )
                self._upload_id = None
        except BaseException:
            self.abort()
            raise
        self._buffer = None

    def abort(self) -> None:
        self._buffer = None
        upload_id, self._upload_id = self._upload_id, None
        if upload_id is not None:
            self._backend.client.abort_multipart_upload(
                Bucket=self._backend.bucket, Key=self._name, UploadId=upload_id
            )

    def _send_part(self, buffer: bytearray) -> None:
        backend = self._backend
        if self._upload_id is None:
            started = backend.client.create_multipart_upload(Bucket=backend.bucket, Key=self._name)
            self._upload_id = started["UploadId"]
        number = len(self._parts) + 1
        sent = backend.client.upload_part(
            Bucket=backend.bucket,
            Key=self._name,
            UploadId=self._upload_id,
            PartNumber=number,
            Body=bytes(buffer),
        )
        self._parts.append(UploadedPart(number, sent["ETag"]))
        buffer.clear()

    def _open_buffer(self) -> bytearray:
        if self._buffer is None:
            raise ValueError(f"writer for {self.key!r} is already committed or aborted")
        return self._buffer


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _attachment(filename: str) -> str:
    """A Content-Disposition naming ``filename``, safe for any characters (RFC 6266)."""
    ascii_name = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename
    )
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _check_key(key: str) -> None:
    if not key or key.startswith("/") or any(part in {"", ".", ".."} for part in key.split("/")):
        raise InvalidArgumentError(f"invalid object key {key[:200]!r}", field="key")


def _check_range(offset: int, length: int | None) -> None:
    if offset < 0:
        raise InvalidArgumentError(f"offset must not be negative, got {offset}", field="offset")
    if length is not None and length < 0:
        raise InvalidArgumentError(f"length must not be negative, got {length}", field="length")
