"""The in-process half of ``client/accounts.py``: a mixin of ``EmbeddedTransport``.

Whoever can open the registry's files owns it, so the embedded caller is the open principal:
this is how the first admin and their first token are created (``docs/security.md``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from modelreg.domain.access import Principal, Scope, open_principal
from modelreg.domain.accounts import Account, Team, TokenInfo

if TYPE_CHECKING:
    from modelreg.wiring import Services


class EmbeddedAccounts:
    services: Services
    user: str

    def whoami(self) -> Principal:
        return open_principal(self.user)

    def create_user(self, name: str, *, admin: bool, kind: str) -> Account:
        return self.services.accounts.create_user(name, admin=admin, kind=kind, actor=self.user)

    def list_users(self) -> list[Account]:
        return self.services.accounts.list_users()

    def create_team(self, name: str) -> None:
        self.services.accounts.create_team(name, actor=self.user)

    def list_teams(self) -> list[Team]:
        return self.services.accounts.list_teams()

    def add_team_member(self, team: str, user: str) -> None:
        self.services.accounts.add_member(team, user, actor=self.user)

    def remove_team_member(self, team: str, user: str) -> None:
        self.services.accounts.remove_member(team, user, actor=self.user)

    def create_token(
        self,
        *,
        name: str,
        user: str | None,
        scopes: Iterable[Scope],
        expires_at: datetime | None,
    ) -> tuple[TokenInfo, str]:
        return self.services.accounts.create_token(
            user or self.user, name=name, scopes=scopes, expires_at=expires_at, actor=self.user
        )

    def list_tokens(self, user: str | None) -> list[TokenInfo]:
        return self.services.accounts.list_tokens(user)

    def revoke_token(self, token_id: str) -> None:
        self.services.accounts.revoke_token(token_id, actor=self.user)
