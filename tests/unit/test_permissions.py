"""The role table, written out here by hand: a change to ``domain/permissions.py`` that does not
also change this file (and docs/permissions.md) fails."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from modelreg.domain.access import Principal, Role, Scope, open_principal
from modelreg.domain.permissions import (
    Action,
    Grant,
    Subject,
    SubjectKind,
    allowed,
    allowed_actions,
    effective_role,
)

A = Action
EXPECTED_MODEL_ACTIONS: dict[Role, set[Action]] = {
    Role.READER: {A.READ},
    Role.WRITER: {A.READ, A.PUSH, A.UPDATE, A.RECORD, A.REQUEST_PROMOTION},
    Role.MAINTAINER: {
        A.READ,
        A.PUSH,
        A.UPDATE,
        A.RECORD,
        A.REQUEST_PROMOTION,
        A.SET_ALIAS,
        A.APPROVE_PROMOTION,
        A.ARCHIVE,
        A.DELETE_VERSION,
        A.RELEASE_QUARANTINE,
        A.OVERRIDE_QUARANTINE,
    },
    Role.ADMIN: {
        A.READ,
        A.PUSH,
        A.UPDATE,
        A.RECORD,
        A.REQUEST_PROMOTION,
        A.SET_ALIAS,
        A.APPROVE_PROMOTION,
        A.ARCHIVE,
        A.DELETE_VERSION,
        A.RELEASE_QUARANTINE,
        A.OVERRIDE_QUARANTINE,
        A.RENAME_MODEL,
        A.DELETE_MODEL,
        A.MANAGE_PERMISSIONS,
    },
}
REGISTRY_ACTIONS = {A.SEARCH, A.CREATE_MODEL, A.TRACK, A.LOG}
ADMIN_ACTIONS = {
    A.MANAGE_WEBHOOKS,
    A.MANAGE_POLICIES,
    A.READ_AUDIT,
    A.MANAGE_ACCOUNTS,
    A.MANAGE_STORAGE,
}
READ_SCOPED = {A.READ, A.SEARCH, A.TRACK, A.READ_AUDIT}
ADMIN_SCOPED = {
    A.MANAGE_PERMISSIONS,
    A.MANAGE_WEBHOOKS,
    A.MANAGE_POLICIES,
    A.MANAGE_ACCOUNTS,
    A.MANAGE_STORAGE,
}

alice = Principal("alice")
root = Principal("root", admin=True)


def test_every_action_is_in_exactly_one_group():
    model_actions = EXPECTED_MODEL_ACTIONS[Role.ADMIN]
    assert model_actions | REGISTRY_ACTIONS | ADMIN_ACTIONS == set(Action)
    assert not model_actions & REGISTRY_ACTIONS
    assert not model_actions & ADMIN_ACTIONS


@pytest.mark.parametrize("role", list(Role))
def test_each_role_allows_exactly_its_row(role):
    assert allowed_actions(role) == EXPECTED_MODEL_ACTIONS[role]
    for action in EXPECTED_MODEL_ACTIONS[Role.ADMIN]:
        assert bool(allowed(alice, role, action)) == (action in EXPECTED_MODEL_ACTIONS[role])


@pytest.mark.parametrize("action", sorted(EXPECTED_MODEL_ACTIONS[Role.ADMIN]))
def test_no_role_allows_no_model_action(action):
    verdict = allowed(alice, None, action)
    assert not verdict
    assert verdict.missing_role is not None
    assert "you have no role" in verdict.reason


def test_a_refusal_names_the_role_that_is_missing():
    verdict = allowed(alice, Role.WRITER, A.SET_ALIAS)
    assert (verdict.allowed, verdict.missing_role) == (False, Role.MAINTAINER)
    assert (
        verdict.reason
        == "set_alias needs the maintainer role on the model (you have the writer role)"
    )


@pytest.mark.parametrize("action", sorted(REGISTRY_ACTIONS))
def test_registry_actions_need_only_a_caller(action):
    assert allowed(alice, None, action)


@pytest.mark.parametrize("action", sorted(ADMIN_ACTIONS))
def test_admin_actions_are_for_registry_admins(action):
    assert not allowed(Principal("bob"), Role.ADMIN, action)  # a model admin is not enough
    assert allowed(root, None, action)


@pytest.mark.parametrize("action", list(Action))
def test_scopes(action):
    expected = (
        Scope.READ
        if action in READ_SCOPED
        else Scope.ADMIN
        if action in ADMIN_SCOPED
        else Scope.WRITE
    )
    everything_but = Principal("root", admin=True, scopes=frozenset(set(Scope) - {expected}))
    verdict = allowed(everything_but, Role.ADMIN, action)
    assert (verdict.allowed, verdict.missing_scope) == (False, expected)
    assert allowed(Principal("root", admin=True, scopes=frozenset({expected})), Role.ADMIN, action)


def test_open_mode_allows_everything_even_without_scopes():
    opened = open_principal("me")
    assert all(allowed(opened, None, action) for action in Action)


def _grant(kind, name, role):
    return Grant("m", Subject(kind, name), role, "root", datetime(2026, 1, 1, tzinfo=UTC))


def test_the_highest_role_wins_across_user_and_team_grants():
    grants = [
        _grant(SubjectKind.USER, "alice", Role.READER),
        _grant(SubjectKind.TEAM, "ml", Role.MAINTAINER),
        _grant(SubjectKind.TEAM, "ops", Role.WRITER),
        _grant(SubjectKind.USER, "bob", Role.ADMIN),
    ]
    assert effective_role(grants, Principal("alice", teams=frozenset({"ml", "ops"}))) is (
        Role.MAINTAINER
    )
    assert effective_role(grants, Principal("alice")) is Role.READER
    assert effective_role(grants, Principal("carol", teams=frozenset({"ops"}))) is Role.WRITER
    assert effective_role(grants, Principal("carol")) is None
    # A team named like a user is not that user.
    assert effective_role(grants, Principal("ml")) is None
    assert effective_role([], root) is Role.ADMIN
