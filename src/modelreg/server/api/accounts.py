"""Users, service accounts, teams and API tokens, and ``whoami``.

Managing accounts takes a registry admin; anyone may manage their own tokens (the rules are
``service/accounts.py``'s). With authentication off, every caller may do everything.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from modelreg import routes
from modelreg.domain.access import Scope
from modelreg.server.account_schemas import (
    PrincipalOut,
    TeamCreate,
    TeamOut,
    TokenCreate,
    TokenCreated,
    TokenOut,
    UserCreate,
    UserOut,
)
from modelreg.server.deps import PrincipalDep, get_services
from modelreg.service.accounts import (
    Accounts,
    authorize_token_access,
    authorize_token_request,
    require_registry_admin,
)
from modelreg.wiring import Services

router = APIRouter(tags=["accounts"])


def get_accounts(services: Annotated[Services, Depends(get_services)]) -> Accounts:
    return services.accounts


AccountsDep = Annotated[Accounts, Depends(get_accounts)]


@router.get(routes.WHOAMI)
def whoami(principal: PrincipalDep) -> PrincipalOut:
    return PrincipalOut.from_entity(principal)


@router.post(routes.USERS, status_code=201)
def create_user(body: UserCreate, accounts: AccountsDep, principal: PrincipalDep) -> UserOut:
    require_registry_admin(principal)
    account = accounts.create_user(
        body.name, admin=body.admin, kind=body.kind, actor=principal.name
    )
    return UserOut.from_entity(account)


@router.get(routes.USERS)
def list_users(accounts: AccountsDep, principal: PrincipalDep) -> list[UserOut]:
    require_registry_admin(principal)
    return [UserOut.from_entity(account) for account in accounts.list_users()]


@router.post(routes.TEAMS, status_code=201)
def create_team(body: TeamCreate, accounts: AccountsDep, principal: PrincipalDep) -> Response:
    require_registry_admin(principal)
    accounts.create_team(body.name, actor=principal.name)
    return Response(status_code=201)


@router.get(routes.TEAMS)
def list_teams(accounts: AccountsDep, principal: PrincipalDep) -> list[TeamOut]:
    require_registry_admin(principal)
    return [TeamOut.from_entity(team) for team in accounts.list_teams()]


@router.put(routes.TEAM_MEMBER, status_code=204)
def add_member(team: str, user: str, accounts: AccountsDep, principal: PrincipalDep) -> Response:
    require_registry_admin(principal)
    accounts.add_member(team, user, actor=principal.name)
    return Response(status_code=204)


@router.delete(routes.TEAM_MEMBER, status_code=204)
def remove_member(team: str, user: str, accounts: AccountsDep, principal: PrincipalDep) -> Response:
    require_registry_admin(principal)
    accounts.remove_member(team, user, actor=principal.name)
    return Response(status_code=204)


@router.post(routes.TOKENS, status_code=201)
def create_token(body: TokenCreate, accounts: AccountsDep, principal: PrincipalDep) -> TokenCreated:
    user = body.user or principal.name
    authorize_token_request(principal, user, body.scopes)
    info, secret = accounts.create_token(
        user, name=body.name, scopes=body.scopes, expires_at=body.expires_at, actor=principal.name
    )
    return TokenCreated(token=TokenOut.from_entity(info), secret=secret)


@router.get(routes.TOKENS)
def list_tokens(
    accounts: AccountsDep, principal: PrincipalDep, user: str | None = None
) -> list[TokenOut]:
    if user != principal.name and not principal.open_mode:
        if user is None and not (principal.admin and principal.has_scope(Scope.ADMIN)):
            user = principal.name  # everyone else sees their own tokens
        else:
            require_registry_admin(principal)
    return [TokenOut.from_entity(token) for token in accounts.list_tokens(user)]


@router.delete(routes.TOKEN, status_code=204)
def revoke_token(token_id: str, accounts: AccountsDep, principal: PrincipalDep) -> Response:
    authorize_token_access(principal, accounts.get_token(token_id))
    accounts.revoke_token(token_id, actor=principal.name)
    return Response(status_code=204)
