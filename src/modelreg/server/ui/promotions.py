"""Promotion requests in the UI: request one from a version page, approve or reject from the
version page, the model page or the inbox (``/promotions``). Every action calls
``service/promotions.py``; a refusal (a failed gate, a self-approval, a closed request)
re-renders the page it came from with the reason."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request, Response

from modelreg.domain.errors import InvalidArgumentError, ModelregError
from modelreg.domain.governance import PromotionRequest, PromotionStatus
from modelreg.domain.permissions import Action
from modelreg.server.access import check, readable, requires, requires_for_promotion
from modelreg.server.deps import ActorDep, get_actor, get_services
from modelreg.server.ui import paths
from modelreg.server.ui.forms import CSRF_CHECKED, FormText, see_other, text_block
from modelreg.server.ui.models import model_response
from modelreg.server.ui.rendering import UiRoute, links_for, render, status_of
from modelreg.server.ui.versions import version_response

router = APIRouter(route_class=UiRoute, include_in_schema=False)

PER_PAGE = 50
STATUS_CHOICES = ("PENDING", "APPROVED", "REJECTED", "all")


@router.post(
    paths.PROMOTION_REQUEST,
    name="ui_request_promotion",
    dependencies=[*CSRF_CHECKED, requires(Action.REQUEST_PROMOTION)],
)
def request_promotion(
    request: Request,
    name: str,
    version: int,
    actor: ActorDep,
    alias: FormText = "",
    reason: FormText = "",
) -> Response:
    services = get_services(request)
    form = {"alias": alias, "reason": reason, "action": "promote"}
    try:
        made = services.promotions.request_promotion(
            name, alias.strip(), version, reason=text_block(reason), actor=actor
        )
    except ModelregError as error:
        return version_response(request, services.registry, name, version, refused=error, form=form)
    done = (
        "promotion-completed" if made.status is PromotionStatus.APPROVED else "promotion-requested"
    )
    return see_other(links_for(request).version(name, version, {"done": done}))


@router.post(
    paths.PROMOTION_APPROVE,
    name="ui_approve_promotion",
    dependencies=[*CSRF_CHECKED, requires_for_promotion(Action.APPROVE_PROMOTION)],
)
def approve_promotion(
    request: Request, request_id: int, actor: ActorDep, reason: FormText = "", back: FormText = ""
) -> Response:
    services = get_services(request)
    promotion = services.promotions.get_promotion(request_id)
    try:
        decided = services.promotions.approve(request_id, actor=actor, reason=text_block(reason))
    except ModelregError as error:
        form = {"action": f"decide-{request_id}", "reason": reason}
        return _refused(request, promotion, back, error, form)
    done = (
        "promotion-completed"
        if decided.status is PromotionStatus.APPROVED
        else "promotion-approved"
    )
    return see_other(_back_link(request, promotion, back, done))


@router.post(
    paths.PROMOTION_REJECT,
    name="ui_reject_promotion",
    dependencies=[*CSRF_CHECKED, requires_for_promotion(Action.APPROVE_PROMOTION)],
)
def reject_promotion(
    request: Request, request_id: int, actor: ActorDep, reason: FormText = "", back: FormText = ""
) -> Response:
    services = get_services(request)
    promotion = services.promotions.get_promotion(request_id)
    try:
        services.promotions.reject(request_id, actor=actor, reason=text_block(reason))
    except ModelregError as error:
        form = {"action": f"decide-{request_id}", "reason": reason}
        return _refused(request, promotion, back, error, form)
    return see_other(_back_link(request, promotion, back, "promotion-rejected"))


@router.get(paths.PROMOTIONS, name="ui_promotions")
def promotions_page(
    request: Request, status: str = "PENDING", model: str = "", cursor: str = ""
) -> Response:
    return inbox_response(request, status=status, model=model, cursor=cursor)


def inbox_response(
    request: Request,
    *,
    status: str = "PENDING",
    model: str = "",
    cursor: str = "",
    refused: ModelregError | None = None,
    form: Mapping[str, str] | None = None,
) -> Response:
    """The promotion inbox: requests newest first, pending ones with approve / reject forms."""
    if status not in STATUS_CHOICES:
        raise InvalidArgumentError(f"status must be one of {', '.join(STATUS_CHOICES)}")
    services = get_services(request)
    check(request, Action.SEARCH if not model.strip() else Action.READ, model.strip() or None)
    found = services.promotions.list_promotions(
        model=model.strip() or None,
        status=None if status == "all" else PromotionStatus(status),
        cursor=cursor or None,
        limit=PER_PAGE,
    )
    shown = readable(request, [p.model_name for p in found.items])  # others' drop out
    links = links_for(request)
    keep = {"status": status, "model": model.strip()}
    context: dict[str, Any] = {
        "requests": [p for p in found.items if p.model_name in shown],
        "status": status,
        "status_choices": STATUS_CHOICES,
        "model_filter": model.strip(),
        "acting_as": get_actor(request),
        "older": links.promotions({**keep, "cursor": found.next_cursor})
        if found.next_cursor
        else None,
        "first": links.promotions(keep) if cursor else None,
        "refused": refused.message if refused else None,
        "form": dict(form or {}),
    }
    return render(
        request,
        "governance/promotions.html",
        context,
        status=status_of(refused) if refused else 200,
    )


def _refused(
    request: Request,
    promotion: PromotionRequest,
    back: str,
    error: ModelregError,
    form: Mapping[str, str],
) -> Response:
    services = get_services(request)
    name = promotion.model_name
    if back == "version":
        return version_response(
            request, services.registry, name, promotion.version, refused=error, form=form
        )
    if back == "model":
        return model_response(request, services.registry, name, refused=error, form=form)
    return inbox_response(request, refused=error, form=form)


def _back_link(request: Request, promotion: PromotionRequest, back: str, done: str) -> str:
    links = links_for(request)
    if back == "version":
        return links.version(promotion.model_name, promotion.version, {"done": done})
    if back == "model":
        return links.model(promotion.model_name, {"done": done})
    return links.promotions({"done": done})
