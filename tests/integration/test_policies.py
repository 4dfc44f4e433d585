"""Policies through the SDK, embedded and over HTTP, on SQLite and PostgreSQL: versioned
storage, the naming convention, required metadata, and ``check``."""

from __future__ import annotations

import pytest

from modelreg import Client, InvalidArgumentError
from modelreg.domain.entities import Lineage
from modelreg.domain.errors import PolicyNotFoundError, PolicyViolationError
from modelreg.domain.policy import Outcome

GOOD = {
    "description": "a fraud model",
    "lineage": Lineage(datasets=("s3://data/fraud-2026-01",)),
    "metrics": {"auc": 0.91},
}
VERSION_POLICY = {
    "version": {
        "required": ["description", "owner", "datasets"],
        "schema": {
            "type": "object",
            "properties": {
                "metrics": {"type": "object", "required": ["auc"]},
                "tags": {"type": "object", "properties": {"stage": {"enum": ["dev", "prod"]}}},
            },
        },
    }
}


def test_every_set_is_a_new_revision_and_old_ones_are_kept(client: Client):
    with pytest.raises(PolicyNotFoundError):
        client.get_policy()
    first = client.set_policy({"naming": {"pattern": "^[a-z]"}})
    second = client.set_policy({"naming": {"pattern": "^[a-z-]+$"}})
    assert (first.revision, second.revision) == (1, 2)
    assert first.model_name is None
    assert first.created_by == "alice"
    assert client.get_policy().document == {"naming": {"pattern": "^[a-z-]+$"}}
    assert client.get_policy(revision=1).document == {"naming": {"pattern": "^[a-z]"}}
    assert [r.revision for r in client.policy_history()] == [2, 1]
    # A model's policy is versioned on its own.
    own = client.set_policy({"aliases": {"production": {}}}, model="fraud")
    assert (own.revision, own.model_name) == (1, "fraud")
    assert [r.revision for r in client.policy_history(model="fraud")] == [1]


def test_invalid_policies_are_refused_with_every_problem(client: Client):
    with pytest.raises(InvalidArgumentError) as caught:
        client.set_policy(
            {"naming": {"pattern": "(["}, "aliases": {"production": {"gates": ["auc > 0.9"]}}}
        )
    assert "naming.pattern" in caught.value.message
    assert "auc > 0.9" in caught.value.message
    with pytest.raises(InvalidArgumentError, match="not a valid JSON Schema"):
        client.set_policy({"version": {"schema": {"type": "no-such-type"}}})
    assert client.policy_history() == []


def test_effective_policy_lays_the_models_policy_over_the_default(client: Client):
    client.set_policy({"version": {"required": ["description"]}, "aliases": {"production": {}}})
    client.set_policy(
        {"version": {"required": ["datasets"]}, "aliases": {"production": {"approvals": 2}}},
        model="fraud",
    )
    assert client.effective_policy("fraud") == {
        "version": {"required": ["description", "datasets"]},
        "aliases": {"production": {"approvals": 2}},
    }
    assert client.effective_policy("other") == {
        "version": {"required": ["description"]},
        "aliases": {"production": {}},
    }


def test_naming_convention_is_checked_on_create_and_first_push(client: Client, model_dir):
    client.create_model("LegacyModel")  # before the policy: keeps working afterwards
    client.push("LegacyModel", model_dir)
    client.set_policy({"naming": {"pattern": "^[a-z][a-z0-9-]*$"}})
    with pytest.raises(PolicyViolationError, match=r"naming\.pattern") as caught:
        client.create_model("Bad_Name")
    assert caught.value.code == "POLICY_VIOLATION"
    with pytest.raises(PolicyViolationError, match="'Bad_Name' does not match"):
        client.push("Bad_Name", model_dir)
    assert client.search_models("name = 'Bad_Name'") == []
    assert client.create_model("good-name").name == "good-name"
    assert client.push("fresh-one", model_dir).version == 1
    assert client.push("LegacyModel", model_dir).version == 2  # not its first push


def test_required_metadata_is_refused_with_one_error_naming_every_rule(client: Client, model_dir):
    client.set_policy(VERSION_POLICY)
    with pytest.raises(PolicyViolationError) as caught:
        client.push("fraud", model_dir, tags={"stage": "qa"})
    error = caught.value
    rules = [v["rule"] for v in error.details["violations"]]
    assert rules == [
        "version.required description",
        "version.required datasets",
        "version.schema",
        "version.schema",
    ]
    for fragment in ("description", "datasets", "'auc' is a required property", "'qa'"):
        assert fragment in error.message
    assert client.search_models("name = 'fraud'") == []  # the first push created nothing
    version = client.push("fraud", model_dir, tags={"stage": "dev"}, **GOOD)
    assert version.version == 1


def test_model_policy_extends_the_default_for_new_versions(client: Client, model_dir):
    client.set_policy({"version": {"required": ["description"]}})
    client.set_policy({"version": {"required": ["metrics.loss"]}}, model="strict")
    assert client.push("lenient", model_dir, description="d").version == 1
    with pytest.raises(PolicyViolationError, match=r"metrics\.loss"):
        client.push("strict", model_dir, description="d")
    assert client.push("strict", model_dir, description="d", metrics={"loss": 0.2}).version == 1


def test_check_explains_rule_by_rule_and_changes_nothing(client: Client, model_dir):
    client.push("fraud", model_dir, metrics={"auc": 0.80})
    client.set_policy(VERSION_POLICY)
    client.set_policy(
        {
            "aliases": {
                "production": {
                    "approvals": 2,
                    "gates": ["metrics.auc >= 0.85", "metrics.auc >= previous - 0.01"],
                }
            }
        },
        model="fraud",
    )
    before = client.events("fraud")
    report = client.check_policy("fraud/1", alias="production")
    assert (report.model_name, report.version, report.alias) == ("fraud", 1, "production")
    assert not report.passed
    table = {r.rule: r.outcome for r in report.results}
    assert table == {
        "version.required description": Outcome.FAIL,
        "version.required owner": Outcome.PASS,
        "version.required datasets": Outcome.FAIL,
        "version.schema": Outcome.PASS,
        "aliases.production.gates metrics.auc >= 0.85": Outcome.FAIL,
        "aliases.production.gates metrics.auc >= previous - 0.01": Outcome.PASS,
        "aliases.production.approvals 2": Outcome.PENDING,
    }
    assert client.events("fraud") == before
    unprotected = client.check_policy("fraud", alias="canary")
    assert unprotected.results[-1].detail == "not protected: moves freely"
    assert client.check_policy("fraud/1").alias is None
