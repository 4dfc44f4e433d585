"""Token secrets, their digests and the value rules of accounts (no I/O)."""

from datetime import UTC, datetime, timedelta

import pytest

from modelreg.domain.access import Scope
from modelreg.domain.accounts import (
    TOKEN_LENGTH,
    TOKEN_PREFIX,
    TokenInfo,
    looks_like_token,
    new_token_id,
    new_token_secret,
    parse_duration,
    parse_scopes,
    token_digest,
    validate_account_name,
    validate_kind,
    validate_token_name,
)
from modelreg.domain.errors import InvalidArgumentError


def test_a_secret_has_the_prefix_a_fixed_length_and_a_valid_checksum():
    secret = new_token_secret()
    assert secret.startswith(TOKEN_PREFIX)
    assert len(secret) == TOKEN_LENGTH == 53
    assert secret[len(TOKEN_PREFIX) :].isalnum()
    assert looks_like_token(secret)


def test_secrets_are_distinct():
    assert len({new_token_secret() for _ in range(200)}) == 200
    assert len({new_token_id() for _ in range(200)}) == 200


@pytest.mark.parametrize("position", [4, 20, 46, 52])
def test_a_mistyped_secret_fails_the_checksum(position):
    secret = new_token_secret()
    changed = "A" if secret[position] != "A" else "B"
    typo = secret[:position] + changed + secret[position + 1 :]
    assert not looks_like_token(typo)


@pytest.mark.parametrize(
    "text", ["", "mrt_", "Bearer x", "ghp_" + "a" * 49, "mrt_" + "!" * 49, "x" * 2000]
)
def test_other_text_is_not_a_token(text):
    assert not looks_like_token(text)


def test_truncated_and_extended_secrets_are_refused():
    secret = new_token_secret()
    assert not looks_like_token(secret[:-1])
    assert not looks_like_token(secret + "0")


def test_the_digest_is_the_hex_sha256_and_never_the_secret():
    secret = new_token_secret()
    digest = token_digest(secret)
    assert len(digest) == 64
    assert int(digest, 16) >= 0
    assert secret not in digest
    assert token_digest(secret) == digest  # deterministic: tokens are found by digest
    assert token_digest(new_token_secret()) != digest


def test_expiry_and_revocation():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    info = TokenInfo("abc", "alice", "ci", frozenset(Scope), now, "root")
    assert info.is_active(now)
    expiring = TokenInfo("abc", "alice", "ci", frozenset(Scope), now, "root", now + timedelta(1))
    assert expiring.is_active(now)
    assert expiring.is_expired(now + timedelta(days=1))
    assert not expiring.is_active(now + timedelta(days=2))
    revoked = TokenInfo("abc", "alice", "ci", frozenset(Scope), now, "root", revoked_at=now)
    assert not revoked.is_active(now)


def test_durations():
    assert parse_duration("12h") == timedelta(hours=12)
    assert parse_duration("30d") == timedelta(days=30)
    assert parse_duration("8W") == timedelta(weeks=8)
    for bad in ("", "0d", "30", "d", "1y", "-1d", "1.5d"):
        with pytest.raises(InvalidArgumentError):
            parse_duration(bad)


def test_scopes():
    assert parse_scopes(["read", Scope.WRITE]) == {Scope.READ, Scope.WRITE}
    with pytest.raises(InvalidArgumentError, match="unknown scope 'delete'"):
        parse_scopes(["read", "delete"])
    with pytest.raises(InvalidArgumentError, match="at least one scope"):
        parse_scopes([])


def test_names():
    assert validate_account_name("alice.smith@ml-team") == "alice.smith@ml-team"
    for bad in ("", "-alice", "a b", "a/b", "x" * 65):
        with pytest.raises(InvalidArgumentError):
            validate_account_name(bad)
    assert validate_kind("service") == "service"
    with pytest.raises(InvalidArgumentError):
        validate_kind("robot")
    assert validate_token_name("  laptop  ") == "laptop"
    for bad in ("", "   ", "x" * 101, "a\nb"):
        with pytest.raises(InvalidArgumentError):
            validate_token_name(bad)
