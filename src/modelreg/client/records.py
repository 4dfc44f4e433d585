"""SDK methods for the audit trail, alias history, archiving, deployments, evaluations and model
cards; a base class of ``Client`` (kept apart so each module stays small)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import IO, TypeVar

from modelreg.client import wire
from modelreg.client.files import safe_target, write_verified
from modelreg.client.transport import Transport
from modelreg.domain.audit import AuditEntry, AuditQuery, AuditVerification
from modelreg.domain.entities import ModelVersion, Page
from modelreg.domain.records import (
    AliasChange,
    Deployment,
    DeploymentStatus,
    Evaluation,
    ModelCard,
)
from modelreg.domain.rules import validate_metrics

T = TypeVar("T")
PAGE = 500


class RecordsClient:
    transport: Transport

    # -- audit trail ---------------------------------------------------------------------------

    def audit(
        self,
        *,
        model: str | None = None,
        actor: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        newest_first: bool = False,
        limit: int | None = None,
    ) -> list[AuditEntry]:
        """Audit entries, oldest first; ``action`` may end in ``*`` to match a prefix."""
        query = AuditQuery(model=model, actor=actor, action=action, since=since, until=until)
        return collect(
            lambda cursor, size: self.transport.list_audit(
                query, descending=newest_first, cursor=cursor, limit=size
            ),
            limit,
        )

    def iter_audit(
        self,
        *,
        model: str | None = None,
        actor: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Iterator[AuditEntry]:
        """Every matching entry, oldest first, fetched a page at a time."""
        query = AuditQuery(model=model, actor=actor, action=action, since=since, until=until)
        cursor: str | None = None
        while True:
            page = self.transport.list_audit(query, descending=False, cursor=cursor, limit=PAGE)
            yield from page.items
            cursor = page.next_cursor
            if cursor is None:
                return

    def export_audit(self, out: IO[str], **filters: str | datetime | None) -> int:
        """Write matching entries to ``out`` as JSON lines (with their hashes, so the chain can
        be checked elsewhere); returns how many were written."""
        count = 0
        for entry in self.iter_audit(**filters):  # type: ignore[arg-type]
            out.write(json.dumps(wire.audit_entry_to_json(entry), sort_keys=True) + "\n")
            count += 1
        return count

    def verify_audit(self) -> AuditVerification:
        """Walk the chain; ``.ok`` is False and ``.problem`` names the first altered, inserted or
        deleted entry when the trail was tampered with."""
        return self.transport.verify_audit()

    # -- alias history and archiving -----------------------------------------------------------

    def alias_history(
        self, name: str, alias: str, *, limit: int | None = None
    ) -> list[AliasChange]:
        """Every set, move and removal of ``alias``, newest first."""
        return collect(
            lambda cursor, size: self.transport.list_alias_history(
                name, alias, cursor=cursor, limit=size
            ),
            limit,
        )

    def archive_version(self, name: str, version: int) -> ModelVersion:
        """Hide a version from default listings and search (files are kept); refused while an
        alias points at it."""
        return self.transport.archive_version(name, version)

    def restore_version(self, name: str, version: int) -> ModelVersion:
        return self.transport.restore_version(name, version)

    # -- deployments ---------------------------------------------------------------------------

    def record_deployment(
        self,
        name: str,
        version: int,
        environment: str,
        *,
        status: DeploymentStatus | str = DeploymentStatus.DEPLOYED,
        note: str = "",
    ) -> Deployment:
        """Record that ``version`` of ``name`` is (being) deployed to ``environment``."""
        return self.transport.record_deployment(
            name, version, environment, status=str(status), note=note
        )

    def list_deployments(
        self, *, environment: str | None = None, model: str | None = None
    ) -> list[Deployment]:
        """What is deployed now, per model and environment."""
        return self.transport.list_deployments(environment=environment, model=model)

    def deployment_history(
        self, name: str, *, environment: str | None = None, limit: int | None = None
    ) -> list[Deployment]:
        """Every deployment record of ``name``, newest first."""
        return collect(
            lambda cursor, size: self.transport.deployment_history(
                name, environment=environment, cursor=cursor, limit=size
            ),
            limit,
        )

    # -- evaluations and model cards -----------------------------------------------------------

    def add_evaluation(
        self,
        name: str,
        version: int,
        *,
        dataset: str,
        metrics: Mapping[str, float] | None = None,
        description: str = "",
        report: str | Path | None = None,
    ) -> Evaluation:
        """Attach evaluation results (and optionally a report file) to an existing version."""
        return self.transport.add_evaluation(
            name,
            version,
            dataset=dataset,
            metrics=validate_metrics(metrics or {}),  # NaN cannot even travel as JSON
            description=description,
            report=None if report is None else Path(report),
        )

    def list_evaluations(self, name: str, version: int) -> list[Evaluation]:
        return self.transport.list_evaluations(name, version)

    def download_report(self, evaluation: Evaluation, dest: str | Path) -> Path:
        """Write the evaluation's report file into folder ``dest``, verified against its digest."""
        if evaluation.report is None:
            raise ValueError(f"evaluation {evaluation.id} has no report")
        report = evaluation.report
        target = safe_target(Path(dest), report.name)
        target.parent.mkdir(parents=True, exist_ok=True)
        write_verified(self.transport.read_blob(report.digest), target, report.digest)
        return target

    def set_card(self, name: str, version: int, content: str) -> ModelCard:
        """Store a Markdown model card (YAML front matter allowed) as the version's card."""
        return self.transport.set_card(name, version, content)

    def get_card(self, name: str, version: int, *, revision: int | None = None) -> ModelCard:
        return self.transport.get_card(name, version, revision=revision)


def collect(fetch: Callable[[str | None, int], Page[T]], limit: int | None) -> list[T]:
    """Follow pages until ``limit`` items (every item when None)."""
    items: list[T] = []
    cursor: str | None = None
    while True:
        size = PAGE if limit is None else min(PAGE, limit - len(items))
        if size <= 0:
            return items
        page = fetch(cursor, size)
        items.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            return items
