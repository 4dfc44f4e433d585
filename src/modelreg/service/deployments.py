"""Deployments: a serving system or CI job records "version V of model M is deployed to
environment E"; the registry answers what runs where now, and what ran before."""

from __future__ import annotations

from modelreg.domain.entities import Event, Page
from modelreg.domain.errors import InvalidArgumentError
from modelreg.domain.records import (
    MAX_NOTE_LENGTH,
    Deployment,
    DeploymentStatus,
    validate_environment,
    validate_text,
)
from modelreg.domain.rules import DEFAULT_LIMITS, Limits, validate_model_name
from modelreg.service.clock import Clock, utcnow
from modelreg.service.pagination import check_page_size, decode_cursor, encode_cursor, fingerprint
from modelreg.store.base import MetadataStore


class Deployments:
    def __init__(
        self, store: MetadataStore, *, limits: Limits = DEFAULT_LIMITS, clock: Clock = utcnow
    ) -> None:
        self.store = store
        self.limits = limits
        self.clock = clock

    def record_deployment(
        self,
        name: str,
        version: int,
        environment: str,
        *,
        actor: str,
        status: DeploymentStatus | str = DeploymentStatus.DEPLOYED,
        note: str = "",
    ) -> Deployment:
        """Record what happened to ``version`` in ``environment``, timed by the registry."""
        validate_model_name(name, self.limits)
        validate_environment(environment)
        validate_text(note, "note", MAX_NOTE_LENGTH)
        state = _status(status)
        now = self.clock()
        with self.store.transaction(write=True) as tx:
            tx.get_version(name, version)  # the version must exist when it is deployed
            recorded = tx.add_deployment(
                name, version, environment, state, note=note, actor=actor, now=now
            )
            tx.add_event(
                Event(
                    name,
                    "deployment.recorded",
                    actor,
                    now,
                    version,
                    {"environment": environment, "status": state.value, "deployment": recorded.id},
                    target=f"deployment:{name}@{environment}",
                    after={"version": version, "status": state.value, "note": note},
                )
            )
        return recorded

    def list_deployments(
        self, *, environment: str | None = None, model: str | None = None
    ) -> list[Deployment]:
        """What is deployed now: per model and environment, the last version recorded DEPLOYED
        there, unless a later record RETIRED it."""
        if environment is not None:
            validate_environment(environment)
        if model is not None:
            validate_model_name(model, self.limits)
        with self.store.transaction() as tx:
            return tx.current_deployments(environment=environment, model_name=model)

    def deployment_history(
        self,
        name: str,
        *,
        environment: str | None = None,
        cursor: str | None = None,
        limit: int = 100,
    ) -> Page[Deployment]:
        """Every record of the model, newest first."""
        validate_model_name(name, self.limits)
        if environment is not None:
            validate_environment(environment)
        check_page_size(limit)
        key = fingerprint("deployments", name, environment)
        offset = decode_cursor(cursor, key)
        with self.store.transaction() as tx:
            found = tx.list_deployments(
                name, environment=environment, offset=offset, limit=limit + 1
            )
            if not found and offset == 0:
                tx.get_model(name)  # unknown model: an error, not an empty history
        if len(found) > limit:
            return Page(tuple(found[:limit]), encode_cursor(offset + limit, key))
        return Page(tuple(found))


def _status(status: DeploymentStatus | str) -> DeploymentStatus:
    try:
        return DeploymentStatus(str(status).upper())
    except ValueError:
        choices = ", ".join(s.value for s in DeploymentStatus)
        raise InvalidArgumentError(
            f"invalid deployment status {status!r}: use one of {choices}", field="status"
        ) from None
