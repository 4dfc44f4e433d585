"""Direct transfers: the SDK moves blob bytes straight to and from the registry's object store.

Uploads: for each missing blob the SDK asks the registry for a direct upload. A registry whose
storage cannot take one answers ``mode: server`` (remembered, so it is asked once) and the blob
is sent through it as before. Otherwise the file is sent in parts to pre-signed URLs, a few parts
at a time, each streamed from the file, and the registry completes the upload and checks the
bytes that arrived against the declared size and digest.

Downloads: a registry answers a blob GET with ``307`` to a pre-signed URL. The SDK follows it
with a separate HTTP client that carries none of the registry's headers (no ``Authorization``
token, no user name), only ``Range`` when a download resumes. The caller still hashes every byte.
A blob stored as chunks is not one object: the registry answers a manifest of pre-signed chunk
URLs instead (``read_pieces``), and the SDK reads the chunks in order with the same client.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from modelreg import routes
from modelreg.client.transport import Progress
from modelreg.domain.digests import Digest
from modelreg.domain.errors import ModelregError, UnavailableError

READ_SIZE = 1024 * 1024
PARALLEL_PARTS = 4
PART_ATTEMPTS = 2  # a part whose connection broke is sent once more
URL_BATCH = 100

Request = Callable[..., httpx.Response]


class DirectTransferClient:
    """Direct uploads and redirected downloads for one ``HttpTransport``."""

    def __init__(self, request: Request, *, timeout: httpx.Timeout) -> None:
        self._request = request  # the registry's, with its headers and error mapping
        self._timeout = timeout
        self._storage: httpx.Client | None = None
        self._lock = threading.Lock()
        self.offered: bool | None = None  # None until the registry has answered once

    def upload(
        self, upload_id: str, digest: Digest, source: Path, *, progress: Progress | None
    ) -> bool:
        """Send ``source`` as blob ``digest`` of session ``upload_id`` straight to the object
        store; False (nothing sent) when the registry wants the bytes itself."""
        if self.offered is False:
            return False
        path = routes.url(routes.DIRECT_UPLOAD, upload_id=upload_id, digest=digest)
        started = _json(self._request("POST", path))
        self.offered = started.get("mode") == "direct"
        if not self.offered:
            return False
        ref = {"transfer_id": started["transfer_id"], "multipart_id": started["multipart_id"]}
        try:
            etags = self._send_parts(path, ref, started, source, progress)
            parts = [{"number": n, "etag": etag} for n, etag in sorted(etags.items())]
            self._request("POST", f"{path}/complete", json={**ref, "parts": parts})
        except BaseException:
            self._abort(path, ref)
            raise
        return True

    def follow(self, redirect: httpx.Response, *, offset: int) -> httpx.Response:
        """GET the pre-signed ``Location`` of ``redirect`` (closed here) from ``offset`` on,
        streamed; the caller closes the answer."""
        location = redirect.headers.get("location", "")
        redirect.close()
        if not location.startswith(("http://", "https://")):
            raise ModelregError(f"the registry redirected a download to {location[:200]!r}")
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        answer = self._client().send(httpx.Request("GET", location, headers=headers), stream=True)
        if answer.is_error:
            answer.read()
            answer.close()
            raise _storage_error(answer, "download")
        return answer

    def read_pieces(self, body: bytes, *, offset: int) -> Iterator[bytes]:
        """Stream a chunked blob from ``offset`` on, from the pre-signed chunk URLs of a
        manifest (``routes.CHUNK_MANIFEST_TYPE``), in order."""
        try:
            manifest = json.loads(body)
            pieces = [
                (str(p["url"]), int(p["offset"]), int(p["length"])) for p in manifest["pieces"]
            ]
            answered = int(manifest["offset"])
        except (KeyError, TypeError, ValueError) as error:
            raise ModelregError("the registry answered a damaged chunk manifest") from error
        if answered != offset:
            raise ModelregError(f"the registry answered chunks from {answered}, not {offset}")
        for url, start, length in pieces:
            if not url.startswith(("http://", "https://")) or length <= 0:
                raise ModelregError(f"the registry named a chunk at {url[:200]!r}")
            yield from self._read_piece(url, start, length)

    def _read_piece(self, url: str, start: int, length: int) -> Iterator[bytes]:
        headers = {"Range": f"bytes={start}-{start + length - 1}"}
        try:
            with self._client().stream("GET", url, headers=headers) as answer:
                if answer.is_error:
                    answer.read()
                    raise _storage_error(answer, "download")
                if answer.status_code != 206 and start != 0:
                    raise ModelregError("object storage ignored the range of a chunk")
                left = length  # a 200 for a whole-chunk range is fine: read what we asked for
                for data in answer.iter_bytes(READ_SIZE):
                    piece = data[:left]
                    left -= len(piece)
                    yield piece
                    if left == 0:
                        break
        except httpx.TransportError as error:
            raise UnavailableError(f"download of a chunk was interrupted: {error}") from error
        if left:
            raise ModelregError(f"object storage sent {length - left} of {length} chunk bytes")

    def close(self) -> None:
        with self._lock:
            if self._storage is not None:
                self._storage.close()
                self._storage = None

    # -- uploads -----------------------------------------------------------------------------

    def _send_parts(
        self,
        path: str,
        ref: dict[str, Any],
        started: dict[str, Any],
        source: Path,
        progress: Progress | None,
    ) -> dict[int, str]:
        size = source.stat().st_size
        part_size: int = started["part_size"]
        count: int = started["part_count"]
        urls = {p["number"]: p["url"] for p in started["parts"]}
        report = self._locked(progress)
        etags: dict[int, str] = {}

        def send(number: int) -> None:
            if number not in urls:
                raise ModelregError(f"the registry gave no URL for part {number}")
            offset = (number - 1) * part_size
            length = max(0, min(part_size, size - offset))
            etags[number] = self._put_part(urls[number], source, offset, length, report)

        with ThreadPoolExecutor(min(PARALLEL_PARTS, count)) as pool:
            for first in range(1, count + 1, URL_BATCH):
                batch = range(first, min(first + URL_BATCH, count + 1))
                missing = [n for n in batch if n not in urls]
                if missing:
                    body = {**ref, "first": missing[0], "count": len(batch)}
                    more = _json(self._request("POST", f"{path}/parts", json=body))
                    urls.update({p["number"]: p["url"] for p in more.get("parts", [])})
                list(pool.map(send, batch))  # raises the first failure
        return etags

    def _put_part(
        self, url: str, source: Path, offset: int, length: int, progress: Progress | None
    ) -> str:
        for attempt in range(1, PART_ATTEMPTS + 1):
            try:
                answer = self._client().put(
                    url,
                    content=_file_slice(source, offset, length, progress),
                    headers={"Content-Length": str(length)},
                )
            except httpx.TransportError as error:
                if attempt == PART_ATTEMPTS:
                    raise UnavailableError(f"upload to object storage failed: {error}") from error
                continue
            if answer.is_error:
                raise _storage_error(answer, "upload")
            return str(answer.headers.get("etag", ""))
        raise AssertionError("unreachable")  # pragma: no cover

    def _abort(self, path: str, ref: dict[str, Any]) -> None:
        # Best effort: the upload has already failed, and anything left is collected later.
        with contextlib.suppress(ModelregError, httpx.HTTPError):
            self._request("POST", f"{path}/abort", json=ref)

    # -- plumbing ----------------------------------------------------------------------------

    def storage_client(self) -> httpx.Client:
        """The client for pre-signed object-store URLs (direct parts, redirected downloads,
        staged chunks): one per transport, closed with it by ``close``."""
        return self._client()

    def _client(self) -> httpx.Client:
        """A client for the object store that shares nothing with the registry's client."""
        with self._lock:
            if self._storage is None:
                self._storage = httpx.Client(timeout=self._timeout, follow_redirects=False)
            return self._storage

    def _locked(self, progress: Progress | None) -> Progress | None:
        if progress is None:
            return None
        lock = threading.Lock()

        def report(done: int) -> None:
            with lock:
                progress(done)

        return report


def _file_slice(
    source: Path, offset: int, length: int, progress: Progress | None
) -> Iterator[bytes]:
    with source.open("rb") as handle:
        handle.seek(offset)
        remaining = length
        while remaining > 0:
            chunk = handle.read(min(READ_SIZE, remaining))
            if not chunk:
                raise ModelregError(f"{source} shrank while it was being uploaded")
            remaining -= len(chunk)
            if progress:
                progress(len(chunk))
            yield chunk


def _json(answer: httpx.Response) -> dict[str, Any]:
    try:
        found = answer.json()
    except ValueError as error:
        raise ModelregError("the registry did not answer a direct upload with JSON") from error
    if not isinstance(found, dict):
        raise ModelregError("the registry answered a direct upload with something else")
    return found


def _storage_error(answer: httpx.Response, what: str) -> ModelregError:
    text = " ".join(answer.text[:300].split()) or answer.reason_phrase
    message = f"object storage refused the {what} (HTTP {answer.status_code}): {text}"
    if answer.status_code >= 500:
        return UnavailableError(message)
    return ModelregError(message)
