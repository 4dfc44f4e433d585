"""Which network addresses an outgoing request of the registry (a webhook) may reach.

The registry must not become a way to reach what only it can reach (its loopback interface, the
private network it runs in, a cloud metadata service at 169.254.169.254). So a target host is
resolved and every address it resolves to must be public, unless the allow-list names it:

- a **host pattern** (``fnmatch``, e.g. ``hooks.example.com``, ``*.example.com``, ``*``) says
  which host *names* may be used at all; ``*`` (the default) allows any name;
- an **address or network** (``127.0.0.1``, ``10.0.0.0/8``, ``::1``, ``fd00::/8``) allows
  those addresses even though they are not public, and an IP-literal host inside it.

Not public: loopback, private (RFC 1918, unique-local), link-local, multicast, reserved,
unspecified, shared/CGNAT and documentation ranges, i.e. everything ``ipaddress`` does not call
global; IPv4 addresses inside IPv6 (``::ffff:a.b.c.d``, 6to4) count as the IPv4 address.

Pure: the service layer resolves names (at registration and again at every delivery, against
DNS rebinding) and passes the addresses here.
"""

from __future__ import annotations

import fnmatch
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from modelreg.domain.errors import InvalidArgumentError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_address(text: str) -> IPAddress | None:
    """``text`` as an IP address (brackets and an IPv6 zone stripped), None if it is a name."""
    candidate = text.strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(candidate)
    except ValueError:
        return None


def effective_address(address: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 address carries (mapped or 6to4), else the address itself."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            return embedded
    return address


def is_public(address: IPAddress) -> bool:
    address = effective_address(address)
    return address.is_global and not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


@dataclass(frozen=True, slots=True)
class AllowList:
    host_patterns: tuple[str, ...]
    networks: tuple[IPNetwork, ...]

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AllowList:
        patterns: list[str] = []
        networks: list[IPNetwork] = []
        for entry in entries:
            text = entry.strip().lower()
            if not text:
                continue
            try:
                networks.append(ipaddress.ip_network(text.strip("[]"), strict=False))
            except ValueError:
                patterns.append(text)
        return cls(tuple(patterns), tuple(networks))

    def allows_network(self, address: IPAddress) -> bool:
        candidates = {address, effective_address(address)}
        return any(a in network for a in candidates for network in self.networks)

    def allows_name(self, host: str) -> bool:
        """May ``host`` (a name or IP literal, as written in the URL) be used at all?"""
        literal = parse_address(host)
        if literal is not None and self.allows_network(literal):
            return True
        return any(fnmatch.fnmatchcase(host.lower(), pattern) for pattern in self.host_patterns)

    def check_addresses(self, host: str, addresses: Sequence[IPAddress]) -> None:
        """Refuse ``host`` unless every address it resolved to is public or allowed."""
        if not addresses:
            raise InvalidArgumentError(f"webhook host {host!r} resolves to no address", field="url")
        for address in addresses:
            if not is_public(address) and not self.allows_network(address):
                raise InvalidArgumentError(
                    f"webhook host {host!r} resolves to {address}, which is not a public "
                    "address; allow it explicitly in MODELREG_WEBHOOK_ALLOWED_HOSTS "
                    "(an address or network, e.g. 10.0.0.0/8) to deliver there",
                    field="url",
                    address=str(address),
                )
