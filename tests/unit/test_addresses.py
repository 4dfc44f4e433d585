"""Which addresses a webhook may reach: public only, unless the allow-list names them."""

from __future__ import annotations

import ipaddress

import pytest

from modelreg.domain.addresses import AllowList, is_public, parse_address
from modelreg.domain.errors import InvalidArgumentError
from modelreg.domain.webhooks import validate_webhook_url

NOT_PUBLIC = [
    "127.0.0.1",  # loopback
    "127.255.0.9",
    "::1",
    "10.1.2.3",  # private
    "172.16.0.1",
    "192.168.1.1",
    "fd00::1",  # unique local
    "169.254.169.254",  # link-local: cloud metadata
    "fe80::1",
    "224.0.0.1",  # multicast
    "ff02::1",
    "240.0.0.1",  # reserved
    "0.0.0.0",  # unspecified
    "::",
    "100.64.0.1",  # shared address space (CGNAT)
    "192.0.2.10",  # documentation
    "::ffff:127.0.0.1",  # IPv4-mapped loopback
    "::ffff:10.0.0.1",
    "2002:7f00:1::",  # 6to4 around 127.0.0.1
]
PUBLIC = ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]


@pytest.mark.parametrize("text", NOT_PUBLIC)
def test_internal_addresses_are_not_public(text: str) -> None:
    address = parse_address(text)
    assert address is not None
    assert not is_public(address)
    with pytest.raises(InvalidArgumentError, match="not a public address"):
        AllowList.parse(["*"]).check_addresses("host", [address])


@pytest.mark.parametrize("text", PUBLIC)
def test_public_addresses_pass(text: str) -> None:
    address = ipaddress.ip_address(text)
    assert is_public(address)
    AllowList.parse(["*"]).check_addresses("host", [address])


def test_one_internal_address_among_public_ones_is_enough_to_refuse() -> None:
    addresses = [ipaddress.ip_address("8.8.8.8"), ipaddress.ip_address("10.0.0.1")]
    with pytest.raises(InvalidArgumentError, match=r"10\.0\.0\.1"):
        AllowList.parse(["*"]).check_addresses("mixed.example", addresses)
    with pytest.raises(InvalidArgumentError, match="no address"):
        AllowList.parse(["*"]).check_addresses("void.example", [])


def test_explicit_entries_allow_internal_addresses() -> None:
    allowed = AllowList.parse(["*", "127.0.0.1", "10.0.0.0/8", "[::1]"])
    for text in ("127.0.0.1", "10.9.9.9", "::1", "::ffff:127.0.0.1"):
        allowed.check_addresses("h", [ipaddress.ip_address(text)])
    with pytest.raises(InvalidArgumentError):
        allowed.check_addresses("h", [ipaddress.ip_address("127.0.0.2")])


def test_host_names_follow_the_patterns_and_ip_literals_their_networks() -> None:
    strict = ["hooks.example.com", "*.internal", "10.0.0.0/8"]
    assert validate_webhook_url("https://hooks.example.com/x", strict)
    assert validate_webhook_url("https://ci.internal/x", strict)
    assert validate_webhook_url("http://10.2.3.4:8080/x", strict)
    for url in ("https://evil.example/x", "http://127.0.0.1/x", "http://11.0.0.1/x"):
        with pytest.raises(InvalidArgumentError, match="not in the allowed hosts"):
            validate_webhook_url(url, strict)
    for url in ("file:///etc/passwd", "gopher://x/", "http:///nohost"):
        with pytest.raises(InvalidArgumentError):
            validate_webhook_url(url, ["*"])
