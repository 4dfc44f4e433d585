"""The webhook outbox and one worker round, on SQLite and PostgreSQL, with a fake receiver:
rows are written with the change (or not at all), signed, retried with backoff, leased."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from modelreg.client.client import Client
from modelreg.client.embedded import EmbeddedTransport
from modelreg.domain.errors import AlreadyExistsError, InvalidArgumentError, WebhookNotFoundError
from modelreg.domain.webhooks import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    DeliveryStatus,
    RetrySchedule,
    verify,
)
from modelreg.service.webhooks import Webhooks
from modelreg.wiring import Services

SECRET = "s3cret-key"  # noqa: S105 - a test signing key
URL = "http://127.0.0.1:9/hook"


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC) + timedelta(seconds=1)  # events are stamped by real time

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Receiver:
    """A fake POST: records what it got and answers ``status`` (or raises ``error``)."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.error: Exception | None = None
        self.got: list[tuple[str, bytes, dict[str, str]]] = []

    def __call__(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        if self.error is not None:
            raise self.error
        self.got.append((url, body, dict(headers)))
        return self.status

    def events(self) -> list[str]:
        return [json.loads(body)["type"] for _, body, _ in self.got]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def webhooks(services: Services, clock: Clock) -> Webhooks:
    return Webhooks(
        services.outbox,
        clock=clock,
        retry=RetrySchedule(base=1.0, cap=4.0, max_attempts=4),
        lease=timedelta(seconds=30),
        allowed_hosts=["*", "127.0.0.1"],  # the test receiver's loopback, allowed explicitly
    )


@pytest.fixture
def sdk(services: Services) -> Client:
    return Client(transport=EmbeddedTransport(services, user="alice"))


def test_events_a_subscription_wants_are_queued_with_the_change(
    webhooks: Webhooks, sdk: Client, model_dir: Path
):
    every = webhooks.add_subscription(URL, events=["*"], secret=SECRET, actor="ops")
    aliases = webhooks.add_subscription(URL, events=["alias.moved"], secret=SECRET, actor="ops")
    sdk.push("fraud", model_dir, alias="candidate")
    sdk.update_model("fraud", description="not a webhook event")
    queued = [d.event_type for d in webhooks.list_deliveries(every.id).items]
    assert queued == ["alias.moved", "version.ready", "model.created"]
    [moved] = webhooks.list_deliveries(aliases.id).items
    assert moved.status is DeliveryStatus.PENDING
    assert moved.attempts == 0
    assert moved.payload["model"] == "fraud"
    assert moved.payload["details"]["alias"] == "candidate"


def test_a_refused_change_queues_nothing(webhooks: Webhooks, sdk: Client):
    subscription = webhooks.add_subscription(URL, events=["*"], secret=SECRET, actor="ops")
    sdk.create_model("fraud")
    with pytest.raises(AlreadyExistsError):
        sdk.create_model("fraud")
    assert len(webhooks.list_deliveries(subscription.id).items) == 1


def test_worker_round_delivers_signed_json_once(webhooks: Webhooks, sdk: Client, clock: Clock):
    subscription = webhooks.add_subscription(
        URL, events=["model.created"], secret=SECRET, actor="o"
    )
    sdk.create_model("fraud")
    receiver = Receiver()
    assert webhooks.deliver_due(receiver, worker="w1") == 1
    [(url, body, headers)] = receiver.got
    assert url == URL
    assert verify(SECRET, headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER])
    assert not verify("another-secret", headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER])
    assert headers[TIMESTAMP_HEADER] == str(int(clock.now.timestamp()))
    assert headers[EVENT_HEADER] == "model.created"
    payload = json.loads(body)
    assert (payload["type"], payload["model"], payload["actor"]) == (
        "model.created",
        "fraud",
        "alice",
    )
    [delivery] = webhooks.list_deliveries(subscription.id).items
    assert headers[DELIVERY_HEADER] == str(delivery.id)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        DeliveryStatus.DELIVERED,
        1,
        200,
    )
    assert webhooks.deliver_due(receiver, worker="w1") == 0
    assert len(receiver.got) == 1


def test_failed_deliveries_are_retried_with_exponential_backoff(
    webhooks: Webhooks, sdk: Client, clock: Clock
):
    subscription = webhooks.add_subscription(URL, events=["*"], secret=SECRET, actor="ops")
    sdk.create_model("fraud")
    receiver = Receiver()
    receiver.error = ConnectionRefusedError("receiver is down")
    delays = []
    for _ in range(2):
        assert webhooks.deliver_due(receiver, worker="w1") == 1
        [delivery] = webhooks.list_deliveries(subscription.id).items
        assert delivery.status is DeliveryStatus.PENDING
        assert "receiver is down" in (delivery.last_error or "")
        assert delivery.next_attempt_at is not None
        delays.append((delivery.next_attempt_at - clock.now).total_seconds())
        assert webhooks.deliver_due(receiver, worker="w1") == 0  # not due yet
        clock.advance(delays[-1])
    assert delays == [1.0, 2.0]
    receiver.error = None
    receiver.status = 503
    assert webhooks.deliver_due(receiver, worker="w1") == 1
    [delivery] = webhooks.list_deliveries(subscription.id).items
    assert (delivery.attempts, delivery.last_error) == (3, "HTTP 503")
    clock.advance(4)
    receiver.status = 204
    assert webhooks.deliver_due(receiver, worker="w1") == 1
    [delivery] = webhooks.list_deliveries(subscription.id).items
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 4)
    assert receiver.events() == ["model.created", "model.created"]


def test_a_delivery_gives_up_after_the_last_attempt(webhooks: Webhooks, sdk: Client, clock: Clock):
    subscription = webhooks.add_subscription(URL, events=["*"], secret=SECRET, actor="ops")
    sdk.create_model("fraud")
    receiver = Receiver(status=500)
    for _ in range(4):
        assert webhooks.deliver_due(receiver, worker="w1") == 1
        clock.advance(60)
    [delivery] = webhooks.list_deliveries(subscription.id).items
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 4)
    assert webhooks.deliver_due(receiver, worker="w1") == 0


def test_claims_are_exclusive_until_the_lease_expires(
    webhooks: Webhooks, sdk: Client, clock: Clock
):
    webhooks.add_subscription(URL, events=["*"], secret=SECRET, actor="ops")
    sdk.create_model("one")
    sdk.create_model("two")
    first = webhooks.claim("w1")
    assert len(first) == 2
    assert webhooks.claim("w2") == []
    clock.advance(31)  # w1 died: its lease runs out and w2 takes over
    second = webhooks.claim("w2")
    assert sorted(c.delivery.id for c in second) == sorted(c.delivery.id for c in first)
    receiver = Receiver()
    # w1's late answer is not recorded over w2's lease; w2's is.
    assert webhooks.attempt(first[0], receiver, "w1") is DeliveryStatus.DELIVERED
    [late] = [
        d
        for d in webhooks.list_deliveries(first[0].delivery.subscription_id).items
        if d.id == first[0].delivery.id
    ]
    assert late.attempts == 0
    for claimed in second:
        webhooks.attempt(claimed, receiver, "w2")
    assert webhooks.claim("w1") == []


def test_subscriptions_are_validated_listed_and_removed(webhooks: Webhooks, services: Services):
    with pytest.raises(InvalidArgumentError, match="http or https"):
        webhooks.add_subscription("ftp://127.0.0.1/x", events=["*"], secret=SECRET, actor="o")
    with pytest.raises(InvalidArgumentError, match="unknown event"):
        webhooks.add_subscription(URL, events=["model.exploded"], secret=SECRET, actor="o")
    with pytest.raises(InvalidArgumentError, match="secret"):
        webhooks.add_subscription(URL, events=["*"], secret="short", actor="o")  # noqa: S106
    strict = Webhooks(
        services.outbox,
        allowed_hosts=["hooks.example.com", "*.internal"],
        resolver=lambda host, port: ["93.184.215.14"],  # a public address, whatever the name
    )
    with pytest.raises(InvalidArgumentError, match="not in the allowed hosts"):
        strict.add_subscription(URL, events=["*"], secret=SECRET, actor="o")
    assert (
        strict.add_subscription(
            "https://ci.internal/hook", events=["*"], secret=SECRET, actor="o"
        ).url
        == "https://ci.internal/hook"
    )
    added = webhooks.add_subscription(URL, events=["version.ready"], secret=SECRET, actor="ops")
    assert [s.id for s in webhooks.list_subscriptions()][-1] == added.id
    webhooks.remove_subscription(added.id)
    with pytest.raises(WebhookNotFoundError):
        webhooks.get_subscription(added.id)
    with pytest.raises(WebhookNotFoundError):
        webhooks.list_deliveries(added.id)


def test_promotion_events_reach_webhooks(services: Services, webhooks: Webhooks, model_dir):
    subscription = webhooks.add_subscription(
        URL,
        events=["promotion.requested", "promotion.approved", "promotion.rejected"],
        secret=SECRET,
        actor="ops",
    )
    alice = Client(transport=EmbeddedTransport(services, user="alice"))
    bob = Client(transport=EmbeddedTransport(services, user="bob"))
    alice.push("fraud", model_dir)
    alice.set_policy({"aliases": {"production": {"approvals": 1}}})
    approved = alice.request_promotion("fraud", "production", 1, "go")
    bob.approve_promotion(approved.id)
    rejected = alice.request_promotion("fraud", "production", 1, "again")
    bob.reject_promotion(rejected.id, reason="already there")
    types = [d.event_type for d in webhooks.list_deliveries(subscription.id).items]
    assert types == [
        "promotion.rejected",
        "promotion.requested",
        "promotion.approved",
        "promotion.requested",
    ]
