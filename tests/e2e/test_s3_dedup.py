"""A real ``modelreg server`` on S3 storage (moto_server): big files are pushed in chunks that go
straight to the bucket. A counting TCP relay in front of the server measures every byte the
server receives and sends, so "no chunk bytes through the server" is observed, not assumed."""

from __future__ import annotations

import contextlib
import random
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from modelreg import Client
from modelreg.domain.chunking import ChunkerParams
from tests.e2e.conftest import MiB, ServerFactory, clean_env, run_cli, tree_bytes
from tests.s3server import MotoServer

pytestmark = [pytest.mark.e2e, pytest.mark.s3]

PREFIX = "registry"
REGION = 128 * 1024
REWRITTEN = (2 * MiB, 9 * MiB, 17 * MiB, 25 * MiB)
SIZE = 28 * MiB


class CountingRelay:
    """Forwards TCP connections from ``url`` to ``target_port``, counting bytes each way."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.upstream = 0  # client -> server
        self.downstream = 0  # server -> client
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._start(self._accept)

    def _start(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            server = socket.create_connection(("127.0.0.1", self.target_port))
            with self._lock:
                self._sockets += [client, server]
            self._start(self._pump, client, server, True)
            self._start(self._pump, server, client, False)

    def _pump(self, source: socket.socket, target: socket.socket, up: bool) -> None:
        try:
            while data := source.recv(1 << 16):
                with self._lock:
                    if up:
                        self.upstream += len(data)
                    else:
                        self.downstream += len(data)
                target.sendall(data)
            target.shutdown(socket.SHUT_WR)  # pass the end of one direction on
        except OSError:
            pass  # the other side went away, or close() ended the relay

    def close(self) -> None:
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(timeout=10)
        for sock in self._sockets:
            sock.close()


@pytest.fixture
def relay_factory() -> Iterator[list[CountingRelay]]:
    relays: list[CountingRelay] = []
    yield relays
    for relay in relays:
        relay.close()


def bucket_sizes(s3: MotoServer, bucket: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for page in s3.client().get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            found[item["Key"]] = item["Size"]
    return found


def test_pushes_to_s3_are_deduplicated_and_never_carry_bytes_through_the_server(
    s3_env: MotoServer, server: ServerFactory, relay_factory: list[CountingRelay], tmp_path: Path
) -> None:
    bucket = s3_env.new_bucket()
    running = server(storage_url=f"s3://{bucket}/{PREFIX}")
    relay = CountingRelay(running.port)
    relay_factory.append(relay)
    model = tmp_path / "model"
    model.mkdir()
    weights = model / "weights.safetensors"
    # Seeded content: chunk boundaries, and so the bytes v2 must send, are the same every run.
    content = random.Random(20261127)  # noqa: S311 - test data, not a secret
    weights.write_bytes(content.randbytes(SIZE))
    (model / "config.json").write_text('{"layers": 4}')

    with Client(relay.url, cache_dir=tmp_path / "cache", user="alice") as client:
        client.push("dedup", model)
        sent_v1 = relay.upstream
        chunks_v1 = {k: s for k, s in bucket_sizes(s3_env, bucket).items() if "/chunks/" in k}
        v1_bytes = weights.read_bytes()
        with weights.open("r+b") as handle:  # four regions of 128 KiB rewritten
            for offset in REWRITTEN:
                handle.seek(offset)
                handle.write(content.randbytes(REGION))
        client.push("dedup", model)
    sent_total = relay.upstream

    stored = bucket_sizes(s3_env, bucket)
    chunks_v2 = {k: s for k, s in stored.items() if k.startswith(f"{PREFIX}/chunks/")}
    new_chunk_bytes = sum(s for k, s in chunks_v2.items() if k not in chunks_v1)
    # the server received chunk lists and small JSON, never the 28 MiB (nor the 2nd push's ~1 MiB)
    assert sum(chunks_v1.values()) == SIZE
    assert sent_v1 < 128 * 1024
    assert sent_total < 256 * 1024
    # v2 sent (and stored) only the chunks around the rewritten regions: content-defined
    # boundaries realign after a change, so each region renews the chunks it overlaps and at
    # most the next one (each at most max_size), never the rest of the file.
    new_chunks = [k for k in chunks_v2 if k not in chunks_v1]
    assert 0 < len(new_chunks) <= 3 * len(REWRITTEN)
    limit = ChunkerParams().max_size
    assert 0 < new_chunk_bytes <= len(REWRITTEN) * (REGION + 2 * limit)
    assert new_chunk_bytes < 0.35 * SIZE
    assert sum(stored.values()) < 1.3 * SIZE
    assert not [key for key in stored if key.startswith(f"{PREFIX}/uploads/")]
    assert len([key for key in stored if key.startswith(f"{PREFIX}/recipes/")]) == 2
    presigned_chunk_puts = [
        line
        for line in s3_env.requests(bucket)
        if line.startswith("PUT ") and "/chunks/" in line and "X-Amz-Signature=" in line
    ]
    assert len(presigned_chunk_puts) == len(chunks_v2)

    # both versions pull byte-identical (the CLI verifies every digest as it writes)
    env = clean_env(MODELREG_CACHE=str(tmp_path / "cli-cache"))
    served_before_pulls = relay.downstream
    for number in (1, 2):
        target = tmp_path / f"pulled{number}"
        run_cli("--registry", relay.url, "pull", f"dedup/{number}", target, env=env).ok()
    assert tree_bytes(tmp_path / "pulled2") == tree_bytes(model)
    assert (tmp_path / "pulled1" / "weights.safetensors").read_bytes() == v1_bytes
    # ... reading the chunks from the bucket: the server sent manifests, not 56 MiB
    assert relay.downstream - served_before_pulls < 1 * MiB
    presigned_chunk_gets = [
        line
        for line in s3_env.requests(bucket)
        if line.startswith("GET ") and "/chunks/" in line and "X-Amz-Signature=" in line
    ]
    assert len(presigned_chunk_gets) >= len(chunks_v1)
