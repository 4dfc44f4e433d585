"""Policies: store and version them, and enforce them inside the transactions of other use cases.

The module-level ``enforce_*`` and ``guard_*`` functions take the caller's transaction, so a
policy is read in the same unit of work as the change it allows or refuses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from jsonschema import SchemaError
from jsonschema.validators import validator_for

from modelreg.domain.entities import Event, ModelHead, ModelVersion, RegisteredModel, VersionDraft
from modelreg.domain.errors import (
    InvalidArgumentError,
    ModelNotFoundError,
    PolicyNotFoundError,
    PolicyViolationError,
    ProtectedAliasError,
)
from modelreg.domain.governance import DEFAULT_SCOPE, PolicyRevision
from modelreg.domain.policy import (
    Outcome,
    Policy,
    PolicyReport,
    RuleResult,
    check_approvals,
    check_gates,
    check_model_card,
    check_name,
    check_required,
    check_scan,
    check_signed,
    merge_documents,
    parse_policy,
    violation_message,
    violations,
)
from modelreg.domain.rules import parse_ref, validate_alias_name, validate_model_name
from modelreg.service.clock import Clock, utcnow
from modelreg.service.scans import scan_of
from modelreg.service.signatures import store_signatures
from modelreg.store.base import MetadataStore, MetadataTransaction

ModelCardLookup = Callable[[MetadataTransaction, str, int], bool | None]
"""Does version V of model M have a model card? None when the registry cannot tell."""

MAX_SCHEMA_ERRORS = 10


def store_model_cards(tx: MetadataTransaction, model_name: str, version: int) -> bool | None:
    """The default lookup: the store's ``has_model_card(model_name, version)`` when the store
    has model cards, else None (a required card then fails as "cannot be checked")."""
    lookup = getattr(tx, "has_model_card", None)
    if lookup is None:
        return None
    return bool(lookup(model_name, version))


# -- reading the effective policy ----------------------------------------------------------------


def _scope(model_name: str | None) -> str:
    return DEFAULT_SCOPE if model_name is None else validate_model_name(model_name)


def effective_document(tx: MetadataTransaction, model_name: str) -> dict[str, Any]:
    found = tx.latest_policy_revisions([DEFAULT_SCOPE, model_name])
    default, own = found.get(DEFAULT_SCOPE), found.get(model_name)
    return merge_documents(default.document if default else {}, own.document if own else {})


def load_policy(tx: MetadataTransaction, model_name: str) -> Policy:
    return parse_policy(effective_document(tx, model_name))


# -- rules that need a library or the store ------------------------------------------------------


def schema_results(policy: Policy, draft: VersionDraft | ModelVersion) -> list[RuleResult]:
    results = []
    instance: dict[str, Any] = {
        "tags": dict(draft.tags),
        "params": dict(draft.params),
        "metrics": dict(draft.metrics),
    }
    for schema in policy.schemas:
        validator = validator_for(schema)(schema)
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
        if not errors:
            results.append(RuleResult("version.schema", Outcome.PASS, "metadata matches"))
        for error in errors[:MAX_SCHEMA_ERRORS]:
            where = "/".join(str(part) for part in error.absolute_path) or "(top)"
            results.append(RuleResult("version.schema", Outcome.FAIL, f"{where}: {error.message}"))
    return results


def version_results(
    policy: Policy, draft: VersionDraft | ModelVersion, *, owner: str | None
) -> list[RuleResult]:
    return [
        *check_required(
            policy,
            description=draft.description,
            owner=owner,
            lineage=draft.lineage,
            tags=draft.tags,
            params=draft.params,
            metrics=draft.metrics,
        ),
        *schema_results(policy, draft),
    ]


def alias_results(
    tx: MetadataTransaction,
    policy: Policy,
    candidate: ModelVersion,
    alias: str,
    *,
    model_cards: ModelCardLookup,
    approvers: tuple[str, ...] | None,
) -> list[RuleResult]:
    """Gates, model card and approvals of moving protected ``alias`` to ``candidate``."""
    rule = policy.aliases[alias]
    previous = None
    name = candidate.model_name
    current = tx.get_model(name).aliases.get(alias)
    if current is not None:
        previous = (current, tx.get_version(name, current).metrics)
    results = check_gates(alias, rule, candidate.metrics, previous)
    card = check_model_card(alias, rule, model_cards(tx, name, candidate.version))
    approvals = check_approvals(alias, rule, approvers)
    has_signature = store_signatures(tx, name, candidate.version) if rule.signed else None
    signed = check_signed(alias, rule, has_signature)
    found = scan_of(tx, candidate) if rule.scan else None
    verdict = None if found is None else str(found.verdict)
    released = None
    if found is not None and found.released and found.release is not None:
        release = found.release  # docs/scanning.md: a reviewed exception, named in the result
        released = f"released by {release.released_by}: {release.reason}"
    scanned = check_scan(alias, rule, verdict, released)
    return [*results, *(r for r in (card, approvals, signed, scanned) if r is not None)]


def raise_for(subject: str, results: list[RuleResult]) -> None:
    failures = [result for result in results if result.failed]
    if failures:
        raise PolicyViolationError(
            violation_message(subject, failures), violations=violations(failures)
        )


# -- enforcement inside other use cases ----------------------------------------------------------


def enforce_model_name(tx: MetadataTransaction, name: str) -> None:
    """On create: the naming convention."""
    raise_for(f"model name {name!r}", check_name(load_policy(tx, name), name))


def enforce_new_version(
    tx: MetadataTransaction,
    name: str,
    draft: VersionDraft,
    *,
    actor: str,
    model: RegisteredModel | ModelHead | None = None,
) -> None:
    """On push: the required metadata, and the naming convention on a model's first push.
    ``model`` is the model as the caller already read it in ``tx`` (saves reading it again)."""
    policy = load_policy(tx, name)
    try:
        model = model or tx.get_model(name)
        owner, first_push = model.owner, model.latest_version is None
    except ModelNotFoundError:
        owner, first_push = actor, True  # the push creates the model, owned by the pusher
    results = check_name(policy, name) if first_push else []
    results += version_results(policy, draft, owner=owner)
    raise_for(f"the new version of {name!r}", results)


def guard_alias_change(tx: MetadataTransaction, name: str, alias: str) -> None:
    """Protected aliases move only through a promotion request."""
    if alias in load_policy(tx, name).protected_aliases:
        raise ProtectedAliasError(
            f"alias {alias!r} of {name!r} is protected by the policy: it moves only through an "
            f"approved promotion (modelreg promote request {name} {alias} VERSION --reason ...)",
            model=name,
            alias=alias,
        )


def guard_deletion(tx: MetadataTransaction, name: str, version: int | None) -> None:
    """Refuse deleting a model (``version`` None) or a version a protected alias points at."""
    protected = load_policy(tx, name).protected_aliases
    held = sorted(
        alias
        for alias, target in tx.get_model(name).aliases.items()
        if alias in protected and (version is None or target == version)
    )
    if held:
        what = f"model {name!r}" if version is None else f"version {version} of {name!r}"
        raise ProtectedAliasError(
            f"{what} is the target of protected alias(es) {', '.join(held)}: "
            "promote another version first",
            model=name,
            aliases=held,
        )


# -- the use cases -------------------------------------------------------------------------------


class Policies:
    """Set, read and explain policies (registry-wide default and per model)."""

    def __init__(
        self,
        store: MetadataStore,
        *,
        clock: Clock = utcnow,
        model_cards: ModelCardLookup = store_model_cards,
    ) -> None:
        self.store = store
        self.clock = clock
        self.model_cards = model_cards

    def set_policy(
        self, document: Mapping[str, Any], *, actor: str, model: str | None = None
    ) -> PolicyRevision:
        """Store ``document`` as the next revision (the default's when ``model`` is None)."""
        scope = _scope(model)
        policy = parse_policy(document)
        for schema in policy.schemas:
            try:
                validator_for(schema).check_schema(dict(schema))
            except SchemaError as error:
                raise InvalidArgumentError(
                    f"invalid policy: version.schema is not a valid JSON Schema: {error.message}",
                    field="policy",
                ) from error
        now = self.clock()
        with self.store.transaction(write=True) as tx:
            before = tx.get_policy_revision(scope)
            revision = tx.add_policy_revision(scope, document, actor=actor, now=now)
            tx.add_event(
                Event(
                    model or "",  # registry-wide entries have no model
                    "policy.set",
                    actor,
                    now,
                    details={"revision": revision.revision},
                    target=f"policy:{scope}",
                    before=None if before is None else dict(before.document),
                    after=dict(document),
                )
            )
        return revision

    def get_policy(
        self, *, model: str | None = None, revision: int | None = None
    ) -> PolicyRevision:
        scope = _scope(model)
        with self.store.transaction() as tx:
            found = tx.get_policy_revision(scope, revision)
        if found is None:
            what = "the default policy" if model is None else f"the policy of {model!r}"
            which = f"revision {revision} of " if revision is not None else ""
            raise PolicyNotFoundError(f"{which}{what} does not exist", model=model)
        return found

    def list_policy_revisions(self, *, model: str | None = None) -> list[PolicyRevision]:
        with self.store.transaction() as tx:
            return tx.list_policy_revisions(_scope(model))

    def effective_policy(self, model: str) -> dict[str, Any]:
        """The default with the model's policy laid over it (the merge rule)."""
        validate_model_name(model)
        with self.store.transaction() as tx:
            return effective_document(tx, model)

    def check(self, ref: str, *, alias: str | None = None) -> PolicyReport:
        """Explain, rule by rule, whether ``ref`` passes the policy (and could be promoted to
        ``alias``), changing nothing."""
        target = parse_ref(ref)
        if alias is not None:
            validate_alias_name(alias)
        with self.store.transaction() as tx:
            policy = load_policy(tx, target.name)
            if target.version is not None:
                version = tx.get_version(target.name, target.version)
            elif target.alias is not None:
                version = tx.get_version(
                    target.name, tx.get_alias(target.name, target.alias).version
                )
            else:
                version = tx.get_latest_version(target.name)
            model = tx.get_model(target.name)
            results = check_name(policy, target.name)
            results += version_results(policy, version, owner=model.owner)
            if alias is not None:
                if alias in policy.aliases:
                    results += alias_results(
                        tx, policy, version, alias, model_cards=self.model_cards, approvers=None
                    )
                else:
                    results.append(
                        RuleResult(f"aliases.{alias}", Outcome.PASS, "not protected: moves freely")
                    )
        return PolicyReport(target.name, version.version, alias, tuple(results))
