"""Protected aliases and promotion requests through the SDK (embedded and HTTP) on SQLite and
PostgreSQL: gates, distinct approvers, no self-approval, rejection, deletion guards."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from modelreg import (
    AliasNotFoundError,
    Client,
    ConflictError,
    InvalidArgumentError,
    PermissionDeniedError,
)
from modelreg.client.embedded import EmbeddedTransport
from modelreg.domain.errors import (
    PolicyViolationError,
    PromotionNotFoundError,
    ProtectedAliasError,
)
from modelreg.domain.governance import Decision, PromotionStatus
from modelreg.server.app import create_app
from modelreg.wiring import Services

Users = Callable[[str], Client]

POLICY = {
    "aliases": {
        "production": {
            "approvals": 2,
            "gates": ["metrics.auc >= 0.85", "metrics.auc >= previous - 0.01"],
        },
        "staging": {"gates": ["metrics.auc >= 0.5"]},
    }
}


@pytest.fixture(params=["embedded", "http"])
def users(request: pytest.FixtureRequest, services: Services, tmp_path: Path) -> Iterator[Users]:
    """``users("bob")``: an SDK client acting as bob, embedded or over HTTP (one app)."""
    opened: list[TestClient] = []
    app = create_app(services=services) if request.param == "http" else None

    def make(user: str) -> Client:
        if app is None:
            transport = EmbeddedTransport(services, user=user)
            return Client(transport=transport, cache_dir=tmp_path / "cache")
        test_client = TestClient(app, raise_server_exceptions=False)
        test_client.__enter__()
        opened.append(test_client)
        return Client(http_client=test_client, user=user, cache_dir=tmp_path / "cache")

    yield make
    for test_client in opened:
        test_client.__exit__(None, None, None)


@pytest.fixture
def alice(users: Users, model_dir: Path) -> Client:
    """alice owns 'fraud' with versions 1 (auc 0.90), 2 (0.80), 3 (0.895) and 4 (0.95)."""
    client = users("alice")
    for auc in (0.90, 0.80, 0.895, 0.95):
        client.push("fraud", model_dir, metrics={"auc": auc})
    client.set_policy(POLICY)
    return client


def test_protected_alias_cannot_be_set_or_removed_directly(alice: Client):
    with pytest.raises(ProtectedAliasError, match="promote request") as caught:
        alice.set_alias("fraud", "production", 1)
    assert caught.value.code == "PROTECTED_ALIAS"
    with pytest.raises(AliasNotFoundError):
        alice.get_alias("fraud", "production")
    # Unprotected aliases move freely, as before.
    assert alice.set_alias("fraud", "canary", 2).version == 2
    alice.delete_alias("fraud", "canary")


def test_promotion_failing_a_gate_is_refused_and_the_alias_does_not_move(alice: Client):
    with pytest.raises(PolicyViolationError) as caught:
        alice.request_promotion("fraud", "production", 2, "try the small one")
    assert "metrics.auc >= 0.85" in caught.value.message
    assert "auc is 0.8" in caught.value.message
    assert alice.list_promotions() == []
    assert "production" not in alice.get_model("fraud").aliases


def test_promotion_needs_distinct_approvers_other_than_the_requester(alice: Client, users: Users):
    bob, carol = users("bob"), users("carol")
    request = alice.request_promotion("fraud", "production", 1, "first release")
    assert request.status is PromotionStatus.PENDING
    with pytest.raises(PermissionDeniedError, match="cannot approve"):
        alice.approve_promotion(request.id, reason="looks good to me")
    after_bob = bob.approve_promotion(request.id, reason="metrics reviewed")
    assert after_bob.status is PromotionStatus.PENDING
    assert after_bob.approvers == ("bob",)
    with pytest.raises(ConflictError, match="already approved"):
        bob.approve_promotion(request.id)
    assert "production" not in alice.get_model("fraud").aliases  # one of two approvals
    done = carol.approve_promotion(request.id, reason="card reviewed")
    assert done.status is PromotionStatus.APPROVED
    assert done.approvers == ("bob", "carol")
    assert [(d.actor, d.decision, d.reason) for d in done.decisions] == [
        ("bob", Decision.APPROVE, "metrics reviewed"),
        ("carol", Decision.APPROVE, "card reviewed"),
    ]
    alias = alice.get_alias("fraud", "production")
    assert (alias.version, alias.updated_by) == (1, "carol")
    with pytest.raises(ConflictError, match="already approved"):
        users("dave").approve_promotion(request.id)
    actions = [e.action for e in alice.events("fraud", limit=5)]
    assert actions[:4] == [
        "alias.set",
        "promotion.approved",
        "promotion.approval",
        "promotion.requested",
    ]


def test_relative_gate_compares_with_the_version_being_replaced(alice: Client, users: Users):
    bob, carol = users("bob"), users("carol")
    first = alice.request_promotion("fraud", "production", 4, "0.95")
    bob.approve_promotion(first.id)
    carol.approve_promotion(first.id)
    # Version 3 (0.895) is more than 0.01 worse than version 4 (0.95) now in production.
    with pytest.raises(PolicyViolationError, match=r"previous - 0\.01"):
        alice.request_promotion("fraud", "production", 3, "roll back")
    assert alice.get_alias("fraud", "production").version == 4


def test_gates_are_checked_again_when_the_last_approval_arrives(alice: Client, users: Users):
    bob, carol = users("bob"), users("carol")
    older = alice.request_promotion("fraud", "production", 3, "0.895")
    newer = alice.request_promotion("fraud", "production", 4, "0.95")
    bob.approve_promotion(newer.id)
    carol.approve_promotion(newer.id)
    bob.approve_promotion(older.id)
    with pytest.raises(PolicyViolationError, match=r"previous - 0\.01"):
        carol.approve_promotion(older.id)
    assert alice.get_alias("fraud", "production").version == 4
    assert alice.get_promotion(older.id).approvers == ("bob",)  # the refused approval rolled back


def test_no_approvals_needed_moves_the_alias_at_once(alice: Client):
    done = alice.request_promotion("fraud", "staging", 2, "for the QA team")
    assert done.status is PromotionStatus.APPROVED
    assert alice.get_alias("fraud", "staging").version == 2


def test_rejection_keeps_the_alias_and_closes_the_request(alice: Client, users: Users):
    bob = users("bob")
    request = alice.request_promotion("fraud", "production", 1, "first release")
    with pytest.raises(InvalidArgumentError, match="reason"):
        bob.reject_promotion(request.id, reason=" ")
    rejected = bob.reject_promotion(request.id, reason="no model card yet")
    assert rejected.status is PromotionStatus.REJECTED
    assert rejected.decisions[-1].reason == "no model card yet"
    with pytest.raises(ConflictError, match="already rejected"):
        users("carol").approve_promotion(request.id)
    assert "production" not in alice.get_model("fraud").aliases
    listed = alice.list_promotions(model="fraud", status="REJECTED")
    assert [p.id for p in listed] == [request.id]
    assert alice.list_promotions(status=PromotionStatus.PENDING) == []


def test_requests_are_validated(alice: Client):
    with pytest.raises(InvalidArgumentError, match="not protected"):
        alice.request_promotion("fraud", "canary", 1, "why not")
    with pytest.raises(InvalidArgumentError, match="reason"):
        alice.request_promotion("fraud", "production", 1, "")
    with pytest.raises(PromotionNotFoundError):
        alice.get_promotion(999)


def test_delete_is_refused_while_a_protected_alias_points_at_the_version(
    alice: Client, users: Users
):
    alice.request_promotion("fraud", "staging", 2, "qa")
    alice.set_alias("fraud", "canary", 3)
    with pytest.raises(ProtectedAliasError, match="staging"):
        alice.delete_version("fraud", 2)
    with pytest.raises(ProtectedAliasError, match="staging"):
        alice.delete_model("fraud")
    alice.delete_version("fraud", 3)  # only an unprotected alias points at it
    alice.request_promotion("fraud", "staging", 4, "newer")
    alice.delete_version("fraud", 2)
    assert [v.version for v in alice.list_versions("fraud")] == [4, 1]


def test_model_card_requirement_refuses_promotion_without_a_card(alice: Client):
    alice.set_policy({"aliases": {"staging": {"model_card": True}}}, model="fraud")
    with pytest.raises(PolicyViolationError, match="model_card"):
        alice.request_promotion("fraud", "staging", 1, "needs a card")


def test_a_model_card_satisfies_the_card_requirement(services: Services, model_dir: Path):
    alice = Client(transport=EmbeddedTransport(services, user="alice"))
    alice.push("fraud", model_dir)
    alice.set_policy({"aliases": {"staging": {"model_card": True}}})
    with pytest.raises(PolicyViolationError, match="the version has no model card"):
        alice.request_promotion("fraud", "staging", 1, "needs a card")
    services.evaluations.set_card("fraud", 1, "# Fraud model\n\nWhat it is for.\n", actor="alice")
    assert alice.check_policy("fraud/1", alias="staging").passed
    done = alice.request_promotion("fraud", "staging", 1, "card written")
    assert done.status is PromotionStatus.APPROVED
