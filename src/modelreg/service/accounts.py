"""Accounts, teams and API tokens, and turning a token into a ``Principal``.

Every change is a registry-wide history event (``user.created``, ``team.member_added``,
``token.created``, ``token.revoked``, ...), so it lands in the audit trail with its actor.
Secrets never reach the store, the events or an error message: only their digest and the
token's public id do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from modelreg.domain.access import Principal, Scope
from modelreg.domain.accounts import (
    Account,
    Team,
    TokenInfo,
    looks_like_token,
    new_token_id,
    new_token_secret,
    parse_scopes,
    token_digest,
    validate_account_name,
    validate_kind,
    validate_token_name,
)
from modelreg.domain.entities import Event
from modelreg.domain.errors import (
    InvalidArgumentError,
    PermissionDeniedError,
    TokenNotFoundError,
    UnauthenticatedError,
)
from modelreg.service.clock import Clock, utcnow
from modelreg.store.base import MetadataStore, MetadataTransaction

TOKEN_ID = re.compile(r"[0-9a-f]{12}")
TOUCH_INTERVAL = timedelta(minutes=1)
"""``last_used_at`` is written at most this often per token, so reads stay reads."""


class Accounts:
    def __init__(self, store: MetadataStore, *, clock: Clock = utcnow) -> None:
        self.store = store
        self.clock = clock

    # -- users and service accounts ----------------------------------------------------------

    def create_user(
        self, name: str, *, admin: bool = False, kind: str = "user", actor: str
    ) -> Account:
        validate_account_name(name)
        validate_kind(kind)
        now = self.clock()
        with self.store.transaction(write=True) as tx:
            account = tx.create_account(name, kind=kind, admin=admin, actor=actor, now=now)
            after = {"kind": kind, "admin": admin}
            _record(tx, "user.created", actor, now, f"user:{name}", after=after)
        return account

    def get_user(self, name: str) -> Account:
        validate_account_name(name)
        with self.store.transaction() as tx:
            return tx.get_account(name)

    def list_users(self) -> list[Account]:
        with self.store.transaction() as tx:
            return tx.list_accounts()

    # -- teams -------------------------------------------------------------------------------

    def create_team(self, name: str, *, actor: str) -> None:
        validate_account_name(name, what="team")
        now = self.clock()
        with self.store.transaction(write=True) as tx:
            tx.create_team(name, actor=actor, now=now)
            _record(tx, "team.created", actor, now, f"team:{name}")

    def list_teams(self) -> list[Team]:
        with self.store.transaction() as tx:
            return tx.list_teams()

    def add_member(self, team: str, user: str, *, actor: str) -> None:
        validate_account_name(team, what="team")
        validate_account_name(user)
        now = self.clock()
        with self.store.transaction(write=True) as tx:
            if tx.add_team_member(team, user):
                _record(tx, "team.member_added", actor, now, f"team:{team}", after=user)

    def remove_member(self, team: str, user: str, *, actor: str) -> None:
        validate_account_name(team, what="team")
        validate_account_name(user)
        now = self.clock()
        with self.store.transaction(write=True) as tx:
            if tx.remove_team_member(team, user):
                _record(tx, "team.member_removed", actor, now, f"team:{team}", before=user)

    # -- tokens ------------------------------------------------------------------------------

    def create_token(
        self,
        user: str,
        *,
        name: str,
        scopes: Iterable[Scope] = tuple(Scope),
        expires_at: datetime | None = None,
        actor: str,
    ) -> tuple[TokenInfo, str]:
        """A new token for ``user``: its description and its secret, which is shown only here."""
        validate_account_name(user)
        name = validate_token_name(name)
        granted = parse_scopes(scopes)
        now = self.clock()
        if expires_at is not None:
            if expires_at.tzinfo is None:
                raise InvalidArgumentError("expires_at must include a time zone", field="expires")
            if expires_at <= now:
                raise InvalidArgumentError("expires_at must be in the future", field="expires")
        secret = new_token_secret()
        with self.store.transaction(write=True) as tx:
            info = tx.add_token(
                user,
                token_id=new_token_id(),
                name=name,
                digest=token_digest(secret),
                scopes=granted,
                expires_at=expires_at,
                actor=actor,
                now=now,
            )
            details = {
                "user": user,
                "name": name,
                "scopes": sorted(scope.value for scope in granted),
                "expires_at": None if expires_at is None else expires_at.isoformat(),
            }
            _record(tx, "token.created", actor, now, f"token:{info.id}", after=details)
        return info, secret

    def get_token(self, token_id: str) -> TokenInfo:
        _check_token_id(token_id)
        with self.store.transaction() as tx:
            return tx.get_token(token_id)

    def list_tokens(self, user: str | None = None) -> list[TokenInfo]:
        if user is not None:
            validate_account_name(user)
        with self.store.transaction() as tx:
            return tx.list_tokens(user)

    def revoke_token(self, token_id: str, *, actor: str) -> None:
        _check_token_id(token_id)
        now = self.clock()
        with self.store.transaction(write=True) as tx:
            before = tx.get_token(token_id)
            if before.revoked_at is not None:
                return  # revoking twice is a no-op, and is not recorded twice
            tx.revoke_token(token_id, now=now)
            details = {"user": before.user, "name": before.name}
            _record(tx, "token.revoked", actor, now, f"token:{token_id}", before=details)

    # -- authentication ----------------------------------------------------------------------

    def authenticate(self, secret: str) -> Principal:
        """The principal ``secret`` stands for; ``UnauthenticatedError`` when it is unknown,
        expired or revoked. The message never repeats the secret."""
        if not looks_like_token(secret):
            raise UnauthenticatedError("the credential is not a valid modelreg token")
        now = self.clock()
        with self.store.transaction() as tx:
            info = tx.find_token(token_digest(secret))
            if info is None:
                raise UnauthenticatedError("the token is not known to this registry")
            account = tx.get_account(info.user)
        if info.revoked_at is not None:
            raise UnauthenticatedError(f"token {info.id} has been revoked", token=info.id)
        if info.is_expired(now):
            raise UnauthenticatedError(f"token {info.id} has expired", token=info.id)
        if info.last_used_at is None or now - info.last_used_at >= TOUCH_INTERVAL:
            with self.store.transaction(write=True) as tx:
                tx.touch_token(info.id, now=now)
        return Principal(
            name=account.name,
            kind=account.kind,
            admin=account.admin,
            teams=frozenset(account.teams),
            scopes=info.scopes,
        )


# -- who may manage accounts (the API's rule; model permissions live in service/access.py) -----


def require_registry_admin(principal: Principal) -> None:
    """Managing users, teams and other people's tokens takes a registry admin whose credential
    carries the admin scope (anyone, when the registry runs open)."""
    if principal.open_mode:
        return
    if not principal.admin:
        raise PermissionDeniedError("only a registry admin may manage users, teams and tokens")
    if not principal.has_scope(Scope.ADMIN):
        raise PermissionDeniedError("this token lacks the admin scope")


def authorize_token_request(principal: Principal, user: str, scopes: Iterable[Scope]) -> None:
    """Anyone may create tokens for themselves, with no scope their own credential lacks (a
    read-only token cannot mint a write token); tokens for others take a registry admin."""
    if principal.open_mode:
        return
    if user != principal.name:
        require_registry_admin(principal)
        return
    wider = sorted(set(parse_scopes(scopes)) - principal.scopes)
    if wider:
        raise PermissionDeniedError(
            f"a token cannot grant scopes its creator's token lacks: {', '.join(wider)}"
        )


def authorize_token_access(principal: Principal, token: TokenInfo) -> None:
    """Listing or revoking a token: its owner, or a registry admin."""
    if principal.open_mode or token.user == principal.name:
        return
    require_registry_admin(principal)


def _check_token_id(token_id: str) -> None:
    # Anything else cannot name a token (and must not reach the database: NUL, huge strings).
    if not TOKEN_ID.fullmatch(token_id):
        raise TokenNotFoundError(f"token {token_id[:40]!r} does not exist", token=token_id[:40])


def _record(
    tx: MetadataTransaction,
    action: str,
    actor: str,
    now: datetime,
    target: str,
    *,
    before: object = None,
    after: object = None,
) -> None:
    # Registry-wide entries: no model.
    tx.add_event(Event("", action, actor, now, target=target, before=before, after=after))
