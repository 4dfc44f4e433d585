"""Policy documents, the merge rule and rule evaluation: pure functions, no I/O."""

import pytest

from modelreg.domain.entities import Lineage
from modelreg.domain.errors import InvalidArgumentError
from modelreg.domain.policy import (
    AliasRule,
    Outcome,
    check_approvals,
    check_gates,
    check_model_card,
    check_name,
    check_required,
    merge_documents,
    parse_gate,
    parse_policy,
    violation_message,
)

PRODUCTION = {
    "approvals": 2,
    "model_card": True,
    "gates": ["metrics.auc >= 0.85", "metrics.auc >= previous - 0.01"],
}


def outcomes(results):
    return [r.outcome for r in results]


# -- gates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "metric", "op", "threshold", "relative"),
    [
        ("metrics.auc >= 0.85", "auc", ">=", 0.85, False),
        ("metrics.loss<0.3", "loss", "<", 0.3, False),
        ("  metrics.val/acc == 1e-3 ", "val/acc", "==", 0.001, False),
        ("metrics.auc >= previous - 0.01", "auc", ">=", -0.01, True),
        ("metrics.loss <= previous + 0.05", "loss", "<=", 0.05, True),
        ("metrics.auc > previous", "auc", ">", 0.0, True),
    ],
)
def test_parse_gate(text, metric, op, threshold, relative):
    gate = parse_gate(text)
    assert (gate.metric, gate.op, gate.relative) == (metric, op, relative)
    assert gate.threshold == pytest.approx(threshold)


@pytest.mark.parametrize(
    "text",
    [
        "auc >= 0.85",
        "metrics.auc => 0.8",
        "metrics.auc >= high",
        "metrics.auc >= nan",
        "metrics.auc >= previous * 2",
        "metrics. >= 1",
        42,
    ],
)
def test_parse_gate_refuses_malformed_gates(text):
    with pytest.raises(InvalidArgumentError, match="gate"):
        parse_gate(text)


def test_absolute_gates_pass_and_fail_with_the_value_in_the_detail():
    rule = AliasRule(gates=(parse_gate("metrics.auc >= 0.85"), parse_gate("metrics.loss < 0.2")))
    results = check_gates("production", rule, {"auc": 0.80, "loss": 0.1}, None)
    assert outcomes(results) == [Outcome.FAIL, Outcome.PASS]
    assert "auc is 0.8" in results[0].detail
    assert results[0].rule == "aliases.production.gates metrics.auc >= 0.85"


def test_a_missing_metric_fails_its_gate():
    rule = AliasRule(gates=(parse_gate("metrics.auc >= 0.85"),))
    [result] = check_gates("production", rule, {"loss": 0.1}, None)
    assert result.failed
    assert "no metric 'auc'" in result.detail


def test_relative_gate_compares_with_the_version_it_replaces():
    rule = AliasRule(gates=(parse_gate("metrics.auc >= previous - 0.01"),))
    previous = (4, {"auc": 0.90})
    assert check_gates("p", rule, {"auc": 0.889}, previous)[0].failed
    # Exactly 0.01 worse is allowed, despite binary rounding of 0.90 - 0.01.
    assert not check_gates("p", rule, {"auc": 0.89}, previous)[0].failed
    assert not check_gates("p", rule, {"auc": 0.95}, previous)[0].failed
    assert "version 4 has 0.9" in check_gates("p", rule, {"auc": 0.5}, previous)[0].detail


def test_relative_gate_passes_when_there_is_nothing_to_compare_with():
    rule = AliasRule(gates=(parse_gate("metrics.auc >= previous - 0.01"),))
    assert outcomes(check_gates("p", rule, {"auc": 0.1}, None)) == [Outcome.PASS]
    assert outcomes(check_gates("p", rule, {"auc": 0.1}, (2, {}))) == [Outcome.PASS]


# -- documents -----------------------------------------------------------------------------------


def test_parse_policy_reads_every_section():
    policy = parse_policy(
        {
            "naming": {"pattern": "^[a-z]+$"},
            "version": {
                "required": ["description", "owner", "datasets"],
                "schema": {"type": "object"},
            },
            "aliases": {"production": PRODUCTION, "staging": {}},
        }
    )
    assert policy.naming_pattern == "^[a-z]+$"
    assert policy.required == ("description", "owner", "datasets")
    assert policy.schemas == ({"type": "object"},)
    assert policy.protected_aliases == {"production", "staging"}
    assert policy.aliases["production"].approvals == 2
    assert policy.aliases["production"].model_card is True
    assert len(policy.aliases["production"].gates) == 2
    assert policy.aliases["staging"] == AliasRule()


def test_empty_policy_has_no_rules():
    policy = parse_policy({})
    assert policy.protected_aliases == frozenset()
    assert check_name(policy, "Anything") == []


def test_parse_policy_names_every_problem_in_one_error():
    with pytest.raises(InvalidArgumentError) as caught:
        parse_policy(
            {
                "naming": {"pattern": "(["},
                "version": {"required": ["descripton"]},
                "aliases": {"production": {"approvals": -1, "gates": ["auc > 1"]}, "latest": {}},
                "extra": 1,
            }
        )
    message = caught.value.message
    for fragment in ("naming.pattern", "descripton", "approvals", "auc > 1", "latest", "extra"):
        assert fragment in message
    assert len(caught.value.details["problems"]) == 6


def test_merge_rule_lists_add_up_and_single_values_are_replaced():
    default = {
        "naming": {"pattern": "^[a-z-]+$"},
        "version": {"required": ["description"], "schema": {"required": ["metrics"]}},
        "aliases": {"production": {"approvals": 1, "gates": ["metrics.auc >= 0.8"]}},
    }
    model = {
        "version": {"required": ["datasets", "description"], "schema": {"required": ["tags"]}},
        "aliases": {
            "production": {"approvals": 3, "gates": ["metrics.auc >= 0.9"]},
            "staging": {"gates": ["metrics.auc >= 0.5"]},
        },
    }
    merged = merge_documents(default, model)
    assert merged == {
        "naming": {"pattern": "^[a-z-]+$"},
        "version": {
            "required": ["description", "datasets"],
            "schema": {"allOf": [{"required": ["metrics"]}, {"required": ["tags"]}]},
        },
        "aliases": {
            "production": {"approvals": 3, "gates": ["metrics.auc >= 0.8", "metrics.auc >= 0.9"]},
            "staging": {"gates": ["metrics.auc >= 0.5"]},
        },
    }
    parse_policy(merged)  # the merge of two valid documents is valid
    assert merge_documents({}, {}) == {}
    assert merge_documents(default, {"naming": {"pattern": "^x"}})["naming"] == {"pattern": "^x"}


# -- other rules ---------------------------------------------------------------------------------


def test_naming_rule():
    policy = parse_policy({"naming": {"pattern": "^[a-z][a-z0-9-]*$"}})
    assert outcomes(check_name(policy, "fraud-v2")) == [Outcome.PASS]
    [result] = check_name(policy, "Fraud_V2")
    assert result.failed
    assert "'Fraud_V2' does not match" in result.detail


def test_required_fields():
    policy = parse_policy(
        {"version": {"required": ["description", "owner", "datasets", "tags.team", "metrics.auc"]}}
    )
    results = check_required(
        policy,
        description="  ",
        owner="risk",
        lineage=Lineage(),
        tags={"team": "risk"},
        params={},
        metrics={},
    )
    failed = [r.rule for r in results if r.failed]
    assert failed == [
        "version.required description",
        "version.required datasets",
        "version.required metrics.auc",
    ]
    results = check_required(
        policy,
        description="d",
        owner=None,
        lineage=Lineage(datasets=("s3://d",)),
        tags={"team": "risk"},
        params={},
        metrics={"auc": 0.0},
    )
    assert [r.rule for r in results if r.failed] == ["version.required owner"]


def test_approvals_are_counted_per_person_and_pending_without_a_request():
    rule = AliasRule(approvals=2)
    assert check_approvals("p", rule, None).outcome is Outcome.PENDING
    assert check_approvals("p", rule, ["bob", "bob"]).outcome is Outcome.FAIL
    assert check_approvals("p", rule, ["bob", "carol"]).outcome is Outcome.PASS
    assert check_approvals("p", AliasRule(), []) is None


def test_model_card_rule():
    rule = AliasRule(model_card=True)
    assert check_model_card("p", rule, True).outcome is Outcome.PASS
    assert check_model_card("p", rule, False).failed
    assert "cannot be checked" in check_model_card("p", rule, None).detail
    assert check_model_card("p", AliasRule(), None) is None


def test_violation_message_names_every_failed_rule():
    policy = parse_policy({"aliases": {"production": PRODUCTION}})
    results = check_gates(
        "production", policy.aliases["production"], {"auc": 0.5}, (1, {"auc": 0.9})
    )
    message = violation_message("promoting m/2 to 'production'", results)
    assert "2 rule(s) failed" in message
    assert "metrics.auc >= 0.85" in message
    assert "metrics.auc >= previous - 0.01" in message
