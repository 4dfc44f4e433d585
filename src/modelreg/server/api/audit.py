"""The audit trail: list and verify. There is no route that edits or deletes an entry."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from modelreg import routes
from modelreg.domain.audit import AuditQuery
from modelreg.domain.permissions import Action
from modelreg.server.access import check, requires
from modelreg.server.deps import get_services
from modelreg.server.record_schemas import AuditEntryOut, AuditPage, AuditVerificationOut
from modelreg.service.audit import AuditTrail

router = APIRouter(tags=["audit"])


def get_audit(request: Request) -> AuditTrail:
    return get_services(request).audit


AuditDep = Annotated[AuditTrail, Depends(get_audit)]


@router.get(routes.AUDIT)
def list_audit(
    request: Request,
    audit: AuditDep,
    model: str | None = None,
    actor: str | None = None,
    action: Annotated[
        str | None, Query(description="Exact action, or a prefix ending in '*'")
    ] = None,
    since: Annotated[
        datetime | None, Query(description="Inclusive ISO-8601 time with zone")
    ] = None,
    until: Annotated[
        datetime | None, Query(description="Exclusive ISO-8601 time with zone")
    ] = None,
    order: Literal["asc", "desc"] = "asc",
    cursor: str | None = None,
    limit: int = 100,
) -> AuditPage:
    # The whole trail is for registry admins; a model's part, for its readers.
    check(request, Action.READ_AUDIT if model is None else Action.READ, model)
    query = AuditQuery(model=model, actor=actor, action=action, since=since, until=until)
    page = audit.list_entries(query, descending=order == "desc", cursor=cursor, limit=limit)
    return AuditPage(
        items=[AuditEntryOut.from_entity(e) for e in page.items], next_cursor=page.next_cursor
    )


@router.get(routes.AUDIT_VERIFY, dependencies=[requires(Action.READ_AUDIT)])
def verify_audit(audit: AuditDep) -> AuditVerificationOut:
    return AuditVerificationOut.from_entity(audit.verify())
