"""Authorization at the service level (``service/access.py``) on SQLite and PostgreSQL: grants
through users and teams, the history they leave, and searches that see only readable models."""

from __future__ import annotations

import pytest

from modelreg.domain.access import Principal, Role, Scope, open_principal
from modelreg.domain.audit import AuditQuery
from modelreg.domain.errors import (
    BlobNotFoundError,
    ConflictError,
    InvalidArgumentError,
    ModelNotFoundError,
    PermissionDeniedError,
)
from modelreg.domain.permissions import Action, Subject, SubjectKind
from modelreg.wiring import Services
from tests.factories import digest_of, make_draft

alice = Principal("alice")
bob = Principal("bob", teams=frozenset({"ml"}))
carol = Principal("carol", teams=frozenset({"ml", "ops"}))
root = Principal("root", admin=True)


def user(name: str) -> Subject:
    return Subject(SubjectKind.USER, name)


def team(name: str) -> Subject:
    return Subject(SubjectKind.TEAM, name)


def push(services: Services, name: str, content: bytes, actor: str) -> int:
    session = services.uploads.start_upload(name, make_draft({"m.bin": content}), actor=actor)
    for digest in session.missing:
        services.uploads.receive_blob(session.id, digest, [content])
    return services.uploads.commit_upload(session.id, actor=actor).version


def test_the_creator_of_a_model_is_its_admin(services: Services):
    services.registry.create_model("fraud", actor="alice")
    push(services, "churn", b"first push creates the model", actor="bob")

    access = services.access
    assert access.role_of(alice, "fraud") is Role.ADMIN
    assert access.role_of(bob, "churn") is Role.ADMIN
    assert access.role_of(bob, "fraud") is None
    assert access.role_of(root, "churn") is Role.ADMIN
    [grant] = access.list_grants("fraud")
    assert (grant.subject, grant.role, grant.granted_by) == (user("alice"), Role.ADMIN, "alice")
    # The grant belongs to the model's creation: no separate history entry.
    assert [e.action for e in services.registry.list_events("fraud").items] == ["model.created"]


def test_roles_come_from_users_and_teams_and_the_highest_wins(services: Services):
    services.registry.create_model("fraud", actor="alice")
    access = services.access
    access.grant("fraud", team("ml"), Role.READER, actor="alice")
    access.grant("fraud", team("ops"), Role.MAINTAINER, actor="alice")
    access.grant("fraud", user("bob"), Role.WRITER, actor="alice")

    assert access.role_of(bob, "fraud") is Role.WRITER  # writer (user) beats reader (team ml)
    assert access.role_of(carol, "fraud") is Role.MAINTAINER  # through team ops
    assert access.role_of(Principal("dave", teams=frozenset({"ml"})), "fraud") is Role.READER
    assert access.role_of(Principal("ops"), "fraud") is None  # a user named like a team

    access.grant("fraud", team("ops"), Role.READER, actor="alice")  # lowered, not added
    assert access.role_of(carol, "fraud") is Role.READER
    assert [(g.subject, g.role) for g in access.list_grants("fraud")] == [
        (team("ml"), Role.READER),
        (team("ops"), Role.READER),
        (user("alice"), Role.ADMIN),
        (user("bob"), Role.WRITER),
    ]


def test_grants_and_revocations_go_into_the_history(services: Services):
    services.registry.create_model("fraud", actor="alice")
    access = services.access
    access.grant("fraud", user("bob"), Role.WRITER, actor="alice")
    access.grant("fraud", user("bob"), Role.WRITER, actor="alice")  # no change, no entry
    access.grant("fraud", user("bob"), Role.MAINTAINER, actor="alice")
    assert access.revoke("fraud", user("bob"), actor="alice") is Role.MAINTAINER
    assert access.revoke("fraud", user("bob"), actor="alice") is None  # nothing left to revoke

    assert access.role_of(bob, "fraud") is None
    events = services.registry.list_events("fraud").items
    assert [(e.action, e.actor, e.details.get("role")) for e in events] == [
        ("permission.revoked", "alice", "maintainer"),
        ("permission.granted", "alice", "maintainer"),
        ("permission.granted", "alice", "writer"),
        ("model.created", "alice", None),
    ]
    upgrade = events[1]
    assert upgrade.target == "permission:fraud:user:bob"
    assert (upgrade.before, upgrade.after) == ({"role": "writer"}, {"role": "maintainer"})
    audited = services.audit.list_entries(AuditQuery(model="fraud", action="permission.*"))
    assert [(e.action, e.target) for e in audited.items] == [
        ("permission.granted", "permission:fraud:user:bob"),
        ("permission.granted", "permission:fraud:user:bob"),
        ("permission.revoked", "permission:fraud:user:bob"),
    ]


def test_the_last_admin_cannot_be_removed(services: Services):
    services.registry.create_model("fraud", actor="alice")
    access = services.access
    with pytest.raises(ConflictError, match="last admin"):
        access.revoke("fraud", user("alice"), actor="alice")
    with pytest.raises(ConflictError, match="last admin"):
        access.grant("fraud", user("alice"), Role.READER, actor="alice")
    access.grant("fraud", team("ml"), Role.ADMIN, actor="alice")
    access.revoke("fraud", user("alice"), actor="alice")
    assert access.role_of(alice, "fraud") is None
    assert access.role_of(bob, "fraud") is Role.ADMIN


def test_grants_follow_a_rename_and_die_with_the_model(services: Services):
    services.registry.create_model("fraud", actor="alice")
    services.access.grant("fraud", user("bob"), Role.READER, actor="alice")
    services.registry.rename_model("fraud", "fraud-v2", actor="alice")
    assert services.access.role_of(bob, "fraud-v2") is Role.READER

    services.registry.delete_model("fraud-v2", actor="alice")
    services.registry.create_model("fraud-v2", actor="carol")  # a new model under the old name
    assert services.access.role_of(bob, "fraud-v2") is None
    assert [g.subject for g in services.access.list_grants("fraud-v2")] == [user("carol")]


def test_grants_on_missing_models_and_bad_subjects_are_refused(services: Services):
    with pytest.raises(ModelNotFoundError):
        services.access.grant("ghost", user("bob"), Role.READER, actor="root")
    services.registry.create_model("fraud", actor="alice")
    with pytest.raises(InvalidArgumentError):
        services.access.grant("fraud", user(" bob"), Role.READER, actor="alice")
    with pytest.raises(InvalidArgumentError):
        services.access.grant("fraud", team(""), Role.READER, actor="alice")


def test_require_names_the_missing_role_and_hides_unreadable_models(services: Services):
    services.registry.create_model("fraud", actor="alice")
    access = services.access
    access.grant("fraud", user("bob"), Role.READER, actor="alice")

    access.require(bob, Action.READ, "fraud")
    with pytest.raises(PermissionDeniedError, match="needs the writer role") as denied:
        access.require(bob, Action.PUSH, "fraud")
    assert denied.value.details == {"model": "fraud", "required_role": "writer"}

    # Not readable: the same answer as a model that does not exist.
    with pytest.raises(ModelNotFoundError) as hidden:
        access.require(carol, Action.DELETE_MODEL, "fraud")
    with pytest.raises(ModelNotFoundError) as missing:
        services.registry.get_model("ghost")
    assert str(hidden.value) == str(missing.value).replace("ghost", "fraud")


def test_a_first_push_is_a_model_creation(services: Services):
    access = services.access
    access.require(alice, Action.PUSH, "new-model")  # does not exist: creating is allowed
    read_only = Principal("alice", scopes=frozenset({Scope.READ}))
    with pytest.raises(PermissionDeniedError, match="'write' scope"):
        access.require(read_only, Action.PUSH, "new-model")
    with pytest.raises(PermissionDeniedError, match="'write' scope"):
        access.require(read_only, Action.CREATE_MODEL)


def test_registry_admin_actions(services: Services):
    access = services.access
    with pytest.raises(PermissionDeniedError, match="needs a registry admin"):
        access.require(alice, Action.MANAGE_WEBHOOKS)
    access.require(root, Action.MANAGE_WEBHOOKS)
    access.require(open_principal(), Action.MANAGE_WEBHOOKS)
    access.require(root, Action.DELETE_MODEL, "ghost")  # admins get the use case's own answer


def test_content_is_readable_only_through_a_readable_model(services: Services):
    push(services, "fraud", b"secret weights", actor="alice")
    push(services, "churn", b"shared weights", actor="bob")
    push(services, "fraud", b"shared weights", actor="alice")
    secret, shared = str(digest_of(b"secret weights")), str(digest_of(b"shared weights"))

    services.access.require_blob(alice, secret)
    services.access.require_blob(bob, shared)  # bob reads it through churn
    with pytest.raises(BlobNotFoundError):
        services.access.require_blob(bob, secret)
    services.access.require_blob(root, secret)


def test_searches_see_only_readable_models_across_pages(services: Services):
    access = services.access
    readable = []
    for index in range(23):
        name = f"model-{index:02d}"
        push(services, name, name.encode(), actor="owner")
        if index % 3 == 0:
            access.grant(name, user("alice"), Role.READER, actor="owner")
            readable.append(name)
        elif index % 5 == 0:
            access.grant(name, team("ml"), Role.WRITER, actor="owner")
    through_team = ["model-05", "model-10", "model-20", "model-25"][:3]

    def every_page(search, who: Principal) -> list[str]:
        names, cursor = [], None
        while True:
            page = search(cursor=cursor, limit=4, readable_by=access.visibility(who))
            names.extend(getattr(item, "model_name", None) or item.name for item in page.items)
            cursor = page.next_cursor
            if cursor is None:
                return names

    assert every_page(services.registry.search_models, alice) == readable
    alice_in_ml = Principal("alice", teams=frozenset({"ml"}))
    assert every_page(services.registry.search_models, alice_in_ml) == sorted(
        readable + through_team
    )
    assert every_page(services.registry.search_models, Principal("nobody")) == []
    assert len(every_page(services.registry.search_models, root)) == 23
    versions = every_page(services.registry.search_versions, alice)
    assert sorted(versions) == readable
    # A filter and the visibility constraint combine.
    page = services.registry.search_models(
        "name LIKE 'model-1%'", readable_by=access.visibility(alice)
    )
    assert [m.name for m in page.items] == ["model-12", "model-15", "model-18"]


def test_the_sdk_manages_grants_embedded_and_over_http(client):
    client.create_model("fraud")
    granted = client.grant("fraud", "writer", user="bob")
    assert (granted.subject, granted.role, granted.granted_by) == (
        user("bob"),
        Role.WRITER,
        "alice",
    )
    client.grant("fraud", Role.READER, team="ml")
    assert [(g.subject, g.role) for g in client.permissions("fraud")] == [
        (team("ml"), Role.READER),
        (user("alice"), Role.ADMIN),
        (user("bob"), Role.WRITER),
    ]
    client.revoke("fraud", user="bob")
    client.revoke("fraud", user="bob")  # nothing left: no error, no entry
    assert [g.subject for g in client.permissions("fraud")] == [team("ml"), user("alice")]
    assert [e.action for e in client.events("fraud")][:3] == [
        "permission.revoked",
        "permission.granted",
        "permission.granted",
    ]
    with pytest.raises(InvalidArgumentError, match="exactly one"):
        client.grant("fraud", "reader", user="bob", team="ml")
    with pytest.raises(InvalidArgumentError, match="unknown role"):
        client.grant("fraud", "boss", user="bob")
    with pytest.raises(ModelNotFoundError):
        client.permissions("ghost")
