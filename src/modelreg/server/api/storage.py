"""Storage administration: garbage collection, the storage report and retention policies."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from modelreg import routes
from modelreg.domain.permissions import Action
from modelreg.domain.storage import parse_duration
from modelreg.server.access import requires
from modelreg.server.deps import ActorDep, get_services
from modelreg.server.storage_schemas import (
    GcReportOut,
    GcRequest,
    RetentionPlanOut,
    RetentionPolicyList,
    RetentionPolicyOut,
    RetentionPolicySet,
    StorageReportOut,
)
from modelreg.service.storage import Storage

# Storage administration sees every model: registry admins only (docs/permissions.md).
router = APIRouter(tags=["storage"], dependencies=[requires(Action.MANAGE_STORAGE)])


def get_storage(request: Request) -> Storage:
    return get_services(request).storage


StorageDep = Annotated[Storage, Depends(get_storage)]


@router.get(routes.STORAGE)
def storage_report(storage: StorageDep) -> StorageReportOut:
    return StorageReportOut.from_entity(storage.report())


@router.post(routes.STORAGE_GC)
def collect_garbage(body: GcRequest, storage: StorageDep, actor: ActorDep) -> GcReportOut:
    grace = parse_duration(body.grace, option="grace")
    return GcReportOut.from_entity(
        storage.gc.collect(grace=grace, dry_run=body.dry_run, actor=actor)
    )


@router.get(routes.RETENTION)
def list_retention_policies(storage: StorageDep) -> RetentionPolicyList:
    items = storage.retention.list_policies()
    return RetentionPolicyList(items=[RetentionPolicyOut.from_entity(p) for p in items])


@router.put(routes.RETENTION)
def set_registry_retention(
    body: RetentionPolicySet, storage: StorageDep, actor: ActorDep
) -> RetentionPolicyOut:
    return _set(storage, body, actor, None)


@router.delete(routes.RETENTION, status_code=204)
def remove_registry_retention(storage: StorageDep, actor: ActorDep) -> Response:
    storage.retention.remove_policy(actor=actor)
    return Response(status_code=204)


@router.put(routes.MODEL_RETENTION)
def set_model_retention(
    name: str, body: RetentionPolicySet, storage: StorageDep, actor: ActorDep
) -> RetentionPolicyOut:
    return _set(storage, body, actor, name)


@router.delete(routes.MODEL_RETENTION, status_code=204)
def remove_model_retention(name: str, storage: StorageDep, actor: ActorDep) -> Response:
    storage.retention.remove_policy(actor=actor, model=name)
    return Response(status_code=204)


@router.get(routes.RETENTION_PLAN)
def plan_retention(storage: StorageDep, model: str | None = None) -> RetentionPlanOut:
    return RetentionPlanOut.from_entity(storage.retention.plan(model=model))


@router.post(routes.RETENTION_APPLY)
def apply_retention(
    storage: StorageDep, actor: ActorDep, model: str | None = None
) -> RetentionPlanOut:
    return RetentionPlanOut.from_entity(storage.retention.apply(actor=actor, model=model))


def _set(
    storage: Storage, body: RetentionPolicySet, actor: str, model: str | None
) -> RetentionPolicyOut:
    policy = storage.retention.set_policy(
        actor=actor,
        model=model,
        keep_last=body.keep_last,
        archive_after=_span(body.archive_after, "archive_after"),
        delete_archived_after=_span(body.delete_archived_after, "delete_archived_after"),
    )
    return RetentionPolicyOut.from_entity(policy)


def _span(text: str | None, option: str) -> timedelta | None:
    return None if text is None else parse_duration(text, option=option)
