"""Retention policies: set and show them, plan what they would do, and apply them.

The rules are pure (``domain/retention.py``); this module feeds them the versions, aliases and
deployments of each model. ``apply`` works one model at a time, in one write transaction that
locks the model and evaluates the rules again inside it, so an alias set or a deployment
recorded after the plan was shown still protects its version. Each archive and delete is
written to the model's history like the manual ones (``version.archived``,
``version.deleted``), with the actor ``retention:<who ran it>``, followed by one
``retention.applied`` event by the person who ran it, listing the actions and their reasons.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from modelreg.domain.entities import Event, ModelVersion
from modelreg.domain.filters import Comparison, Field, OrderItem, Query
from modelreg.domain.retention import (
    REGISTRY_SCOPE,
    ModelRetentionPlan,
    RetentionAction,
    RetentionPlan,
    RetentionPolicy,
    VersionFacts,
    decide,
    effective_policy,
    validate_policy,
)
from modelreg.domain.rules import DEFAULT_LIMITS, Limits, validate_model_name
from modelreg.domain.storage import format_duration
from modelreg.service.clock import Clock, utcnow
from modelreg.service.policies import guard_deletion
from modelreg.store.base import MetadataStore, MetadataTransaction

RETENTION_ACTOR = "retention"
_PAGE = 1000


class Retention:
    def __init__(
        self, store: MetadataStore, *, limits: Limits = DEFAULT_LIMITS, clock: Clock = utcnow
    ) -> None:
        self.store = store
        self.limits = limits
        self.clock = clock

    # -- policies ----------------------------------------------------------------------------

    def set_policy(
        self,
        *,
        actor: str,
        model: str | None = None,
        keep_last: int | None = None,
        archive_after: timedelta | None = None,
        delete_archived_after: timedelta | None = None,
    ) -> RetentionPolicy:
        """Create or replace the policy of ``model`` (the registry-wide one when None)."""
        scope = self._scope(model)
        now = self.clock()
        policy = validate_policy(
            RetentionPolicy(scope, keep_last, archive_after, delete_archived_after, actor, now)
        )
        with self.store.transaction(write=True) as tx:
            if model is not None:
                tx.get_model(model)
            before = tx.get_retention_policy(scope)
            stored = tx.put_retention_policy(policy)
            tx.add_event(
                Event(
                    scope,
                    "retention.set",
                    actor,
                    now,
                    target=_target(scope),
                    before=None if before is None else policy_json(before),
                    after=policy_json(stored),
                )
            )
        return stored

    def remove_policy(self, *, actor: str, model: str | None = None) -> bool:
        """Remove the policy of ``model`` (or the registry-wide one); False when none was set."""
        scope = self._scope(model)
        now = self.clock()
        with self.store.transaction(write=True) as tx:
            before = tx.get_retention_policy(scope)
            if before is None:
                return False
            tx.delete_retention_policy(scope)
            tx.add_event(
                Event(
                    scope,
                    "retention.removed",
                    actor,
                    now,
                    target=_target(scope),
                    before=policy_json(before),
                )
            )
        return True

    def list_policies(self) -> list[RetentionPolicy]:
        with self.store.transaction() as tx:
            return tx.list_retention_policies()

    # -- plan and apply ----------------------------------------------------------------------

    def plan(self, *, model: str | None = None) -> RetentionPlan:
        """What ``apply`` would do now, rule by rule for every version of every model that a
        policy covers (or of ``model`` alone)."""
        now = self.clock()
        with self.store.transaction() as tx:
            plans = tuple(
                plan
                for name in self._models(tx, model)
                if (plan := _model_plan(tx, name, now)).policy is not None or model is not None
            )
        return RetentionPlan(at=now, models=plans)

    def apply(self, *, actor: str, model: str | None = None) -> RetentionPlan:
        """Archive and delete what the policies ask for; answers what was done and why."""
        now = self.clock()
        with self.store.transaction() as tx:
            names = self._models(tx, model)
        done: list[ModelRetentionPlan] = []
        for name in names:
            with self.store.transaction(write=True) as tx:
                tx.lock_model(name)  # orders this against set_alias and archiving
                plan = _model_plan(tx, name, now)
                if plan.policy is not None:
                    _carry_out(tx, plan, actor=actor, now=now)
            if plan.policy is not None or model is not None:
                done.append(plan)
        return RetentionPlan(at=now, models=tuple(done), applied=True)

    # -- helpers -----------------------------------------------------------------------------

    def _scope(self, model: str | None) -> str:
        if model is None:
            return REGISTRY_SCOPE
        validate_model_name(model, self.limits)
        return model

    def _models(self, tx: MetadataTransaction, model: str | None) -> list[str]:
        if model is not None:
            validate_model_name(model, self.limits)
            tx.get_model(model)
            return [model]
        names: list[str] = []
        while page := tx.search_models(Query(), offset=len(names), limit=_PAGE):
            names.extend(m.name for m in page)
            if len(page) < _PAGE:
                break
        return sorted(names)


def _model_plan(tx: MetadataTransaction, name: str, now: datetime) -> ModelRetentionPlan:
    policy = effective_policy(
        tx.get_retention_policy(name), tx.get_retention_policy(REGISTRY_SCOPE)
    )
    deployed: dict[int, list[str]] = {}
    for deployment in tx.current_deployments(environment=None, model_name=name):
        deployed.setdefault(deployment.version, []).append(deployment.environment)
    facts = [
        VersionFacts(
            v.version,
            v.created_at,
            v.archived_at,
            tuple(sorted(v.aliases)),
            tuple(sorted(deployed.get(v.version, ()))),
        )
        for v in _all_versions(tx, name)
    ]
    return ModelRetentionPlan(name, policy, decide(policy, facts, now))


def _all_versions(tx: MetadataTransaction, name: str) -> list[ModelVersion]:
    # No archived filter: the search only hides archived versions when the service asks it to.
    query = Query(
        where=Comparison(Field("attr", "name"), "=", name),
        order_by=(OrderItem(Field("attr", "version"), descending=True),),
    )
    found: list[ModelVersion] = []
    while page := tx.search_versions(query, offset=len(found), limit=_PAGE):
        found.extend(page)
        if len(page) < _PAGE:
            break
    return found


def _carry_out(
    tx: MetadataTransaction, plan: ModelRetentionPlan, *, actor: str, now: datetime
) -> None:
    name = plan.model_name
    by = f"{RETENTION_ACTOR}:{actor}"
    actions: list[dict[str, object]] = []
    for decision in plan.decisions:
        if decision.action is RetentionAction.ARCHIVE:
            tx.set_version_archived(name, decision.version, archived_at=now, actor=by, now=now)
            tx.add_event(
                Event(
                    name,
                    "version.archived",
                    by,
                    now,
                    decision.version,
                    {"reason": decision.reason},
                    before={"archived": False},
                    after={"archived": True},
                )
            )
        elif decision.action is RetentionAction.DELETE:
            removed = tx.get_version(name, decision.version)
            guard_deletion(tx, name, decision.version)
            tx.delete_version(name, decision.version)
            tx.add_event(
                Event(
                    name,
                    "version.deleted",
                    by,
                    now,
                    decision.version,
                    {"aliases": [], "reason": decision.reason},
                    before={"files": len(removed.files), "aliases": []},
                )
            )
        else:
            continue
        actions.append(
            {
                "version": decision.version,
                "action": decision.action.value,
                "reason": decision.reason,
            }
        )
    if actions and plan.policy is not None:
        tx.add_event(
            Event(
                name,
                "retention.applied",
                actor,
                now,
                details={"policy": _target(plan.policy.scope), "actions": actions},
            )
        )


def _target(scope: str) -> str:
    return f"retention:{scope or '*'}"


def policy_json(policy: RetentionPolicy) -> dict[str, object]:
    """The policy's rules as JSON (durations spelled like the CLI takes them)."""
    return {
        "keep_last": policy.keep_last,
        "archive_after": None
        if policy.archive_after is None
        else format_duration(policy.archive_after),
        "delete_archived_after": None
        if policy.delete_archived_after is None
        else format_duration(policy.delete_archived_after),
    }
