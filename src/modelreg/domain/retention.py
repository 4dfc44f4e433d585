"""Retention policies and their evaluation: which versions to archive or delete, and why.

A policy belongs to one model or to the whole registry (``scope`` empty); a model's own policy
replaces the registry-wide one entirely (fields are not merged, so what the plan shows is what
was set in one place). Rules, evaluated for every version, in this order:

    alias                  a version an alias points at is never touched
    deployment             nor one that is deployed to some environment now
    keep-last N            nor one of the N highest-numbered versions (archived ones count)
    archive-after D        a live version created at least D ago is archived
    delete-archived-after  a version archived at least E ago is deleted

The first three only protect; the last two act. Boundaries are inclusive: at exactly
``created_at + D`` the version is due. Pure: the caller supplies versions, aliases,
deployments and ``now``.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from modelreg.domain.errors import InvalidArgumentError
from modelreg.domain.storage import format_duration

REGISTRY_SCOPE = ""
MAX_KEEP_LAST = 1_000_000


class RetentionAction(enum.StrEnum):
    KEEP = "keep"
    ARCHIVE = "archive"
    DELETE = "delete"


class Verdict(enum.StrEnum):
    PROTECT = "protect"
    ARCHIVE = "archive"
    DELETE = "delete"
    SKIP = "skip"
    """The rule does not apply to this version."""


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    scope: str
    """A model name, or ``REGISTRY_SCOPE`` for the registry-wide policy."""
    keep_last: int | None = None
    archive_after: timedelta | None = None
    delete_archived_after: timedelta | None = None
    updated_by: str = ""
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class VersionFacts:
    """What the rules look at for one version."""

    version: int
    created_at: datetime
    archived_at: datetime | None = None
    aliases: tuple[str, ...] = ()
    deployed_to: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    rule: str
    verdict: Verdict
    reason: str


@dataclass(frozen=True, slots=True)
class VersionDecision:
    version: int
    action: RetentionAction
    rules: tuple[RuleOutcome, ...]

    @property
    def reason(self) -> str:
        """The reason of the rule that decided the action."""
        wanted = {
            RetentionAction.KEEP: Verdict.PROTECT,
            RetentionAction.ARCHIVE: Verdict.ARCHIVE,
            RetentionAction.DELETE: Verdict.DELETE,
        }[self.action]
        for outcome in self.rules:
            if outcome.verdict is wanted:
                return f"{outcome.rule}: {outcome.reason}"
        return "no rule applies"


@dataclass(frozen=True, slots=True)
class ModelRetentionPlan:
    model_name: str
    policy: RetentionPolicy | None
    """The policy in force (its ``scope`` says whose); None when neither the model nor the
    registry has one."""
    decisions: tuple[VersionDecision, ...] = ()

    def actions(self, action: RetentionAction) -> tuple[int, ...]:
        return tuple(d.version for d in self.decisions if d.action is action)


@dataclass(frozen=True, slots=True)
class RetentionPlan:
    at: datetime
    models: tuple[ModelRetentionPlan, ...]
    applied: bool = False


def validate_policy(policy: RetentionPolicy) -> RetentionPolicy:
    """``InvalidArgumentError`` for a negative count or duration, or a policy with no acting
    rule (keep-last and the protections only hold the acting rules back)."""
    if policy.keep_last is not None and not 0 <= policy.keep_last <= MAX_KEEP_LAST:
        raise InvalidArgumentError(
            f"keep-last must be between 0 and {MAX_KEEP_LAST}, got {policy.keep_last}",
            field="keep_last",
        )
    for name, span in (
        ("archive-after", policy.archive_after),
        ("delete-archived-after", policy.delete_archived_after),
    ):
        if span is not None and span < timedelta(0):
            raise InvalidArgumentError(f"{name} must not be negative", field=name)
    if policy.archive_after is None and policy.delete_archived_after is None:
        raise InvalidArgumentError(
            "a retention policy needs archive-after or delete-archived-after "
            "(keep-last only protects versions from those)",
            field="archive_after",
        )
    return policy


def effective_policy(
    model_policy: RetentionPolicy | None, registry_policy: RetentionPolicy | None
) -> RetentionPolicy | None:
    return model_policy if model_policy is not None else registry_policy


def decide(
    policy: RetentionPolicy | None, versions: Sequence[VersionFacts], now: datetime
) -> tuple[VersionDecision, ...]:
    """One decision per version, newest first, each with every rule's outcome."""
    ordered = sorted(versions, key=lambda v: v.version, reverse=True)
    if policy is None:
        none = RuleOutcome("policy", Verdict.SKIP, "no retention policy")
        return tuple(VersionDecision(v.version, RetentionAction.KEEP, (none,)) for v in ordered)
    return tuple(_decision(policy, facts, rank, now) for rank, facts in enumerate(ordered, start=1))


def _decision(
    policy: RetentionPolicy, facts: VersionFacts, rank: int, now: datetime
) -> VersionDecision:
    rules = (
        _alias_rule(facts),
        _deployment_rule(facts),
        _keep_last_rule(policy, rank),
        _archive_rule(policy, facts, now),
        _delete_rule(policy, facts, now),
    )
    verdicts = {outcome.verdict for outcome in rules}
    if Verdict.PROTECT in verdicts:
        action = RetentionAction.KEEP
    elif Verdict.ARCHIVE in verdicts:
        action = RetentionAction.ARCHIVE
    elif Verdict.DELETE in verdicts:
        action = RetentionAction.DELETE
    else:
        action = RetentionAction.KEEP
    return VersionDecision(facts.version, action, rules)


def _alias_rule(facts: VersionFacts) -> RuleOutcome:
    if facts.aliases:
        return RuleOutcome("alias", Verdict.PROTECT, f"alias {', '.join(facts.aliases)}")
    return RuleOutcome("alias", Verdict.SKIP, "no alias")


def _deployment_rule(facts: VersionFacts) -> RuleOutcome:
    if facts.deployed_to:
        where = ", ".join(facts.deployed_to)
        return RuleOutcome("deployment", Verdict.PROTECT, f"deployed to {where}")
    return RuleOutcome("deployment", Verdict.SKIP, "not deployed")


def _keep_last_rule(policy: RetentionPolicy, rank: int) -> RuleOutcome:
    if policy.keep_last is None:
        return RuleOutcome("keep-last", Verdict.SKIP, "not set")
    if rank <= policy.keep_last:
        return RuleOutcome(
            "keep-last", Verdict.PROTECT, f"newest #{rank} of the last {policy.keep_last}"
        )
    return RuleOutcome("keep-last", Verdict.SKIP, f"newest #{rank}, beyond {policy.keep_last}")


def _archive_rule(policy: RetentionPolicy, facts: VersionFacts, now: datetime) -> RuleOutcome:
    if facts.archived_at is not None:
        return RuleOutcome("archive-after", Verdict.SKIP, "already archived")
    if policy.archive_after is None:
        return RuleOutcome("archive-after", Verdict.SKIP, "not set")
    age = now - facts.created_at
    limit = format_duration(policy.archive_after)
    if age >= policy.archive_after:
        return RuleOutcome(
            "archive-after", Verdict.ARCHIVE, f"created {_age(age)} ago (>= {limit})"
        )
    return RuleOutcome("archive-after", Verdict.SKIP, f"created {_age(age)} ago (< {limit})")


def _delete_rule(policy: RetentionPolicy, facts: VersionFacts, now: datetime) -> RuleOutcome:
    if facts.archived_at is None:
        return RuleOutcome("delete-archived-after", Verdict.SKIP, "not archived")
    if policy.delete_archived_after is None:
        return RuleOutcome("delete-archived-after", Verdict.SKIP, "not set")
    age = now - facts.archived_at
    limit = format_duration(policy.delete_archived_after)
    if age >= policy.delete_archived_after:
        reason = f"archived {_age(age)} ago (>= {limit})"
        return RuleOutcome("delete-archived-after", Verdict.DELETE, reason)
    return RuleOutcome(
        "delete-archived-after", Verdict.SKIP, f"archived {_age(age)} ago (< {limit})"
    )


def _age(span: timedelta) -> str:
    """A readable age, whole units only: ``31d 4h``, ``5h 2m``, ``42s``."""
    seconds = max(0, int(span.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    if minutes:
        return f"{minutes}m {secs}s" if secs else f"{minutes}m"
    return f"{secs}s"
