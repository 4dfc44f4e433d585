"""The webhook delivery worker: a thread in the server process, started by the app's lifespan.

It polls for due outbox rows every ``poll_interval`` seconds, and at once when a commit in this
process queued some. Several server processes can run one each: rows are leased, so each
delivery is sent by one worker at a time (``service/webhooks.py``).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from modelreg.domain.addresses import IPAddress
from modelreg.service.outbox import OutboxStore
from modelreg.service.webhooks import Webhooks

log = logging.getLogger("modelreg.webhooks")


class DeliveryWorker:
    def __init__(
        self,
        webhooks: Webhooks,
        *,
        outbox: OutboxStore | None = None,
        poll_interval: float = 1.0,
        timeout: float = 10.0,
    ) -> None:
        self.webhooks = webhooks
        self.outbox = outbox
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.name = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._http: httpx.Client | None = None

    def start(self) -> None:
        if self.outbox is not None:
            self.outbox.add_listener(self.wake)
        self._http = httpx.Client(timeout=self.timeout, follow_redirects=False)
        self._thread = threading.Thread(target=self._run, name="modelreg-webhooks", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        if self.outbox is not None:
            self.outbox.remove_listener(self.wake)
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout + 5)
        if self._http is not None:
            self._http.close()

    def _post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        assert self._http is not None  # noqa: S101 - set by start()
        target, host, extensions = pinned(url, self.webhooks.targets.check(url))
        return self._http.post(
            target, content=body, headers={**headers, **host}, extensions=extensions
        ).status_code

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                sent = self.webhooks.deliver_due(self._post, worker=self.name)
            except Exception:  # a database hiccup must not end the worker
                log.exception("webhook delivery round failed")
                sent = 0
            if sent == 0:
                self._wake.wait(self.poll_interval)
                self._wake.clear()


def pinned(url: str, addresses: Sequence[IPAddress]) -> tuple[str, dict[str, str], dict[str, Any]]:
    """``url`` with its host replaced by the first checked address, the ``Host`` header and the
    TLS server name: the connection goes where the check said (no second lookup to rebind),
    while the receiver and its certificate still see the name."""
    original = httpx.URL(url)
    target = original.copy_with(host=str(addresses[0]))
    extensions: dict[str, Any] = {}
    if original.scheme == "https":
        extensions["sni_hostname"] = original.host
    return str(target), {"Host": original.netloc.decode("ascii")}, extensions
