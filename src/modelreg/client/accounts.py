"""The SDK's accounts: ``whoami``, users, teams and API tokens, over HTTP or in-process.

``Transport`` includes ``AccountsTransport``; ``HttpTransport`` gets its methods from
``HttpAccounts`` here and ``EmbeddedTransport`` from ``accounts_embedded.py`` (so importing the
HTTP client never loads the service layer). ``AccountsClient`` is a base class of ``Client``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Protocol

from modelreg import routes
from modelreg.domain.access import Principal, Scope
from modelreg.domain.accounts import Account, Team, TokenInfo


class AccountsTransport(Protocol):
    def whoami(self) -> Principal: ...

    def create_user(self, name: str, *, admin: bool, kind: str) -> Account: ...

    def list_users(self) -> list[Account]: ...

    def create_team(self, name: str) -> None: ...

    def list_teams(self) -> list[Team]: ...

    def add_team_member(self, team: str, user: str) -> None: ...

    def remove_team_member(self, team: str, user: str) -> None: ...

    def create_token(
        self,
        *,
        name: str,
        user: str | None,
        scopes: Iterable[Scope],
        expires_at: datetime | None,
    ) -> tuple[TokenInfo, str]: ...

    def list_tokens(self, user: str | None) -> list[TokenInfo]: ...

    def revoke_token(self, token_id: str) -> None: ...


class AccountsClient:
    transport: Any  # the Client's Transport

    def whoami(self) -> Principal:
        """Who the registry takes this client for (with its teams and token scopes)."""
        found: Principal = self.transport.whoami()
        return found

    def create_user(self, name: str, *, admin: bool = False, service: bool = False) -> Account:
        """A user, or with ``service=True`` a service account (for CI, deployments, ...)."""
        kind = "service" if service else "user"
        created: Account = self.transport.create_user(name, admin=admin, kind=kind)
        return created

    def list_users(self) -> list[Account]:
        return list(self.transport.list_users())

    def create_team(self, name: str) -> None:
        self.transport.create_team(name)

    def list_teams(self) -> list[Team]:
        return list(self.transport.list_teams())

    def add_team_member(self, team: str, user: str) -> None:
        self.transport.add_team_member(team, user)

    def remove_team_member(self, team: str, user: str) -> None:
        self.transport.remove_team_member(team, user)

    def create_token(
        self,
        *,
        name: str,
        user: str | None = None,
        scopes: Iterable[Scope | str] = tuple(Scope),
        expires_at: datetime | None = None,
    ) -> tuple[TokenInfo, str]:
        """A new token (for the caller unless ``user`` is given) and its secret, which the
        registry shows only this once."""
        chosen = [Scope(scope) for scope in scopes]
        created: tuple[TokenInfo, str] = self.transport.create_token(
            name=name, user=user, scopes=chosen, expires_at=expires_at
        )
        return created

    def list_tokens(self, user: str | None = None) -> list[TokenInfo]:
        return list(self.transport.list_tokens(user))

    def revoke_token(self, token_id: str) -> None:
        self.transport.revoke_token(token_id)


class HttpAccounts:
    """Mixin of ``HttpTransport`` (which provides ``_json`` and ``_request``)."""

    _json: Callable[..., Any]
    _request: Callable[..., Any]

    def whoami(self) -> Principal:
        data = self._json("GET", routes.WHOAMI)
        return Principal(
            name=data["name"],
            kind=data["kind"],
            admin=data["admin"],
            teams=frozenset(data["teams"]),
            scopes=frozenset(Scope(s) for s in data["scopes"]),
            open_mode=data["open_mode"],
        )

    def create_user(self, name: str, *, admin: bool, kind: str) -> Account:
        body = {"name": name, "admin": admin, "kind": kind}
        return account_from_json(self._json("POST", routes.USERS, json=body))

    def list_users(self) -> list[Account]:
        return [account_from_json(a) for a in self._json("GET", routes.USERS)]

    def create_team(self, name: str) -> None:
        self._request("POST", routes.TEAMS, json={"name": name})

    def list_teams(self) -> list[Team]:
        return [
            Team(t["name"], tuple(t["members"]), _time(t["created_at"]), t["created_by"])
            for t in self._json("GET", routes.TEAMS)
        ]

    def add_team_member(self, team: str, user: str) -> None:
        self._request("PUT", routes.url(routes.TEAM_MEMBER, team=team, user=user))

    def remove_team_member(self, team: str, user: str) -> None:
        self._request("DELETE", routes.url(routes.TEAM_MEMBER, team=team, user=user))

    def create_token(
        self,
        *,
        name: str,
        user: str | None,
        scopes: Iterable[Scope],
        expires_at: datetime | None,
    ) -> tuple[TokenInfo, str]:
        body = {
            "name": name,
            "user": user,
            "scopes": [scope.value for scope in scopes],
            "expires_at": None if expires_at is None else expires_at.isoformat(),
        }
        data = self._json("POST", routes.TOKENS, json=body)
        return token_from_json(data["token"]), data["secret"]

    def list_tokens(self, user: str | None) -> list[TokenInfo]:
        params = {} if user is None else {"user": user}
        return [token_from_json(t) for t in self._json("GET", routes.TOKENS, params=params)]

    def revoke_token(self, token_id: str) -> None:
        self._request("DELETE", routes.url(routes.TOKEN, token_id=token_id))


def account_from_json(data: dict[str, Any]) -> Account:
    return Account(
        name=data["name"],
        kind=data["kind"],
        admin=data["admin"],
        created_at=_time(data["created_at"]),
        created_by=data["created_by"],
        teams=tuple(data["teams"]),
    )


def token_from_json(data: dict[str, Any]) -> TokenInfo:
    return TokenInfo(
        id=data["id"],
        user=data["user"],
        name=data["name"],
        scopes=frozenset(Scope(s) for s in data["scopes"]),
        created_at=_time(data["created_at"]),
        created_by=data["created_by"],
        expires_at=_maybe_time(data["expires_at"]),
        last_used_at=_maybe_time(data["last_used_at"]),
        revoked_at=_maybe_time(data["revoked_at"]),
    )


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _maybe_time(text: str | None) -> datetime | None:
    return None if text is None else _time(text)
