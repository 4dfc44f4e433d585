"""Accounts, teams and API tokens on the transaction's ``Session`` (a mixin of
``SqlTransaction``). ORM rows never leave this module."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence, Set
from datetime import datetime

from sqlalchemy import Select, delete, select, update

from modelreg.domain.access import Scope
from modelreg.domain.accounts import Account, Team, TokenInfo
from modelreg.domain.errors import (
    AlreadyExistsError,
    TeamNotFoundError,
    TokenNotFoundError,
    UserNotFoundError,
)
from modelreg.store.sql.auth_tables import AccountRow, ApiTokenRow, TeamMemberRow, TeamRow
from modelreg.store.sql.unit import SqlUnit


class AccountsRepository(SqlUnit):
    # -- accounts ----------------------------------------------------------------------------

    def _account_row(self, name: str) -> AccountRow:
        row = self.session.scalars(select(AccountRow).where(AccountRow.name == name)).one_or_none()
        if row is None:
            raise UserNotFoundError(f"user {name!r} does not exist", user=name)
        return row

    def create_account(
        self, name: str, *, kind: str, admin: bool, actor: str, now: datetime
    ) -> Account:
        if self.session.scalar(select(AccountRow.id).where(AccountRow.name == name)) is not None:
            raise AlreadyExistsError(f"user {name!r} already exists", user=name)
        row = AccountRow(name=name, kind=kind, admin=admin, created_by=actor, created_at=now)
        self.session.add(row)
        self.session.flush()
        return _account(row, ())

    def get_account(self, name: str) -> Account:
        row = self._account_row(name)
        return _account(row, self._teams_of([row.id])[row.id])

    def list_accounts(self) -> list[Account]:
        rows = list(self.session.scalars(select(AccountRow).order_by(AccountRow.name)))
        teams = self._teams_of([row.id for row in rows])
        return [_account(row, teams[row.id]) for row in rows]

    def _teams_of(self, account_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
        found: dict[int, list[str]] = defaultdict(list)
        if account_ids:
            pairs = self.session.execute(
                select(TeamMemberRow.account_id, TeamRow.name)
                .join(TeamRow, TeamRow.id == TeamMemberRow.team_id)
                .where(TeamMemberRow.account_id.in_(account_ids))
                .order_by(TeamRow.name)
            )
            for account_id, team in pairs:
                found[account_id].append(team)
        return {i: tuple(found[i]) for i in account_ids}

    # -- teams -------------------------------------------------------------------------------

    def _team_row(self, name: str) -> TeamRow:
        row = self.session.scalars(select(TeamRow).where(TeamRow.name == name)).one_or_none()
        if row is None:
            raise TeamNotFoundError(f"team {name!r} does not exist", team=name)
        return row

    def create_team(self, name: str, *, actor: str, now: datetime) -> Team:
        if self.session.scalar(select(TeamRow.id).where(TeamRow.name == name)) is not None:
            raise AlreadyExistsError(f"team {name!r} already exists", team=name)
        row = TeamRow(name=name, created_by=actor, created_at=now)
        self.session.add(row)
        self.session.flush()
        return Team(row.name, (), row.created_at, row.created_by)

    def get_team(self, name: str) -> Team:
        return self._teams([self._team_row(name)])[0]

    def list_teams(self) -> list[Team]:
        return self._teams(list(self.session.scalars(select(TeamRow).order_by(TeamRow.name))))

    def _teams(self, rows: Sequence[TeamRow]) -> list[Team]:
        members: dict[int, list[str]] = defaultdict(list)
        if rows:
            pairs = self.session.execute(
                select(TeamMemberRow.team_id, AccountRow.name)
                .join(AccountRow, AccountRow.id == TeamMemberRow.account_id)
                .where(TeamMemberRow.team_id.in_([row.id for row in rows]))
                .order_by(AccountRow.name)
            )
            for team_id, user in pairs:
                members[team_id].append(user)
        return [
            Team(row.name, tuple(members[row.id]), row.created_at, row.created_by) for row in rows
        ]

    def add_team_member(self, team: str, user: str) -> bool:
        team_id, account_id = self._team_row(team).id, self._account_row(user).id
        if self.session.get(TeamMemberRow, (team_id, account_id)) is not None:
            return False
        self.session.add(TeamMemberRow(team_id=team_id, account_id=account_id))
        self.session.flush()
        return True

    def remove_team_member(self, team: str, user: str) -> bool:
        team_id, account_id = self._team_row(team).id, self._account_row(user).id
        result = self.session.execute(
            delete(TeamMemberRow).where(
                TeamMemberRow.team_id == team_id, TeamMemberRow.account_id == account_id
            )
        )
        return bool(getattr(result, "rowcount", 0))

    # -- tokens ------------------------------------------------------------------------------

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
    ) -> TokenInfo:
        account = self._account_row(user)
        row = ApiTokenRow(
            public_id=token_id,
            account_id=account.id,
            name=name,
            digest=digest,
            scopes=sorted(scope.value for scope in scopes),
            created_by=actor,
            created_at=now,
            expires_at=expires_at,
        )
        self.session.add(row)
        self.session.flush()
        return _token(row, account.name)

    def _token_statement(self) -> Select[ApiTokenRow, str]:
        return select(ApiTokenRow, AccountRow.name).join(
            AccountRow, AccountRow.id == ApiTokenRow.account_id
        )

    def get_token(self, token_id: str) -> TokenInfo:
        found = self.session.execute(
            self._token_statement().where(ApiTokenRow.public_id == token_id)
        ).one_or_none()
        if found is None:
            raise TokenNotFoundError(f"token {token_id!r} does not exist", token=token_id)
        return _token(found[0], found[1])

    def find_token(self, digest: str) -> TokenInfo | None:
        found = self.session.execute(
            self._token_statement().where(ApiTokenRow.digest == digest)
        ).one_or_none()
        return None if found is None else _token(found[0], found[1])

    def list_tokens(self, user: str | None) -> list[TokenInfo]:
        statement = self._token_statement()
        if user is not None:
            statement = statement.where(ApiTokenRow.account_id == self._account_row(user).id)
        rows = self.session.execute(statement.order_by(ApiTokenRow.id))
        return [_token(row, name) for row, name in rows]

    def revoke_token(self, token_id: str, *, now: datetime) -> TokenInfo:
        self.session.execute(
            update(ApiTokenRow)
            .where(ApiTokenRow.public_id == token_id, ApiTokenRow.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return self.get_token(token_id)

    def touch_token(self, token_id: str, *, now: datetime) -> None:
        self.session.execute(
            update(ApiTokenRow).where(ApiTokenRow.public_id == token_id).values(last_used_at=now)
        )


def _account(row: AccountRow, teams: tuple[str, ...]) -> Account:
    return Account(row.name, row.kind, row.admin, row.created_at, row.created_by, teams)


def _token(row: ApiTokenRow, user: str) -> TokenInfo:
    return TokenInfo(
        id=row.public_id,
        user=user,
        name=row.name,
        scopes=frozenset(Scope(value) for value in row.scopes),
        created_at=row.created_at,
        created_by=row.created_by,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )
