"""Policies as data: read a policy document, lay a model's policy over the default, evaluate rules.

A policy document (JSON, or YAML read into the same shape) has three optional sections::

    naming:
      pattern: "^[a-z][a-z0-9-]*$"        # model names must match (on create and first push)
    version:                              # every new version
      required: [description, owner, datasets]
      schema: {...}                       # JSON Schema over {"tags", "params", "metrics"}
    aliases:                              # every alias named here is protected
      production:
        approvals: 2                      # distinct people other than the requester
        model_card: true
        signed: true                      # a valid manifest signature (docs/signing.md)
        scan: clean                       # every file scanned clean (docs/scanning.md)
        gates:
          - metrics.auc >= 0.85
          - metrics.auc >= previous - 0.01    # not worse than the version it replaces by > 0.01

Merge rule (``merge_documents``): the effective policy of a model is the registry-wide default
with the model's policy laid over it. Lists add up (``version.required``, an alias's ``gates``),
schemas add up (both must pass), maps merge key by key (``aliases``), and single values are
replaced by the model's (``naming.pattern``, an alias's ``approvals``, ``model_card`` and
``signed``).

Everything here is pure: the JSON Schema itself is checked by the service layer.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from modelreg.domain.entities import Lineage
from modelreg.domain.errors import InvalidArgumentError
from modelreg.domain.rules import validate_alias_name

MAX_APPROVALS = 100
SCAN_REQUIREMENTS = ("clean",)
_GATE = re.compile(
    r"^\s*metrics\.(?P<key>[A-Za-z0-9_](?:[A-Za-z0-9_.\-/: ]*[A-Za-z0-9_.\-/:])?)"
    r"\s*(?P<op>>=|<=|==|>|<)\s*(?P<rhs>.+?)\s*$"
)
_PREVIOUS = re.compile(r"^previous\s*(?:(?P<sign>[+-])\s*(?P<margin>\S+))?$")
_LINEAGE_FIELDS = (
    "datasets",
    "source_commit",
    "source_url",
    "run_id",
    "experiment_id",
    "parent_version",
)
_PLAIN_FIELDS = ("description", "owner", *_LINEAGE_FIELDS)
_PREFIXED_FIELDS = ("tags.", "params.", "metrics.")


class Outcome(enum.StrEnum):
    PASS = "PASS"  # noqa: S105 - an outcome, not a password
    FAIL = "FAIL"
    PENDING = "PENDING"
    """Decided later (approvals are counted when a promotion is requested and approved)."""


@dataclass(frozen=True, slots=True)
class RuleResult:
    rule: str
    outcome: Outcome
    detail: str

    @property
    def failed(self) -> bool:
        return self.outcome is Outcome.FAIL


@dataclass(frozen=True, slots=True)
class MetricGate:
    """``metrics.KEY OP NUMBER`` or ``metrics.KEY OP previous [+|- NUMBER]``."""

    text: str
    metric: str
    op: str
    threshold: float = 0.0
    relative: bool = False
    """True when the right side is the metric of the version the alias points at now."""


@dataclass(frozen=True, slots=True)
class AliasRule:
    approvals: int = 0
    model_card: bool = False
    gates: tuple[MetricGate, ...] = ()
    signed: bool = False
    scan: str | None = None
    """``"clean"``: the version's scan verdict must be clean (docs/scanning.md)."""


@dataclass(frozen=True, slots=True)
class Policy:
    naming_pattern: str | None = None
    required: tuple[str, ...] = ()
    schemas: tuple[Mapping[str, Any], ...] = ()
    aliases: Mapping[str, AliasRule] = field(default_factory=dict)

    @property
    def protected_aliases(self) -> frozenset[str]:
        return frozenset(self.aliases)


@dataclass(frozen=True, slots=True)
class PolicyReport:
    """What ``policy check`` answers: every rule that applies to one version, with its outcome."""

    model_name: str
    version: int | None
    alias: str | None
    results: tuple[RuleResult, ...]

    @property
    def passed(self) -> bool:
        return not any(result.failed for result in self.results)

    @property
    def failures(self) -> tuple[RuleResult, ...]:
        return tuple(result for result in self.results if result.failed)


# -- reading documents ---------------------------------------------------------------------------


def parse_gate(text: str) -> MetricGate:
    """Parse one metric gate; ``InvalidArgumentError`` says what is wrong with it."""
    if not isinstance(text, str):
        raise InvalidArgumentError(f"a gate must be a string, got {text!r}")
    match = _GATE.match(text)
    if match is None:
        raise InvalidArgumentError(
            f"invalid gate {text!r}: write 'metrics.NAME OP NUMBER' or "
            "'metrics.NAME OP previous [+|- NUMBER]' with OP one of >= > <= < =="
        )
    key, op, rhs = match["key"], match["op"], match["rhs"]
    previous = _PREVIOUS.match(rhs)
    if previous is not None:
        margin = 0.0
        if previous["margin"] is not None:
            margin = _number(previous["margin"], text)
            if previous["sign"] == "-":
                margin = -margin
        return MetricGate(text.strip(), key, op, margin, relative=True)
    return MetricGate(text.strip(), key, op, _number(rhs, text))


def _number(text: str, gate: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InvalidArgumentError(f"invalid gate {gate!r}: {text!r} is not a finite number")
    return value


def parse_policy(document: Mapping[str, Any]) -> Policy:
    """Check a policy document and read it; one error lists every problem found."""
    problems: list[str] = []
    if not isinstance(document, Mapping):
        raise InvalidArgumentError("a policy must be a mapping (a JSON object)", field="policy")
    _unknown(document, {"naming", "version", "aliases", "description"}, "policy", problems)
    pattern = _naming(document.get("naming"), problems)
    required, schemas = _version(document.get("version"), problems)
    aliases = _aliases(document.get("aliases"), problems)
    if problems:
        raise InvalidArgumentError(
            "invalid policy: " + "; ".join(problems), field="policy", problems=problems
        )
    return Policy(pattern, required, schemas, aliases)


def _unknown(section: Mapping[str, Any], known: set[str], where: str, problems: list[str]) -> None:
    for key in section:
        if key not in known:
            problems.append(f"{where}: unknown key {key!r} (known: {', '.join(sorted(known))})")


def _section(value: Any, where: str, problems: list[str]) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.append(f"{where} must be a mapping")
        return {}
    return value


def _naming(value: Any, problems: list[str]) -> str | None:
    section = _section(value, "naming", problems)
    _unknown(section, {"pattern"}, "naming", problems)
    pattern = section.get("pattern")
    if pattern is None:
        return None
    if not isinstance(pattern, str) or not pattern:
        problems.append("naming.pattern must be a non-empty string")
        return None
    try:
        re.compile(pattern)
    except re.error as error:
        problems.append(f"naming.pattern {pattern!r} is not a valid regular expression: {error}")
        return None
    return pattern


def _version(
    value: Any, problems: list[str]
) -> tuple[tuple[str, ...], tuple[Mapping[str, Any], ...]]:
    section = _section(value, "version", problems)
    _unknown(section, {"required", "schema"}, "version", problems)
    required = section.get("required", [])
    fields: list[str] = []
    if not isinstance(required, list) or not all(isinstance(item, str) for item in required):
        problems.append("version.required must be a list of field names")
    else:
        for item in required:
            if item in _PLAIN_FIELDS or (
                item.startswith(_PREFIXED_FIELDS) and item.split(".", 1)[1]
            ):
                if item not in fields:
                    fields.append(item)
            else:
                problems.append(
                    f"version.required: unknown field {item!r} (use {', '.join(_PLAIN_FIELDS)}, "
                    "or tags.KEY, params.KEY, metrics.KEY)"
                )
    schema = section.get("schema")
    schemas: tuple[Mapping[str, Any], ...] = ()
    if schema is not None:
        if isinstance(schema, Mapping):
            schemas = (schema,)
        else:
            problems.append("version.schema must be a JSON Schema object")
    return tuple(fields), schemas


def _aliases(value: Any, problems: list[str]) -> dict[str, AliasRule]:
    section = _section(value, "aliases", problems)
    rules: dict[str, AliasRule] = {}
    for name, raw in section.items():
        where = f"aliases.{name}"
        try:
            validate_alias_name(name)
        except InvalidArgumentError as error:
            problems.append(f"{where}: {error.message}")
            continue
        body = _section(raw, where, problems)
        _unknown(body, {"approvals", "model_card", "gates", "signed", "scan"}, where, problems)
        approvals = body.get("approvals", 0)
        if isinstance(approvals, bool) or not isinstance(approvals, int):
            problems.append(f"{where}.approvals must be a whole number")
            approvals = 0
        elif not 0 <= approvals <= MAX_APPROVALS:
            problems.append(f"{where}.approvals must be between 0 and {MAX_APPROVALS}")
            approvals = 0
        model_card = body.get("model_card", False)
        if not isinstance(model_card, bool):
            problems.append(f"{where}.model_card must be true or false")
            model_card = False
        gates: list[MetricGate] = []
        raw_gates = body.get("gates", [])
        if not isinstance(raw_gates, list):
            problems.append(f"{where}.gates must be a list of strings")
            raw_gates = []
        for text in raw_gates:
            try:
                gates.append(parse_gate(text))
            except InvalidArgumentError as error:
                problems.append(f"{where}.gates: {error.message}")
        signed = body.get("signed", False)
        if not isinstance(signed, bool):
            problems.append(f"{where}.signed must be true or false")
            signed = False
        scan = body.get("scan")
        if scan is not None and scan not in SCAN_REQUIREMENTS:
            problems.append(f"{where}.scan must be one of: {', '.join(SCAN_REQUIREMENTS)}")
            scan = None
        rules[name] = AliasRule(approvals, model_card, tuple(gates), signed=signed, scan=scan)
    return rules


def merge_documents(default: Mapping[str, Any], model: Mapping[str, Any]) -> dict[str, Any]:
    """The model's policy laid over the default (see the module docstring for the rule).

    Both documents must already be valid (``parse_policy``); the result is a valid document.
    """
    merged: dict[str, Any] = {}
    pattern = _get(model, "naming", "pattern") or _get(default, "naming", "pattern")
    if pattern:
        merged["naming"] = {"pattern": pattern}
    required = _union(
        _get(default, "version", "required") or [], _get(model, "version", "required") or []
    )
    schemas = [
        s for s in (_get(default, "version", "schema"), _get(model, "version", "schema")) if s
    ]
    version: dict[str, Any] = {}
    if required:
        version["required"] = required
    if len(schemas) == 1:
        version["schema"] = schemas[0]
    elif schemas:
        version["schema"] = {"allOf": schemas}
    if version:
        merged["version"] = version
    base_aliases: Mapping[str, Any] = default.get("aliases") or {}
    over_aliases: Mapping[str, Any] = model.get("aliases") or {}
    aliases: dict[str, Any] = {}
    for name in [*base_aliases, *(a for a in over_aliases if a not in base_aliases)]:
        base = dict(base_aliases.get(name) or {})
        over = over_aliases.get(name) or {}
        rule = {**base, **{k: v for k, v in over.items() if k != "gates"}}
        gates = _union(base.get("gates") or [], over.get("gates") or [])
        if gates:
            rule["gates"] = gates
        aliases[name] = rule
    if aliases:
        merged["aliases"] = aliases
    return merged


def _get(document: Mapping[str, Any], section: str, key: str) -> Any:
    value = document.get(section)
    return value.get(key) if isinstance(value, Mapping) else None


def _union(first: Sequence[Any], second: Sequence[Any]) -> list[Any]:
    result = list(first)
    result.extend(item for item in second if item not in result)
    return result


# -- evaluating rules ----------------------------------------------------------------------------


def check_name(policy: Policy, name: str) -> list[RuleResult]:
    if policy.naming_pattern is None:
        return []
    rule = f"naming.pattern {policy.naming_pattern}"
    if re.search(policy.naming_pattern, name):
        return [RuleResult(rule, Outcome.PASS, f"model name {name!r} matches")]
    return [RuleResult(rule, Outcome.FAIL, f"model name {name!r} does not match")]


def check_required(
    policy: Policy,
    *,
    description: str,
    owner: str | None,
    lineage: Lineage,
    tags: Mapping[str, str],
    params: Mapping[str, str],
    metrics: Mapping[str, float],
) -> list[RuleResult]:
    """The ``version.required`` fields; ``owner`` is the registered model's owner."""
    results = []
    for name in policy.required:
        rule = f"version.required {name}"
        present = _present(name, description, owner, lineage, tags, params, metrics)
        if present:
            results.append(RuleResult(rule, Outcome.PASS, f"{name} is set"))
        else:
            results.append(RuleResult(rule, Outcome.FAIL, f"{name} is missing or empty"))
    return results


def _present(
    name: str,
    description: str,
    owner: str | None,
    lineage: Lineage,
    tags: Mapping[str, str],
    params: Mapping[str, str],
    metrics: Mapping[str, float],
) -> bool:
    if name == "description":
        return bool(description.strip())
    if name == "owner":
        return bool(owner and owner.strip())
    if name in _LINEAGE_FIELDS:
        value = getattr(lineage, name)
        return value is not None and value != "" and value != ()
    kind, _, key = name.partition(".")
    found: Mapping[str, object] = {"tags": tags, "params": params, "metrics": metrics}[kind]
    return key in found and found[key] != ""


def check_gates(
    alias: str,
    rule: AliasRule,
    metrics: Mapping[str, float],
    previous: tuple[int, Mapping[str, float]] | None,
) -> list[RuleResult]:
    """Metric gates of ``alias`` for a version with ``metrics``; ``previous`` is the version
    number and metrics of the version the alias points at now (None when it is unset)."""
    return [_check_gate(alias, gate, metrics, previous) for gate in rule.gates]


def _check_gate(
    alias: str,
    gate: MetricGate,
    metrics: Mapping[str, float],
    previous: tuple[int, Mapping[str, float]] | None,
) -> RuleResult:
    rule = f"aliases.{alias}.gates {gate.text}"
    if gate.metric not in metrics:
        return RuleResult(rule, Outcome.FAIL, f"the version has no metric {gate.metric!r}")
    value = metrics[gate.metric]
    if gate.relative:
        if previous is None:
            return RuleResult(rule, Outcome.PASS, f"{alias} is unset: nothing to compare with")
        number, before = previous
        if gate.metric not in before:
            return RuleResult(
                rule, Outcome.PASS, f"version {number} has no metric {gate.metric!r} to compare"
            )
        bound = before[gate.metric] + gate.threshold
        against = f"version {number} has {before[gate.metric]:g}, bound {bound:g}"
    else:
        bound = gate.threshold
        against = f"bound {bound:g}"
    ok = _compare(value, gate.op, bound)
    verdict = "meets" if ok else "fails"
    return RuleResult(
        rule,
        Outcome.PASS if ok else Outcome.FAIL,
        f"{gate.metric} is {value:g}: {verdict} {gate.op} {against}",
    )


def _compare(value: float, op: str, bound: float) -> bool:
    # A small tolerance so "previous - 0.01" is not failed by binary rounding of the subtraction.
    eps = 1e-12 * max(1.0, abs(bound))
    if op == ">=":
        return value >= bound - eps
    if op == ">":
        return value > bound
    if op == "<=":
        return value <= bound + eps
    if op == "<":
        return value < bound
    return abs(value - bound) <= eps


def check_approvals(
    alias: str, rule: AliasRule, approvers: Sequence[str] | None
) -> RuleResult | None:
    """``approvers`` are the distinct people (never the requester) who approved; None when no
    request exists yet (``policy check``), which leaves the rule PENDING."""
    if rule.approvals == 0:
        return None
    name = f"aliases.{alias}.approvals {rule.approvals}"
    if approvers is None:
        return RuleResult(
            name,
            Outcome.PENDING,
            f"needs {rule.approvals} approval(s) from people other than the requester",
        )
    count = len(set(approvers))
    outcome = Outcome.PASS if count >= rule.approvals else Outcome.FAIL
    return RuleResult(name, outcome, f"{count} of {rule.approvals} approval(s)")


def check_model_card(alias: str, rule: AliasRule, has_card: bool | None) -> RuleResult | None:
    """``has_card`` is None when this registry cannot tell (no model-card support)."""
    if not rule.model_card:
        return None
    name = f"aliases.{alias}.model_card"
    if has_card:
        return RuleResult(name, Outcome.PASS, "the version has a model card")
    if has_card is None:
        return RuleResult(name, Outcome.FAIL, "a model card is required but cannot be checked")
    return RuleResult(name, Outcome.FAIL, "the version has no model card")


def check_signed(alias: str, rule: AliasRule, signed: bool | None) -> RuleResult | None:
    """``signed``: does the version carry a valid signature by a registered, unrevoked key?
    None when this registry cannot tell."""
    if not rule.signed:
        return None
    name = f"aliases.{alias}.signed"
    if signed:
        return RuleResult(name, Outcome.PASS, "the version has a valid signature")
    if signed is None:
        return RuleResult(name, Outcome.FAIL, "a signature is required but cannot be checked")
    return RuleResult(name, Outcome.FAIL, "the version has no valid signature by a trusted key")


def check_scan(
    alias: str, rule: AliasRule, verdict: str | None, released: str | None = None
) -> RuleResult | None:
    """``scan: clean``: the worst scan verdict of the version's files (``domain/scans.py``).
    ``released`` describes a quarantine release covering every flagged file (who, why): the
    version then counts as clean with an exception, and the explanation says so."""
    if rule.scan is None:
        return None
    name = f"aliases.{alias}.scan"
    if verdict == rule.scan:
        return RuleResult(name, Outcome.PASS, f"every file scanned {verdict}")
    if released is not None:
        return RuleResult(
            name, Outcome.PASS, f"clean with an exception: scanned {verdict}, {released}"
        )
    return RuleResult(name, Outcome.FAIL, f"the version's scan verdict is {verdict or 'unknown'}")


def violation_message(subject: str, failures: Sequence[RuleResult]) -> str:
    """One message naming every failed rule."""
    listed = "; ".join(f"{r.rule} ({r.detail})" for r in failures)
    return f"{subject} breaks the policy ({len(failures)} rule(s) failed): {listed}"


def violations(failures: Sequence[RuleResult]) -> list[dict[str, str]]:
    return [{"rule": r.rule, "detail": r.detail} for r in failures]
