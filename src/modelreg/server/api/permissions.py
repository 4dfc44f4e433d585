"""Role grants on a model: list (readers), grant and revoke (the model's admins).

``PUT`` gives one user or team a role (replacing the role it had); ``DELETE ?user=`` or
``?team=`` takes it away. Both are recorded in the model's history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from modelreg import routes
from modelreg.domain.access import Role
from modelreg.domain.errors import InvalidArgumentError
from modelreg.domain.permissions import Action, Grant, Subject, SubjectKind
from modelreg.server.access import get_access, requires
from modelreg.server.deps import ActorDep
from modelreg.server.schemas import Schema
from modelreg.service.access import AccessControl

router = APIRouter(tags=["permissions"])

AccessDep = Annotated[AccessControl, Depends(get_access)]


class GrantSet(Schema):
    kind: SubjectKind
    subject: str
    role: Role


class GrantOut(Schema):
    kind: SubjectKind
    subject: str
    role: Role
    granted_by: str
    granted_at: datetime

    @classmethod
    def from_entity(cls, grant: Grant) -> GrantOut:
        return cls(
            kind=grant.subject.kind,
            subject=grant.subject.name,
            role=grant.role,
            granted_by=grant.granted_by,
            granted_at=grant.granted_at,
        )


class GrantList(Schema):
    items: list[GrantOut]


@router.get(routes.MODEL_PERMISSIONS, dependencies=[requires(Action.READ)])
def list_grants(name: str, access: AccessDep) -> GrantList:
    return GrantList(items=[GrantOut.from_entity(g) for g in access.list_grants(name)])


@router.put(routes.MODEL_PERMISSIONS, dependencies=[requires(Action.MANAGE_PERMISSIONS)])
def grant(name: str, body: GrantSet, access: AccessDep, actor: ActorDep) -> GrantOut:
    subject = Subject(body.kind, body.subject)
    return GrantOut.from_entity(access.grant(name, subject, body.role, actor=actor))


@router.delete(
    routes.MODEL_PERMISSIONS,
    status_code=204,
    dependencies=[requires(Action.MANAGE_PERMISSIONS)],
)
def revoke(
    name: str,
    access: AccessDep,
    actor: ActorDep,
    user: str | None = None,
    team: str | None = None,
) -> Response:
    """Idempotent: revoking a grant that is not there changes nothing and still answers 204."""
    if (user is None) == (team is None):
        raise InvalidArgumentError("name exactly one of the query parameters 'user' and 'team'")
    if user is not None:
        access.revoke(name, Subject(SubjectKind.USER, user), actor=actor)
    else:
        access.revoke(name, Subject(SubjectKind.TEAM, team or ""), actor=actor)
    return Response(status_code=204)
