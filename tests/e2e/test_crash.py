"""Killing the server in the middle of an upload leaves no visible version and no corrupt blob;
after restart the same push succeeds."""

from __future__ import annotations

import filecmp
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from modelreg import Client
from modelreg.domain.entities import FileEntry
from modelreg.hashing import digest_file
from tests.e2e.conftest import MiB, ServerFactory, verified_blobs, write_incompressible_file

pytestmark = pytest.mark.e2e

MODEL = "crashy"
SIZE = 64 * MiB
SENT_BEFORE_KILL = 8 * MiB


def _wait_for_partial_data(home: Path, at_least: int, timeout: float) -> bool:
    """Best effort: wait until the server has written ``at_least`` bytes of the upload to disk
    somewhere under its storage, so the kill lands mid-write rather than before any I/O."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in (home / "blobs").rglob("*"):
            try:
                if path.is_file() and path.stat().st_size >= at_least:
                    return True
            except FileNotFoundError:
                continue
        time.sleep(0.05)
    return False


def test_kill_during_upload_leaves_nothing_visible_and_push_succeeds_after_restart(
    server: ServerFactory, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    first = server(home)
    folder = tmp_path / "model"
    weights = folder / "weights.bin"
    write_incompressible_file(weights, SIZE)
    digest, size = digest_file(weights)
    assert size == SIZE

    # 1. open an upload session for one 64 MiB file
    manifest = {"files": [{"path": "weights.bin", "size": size, "digest": str(digest)}]}
    with httpx.Client(base_url=first.url, timeout=30) as http:
        opened = http.post(f"/api/v1/models/{MODEL}/uploads", json=manifest)
        assert opened.status_code == 201, opened.text
        session = opened.json()
    assert session["missing"] == [str(digest)]
    upload_id = session["upload_id"]

    # 2. stream the blob slowly from a thread; kill -9 the server once 8 MiB are on the wire
    streamed_enough = threading.Event()
    killed = threading.Event()
    outcome: dict[str, object] = {}

    def slow_body() -> Iterator[bytes]:
        sent = 0
        with weights.open("rb") as handle:
            while chunk := handle.read(MiB):
                if sent >= SENT_BEFORE_KILL:
                    streamed_enough.set()
                    if not killed.is_set():
                        time.sleep(0.25)  # slow enough that the kill lands mid-stream
                yield chunk
                sent += len(chunk)

    def put_blob() -> None:
        try:
            with httpx.Client(base_url=first.url, timeout=60) as http:
                outcome["response"] = http.put(
                    f"/api/v1/uploads/{upload_id}/blobs/{digest}",
                    content=slow_body(),
                    headers={
                        "Content-Length": str(size),
                        "Content-Type": "application/octet-stream",
                    },
                )
        except Exception as error:  # the expected end: the connection dies with the server
            outcome["error"] = error

    uploader = threading.Thread(target=put_blob, name="slow-upload", daemon=True)
    uploader.start()
    try:
        assert streamed_enough.wait(60), "the upload never got 8 MiB out"
        _wait_for_partial_data(home, 4 * MiB, timeout=10)
        assert uploader.is_alive(), f"the upload ended before the kill: {outcome}"
        first.kill()
    finally:
        killed.set()
        uploader.join(60)
    assert not uploader.is_alive(), "the uploading thread did not notice the dead server"
    assert "response" not in outcome, f"the server answered a half-sent upload: {outcome}"
    assert isinstance(outcome.get("error"), httpx.TransportError), outcome
    assert first.process.returncode == -9

    # 3. restart on the same home: nothing visible, nothing corrupt
    second = server(home)
    with httpx.Client(base_url=second.url, timeout=30) as http:
        model = http.get(f"/api/v1/models/{MODEL}")
        assert model.status_code == 404, model.text
        assert model.json()["error"]["code"] == "MODEL_NOT_FOUND"
        assert http.get("/api/v1/models").json()["items"] == []
        assert http.get("/api/v1/versions").json()["items"] == []
        assert http.get("/api/v1/resolve", params={"ref": MODEL}).status_code == 404
        assert http.get(f"/api/v1/blobs/{digest}").status_code == 404
        stale = http.get(f"/api/v1/uploads/{upload_id}")
        if stale.status_code == 200:  # a surviving session must still lack the blob
            assert stale.json()["missing"] == [str(digest)]
        else:
            assert stale.status_code == 404, stale.text
    assert digest not in verified_blobs(second.blobs_root)

    # 4. the same push, now through the SDK, succeeds as version 1 and pulls back identical
    with Client(second.url, cache_dir=tmp_path / "cache", user="e2e") as client:
        version = client.push(MODEL, folder)
        assert version.version == 1
        assert version.files == (FileEntry("weights.bin", SIZE, digest),)
        assert [v.version for v in client.list_versions(MODEL)] == [1]
        dest = client.pull(f"{MODEL}/1", tmp_path / "pulled")
    pulled = dest / "weights.bin"
    assert digest_file(pulled) == (digest, SIZE)
    assert filecmp.cmp(weights, pulled, shallow=False)
    # 64 MiB goes in chunks (docs/dedup.md): a recipe over chunks that each hash to their name.
    assert verified_blobs(second.blobs_root) == []
    storage = second.blobs_root.parent
    assert verified_blobs(storage / "chunks")
    assert (storage / "recipes" / digest.algorithm / digest.hex[:2] / digest.hex).is_file()
