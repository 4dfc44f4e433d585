"""Accounts, teams and API tokens: the values and rules of authentication.

A token's secret is shown once, when it is created, and stored only as its sha256 digest::

    mrt_<43 base62 characters: 256 random bits><6 base62 characters: CRC32 of the former>

The prefix lets people and secret scanners recognise a leaked modelreg token; the checksum
lets the server refuse a mistyped or truncated token without a database lookup. A plain
sha256 is the right hash here, not a password hash (bcrypt, scrypt, Argon2): those are slow on
purpose to make guessing *low-entropy human passwords* from a stolen hash expensive, but 256
random bits cannot be guessed however fast the hash is. A fast, unsalted digest also lets the
registry find a token by its digest through a unique index on every request, in microseconds.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import string
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from modelreg.domain.access import Scope
from modelreg.domain.errors import InvalidArgumentError

USER = "user"
SERVICE = "service"
KINDS = (USER, SERVICE)

TOKEN_PREFIX = "mrt_"  # noqa: S105 - a public marker, not a secret
_ALPHABET = string.digits + string.ascii_letters
_BODY_LENGTH = 43  # 62**43 > 2**256
_CHECK_LENGTH = 6  # 62**6 > 2**32
TOKEN_LENGTH = len(TOKEN_PREFIX) + _BODY_LENGTH + _CHECK_LENGTH

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]*$")
NAME_LENGTH = 64
TOKEN_NAME_LENGTH = 100


@dataclass(frozen=True, slots=True)
class Account:
    """A user (a person) or a service account (a machine: CI, a deployment)."""

    name: str
    kind: str
    admin: bool
    created_at: datetime
    created_by: str
    teams: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Team:
    name: str
    members: tuple[str, ...]
    created_at: datetime
    created_by: str


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """What the registry knows about a token; never its secret."""

    id: str
    user: str
    name: str
    scopes: frozenset[Scope]
    created_at: datetime
    created_by: str
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    def is_expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now

    def is_active(self, now: datetime) -> bool:
        return self.revoked_at is None and not self.is_expired(now)


# -- names and values ------------------------------------------------------------------------------


def validate_account_name(name: str, *, what: str = "user") -> str:
    """Users, service accounts and teams: letters, digits, '.', '_', '@' and '-'."""
    if not isinstance(name, str) or not name or len(name) > NAME_LENGTH:
        raise InvalidArgumentError(
            f"{what} name must be 1 to {NAME_LENGTH} characters", field="name"
        )
    if not _NAME.fullmatch(name):
        raise InvalidArgumentError(
            f"invalid {what} name {name[:80]!r}: use letters, digits, '.', '_', '@' and '-', "
            "starting with a letter or digit",
            field="name",
        )
    return name


def validate_kind(kind: str) -> str:
    if kind not in KINDS:
        raise InvalidArgumentError(
            f"invalid account kind {str(kind)[:20]!r}: use {' or '.join(KINDS)}", field="kind"
        )
    return kind


def validate_token_name(name: str) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > TOKEN_NAME_LENGTH:
        raise InvalidArgumentError(
            f"a token needs a name of 1 to {TOKEN_NAME_LENGTH} characters", field="name"
        )
    if not name.isprintable():
        raise InvalidArgumentError("a token name must be printable text", field="name")
    return name.strip()


def parse_scopes(values: Iterable[Scope | str]) -> frozenset[Scope]:
    found = set()
    for value in values:
        try:
            found.add(Scope(value))
        except ValueError as error:
            choices = ", ".join(scope.value for scope in Scope)
            raise InvalidArgumentError(
                f"unknown scope {str(value)[:40]!r}: use {choices}", field="scopes"
            ) from error
    if not found:
        raise InvalidArgumentError("a token needs at least one scope", field="scopes")
    return frozenset(found)


_DURATION = re.compile(r"^(\d{1,6})([hdw])$")
_UNIT = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


def parse_duration(text: str) -> timedelta:
    """``12h``, ``30d`` or ``8w``: how long a new token stays valid."""
    found = _DURATION.fullmatch(text.strip().lower())
    if found is None or int(found.group(1)) == 0:
        raise InvalidArgumentError(
            f"invalid duration {text[:40]!r}: use a number and h, d or w, such as 30d",
            field="expires",
        )
    return int(found.group(1)) * _UNIT[found.group(2)]


# -- token secrets ---------------------------------------------------------------------------------


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, digit = divmod(number, 62)
        digits.append(_ALPHABET[digit])
    return "".join(reversed(digits))


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode()), _CHECK_LENGTH)


def new_token_secret() -> str:
    """A fresh secret: 256 bits from the operating system's CSPRNG."""
    body = _base62(int.from_bytes(secrets.token_bytes(32), "big"), _BODY_LENGTH)
    return f"{TOKEN_PREFIX}{body}{_checksum(body)}"


def new_token_id() -> str:
    """The short public id listings show and ``revoke`` takes (not derived from the secret)."""
    return secrets.token_hex(6)


def looks_like_token(secret: str) -> bool:
    """Right prefix, length, alphabet and checksum: worth a database lookup."""
    if len(secret) != TOKEN_LENGTH or not secret.startswith(TOKEN_PREFIX):
        return False
    rest = secret[len(TOKEN_PREFIX) :]
    if any(char not in _ALPHABET for char in rest):
        return False
    body, check = rest[:_BODY_LENGTH], rest[_BODY_LENGTH:]
    return secrets.compare_digest(_checksum(body), check)


def token_digest(secret: str) -> str:
    """What the registry stores and looks tokens up by (hex sha256 of the secret)."""
    return hashlib.sha256(secret.encode()).hexdigest()
