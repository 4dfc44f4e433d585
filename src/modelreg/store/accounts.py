"""The port for accounts, teams and API tokens (part of ``MetadataTransaction``).

Same contract as ``store/base.py``: nothing commits on its own; missing things raise the
domain's ``NotFoundError`` subclasses and duplicates ``AlreadyExistsError``. Tokens are handled
by their digest (``domain/accounts.py``); the store never sees a secret.
"""

from __future__ import annotations

from collections.abc import Set
from datetime import datetime
from typing import Protocol

from modelreg.domain.access import Scope
from modelreg.domain.accounts import Account, Team, TokenInfo


class AccountRepository(Protocol):
    def create_account(
        self, name: str, *, kind: str, admin: bool, actor: str, now: datetime
    ) -> Account: ...

    def get_account(self, name: str) -> Account:
        """The account with the names of its teams; ``UserNotFoundError`` when unknown."""

    def list_accounts(self) -> list[Account]:
        """Every account, by name."""

    def create_team(self, name: str, *, actor: str, now: datetime) -> Team: ...

    def get_team(self, name: str) -> Team:
        """``TeamNotFoundError`` when unknown."""

    def list_teams(self) -> list[Team]:
        """Every team with its members, by name."""

    def add_team_member(self, team: str, user: str) -> bool:
        """Add ``user`` to ``team``; False when already a member."""

    def remove_team_member(self, team: str, user: str) -> bool:
        """Remove ``user`` from ``team``; False when not a member."""

    def add_token(
        self,
        user: str,
        *,
        token_id: str,
        name: str,
        digest: str,
        scopes: Set[Scope],
        expires_at: datetime | None,
        actor: str,
        now: datetime,
    ) -> TokenInfo: ...

    def get_token(self, token_id: str) -> TokenInfo:
        """``TokenNotFoundError`` when unknown."""

    def find_token(self, digest: str) -> TokenInfo | None:
        """The token whose secret has this digest, revoked and expired ones included."""

    def list_tokens(self, user: str | None) -> list[TokenInfo]:
        """Tokens of ``user`` (everyone's when None), oldest first."""

    def revoke_token(self, token_id: str, *, now: datetime) -> TokenInfo:
        """Mark the token revoked (keeping the first revocation time)."""

    def touch_token(self, token_id: str, *, now: datetime) -> None:
        """Record that the token was just used."""
