"""Webhook subscriptions, their delivery log, and one round of the delivery worker.

Delivery is at least once: a worker leases due outbox rows (``claim``), POSTs each outside any
transaction, then records the attempt if it still holds the lease. A worker that dies mid-way
loses its lease when it expires and another worker (or the same server after a restart) sends
the row again, so a receiver should deduplicate on the ``X-Modelreg-Delivery`` header. The
HTTP client itself is injected (``Poster``): the service layer never imports one.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta

from modelreg.domain.entities import Page
from modelreg.domain.webhooks import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    ClaimedDelivery,
    DeliveryStatus,
    RetrySchedule,
    WebhookDelivery,
    WebhookSubscription,
    sign,
    validate_events,
    validate_secret,
)
from modelreg.service.clock import Clock, utcnow
from modelreg.service.pagination import check_page_size, decode_cursor, encode_cursor, fingerprint
from modelreg.service.webhook_targets import Resolver, WebhookTargets, system_resolver
from modelreg.store.base import MetadataStore

log = logging.getLogger("modelreg.webhooks")

Poster = Callable[[str, bytes, Mapping[str, str]], int]
"""POST ``body`` to ``url`` with ``headers``; returns the HTTP status, raises on no answer."""

DeliveryFormat = Callable[[ClaimedDelivery, int], tuple[bytes, dict[str, str]] | None]
"""The body and headers of a delivery sent at Unix time ``int``, or None to leave it to the
next format (and finally to modelreg's own)."""

LEASE = timedelta(seconds=120)
BATCH = 20


def delivery_body(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, sort_keys=True, separators=(",", ":")).encode()


class Webhooks:
    formats: tuple[DeliveryFormat, ...] = ()  # see ``add_format``

    def __init__(
        self,
        store: MetadataStore,
        *,
        clock: Clock = utcnow,
        allowed_hosts: Sequence[str] = ("*",),
        retry: RetrySchedule | None = None,
        lease: timedelta = LEASE,
        batch: int = BATCH,
        resolver: Resolver = system_resolver,
    ) -> None:
        self.store = store
        self.clock = clock
        self.allowed_hosts = tuple(allowed_hosts)
        # Public addresses only unless allowed (docs/hardening.md), at add and at delivery.
        self.targets = WebhookTargets(self.allowed_hosts, resolver=resolver)
        self.retry = retry or RetrySchedule()
        self.lease = lease
        self.batch = batch

    # -- subscriptions -----------------------------------------------------------------------

    def add_subscription(
        self, url: str, *, events: Sequence[str], secret: str, actor: str
    ) -> WebhookSubscription:
        self.targets.check(url)
        kinds = validate_events(events)
        validate_secret(secret)
        with self.store.transaction(write=True) as tx:
            return tx.create_subscription(url, kinds, secret=secret, actor=actor, now=self.clock())

    def list_subscriptions(self) -> list[WebhookSubscription]:
        with self.store.transaction() as tx:
            return tx.list_subscriptions()

    def get_subscription(self, subscription_id: int) -> WebhookSubscription:
        with self.store.transaction() as tx:
            return tx.get_subscription(subscription_id)

    def remove_subscription(self, subscription_id: int) -> None:
        """Remove the subscription; its queued deliveries and log go with it."""
        with self.store.transaction(write=True) as tx:
            tx.delete_subscription(subscription_id)

    def list_deliveries(
        self, subscription_id: int, *, cursor: str | None = None, limit: int = 100
    ) -> Page[WebhookDelivery]:
        """The subscription's delivery log, newest first."""
        check_page_size(limit)
        key = fingerprint("deliveries", subscription_id)
        offset = decode_cursor(cursor, key)
        with self.store.transaction() as tx:
            found = tx.list_deliveries(subscription_id, offset=offset, limit=limit + 1)
        if len(found) > limit:
            return Page(tuple(found[:limit]), encode_cursor(offset + limit, key))
        return Page(tuple(found))

    # -- delivery ----------------------------------------------------------------------------

    def claim(self, worker: str) -> list[ClaimedDelivery]:
        """Lease the due deliveries (at most one batch) to ``worker``."""
        now = self.clock()
        with self.store.transaction() as tx:
            if not tx.has_due_deliveries(now):  # the common idle case takes no write lock
                return []
        with self.store.transaction(write=True) as tx:
            return tx.claim_deliveries(
                worker, now=now, lease_until=now + self.lease, limit=self.batch
            )

    def attempt(self, claimed: ClaimedDelivery, post: Poster, worker: str) -> DeliveryStatus:
        """Send one leased delivery, signed, and record how it went."""
        delivery = claimed.delivery
        timestamp = int(self.clock().timestamp())
        body, headers = self.request_for(claimed, timestamp)
        code: int | None = None
        error: str | None = None
        try:
            self.targets.check(claimed.url)  # again: the name may resolve elsewhere by now
            code = post(claimed.url, body, headers)
        except Exception as problem:  # any failure to get an answer is one failed attempt
            error = f"{type(problem).__name__}: {problem}"[:1000]
        attempts = delivery.attempts + 1
        next_at = None
        if code is not None and 200 <= code < 300:
            status = DeliveryStatus.DELIVERED
        elif attempts >= self.retry.max_attempts:
            status = DeliveryStatus.FAILED
        else:
            status = DeliveryStatus.PENDING
            next_at = self.clock() + self.retry.delay_after(attempts)
        if code is not None and status is not DeliveryStatus.DELIVERED:
            error = f"HTTP {code}"
        with self.store.transaction(write=True) as tx:
            kept = tx.finish_attempt(
                delivery.id,
                worker,
                status=status,
                next_attempt_at=next_at,
                status_code=code,
                error=error,
                now=self.clock(),
            )
        if not kept:
            log.warning("lease on webhook delivery %s expired before it was recorded", delivery.id)
        return status

    def add_format(self, delivery_format: DeliveryFormat) -> None:
        """Let ``delivery_format`` shape the requests of the subscriptions it claims (MLflow's
        webhooks send MLflow's envelope and headers, ``service/mlflow_webhooks.py``)."""
        self.formats = (*self.formats, delivery_format)

    def request_for(self, claimed: ClaimedDelivery, timestamp: int) -> tuple[bytes, dict[str, str]]:
        """The body and headers of one attempt: a format's, else modelreg's own, signed."""
        for delivery_format in self.formats:
            shaped = delivery_format(claimed, timestamp)
            if shaped is not None:
                return shaped
        delivery = claimed.delivery
        body = delivery_body(delivery)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "modelreg-webhooks",
            EVENT_HEADER: delivery.event_type,
            DELIVERY_HEADER: str(delivery.id),
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(claimed.secret, timestamp, body),
        }
        return body, headers

    def deliver_due(self, post: Poster, *, worker: str) -> int:
        """One round of the worker: claim what is due and attempt each; returns how many."""
        claimed = self.claim(worker)
        for item in claimed:
            self.attempt(item, post, worker)
        return len(claimed)
