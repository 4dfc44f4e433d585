"""Chunked pushes of large files: send only the chunks the registry lacks (docs/dedup.md).

A file of at least ``ChunkerParams.threshold`` bytes is cut with content-defined chunking
(FastCDC 2020 over an mmap of the file, never read into memory whole); the registry answers
which chunks it lacks, the SDK sends only those, each streamed from the file, a few at a time,
and asks the registry to assemble the blob, which checks every chunk and the whole digest.

Resumable by construction: a push that was interrupted and runs again sends only the chunks
that did not arrive the first time. Both transports use the same logic through a ``ChunkSink``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

import httpx
from pyfastcdc import FastCDC

from modelreg import routes
from modelreg.client.transport import Progress
from modelreg.domain.chunking import DEFAULT_CHUNKER, ChunkerParams, ChunkRef
from modelreg.domain.digests import DEFAULT_ALGORITHM, Digest
from modelreg.domain.errors import ModelregError, UnavailableError
from modelreg.hashing import DigestHasher

READ_SIZE = 1024 * 1024
HTTP_PARALLEL = 4


class ChunkSink(Protocol):
    """Where a chunked push goes: a registry over HTTP, or the service layer in-process."""

    parallel: int

    def params(self) -> ChunkerParams | None:
        """How to cut files, or None when the registry does not accept chunked pushes."""

    def missing_chunks(
        self, upload_id: str, digest: Digest, chunks: Sequence[ChunkRef]
    ) -> list[tuple[ChunkRef, str | None]]:
        """The chunks the registry lacks, each with the URL to send it to (if any)."""

    def put_chunk(
        self,
        upload_id: str,
        digest: Digest,
        chunk: ChunkRef,
        url: str | None,
        data: Iterator[bytes],
    ) -> None: ...

    def assemble(self, upload_id: str, digest: Digest, chunks: Sequence[ChunkRef]) -> None: ...


def cut_file(
    source: Path, params: ChunkerParams = DEFAULT_CHUNKER, algorithm: str = DEFAULT_ALGORITHM
) -> list[tuple[int, ChunkRef]]:
    """(offset, chunk) of every chunk of ``source``, in file order."""
    if source.stat().st_size == 0:
        return []  # an empty file cannot be mapped, and has no chunks
    chunker = FastCDC(params.avg_size, min_size=params.min_size, max_size=params.max_size)
    found: list[tuple[int, ChunkRef]] = []
    for piece in chunker.cut_file(str(source)):
        hasher = DigestHasher(algorithm)
        hasher.update(piece.data)
        found.append((piece.offset, ChunkRef(hasher.digest(), piece.length)))
    return found


def push_in_chunks(
    sink: ChunkSink, upload_id: str, digest: Digest, source: Path, *, progress: Progress | None
) -> bool:
    """Push ``source`` as the declared blob ``digest`` in chunks; False (nothing sent) when the
    file is too small to be worth it or the registry does not accept chunked pushes."""
    size = source.stat().st_size
    if size < DEFAULT_CHUNKER.threshold:
        return False  # small files go whole, without even asking the registry
    params = sink.params()
    if params is None or size < params.threshold:
        return False
    cut = cut_file(source, params, digest.algorithm)
    if len(cut) > params.max_chunks:
        return False  # more chunks than the registry takes in one list: send the file whole
    chunks = [chunk for _, chunk in cut]
    missing = sink.missing_chunks(upload_id, digest, chunks)
    offsets: dict[Digest, int] = {}
    for offset, chunk in cut:
        offsets.setdefault(chunk.digest, offset)
    if progress:  # what the registry already holds counts as done at once
        progress(size - sum(chunk.size for chunk, _ in missing))

    def send(item: tuple[ChunkRef, str | None]) -> None:
        chunk, url = item
        data = _read_range(source, offsets[chunk.digest], chunk.size, progress)
        sink.put_chunk(upload_id, digest, chunk, url, data)

    if sink.parallel > 1 and len(missing) > 1:
        with ThreadPoolExecutor(max_workers=sink.parallel) as pool:
            for _ in pool.map(send, missing):
                pass  # re-raises the first failure
    else:
        for item in missing:
            send(item)
    sink.assemble(upload_id, digest, chunks)
    return True


def _read_range(source: Path, offset: int, size: int, progress: Progress | None) -> Iterator[bytes]:
    """Stream ``size`` bytes of ``source`` from ``offset``, counting them into ``progress``."""
    with source.open("rb") as handle:
        handle.seek(offset)
        left = size
        while left > 0:
            data = handle.read(min(READ_SIZE, left))
            if not data:
                return  # the file shrank: the registry will answer with a size mismatch
            left -= len(data)
            if progress:
                progress(len(data))
            yield data


class HttpChunkSink:
    """Chunked pushes through the registry's REST API, four chunks in flight. A chunk goes to the
    URL the registry names: its own route (relative), or a pre-signed object-store URL."""

    parallel = HTTP_PARALLEL

    def __init__(self, request: Any, storage: Callable[[], httpx.Client]) -> None:
        # ``HttpTransport._request``: sends, and turns error answers into domain errors.
        self._request = request
        # The transport's object-store client (``DirectTransferClient.storage_client``): it
        # carries none of the registry's headers, and the transport closes it.
        self._storage = storage
        self._params: ChunkerParams | None = None
        self._asked = False

    def params(self) -> ChunkerParams | None:
        if not self._asked:
            try:
                data = self._request("GET", routes.CHUNKING).json()
            except (ModelregError, ValueError):
                data = None  # a registry from before chunked pushes: send files whole
            self._params = None if data is None else _params_from_json(data)
            self._asked = True
        return self._params

    def missing_chunks(
        self, upload_id: str, digest: Digest, chunks: Sequence[ChunkRef]
    ) -> list[tuple[ChunkRef, str | None]]:
        path = routes.url(routes.UPLOAD_BLOB_CHUNKS, upload_id=upload_id, digest=digest)
        data = self._request("POST", path, json=_chunk_list_json(chunks)).json()
        return [
            (ChunkRef(Digest.parse(item["digest"]), int(item["size"])), item["upload_url"])
            for item in data["missing"]
        ]

    def put_chunk(
        self,
        upload_id: str,
        digest: Digest,
        chunk: ChunkRef,
        url: str | None,
        data: Iterator[bytes],
    ) -> None:
        if url is None:
            url = routes.url(
                routes.UPLOAD_BLOB_CHUNK,
                upload_id=upload_id,
                digest=digest,
                chunk_digest=chunk.digest,
            )
        if url.startswith("/"):
            headers = {
                "Content-Length": str(chunk.size),
                "Content-Type": "application/octet-stream",
            }
            self._request("PUT", url, content=data, headers=headers)
            return
        if not url.startswith(("http://", "https://")):
            raise ModelregError(f"the registry asked for chunk {chunk.digest} at {url[:200]!r}")
        # A pre-signed storage URL: no registry credentials, nothing but the bytes.
        try:
            answer = self._storage().put(
                url, content=data, headers={"Content-Length": str(chunk.size)}
            )
        except httpx.TransportError as error:
            raise UnavailableError(
                f"upload of a chunk to object storage failed: {error}"
            ) from error
        if answer.is_error:
            text = " ".join(answer.text[:300].split()) or answer.reason_phrase
            message = f"object storage refused chunk {chunk.digest} (HTTP {answer.status_code})"
            error_type = UnavailableError if answer.status_code >= 500 else ModelregError
            raise error_type(f"{message}: {text}")

    def assemble(self, upload_id: str, digest: Digest, chunks: Sequence[ChunkRef]) -> None:
        path = routes.url(routes.UPLOAD_BLOB_ASSEMBLE, upload_id=upload_id, digest=digest)
        self._request("POST", path, json=_chunk_list_json(chunks))


def _chunk_list_json(chunks: Sequence[ChunkRef]) -> dict[str, Any]:
    return {"chunks": [{"digest": str(chunk.digest), "size": chunk.size} for chunk in chunks]}


def _params_from_json(data: Any) -> ChunkerParams | None:
    try:
        if data["chunker"] != DEFAULT_CHUNKER.chunker:
            return None  # a chunker this SDK does not have: send files whole
        params = ChunkerParams(
            min_size=int(data["min_size"]),
            avg_size=int(data["avg_size"]),
            max_size=min(int(data["max_size"]), int(data["max_chunk_size"])),
            threshold=int(data["threshold"]),
            max_chunks=int(data["max_chunks"]),
        )
        FastCDC(params.avg_size, min_size=params.min_size, max_size=params.max_size)  # in range?
    except (KeyError, TypeError, ValueError):
        return None
    return params
