"""Wire schemas of users, teams, API tokens and ``whoami`` (beside ``schemas.py``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from modelreg.domain.access import Principal, Scope
from modelreg.domain.accounts import Account, Team, TokenInfo
from modelreg.server.schemas import Schema


class PrincipalOut(Schema):
    name: str
    kind: str
    admin: bool
    teams: list[str]
    scopes: list[Scope]
    open_mode: bool

    @classmethod
    def from_entity(cls, principal: Principal) -> PrincipalOut:
        return cls(
            name=principal.name,
            kind=principal.kind,
            admin=principal.admin,
            teams=sorted(principal.teams),
            scopes=sorted(principal.scopes),
            open_mode=principal.open_mode,
        )


class UserCreate(Schema):
    name: str
    admin: bool = False
    kind: str = "user"


class UserOut(Schema):
    name: str
    kind: str
    admin: bool
    teams: list[str]
    created_at: datetime
    created_by: str

    @classmethod
    def from_entity(cls, account: Account) -> UserOut:
        return cls(
            name=account.name,
            kind=account.kind,
            admin=account.admin,
            teams=list(account.teams),
            created_at=account.created_at,
            created_by=account.created_by,
        )


class TeamCreate(Schema):
    name: str


class TeamOut(Schema):
    name: str
    members: list[str]
    created_at: datetime
    created_by: str

    @classmethod
    def from_entity(cls, team: Team) -> TeamOut:
        return cls(
            name=team.name,
            members=list(team.members),
            created_at=team.created_at,
            created_by=team.created_by,
        )


class TokenCreate(Schema):
    name: str
    user: str | None = Field(default=None, description="Whose token; default: the caller's")
    scopes: list[Scope] = Field(default_factory=lambda: list(Scope))
    expires_at: datetime | None = None


class TokenOut(Schema):
    id: str
    user: str
    name: str
    scopes: list[Scope]
    created_at: datetime
    created_by: str
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def from_entity(cls, token: TokenInfo) -> TokenOut:
        return cls(
            id=token.id,
            user=token.user,
            name=token.name,
            scopes=sorted(token.scopes),
            created_at=token.created_at,
            created_by=token.created_by,
            expires_at=token.expires_at,
            last_used_at=token.last_used_at,
            revoked_at=token.revoked_at,
        )


class TokenCreated(Schema):
    token: TokenOut
    secret: str = Field(description="The token itself; shown only in this answer")
