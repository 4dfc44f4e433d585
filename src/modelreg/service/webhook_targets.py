"""Where a webhook may be delivered: the URL rules, then the addresses its host resolves to.

Checked when a subscription is added and again before every delivery, since a name can resolve
somewhere else by then (DNS rebinding); the delivery worker then connects to an address this
check returned (``server/webhook_worker.py``), never to a fresh lookup.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from modelreg.domain.addresses import AllowList, IPAddress, parse_address
from modelreg.domain.errors import InvalidArgumentError
from modelreg.domain.webhooks import validate_webhook_url

Resolver = Callable[[str, int], Sequence[str]]
"""The addresses (text) a host name resolves to for TCP on ``port``; raises ``OSError``."""


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class WebhookTargets:
    def __init__(self, allowed_hosts: Sequence[str], *, resolver: Resolver = system_resolver):
        self.allowed_hosts = tuple(allowed_hosts)
        self.allow_list = AllowList.parse(self.allowed_hosts)
        self.resolver = resolver

    def check(self, url: str) -> list[IPAddress]:
        """The addresses ``url`` may be delivered to; ``InvalidArgumentError`` says why not."""
        validate_webhook_url(url, self.allowed_hosts)
        parts = urlsplit(url)
        host = parts.hostname or ""
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as error:
            raise InvalidArgumentError(f"webhook URL {url[:200]!r} has a bad port") from error
        literal = parse_address(host)
        if literal is not None:
            addresses = [literal]
        else:
            try:
                found = self.resolver(host, port)
            except (OSError, UnicodeError) as error:
                raise InvalidArgumentError(
                    f"cannot resolve webhook host {host!r}: {error}", field="url"
                ) from error
            addresses = [a for a in map(parse_address, found) if a is not None]
        self.allow_list.check_addresses(host, addresses)
        return addresses
