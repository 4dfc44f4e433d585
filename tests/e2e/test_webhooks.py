"""Webhooks end to end: real ``modelreg server`` processes deliver to a receiver on 127.0.0.1.

Each event arrives once with a valid signature; while the receiver is down deliveries are
retried, and they arrive after it comes back, also across a crash and restart of the server
(and for changes made while no server ran at all: the outbox is in the database).
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO

import httpx
import pytest

from modelreg import Client
from modelreg.domain.webhooks import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    DeliveryStatus,
    verify,
)
from tests.e2e.conftest import ENTRY, clean_env, free_port

pytestmark = pytest.mark.e2e

SECRET = "e2e-webhook-secret"  # noqa: S105 - a test signing key
WAIT = 30.0
STARTUP = 90.0  # a loaded machine imports slowly
FAST_WEBHOOKS = {
    "MODELREG_WEBHOOK_POLL_INTERVAL": "0.1",
    "MODELREG_WEBHOOK_RETRY_BASE": "0.2",
    "MODELREG_WEBHOOK_RETRY_CAP": "1.0",
    "MODELREG_WEBHOOK_LEASE": "2.0",
    # The receiver listens on loopback, which webhooks may reach only when allowed explicitly.
    "MODELREG_WEBHOOK_ALLOWED_HOSTS": '["*", "127.0.0.1"]',
}


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes

    @property
    def payload(self) -> dict[str, object]:
        data: dict[str, object] = json.loads(self.body)
        return data


@dataclass
class Receiver:
    """A tiny threaded HTTP server on 127.0.0.1 that records every POST; can go down and up."""

    port: int = field(default_factory=free_port)
    received: list[Delivery] = field(default_factory=list)
    _httpd: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append(Delivery(dict(self.headers.items()), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def types(self) -> list[str]:
        return sorted(str(d.payload["type"]) for d in self.received)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    running.start()
    yield running
    running.stop()


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]


ServerStarter = Callable[[], Server]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.db'}"
    url: str = request.getfixturevalue("postgres_database")
    return url


@pytest.fixture
def start_server(tmp_path: Path, database_url: str) -> Iterator[ServerStarter]:
    """Start ``modelreg server`` on one home and database; each call is a (re)start."""
    home = tmp_path / "home"
    home.mkdir()
    started: list[subprocess.Popen[bytes]] = []
    logs: list[IO[bytes]] = []

    def start() -> Server:
        port = free_port()
        command = [*ENTRY, "server", "--port", str(port), "--home", str(home)]
        command += ["--database-url", database_url]
        log = (tmp_path / f"server-{port}.log").open("wb")
        logs.append(log)
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=clean_env(**FAST_WEBHOOKS)
        )
        started.append(process)
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: _healthy(url, process), f"server on port {port} to start", STARTUP)
        return Server(url, process)

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
    for log in logs:
        log.close()


def _healthy(url: str, process: subprocess.Popen[bytes]) -> bool:
    assert process.poll() is None, "the server exited"
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def wait_for(condition: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def assert_each_once_and_signed(received: list[Delivery]) -> None:
    delivery_ids = [d.headers[DELIVERY_HEADER] for d in received]
    event_ids = [d.payload["id"] for d in received]
    assert len(set(delivery_ids)) == len(delivery_ids), delivery_ids
    assert len(set(event_ids)) == len(event_ids), event_ids
    for delivery in received:
        headers = delivery.headers
        assert verify(SECRET, headers[TIMESTAMP_HEADER], delivery.body, headers[SIGNATURE_HEADER])
        assert abs(int(headers[TIMESTAMP_HEADER]) - time.time()) < 300


def test_each_event_arrives_once_signed_and_survives_receiver_and_server_outages(
    start_server: ServerStarter,
    receiver: Receiver,
    database_url: str,
    tmp_path: Path,
    model_dir: Path,
):
    server = start_server()
    client = Client(server.url, user="e2e", cache_dir=tmp_path / "cache")
    hook = client.add_webhook(receiver.url, events=["*"], secret=SECRET)

    # Up: every event arrives once, signed.
    client.push("fraud", model_dir, alias="candidate")
    wait_for(lambda: len(receiver.received) >= 3, "the first three deliveries")
    time.sleep(0.5)  # nothing more may come
    assert receiver.types() == ["alias.moved", "model.created", "version.ready"]
    assert_each_once_and_signed(receiver.received)

    # Receiver down: the write still succeeds at once, and the delivery is retried.
    receiver.stop()
    started = time.monotonic()
    client.create_model("second")
    assert time.monotonic() - started < 5

    def retried() -> bool:
        pending = [d for d in client.webhook_deliveries(hook.id) if d.payload["model"] == "second"]
        return bool(pending) and pending[0].attempts >= 2

    wait_for(retried, "two failed attempts")
    [failing] = [d for d in client.webhook_deliveries(hook.id) if d.payload["model"] == "second"]
    assert failing.status is DeliveryStatus.PENDING
    assert failing.last_error

    # The server crashes; a change is made while no server runs at all.
    server.process.kill()
    server.process.wait(timeout=10)
    client.close()
    with Client.local(tmp_path / "home", database_url=database_url, user="offline") as local:
        local.create_model("offline")

    # Receiver and server come back: the pending deliveries arrive, each once.
    receiver.start()
    restarted = start_server()
    wait_for(lambda: len(receiver.received) >= 5, "the deliveries held back by the outages")
    time.sleep(0.5)
    assert receiver.types() == [
        "alias.moved",
        "model.created",
        "model.created",
        "model.created",
        "version.ready",
    ]
    assert {d.payload["model"] for d in receiver.received} == {"fraud", "second", "offline"}
    assert_each_once_and_signed(receiver.received)
    with Client(restarted.url, user="e2e", cache_dir=tmp_path / "cache") as after:
        log = after.webhook_deliveries(hook.id)
    assert {d.status for d in log} == {DeliveryStatus.DELIVERED}
    [second] = [d for d in log if d.payload["model"] == "second"]
    assert second.attempts >= 3
