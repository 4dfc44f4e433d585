"""Numbers a run logs after a version was registered from it.

A version registered from a run (``runs:/<run>/...``, or ``models:/m-<id>`` of a logged model
the run produced) takes the numbers its source holds at that moment (``sources.py``). MLflow's
autolog registers before it measures: it logs the model, registers it, then logs the training
metrics against that model. Such a version would hold none of the numbers that describe it.

So when the run ends, each version registered from it since it started takes the keys it
lacks from its source's final numbers. Keys it holds keep their values: a version's numbers
are completed, never changed, and each completion is an audited event (``version.numbers_added``)
with what was added. Completing a version changes it: whoever ends the run needs the right to
update the model (a writer's role), as they would to set the numbers themselves. The versions of
models they may not update keep what they were registered with.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from modelreg.domain.access import Principal
from modelreg.domain.entities import Event, ModelVersion
from modelreg.domain.errors import InvalidArgumentError, NotFoundError
from modelreg.domain.permissions import Action, allowed, effective_role
from modelreg.domain.rules import Limits, number_refusal
from modelreg.domain.tracking import RunInfo, parse_source
from modelreg.service.sources import latest_by_key
from modelreg.store.base import MetadataTransaction

NUMBERS_ADDED = "version.numbers_added"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SKEW = timedelta(days=1)

Numbers = tuple[Mapping[str, str], Mapping[str, float]]


def complete_versions_of(
    tx: MetadataTransaction, run: RunInfo, *, by: Principal, now: datetime, limits: Limits
) -> int:
    """Add to the versions registered from ``run`` the numbers they lack, where ``by`` (who
    ends the run) may update the model; how many changed."""
    # The bound only narrows the search (along the index on creation time); the client sets
    # the run's start time by its own clock, so a day of slack absorbs any skew.
    since = run.start_time - _SKEW if run.start_time else _EPOCH
    keys = tx.versions_from_run(run.id, since=since)
    if not keys:
        return 0
    extras = tx.get_version_extras(keys)
    changed = 0
    may_update: dict[str, bool] = {}
    for name, number in keys:
        if name not in may_update:
            may_update[name] = _may_update(tx, by, name)
        if not may_update[name]:
            continue
        registered = extras.get((name, number))
        numbers = _source_numbers(tx, run, registered.source if registered else None)
        if numbers is None:
            continue  # pushed, or copied from another version: its numbers are its own
        version = tx.get_version(name, number)
        params, metrics = missing_numbers(version, *numbers, limits=limits)
        if not params and not metrics:
            continue
        tx.add_version_numbers(name, number, params=params, metrics=metrics, now=now)
        details = {"run_id": run.id, "params": params, "metrics": metrics}
        tx.add_event(Event(name, NUMBERS_ADDED, by.name, now, number, details))
        changed += 1
    return changed


def missing_numbers(
    version: ModelVersion,
    params: Mapping[str, str],
    metrics: Mapping[str, float],
    *,
    limits: Limits,
) -> tuple[dict[str, str], dict[str, float]]:
    """The params and metrics under keys ``version`` lacks, as many as it can still hold."""
    added_params: dict[str, str] = {}
    for key, value in sorted(params.items()):
        held = len(version.params) + len(added_params)
        if key not in version.params and number_refusal("param", key, value, held, limits) is None:
            added_params[key] = value
    added_metrics: dict[str, float] = {}
    for key, number in sorted(metrics.items()):
        held = len(version.metrics) + len(added_metrics)
        if key in version.metrics or number_refusal("metric", key, number, held, limits):
            continue
        added_metrics[key] = float(number)
    return added_params, added_metrics


def _may_update(tx: MetadataTransaction, principal: Principal, model_name: str) -> bool:
    # Open mode and registry admins need no grant, so no read of the model's grants.
    decides_alone = principal.open_mode or principal.admin
    role = None if decides_alone else effective_role(tx.list_grants(model_name), principal)
    return bool(allowed(principal, role, Action.UPDATE))


def _source_numbers(tx: MetadataTransaction, run: RunInfo, source: str | None) -> Numbers | None:
    if source is None:
        return None
    try:
        ref = parse_source(source)
        if ref.kind == "run" and ref.run_id == run.id:
            return tx.run_numbers(run.id)
        if ref.kind == "logged_model" and ref.model_id:
            model = tx.get_logged_model(ref.model_id)
            if model.source_run_id == run.id:
                return model.params, latest_by_key(model.metrics)
    except (InvalidArgumentError, NotFoundError):
        pass  # a source stored by an import, or a logged model deleted since
    return None
