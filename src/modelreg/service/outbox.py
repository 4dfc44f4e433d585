"""The webhook outbox: every history event a subscription wants is queued in the same
transaction as the change, so a committed change always has its deliveries and a rolled-back
one never has.

``OutboxStore`` wraps the metadata store that the use cases get (``wiring.py``): inside its
transactions, ``add_event`` writes the event as before (through the store, whatever else the
store does with events) and adds one outbox row per matching subscription. No use case has to
remember to call anything else, so new events reach webhooks as soon as their type is listed
in ``domain/webhooks.py``.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, cast

from modelreg.domain.entities import Event
from modelreg.domain.webhooks import WebhookSubscription, webhook_type
from modelreg.store.base import MetadataStore, MetadataTransaction


def event_payload(event: Event, event_type: str) -> dict[str, Any]:
    """The JSON document a receiver gets for ``event``."""
    return {
        "id": uuid.uuid4().hex,
        "type": event_type,
        "action": event.action,
        "model": event.model_name,
        "version": event.version,
        "actor": event.actor,
        "at": event.at.isoformat(),
        "details": dict(event.details),
    }


class _OutboxTransaction:
    """A transaction whose ``add_event`` also queues deliveries; everything else passes through."""

    def __init__(self, tx: MetadataTransaction) -> None:
        self._tx = tx
        self._subscriptions: list[WebhookSubscription] | None = None
        self.queued = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tx, name)

    def add_event(self, event: Event) -> Any:
        result = self._tx.add_event(event)  # type: ignore[func-returns-value]
        event_type = webhook_type(event.action)
        if event_type is None:
            return result
        if self._subscriptions is None:
            self._subscriptions = self._tx.list_subscriptions()
        wanted = [s for s in self._subscriptions if s.wants(event_type)]
        if wanted:
            payload = event_payload(event, event_type)
            for subscription in wanted:
                self._tx.add_delivery(subscription.id, event_type, payload, now=event.at)
            self.queued += len(wanted)
        return result


class OutboxStore:
    """A ``MetadataStore`` that queues webhook deliveries with every event it records, and tells
    its listeners (the delivery worker) after a commit that queued some."""

    def __init__(self, store: MetadataStore) -> None:
        self.store = store
        self._listeners: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    @contextmanager
    def transaction(self, *, write: bool = False) -> Iterator[MetadataTransaction]:
        with self.store.transaction(write=write) as tx:
            outboxed = _OutboxTransaction(tx)
            yield cast(MetadataTransaction, outboxed)
        if outboxed.queued:
            with self._lock:
                listeners = list(self._listeners)
            for listener in listeners:
                listener()

    def add_listener(self, listener: Callable[[], None]) -> None:
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[], None]) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def close(self) -> None:
        self.store.close()
