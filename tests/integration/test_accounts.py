"""Accounts, teams and API tokens on SQLite and PostgreSQL: what is stored (never a secret),
what ``authenticate`` accepts and refuses, and what the audit trail records."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from modelreg.domain.access import Principal, Scope
from modelreg.domain.audit import AuditQuery
from modelreg.domain.errors import (
    AlreadyExistsError,
    InvalidArgumentError,
    TeamNotFoundError,
    TokenNotFoundError,
    UnauthenticatedError,
    UserNotFoundError,
)
from modelreg.service.accounts import Accounts
from modelreg.store.sql.tables import Base
from modelreg.wiring import Services


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def accounts(services: Services, clock: Clock) -> Accounts:
    return Accounts(services.registry.store, clock=clock)


def test_users_and_service_accounts(accounts: Accounts):
    alice = accounts.create_user("alice", admin=True, actor="root")
    accounts.create_user("ci-bot", kind="service", actor="alice")
    assert (alice.name, alice.kind, alice.admin, alice.created_by) == (
        "alice",
        "user",
        True,
        "root",
    )
    found = {a.name: a for a in accounts.list_users()}
    assert set(found) == {"alice", "ci-bot"}
    assert found["ci-bot"].kind == "service"
    assert not found["ci-bot"].admin
    with pytest.raises(AlreadyExistsError):
        accounts.create_user("alice", actor="root")
    with pytest.raises(InvalidArgumentError):
        accounts.create_user("bad name", actor="root")
    with pytest.raises(InvalidArgumentError):
        accounts.create_user("robot", kind="robot", actor="root")


def test_a_token_authenticates_as_its_owner_with_its_scopes_and_teams(accounts: Accounts):
    accounts.create_user("bob", actor="root")
    accounts.create_team("vision", actor="root")
    accounts.create_team("nlp", actor="root")
    accounts.add_member("vision", "bob", actor="root")
    accounts.add_member("nlp", "bob", actor="root")
    info, secret = accounts.create_token("bob", name="laptop", scopes=["read"], actor="root")
    assert (info.user, info.name, info.scopes) == ("bob", "laptop", {Scope.READ})
    principal = accounts.authenticate(secret)
    assert principal == Principal(
        name="bob",
        kind="user",
        admin=False,
        teams=frozenset({"vision", "nlp"}),
        scopes=frozenset({Scope.READ}),
    )
    assert not principal.open_mode

    accounts.remove_member("nlp", "bob", actor="root")
    assert accounts.authenticate(secret).teams == {"vision"}


def test_team_membership_errors(accounts: Accounts):
    accounts.create_user("bob", actor="root")
    with pytest.raises(TeamNotFoundError):
        accounts.add_member("ghosts", "bob", actor="root")
    accounts.create_team("vision", actor="root")
    with pytest.raises(UserNotFoundError):
        accounts.add_member("vision", "nobody", actor="root")
    with pytest.raises(AlreadyExistsError):
        accounts.create_team("vision", actor="root")
    accounts.add_member("vision", "bob", actor="root")
    accounts.add_member("vision", "bob", actor="root")  # already a member: no-op
    assert [(t.name, t.members) for t in accounts.list_teams()] == [("vision", ("bob",))]


def test_only_the_digest_is_stored(services: Services, accounts: Accounts):
    accounts.create_user("bob", actor="root")
    info, secret = accounts.create_token("bob", name="laptop", actor="root")
    # Every row of every table: the secret is nowhere, not even in the history.
    with services.metadata.engine.connect() as connection:
        stored = "".join(
            repr(connection.execute(text(f'SELECT * FROM "{table.name}"')).all())  # noqa: S608
            for table in Base.metadata.sorted_tables
        )
    assert secret not in stored
    assert secret[len("mrt_") :][:20] not in stored
    assert info.id in stored


def test_expired_tokens_are_refused(accounts: Accounts, clock: Clock):
    accounts.create_user("bob", actor="root")
    expires = clock.now + timedelta(days=1)
    info, secret = accounts.create_token("bob", name="ci", expires_at=expires, actor="root")
    assert info.expires_at == expires
    assert accounts.authenticate(secret).name == "bob"
    clock.now = expires
    with pytest.raises(UnauthenticatedError, match=f"token {info.id} has expired") as caught:
        accounts.authenticate(secret)
    assert secret not in str(caught.value)


def test_expiry_must_be_in_the_future_with_a_time_zone(accounts: Accounts, clock: Clock):
    accounts.create_user("bob", actor="root")
    with pytest.raises(InvalidArgumentError, match="future"):
        accounts.create_token("bob", name="x", expires_at=clock.now, actor="root")
    with pytest.raises(InvalidArgumentError, match="time zone"):
        accounts.create_token("bob", name="x", expires_at=datetime(2030, 1, 1), actor="root")  # noqa: DTZ001


def test_revoked_tokens_are_refused(accounts: Accounts, clock: Clock):
    accounts.create_user("bob", actor="root")
    info, secret = accounts.create_token("bob", name="ci", actor="root")
    other, other_secret = accounts.create_token("bob", name="laptop", actor="root")
    accounts.revoke_token(info.id, actor="root")
    accounts.revoke_token(info.id, actor="root")  # twice: a no-op
    with pytest.raises(UnauthenticatedError, match="revoked"):
        accounts.authenticate(secret)
    assert accounts.authenticate(other_secret).name == "bob"
    listed = {t.id: t for t in accounts.list_tokens("bob")}
    assert listed[info.id].revoked_at == clock.now
    assert listed[other.id].revoked_at is None
    with pytest.raises(TokenNotFoundError):
        accounts.revoke_token("000000000000", actor="root")


def test_unknown_and_malformed_tokens_are_refused(accounts: Accounts):
    accounts.create_user("bob", actor="root")
    _, secret = accounts.create_token("bob", name="ci", actor="root")
    from modelreg.domain.accounts import new_token_secret

    with pytest.raises(UnauthenticatedError, match="not known"):
        accounts.authenticate(new_token_secret())
    for bad in ("hunter2", secret[:-1], secret.upper()):
        with pytest.raises(UnauthenticatedError, match="not a valid modelreg token") as caught:
            accounts.authenticate(bad)
        assert bad not in caught.value.message


def test_last_use_is_recorded_at_most_once_a_minute(accounts: Accounts, clock: Clock):
    accounts.create_user("bob", actor="root")
    info, secret = accounts.create_token("bob", name="ci", actor="root")
    assert accounts.get_token(info.id).last_used_at is None
    first = clock.now
    accounts.authenticate(secret)
    clock.now = first + timedelta(seconds=30)
    accounts.authenticate(secret)
    assert accounts.get_token(info.id).last_used_at == first
    clock.now = first + timedelta(minutes=2)
    accounts.authenticate(secret)
    assert accounts.get_token(info.id).last_used_at == clock.now


def test_listing_tokens(accounts: Accounts):
    accounts.create_user("bob", actor="root")
    accounts.create_user("carol", actor="root")
    accounts.create_token("bob", name="a", actor="root")
    accounts.create_token("carol", name="b", actor="root")
    assert [t.name for t in accounts.list_tokens()] == ["a", "b"]
    assert [t.user for t in accounts.list_tokens("carol")] == ["carol"]
    with pytest.raises(UserNotFoundError):
        accounts.list_tokens("nobody")
    with pytest.raises(UserNotFoundError):
        accounts.create_token("nobody", name="x", actor="root")
    # Values no account or token can have never reach the database (PostgreSQL refuses NUL).
    with pytest.raises(InvalidArgumentError):
        accounts.list_tokens("a\x00b")
    with pytest.raises(TokenNotFoundError):
        accounts.revoke_token("\x00" * 12, actor="root")
    with pytest.raises(InvalidArgumentError):
        accounts.add_member("team\x00", "bob", actor="root")


def test_account_changes_are_in_the_audit_trail(services: Services, accounts: Accounts):
    accounts.create_user("bob", actor="root")
    accounts.create_team("vision", actor="root")
    accounts.add_member("vision", "bob", actor="alice")
    info, _ = accounts.create_token("bob", name="ci", scopes=["read"], actor="alice")
    accounts.revoke_token(info.id, actor="bob")
    accounts.remove_member("vision", "bob", actor="alice")
    found = [
        (e.action, e.actor, e.target)
        for e in services.audit.iter_entries(AuditQuery())
        if e.action.startswith(("user.", "team.", "token."))
    ]
    assert found == [
        ("user.created", "root", "user:bob"),
        ("team.created", "root", "team:vision"),
        ("team.member_added", "alice", "team:vision"),
        ("token.created", "alice", f"token:{info.id}"),
        ("token.revoked", "bob", f"token:{info.id}"),
        ("team.member_removed", "alice", "team:vision"),
    ]
    assert services.audit.verify().ok
