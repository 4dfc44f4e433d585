"""Retention policies on SQLite and PostgreSQL with a fixed clock: boundaries of archive-after
and delete-archived-after, keep-last, aliases and deployments protecting versions, a model's
policy replacing the registry-wide one, history entries, and the SDK (embedded and HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from modelreg.domain.errors import InvalidArgumentError, VersionNotFoundError
from modelreg.domain.retention import RetentionAction, Verdict
from modelreg.service.retention import Retention
from modelreg.service.uploads import Uploads
from modelreg.wiring import Services
from tests.factories import digest_of, make_draft, write_model_dir

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def push_at(services: Services, name: str, moment: datetime, tag: str) -> int:
    uploads = Uploads(services.outbox, services.blobs, clock=lambda: moment)
    data = f"{name}-{tag}".encode()
    session = uploads.start_upload(name, make_draft({"m.bin": data}), actor="alice")
    uploads.receive_blob(session.id, digest_of(data), [data])
    return uploads.commit_upload(session.id, actor="alice").version


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def retention(services: Services, clock: FixedClock) -> Retention:
    return Retention(services.outbox, clock=clock)


@pytest.fixture
def four(services: Services) -> Services:
    """Model ``m`` with versions 1..4 created a day apart from T0."""
    for n in range(4):
        push_at(services, "m", T0 + n * DAY, str(n + 1))
    return services


def actions(plan, model: str = "m") -> dict[int, RetentionAction]:
    (entry,) = [m for m in plan.models if m.model_name == model]
    return {d.version: d.action for d in entry.decisions}


def test_archive_after_is_due_exactly_at_its_boundary(four, retention, clock):
    retention.set_policy(actor="ops", keep_last=1, archive_after=30 * DAY)

    clock.now = T0 + 30 * DAY - SECOND
    assert set(actions(retention.plan()).values()) == {RetentionAction.KEEP}

    clock.now = T0 + 30 * DAY
    plan = retention.plan()
    assert actions(plan) == {
        4: RetentionAction.KEEP,
        3: RetentionAction.KEEP,
        2: RetentionAction.KEEP,
        1: RetentionAction.ARCHIVE,
    }
    (decision,) = [d for d in plan.models[0].decisions if d.version == 1]
    assert [(r.rule, r.verdict) for r in decision.rules] == [
        ("alias", Verdict.SKIP),
        ("deployment", Verdict.SKIP),
        ("keep-last", Verdict.SKIP),
        ("archive-after", Verdict.ARCHIVE),
        ("delete-archived-after", Verdict.SKIP),
    ]
    assert decision.reason == "archive-after: created 30d ago (>= 30d)"


def test_keep_last_protects_the_newest_versions(four, retention, clock):
    retention.set_policy(actor="ops", keep_last=2, archive_after=DAY)
    clock.now = T0 + 100 * DAY
    assert actions(retention.plan()) == {
        4: RetentionAction.KEEP,
        3: RetentionAction.KEEP,
        2: RetentionAction.ARCHIVE,
        1: RetentionAction.ARCHIVE,
    }


def test_aliases_and_deployments_are_never_touched(four, retention, clock):
    four.registry.set_alias("m", "production", 1, actor="alice")
    four.deployments.record_deployment("m", 2, "staging", actor="ci")
    retention.set_policy(actor="ops", keep_last=1, archive_after=DAY, delete_archived_after=DAY)
    clock.now = T0 + 100 * DAY

    plan = retention.apply(actor="ops")

    assert actions(plan) == {
        4: RetentionAction.KEEP,
        3: RetentionAction.ARCHIVE,
        2: RetentionAction.KEEP,
        1: RetentionAction.KEEP,
    }
    reasons = {d.version: d.reason for d in plan.models[0].decisions}
    assert reasons[1] == "alias: alias production"
    assert reasons[2] == "deployment: deployed to staging"
    assert [v for v in (1, 2, 3, 4) if four.registry.get_version("m", v).archived] == [3]


def test_archive_then_delete_timeline_with_history(four, retention, clock):
    retention.set_policy(
        actor="ops", keep_last=1, archive_after=10 * DAY, delete_archived_after=20 * DAY
    )
    clock.now = T0 + 10 * DAY
    assert actions(retention.apply(actor="ops")) == {
        4: RetentionAction.KEEP,
        3: RetentionAction.KEEP,
        2: RetentionAction.KEEP,
        1: RetentionAction.ARCHIVE,
    }
    assert four.registry.get_version("m", 1).archived_at == T0 + 10 * DAY

    clock.now = T0 + 30 * DAY - SECOND  # archived 20 days ago minus a second
    assert actions(retention.apply(actor="ops"))[1] is RetentionAction.KEEP
    assert four.registry.get_version("m", 1).archived

    clock.now = T0 + 30 * DAY
    applied = actions(retention.apply(actor="ops"))
    assert applied[1] is RetentionAction.DELETE
    with pytest.raises(VersionNotFoundError):
        four.registry.get_version("m", 1)
    # Versions 2 and 3 were archived on the second run (created >= 10 days earlier).
    assert applied[2] is applied[3] is RetentionAction.KEEP
    assert four.registry.get_version("m", 2).archived

    history = [(e.action, e.actor, e.version) for e in four.registry.list_events("m").items]
    assert ("version.archived", "retention:ops", 1) in history
    assert ("version.deleted", "retention:ops", 1) in history
    assert ("retention.applied", "ops", None) in history
    summary = [e for e in four.registry.list_events("m").items if e.action == "retention.applied"]
    assert summary[0].details["actions"] == [
        {
            "version": 1,
            "action": "delete",
            "reason": "delete-archived-after: archived 20d ago (>= 20d)",
        }
    ]


def test_a_model_policy_replaces_the_registry_wide_one(services, retention, clock):
    push_at(services, "a", T0, "1")
    push_at(services, "a", T0 + DAY, "2")
    push_at(services, "b", T0, "1")
    push_at(services, "b", T0 + DAY, "2")
    push_at(services, "c", T0, "1")
    retention.set_policy(actor="ops", keep_last=1, archive_after=5 * DAY)
    retention.set_policy(actor="ops", model="b", archive_after=50 * DAY)
    clock.now = T0 + 10 * DAY

    plan = retention.plan()

    assert [(m.model_name, m.policy.scope if m.policy else None) for m in plan.models] == [
        ("a", ""),
        ("b", "b"),
        ("c", ""),
    ]
    assert actions(plan, "a") == {2: RetentionAction.KEEP, 1: RetentionAction.ARCHIVE}
    assert actions(plan, "b") == {2: RetentionAction.KEEP, 1: RetentionAction.KEEP}
    assert [p.scope for p in retention.list_policies()] == ["", "b"]
    assert retention.remove_policy(actor="ops", model="b")
    assert not retention.remove_policy(actor="ops", model="b")
    assert actions(retention.plan(), "b")[1] is RetentionAction.ARCHIVE


def test_apply_checks_again_inside_its_transaction(four, retention, clock):
    retention.set_policy(actor="ops", keep_last=1, archive_after=DAY)
    clock.now = T0 + 10 * DAY
    assert actions(retention.plan())[1] is RetentionAction.ARCHIVE
    four.registry.set_alias("m", "champion", 1, actor="alice")  # after the plan was shown

    assert actions(retention.apply(actor="ops"))[1] is RetentionAction.KEEP
    assert not four.registry.get_version("m", 1).archived


def test_models_without_a_policy_are_left_alone(four, retention, clock):
    clock.now = T0 + 1000 * DAY
    assert retention.plan().models == ()
    (entry,) = retention.plan(model="m").models
    assert entry.policy is None
    assert set(actions(retention.apply(actor="ops", model="m")).values()) == {RetentionAction.KEEP}


@pytest.mark.parametrize(
    ("keep_last", "archive_after", "delete_after", "message"),
    [
        (None, None, None, "needs archive-after or delete-archived-after"),
        (-1, DAY, None, "keep-last must be between"),
        (None, -DAY, None, "archive-after must not be negative"),
    ],
)
def test_invalid_policies_are_refused(
    services, retention, keep_last, archive_after, delete_after, message
):
    with pytest.raises(InvalidArgumentError, match=message):
        retention.set_policy(
            actor="ops",
            keep_last=keep_last,
            archive_after=archive_after,
            delete_archived_after=delete_after,
        )
    assert retention.list_policies() == []


def test_retention_through_the_sdk(client, tmp_path):
    for tag in ("1", "2", "3"):
        client.push("m", write_model_dir(tmp_path / tag, {"m.bin": tag.encode()}))
    client.set_alias("m", "production", 1)

    policy = client.set_retention(keep_last=1, archive_after="0s")
    assert (policy.scope, policy.keep_last, policy.archive_after) == ("", 1, timedelta(0))
    assert policy.updated_by == "alice"
    model_policy = client.set_retention(model="m", keep_last=2, archive_after=timedelta(0))
    assert [p.scope for p in client.retention_policies()] == ["", "m"]
    assert model_policy.delete_archived_after is None

    plan = client.plan_retention(model="m")
    assert actions(plan) == {
        3: RetentionAction.KEEP,
        2: RetentionAction.KEEP,
        1: RetentionAction.KEEP,
    }
    client.remove_retention(model="m")
    applied = client.apply_retention()
    assert applied.applied
    assert actions(applied)[2] is RetentionAction.ARCHIVE
    assert [v.version for v in client.list_versions("m")] == [3, 1]
    with pytest.raises(InvalidArgumentError, match="archive-after"):
        client.set_retention(archive_after="thirty days")
