"""SDK methods for storage administration (garbage collection, the storage report, retention
policies), with their transport halves: ``StorageClient`` is a base of ``Client``,
``HttpStorageMethods`` of ``HttpTransport`` and ``EmbeddedStorageMethods`` of
``EmbeddedTransport`` (kept in one module so the shared transport files stay small)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from modelreg import routes
from modelreg.domain.retention import (
    REGISTRY_SCOPE,
    ModelRetentionPlan,
    RetentionAction,
    RetentionPlan,
    RetentionPolicy,
    RuleOutcome,
    Verdict,
    VersionDecision,
)
from modelreg.domain.storage import (
    Freed,
    GcReport,
    ModelStorage,
    StorageReport,
    format_duration,
    parse_duration,
)

if TYPE_CHECKING:
    from modelreg.client.transport import Transport
    from modelreg.wiring import Services

DEFAULT_GRACE = timedelta(hours=1)


class StorageTransport(Protocol):
    def collect_garbage(self, *, grace: timedelta, dry_run: bool) -> GcReport: ...

    def storage_report(self) -> StorageReport: ...

    def list_retention_policies(self) -> list[RetentionPolicy]: ...

    def set_retention_policy(
        self,
        *,
        model: str | None,
        keep_last: int | None,
        archive_after: timedelta | None,
        delete_archived_after: timedelta | None,
    ) -> RetentionPolicy: ...

    def remove_retention_policy(self, *, model: str | None) -> None: ...

    def plan_retention(self, *, model: str | None) -> RetentionPlan: ...

    def apply_retention(self, *, model: str | None) -> RetentionPlan: ...


class StorageClient:
    transport: Transport  # the Client's, which includes ``StorageTransport``

    def collect_garbage(
        self, *, grace: timedelta | str = DEFAULT_GRACE, dry_run: bool = False
    ) -> GcReport:
        """Delete blobs no version, evaluation report, artifact or open upload refers to and
        that are older than ``grace`` (``timedelta`` or text such as ``"1h"``), and leftovers
        of abandoned uploads. ``dry_run`` only reports."""
        span = parse_duration(grace, option="grace") if isinstance(grace, str) else grace
        return self.transport.collect_garbage(grace=span, dry_run=dry_run)

    def storage_report(self) -> StorageReport:
        """Logical and physical bytes, registry-wide and per model."""
        return self.transport.storage_report()

    def retention_policies(self) -> list[RetentionPolicy]:
        """Every retention policy, the registry-wide one (``scope`` empty) first."""
        return self.transport.list_retention_policies()

    def set_retention(
        self,
        *,
        model: str | None = None,
        keep_last: int | None = None,
        archive_after: timedelta | str | None = None,
        delete_archived_after: timedelta | str | None = None,
    ) -> RetentionPolicy:
        """Set the retention policy of ``model`` (or the registry-wide one); replaces it."""
        return self.transport.set_retention_policy(
            model=model,
            keep_last=keep_last,
            archive_after=_span(archive_after, "archive-after"),
            delete_archived_after=_span(delete_archived_after, "delete-archived-after"),
        )

    def remove_retention(self, *, model: str | None = None) -> None:
        self.transport.remove_retention_policy(model=model)

    def plan_retention(self, *, model: str | None = None) -> RetentionPlan:
        """What ``apply_retention`` would do now, rule by rule per version."""
        return self.transport.plan_retention(model=model)

    def apply_retention(self, *, model: str | None = None) -> RetentionPlan:
        return self.transport.apply_retention(model=model)


class _JsonCaller(Protocol):
    def _json(self, method: str, path: str, **kwargs: Any) -> Any: ...

    def _request(self, method: str, path: str, **kwargs: Any) -> object: ...


class HttpStorageMethods:
    def collect_garbage(self: _JsonCaller, *, grace: timedelta, dry_run: bool) -> GcReport:
        body = {"grace": format_duration(grace), "dry_run": dry_run}
        return gc_report_from_json(self._json("POST", routes.STORAGE_GC, json=body))

    def storage_report(self: _JsonCaller) -> StorageReport:
        return storage_report_from_json(self._json("GET", routes.STORAGE))

    def list_retention_policies(self: _JsonCaller) -> list[RetentionPolicy]:
        data = self._json("GET", routes.RETENTION)
        return [policy_from_json(p) for p in data["items"]]

    def set_retention_policy(
        self: _JsonCaller,
        *,
        model: str | None,
        keep_last: int | None,
        archive_after: timedelta | None,
        delete_archived_after: timedelta | None,
    ) -> RetentionPolicy:
        body = {
            "keep_last": keep_last,
            "archive_after": None if archive_after is None else format_duration(archive_after),
            "delete_archived_after": None
            if delete_archived_after is None
            else format_duration(delete_archived_after),
        }
        path = routes.RETENTION if model is None else routes.url(routes.MODEL_RETENTION, name=model)
        return policy_from_json(self._json("PUT", path, json=body))

    def remove_retention_policy(self: _JsonCaller, *, model: str | None) -> None:
        path = routes.RETENTION if model is None else routes.url(routes.MODEL_RETENTION, name=model)
        self._request("DELETE", path)

    def plan_retention(self: _JsonCaller, *, model: str | None) -> RetentionPlan:
        params = {} if model is None else {"model": model}
        return plan_from_json(self._json("GET", routes.RETENTION_PLAN, params=params))

    def apply_retention(self: _JsonCaller, *, model: str | None) -> RetentionPlan:
        params = {} if model is None else {"model": model}
        return plan_from_json(self._json("POST", routes.RETENTION_APPLY, params=params))


class EmbeddedStorageMethods:
    services: Services
    user: str

    def collect_garbage(self, *, grace: timedelta, dry_run: bool) -> GcReport:
        return self.services.storage.gc.collect(grace=grace, dry_run=dry_run, actor=self.user)

    def storage_report(self) -> StorageReport:
        return self.services.storage.report()

    def list_retention_policies(self) -> list[RetentionPolicy]:
        return self.services.storage.retention.list_policies()

    def set_retention_policy(
        self,
        *,
        model: str | None,
        keep_last: int | None,
        archive_after: timedelta | None,
        delete_archived_after: timedelta | None,
    ) -> RetentionPolicy:
        return self.services.storage.retention.set_policy(
            actor=self.user,
            model=model,
            keep_last=keep_last,
            archive_after=archive_after,
            delete_archived_after=delete_archived_after,
        )

    def remove_retention_policy(self, *, model: str | None) -> None:
        self.services.storage.retention.remove_policy(actor=self.user, model=model)

    def plan_retention(self, *, model: str | None) -> RetentionPlan:
        return self.services.storage.retention.plan(model=model)

    def apply_retention(self, *, model: str | None) -> RetentionPlan:
        return self.services.storage.retention.apply(actor=self.user, model=model)


# -- JSON -----------------------------------------------------------------------------------


def _span(value: timedelta | str | None, option: str) -> timedelta | None:
    if value is None or isinstance(value, timedelta):
        return value
    return parse_duration(value, option=option)


def _optional_span(text: str | None) -> timedelta | None:
    return None if text is None else parse_duration(text)


def _freed(data: Mapping[str, Any]) -> Freed:
    return Freed(int(data["objects"]), int(data["bytes"]))


def gc_report_from_json(data: Mapping[str, Any]) -> GcReport:
    return GcReport(
        dry_run=bool(data["dry_run"]),
        grace=parse_duration(data["grace"]),
        started_at=datetime.fromisoformat(data["started_at"]),
        finished_at=datetime.fromisoformat(data["finished_at"]),
        referenced=int(data["referenced"]),
        blobs=_freed(data["blobs"]),
        uploads=_freed(data["uploads"]),
        parts=_freed(data["parts"]),
        sessions=int(data["sessions"]),
        kept_young=int(data["kept_young"]),
        overrides=int(data.get("overrides", 0)),  # absent from servers before it was counted
    )


def storage_report_from_json(data: Mapping[str, Any]) -> StorageReport:
    return StorageReport(
        logical_bytes=int(data["logical_bytes"]),
        physical_objects=int(data["physical_objects"]),
        physical_bytes=int(data["physical_bytes"]),
        versions=int(data["versions"]),
        models=tuple(
            ModelStorage(m["model"], m["versions"], m["logical_bytes"], m["blobs"], m["blob_bytes"])
            for m in data["models"]
        ),
    )


def policy_from_json(data: Mapping[str, Any]) -> RetentionPolicy:
    updated_at = data.get("updated_at")
    return RetentionPolicy(
        scope=data.get("model") or REGISTRY_SCOPE,
        keep_last=data.get("keep_last"),
        archive_after=_optional_span(data.get("archive_after")),
        delete_archived_after=_optional_span(data.get("delete_archived_after")),
        updated_by=data.get("updated_by", ""),
        updated_at=None if updated_at is None else datetime.fromisoformat(updated_at),
    )


def plan_from_json(data: Mapping[str, Any]) -> RetentionPlan:
    return RetentionPlan(
        at=datetime.fromisoformat(data["at"]),
        applied=bool(data["applied"]),
        models=tuple(
            ModelRetentionPlan(
                model_name=m["model"],
                policy=None if m["policy"] is None else policy_from_json(m["policy"]),
                decisions=tuple(_decision(d) for d in m["decisions"]),
            )
            for m in data["models"]
        ),
    )


def _decision(data: Mapping[str, Any]) -> VersionDecision:
    return VersionDecision(
        version=int(data["version"]),
        action=RetentionAction(data["action"]),
        rules=tuple(
            RuleOutcome(r["rule"], Verdict(r["verdict"]), r["reason"]) for r in data["rules"]
        ),
    )
