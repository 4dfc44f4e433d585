"""Editing a version's model card: a Markdown textarea, "Preview" renders the text as the
version page would show it without saving, "Save" stores it as a new revision
(``Evaluations.set_card``). Older revisions can be read and edited from."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request, Response

from modelreg.domain.errors import InvalidArgumentError, ModelregError, NotFoundError
from modelreg.domain.permissions import Action
from modelreg.domain.records import ModelCard, split_front_matter
from modelreg.server.access import requires
from modelreg.server.deps import ActorDep, get_services
from modelreg.server.ui import paths
from modelreg.server.ui.cards import CardView
from modelreg.server.ui.forms import CSRF_CHECKED, FormText, see_other, text_block
from modelreg.server.ui.rendering import UiRoute, links_for, render, status_of
from modelreg.service.evaluations import parse_front_matter

router = APIRouter(route_class=UiRoute, include_in_schema=False)

INTENTS = ("preview", "save")


@router.get(paths.VERSION_CARD, name="ui_version_card", dependencies=[requires(Action.READ)])
def card_page(request: Request, name: str, version: int, revision: int | None = None) -> Response:
    return card_response(request, name, version, revision=revision)


@router.post(
    paths.VERSION_CARD,
    name="ui_save_card",
    dependencies=[*CSRF_CHECKED, requires(Action.RECORD)],
)
def save_card(
    request: Request,
    name: str,
    version: int,
    actor: ActorDep,
    content: FormText = "",
    intent: FormText = "preview",
) -> Response:
    text = text_block(content)
    try:
        if intent not in INTENTS:
            raise InvalidArgumentError(f"intent must be one of {', '.join(INTENTS)}")
        if intent == "preview":
            return card_response(request, name, version, draft=text, preview=_preview(text))
        get_services(request).evaluations.set_card(name, version, text, actor=actor)
    except ModelregError as error:
        return card_response(request, name, version, draft=text, refused=error)
    return see_other(links_for(request).version(name, version, {"done": "card-saved"}))


def card_response(
    request: Request,
    name: str,
    number: int,
    *,
    revision: int | None = None,
    draft: str | None = None,
    preview: CardView | None = None,
    refused: ModelregError | None = None,
) -> Response:
    services = get_services(request)
    version = services.registry.get_version(name, number)
    latest = _card(services.evaluations.get_card, name, number, None)
    shown = (
        latest if revision is None else _card(services.evaluations.get_card, name, number, revision)
    )
    if revision is not None and shown is None:
        raise NotFoundError(
            f"revision {revision} of the model card of {version.ref} does not exist"
        )
    context: dict[str, Any] = {
        "version": version,
        "latest": latest,
        "shown": shown,
        "shown_view": _view(shown) if shown is not None and revision is not None else None,
        "revisions": range(latest.revision, 0, -1) if latest else range(0),
        "draft": draft if draft is not None else (shown.content if shown else ""),
        "preview": preview,
        "refused": refused.message if refused else None,
    }
    status = status_of(refused) if refused else 200
    return render(request, "governance/card_edit.html", context, status=status)


def _card(get: Any, name: str, number: int, revision: int | None) -> ModelCard | None:
    try:
        card: ModelCard = get(name, number, revision=revision)
    except NotFoundError:
        return None
    return card


def _view(card: ModelCard) -> CardView:
    _front, body = split_front_matter(card.content)
    return CardView(f"revision {card.revision}", card.version, body, card.metadata)


def _preview(text: str) -> CardView:
    """The draft as the version page would show it; invalid front matter is refused here
    already, with the message saving would give."""
    metadata: Mapping[str, Any] = parse_front_matter(text)
    _front, body = split_front_matter(text)
    return CardView("preview, not saved", 0, body, metadata)
