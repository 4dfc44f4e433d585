"""Who is calling, and the roles they can hold.

The contract between authentication (which turns a token into a ``Principal``) and
authorization (which decides what a ``Principal`` may do). Pure data: no storage, no web.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    """Roles on a registered model, weakest first; each includes the ones before it."""

    READER = "reader"
    WRITER = "writer"
    MAINTAINER = "maintainer"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def includes(self, other: Role) -> bool:
        return self.rank >= other.rank


class Scope(StrEnum):
    """What a token may be used for, whatever roles its owner holds."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: a user or a service account.

    ``admin`` marks a registry admin (every permission on every model). ``scopes`` narrow what
    this particular credential may do. ``open_mode`` is set when the registry runs without
    authentication (one person on loopback): every check passes and ``name`` is only a label
    for the history.
    """

    name: str
    kind: str = "user"  # "user" or "service"
    admin: bool = False
    teams: frozenset[str] = field(default_factory=frozenset)
    scopes: frozenset[Scope] = field(default_factory=lambda: frozenset(Scope))
    open_mode: bool = False

    def has_scope(self, scope: Scope) -> bool:
        return scope in self.scopes


def open_principal(name: str = "anonymous") -> Principal:
    """The caller of a registry that runs without authentication."""
    return Principal(name=name or "anonymous", admin=True, open_mode=True)
