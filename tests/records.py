"""Helpers for the audit, alias-history, deployment, evaluation and archive tests: a clock that
tests move by hand, and a quick way to push a version through the services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from modelreg.domain.entities import ModelVersion
from modelreg.wiring import Services
from tests.factories import make_draft

START = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


class FakeClock:
    """``now`` only moves when a test says so."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> datetime:
        self.now = moment
        return moment

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def use_clock(services: Services, clock: FakeClock) -> FakeClock:
    """Give every use case of ``services`` the same fake clock."""
    for service in (
        services.registry,
        services.uploads,
        services.lifecycle,
        services.deployments,
        services.evaluations,
    ):
        service.clock = clock
    return clock


def push(services: Services, name: str, tag: str = "", *, actor: str = "alice") -> ModelVersion:
    """Push a one-file version of ``name`` whose content is unique to ``tag``."""
    data = f"weights of {name} {tag}".encode()
    session = services.uploads.start_upload(name, make_draft({"model.bin": data}), actor=actor)
    for digest in session.missing:
        services.uploads.receive_blob(session.id, digest, [data])
    return services.uploads.commit_upload(session.id, actor=actor)
