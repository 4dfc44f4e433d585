"""Policies: the registry-wide default and per model, their revisions, and ``check``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from modelreg import routes
from modelreg.domain.permissions import Action
from modelreg.server.access import requires, requires_ref
from modelreg.server.deps import ActorDep, get_services
from modelreg.server.governance_schemas import (
    EffectivePolicyOut,
    PolicyReportOut,
    PolicyRevisionList,
    PolicyRevisionOut,
    PolicySet,
)
from modelreg.service.policies import Policies
from modelreg.wiring import Services

router = APIRouter(tags=["policies"])


def get_policies(services: Annotated[Services, Depends(get_services)]) -> Policies:
    return services.policies


PoliciesDep = Annotated[Policies, Depends(get_policies)]


@router.put(routes.POLICY, dependencies=[requires(Action.MANAGE_POLICIES)])
def set_default_policy(
    body: PolicySet, policies: PoliciesDep, actor: ActorDep
) -> PolicyRevisionOut:
    return PolicyRevisionOut.from_entity(policies.set_policy(body.document, actor=actor))


@router.get(routes.POLICY, dependencies=[requires(Action.SEARCH)])
def get_default_policy(policies: PoliciesDep, revision: int | None = None) -> PolicyRevisionOut:
    return PolicyRevisionOut.from_entity(policies.get_policy(revision=revision))


@router.get(routes.POLICY_REVISIONS, dependencies=[requires(Action.SEARCH)])
def list_default_revisions(policies: PoliciesDep) -> PolicyRevisionList:
    items = policies.list_policy_revisions()
    return PolicyRevisionList(items=[PolicyRevisionOut.from_entity(r) for r in items])


@router.put(routes.MODEL_POLICY, dependencies=[requires(Action.MANAGE_POLICIES)])
def set_model_policy(
    name: str, body: PolicySet, policies: PoliciesDep, actor: ActorDep
) -> PolicyRevisionOut:
    revision = policies.set_policy(body.document, actor=actor, model=name)
    return PolicyRevisionOut.from_entity(revision)


@router.get(routes.MODEL_POLICY, dependencies=[requires(Action.READ)])
def get_model_policy(
    name: str, policies: PoliciesDep, revision: int | None = None
) -> PolicyRevisionOut:
    return PolicyRevisionOut.from_entity(policies.get_policy(model=name, revision=revision))


@router.get(routes.MODEL_POLICY_REVISIONS, dependencies=[requires(Action.READ)])
def list_model_revisions(name: str, policies: PoliciesDep) -> PolicyRevisionList:
    items = policies.list_policy_revisions(model=name)
    return PolicyRevisionList(items=[PolicyRevisionOut.from_entity(r) for r in items])


@router.get(routes.MODEL_POLICY_EFFECTIVE, dependencies=[requires(Action.READ)])
def get_effective_policy(name: str, policies: PoliciesDep) -> EffectivePolicyOut:
    return EffectivePolicyOut(model=name, document=policies.effective_policy(name))


@router.get(routes.POLICY_CHECK, dependencies=[requires_ref()])
def check_policy(
    policies: PoliciesDep,
    ref: str = Query(description="NAME, NAME/VERSION or NAME@ALIAS"),
    alias: str | None = Query(None, description="A protected alias to check promotion to"),
) -> PolicyReportOut:
    return PolicyReportOut.from_entity(policies.check(ref, alias=alias))
