"""Webhooks reach public addresses only unless allowed: checked when a subscription is added,
again before each delivery (DNS rebinding), and the worker connects to the checked address."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_address

import pytest
from fastapi.testclient import TestClient

from modelreg.domain.errors import InvalidArgumentError
from modelreg.domain.webhooks import DeliveryStatus
from modelreg.server.webhook_worker import DeliveryWorker, pinned
from modelreg.service.webhooks import Webhooks
from modelreg.wiring import Services

SECRET = "s3cret-key"  # noqa: S105 - a test signing key


class FlippingResolver:
    """A DNS answer that changes between lookups, as a rebinding attacker's server does."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.asked: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        return [self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost:8080/hook",  # resolved for real: loopback
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://10.0.0.8/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://0.0.0.0:22/",
        "http://224.0.0.1/",
    ],
)
def test_internal_targets_are_refused_by_default(services: Services, url: str) -> None:
    with pytest.raises(InvalidArgumentError, match="not a public address"):
        services.webhooks.add_subscription(url, events=["*"], secret=SECRET, actor="o")
    assert services.webhooks.list_subscriptions() == []


def test_the_api_answers_400_for_an_internal_target(http: TestClient) -> None:
    answer = http.post(
        "/api/v1/webhooks",
        json={"url": "http://127.0.0.1:9/hook", "events": ["*"], "secret": SECRET},
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "INVALID_ARGUMENT"
    assert "not a public address" in answer.json()["error"]["message"]


def test_an_unresolvable_host_is_refused(services: Services) -> None:
    with pytest.raises(InvalidArgumentError, match="cannot resolve"):
        services.webhooks.add_subscription(
            "https://does-not-exist.invalid/hook", events=["*"], secret=SECRET, actor="o"
        )


def test_a_name_that_rebinds_to_loopback_is_not_delivered(services: Services) -> None:
    resolver = FlippingResolver("93.184.215.14", "127.0.0.1")
    webhooks = Webhooks(services.outbox, resolver=resolver)
    subscription = webhooks.add_subscription(
        "http://hooks.example/hook", events=["model.created"], secret=SECRET, actor="o"
    )
    services.registry.create_model("fraud", actor="alice")
    posted: list[str] = []

    def post(url: str, body: bytes, headers: Mapping[str, str]) -> int:
        posted.append(url)
        return 200

    assert webhooks.deliver_due(post, worker="w") == 1
    assert posted == []
    [delivery] = webhooks.list_deliveries(subscription.id).items
    assert delivery.status is DeliveryStatus.PENDING  # retried later, as any failed attempt
    assert "resolves to 127.0.0.1, which is not a public address" in (delivery.last_error or "")
    assert resolver.asked == ["hooks.example", "hooks.example"]


@pytest.fixture
def receiver() -> Iterator[tuple[int, list[str]]]:
    hosts: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            hosts.append(self.headers["Host"])
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], hosts
    server.shutdown()
    server.server_close()


def test_the_worker_connects_to_the_checked_address(
    services: Services, receiver: tuple[int, list[str]]
) -> None:
    port, hosts = receiver
    # "hooks.test" exists only in this resolver: had the worker looked the name up again
    # itself, the connection would fail; it goes to the address the check returned.
    webhooks = Webhooks(
        services.outbox,
        allowed_hosts=["*", "127.0.0.1"],
        resolver=lambda host, _port: ["127.0.0.1"],
    )
    url = f"http://hooks.test:{port}/hook"
    subscription = webhooks.add_subscription(url, events=["*"], secret=SECRET, actor="o")
    services.registry.create_model("fraud", actor="alice")
    worker = DeliveryWorker(webhooks, poll_interval=0.05, timeout=5)
    worker.start()
    try:
        done = threading.Event()
        for _ in range(200):
            items = webhooks.list_deliveries(subscription.id).items
            if items and items[0].status is DeliveryStatus.DELIVERED:
                done.set()
                break
            done.wait(0.05)
    finally:
        worker.stop()
    assert done.is_set(), webhooks.list_deliveries(subscription.id).items
    assert hosts == [f"hooks.test:{port}"]


def test_pinned_requests_keep_the_name_for_host_and_tls() -> None:
    target, host, extensions = pinned("https://hooks.example:8443/x?y=1", [ip_address("::1")])
    assert target == "https://[::1]:8443/x?y=1"
    assert host == {"Host": "hooks.example:8443"}
    assert extensions == {"sni_hostname": "hooks.example"}
    assert pinned("http://a.example/x", [ip_address("8.8.8.8")])[2] == {}
