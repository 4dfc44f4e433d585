"""The audit log page: every entry of the hash-chained trail (``service/audit.py``), newest
first, filtered by model, actor, event type and time range, with the chain's verification
(OK, or the first broken entry) at the top."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response

from modelreg import routes
from modelreg.domain.audit import AuditEntry, AuditQuery, AuditVerification
from modelreg.domain.errors import InvalidArgumentError, ModelregError
from modelreg.domain.permissions import Action
from modelreg.server.access import check
from modelreg.server.deps import get_services
from modelreg.server.ui import paths
from modelreg.server.ui.chain_status import ChainStatus
from modelreg.server.ui.forms import CSRF_CHECKED, see_other
from modelreg.server.ui.rendering import UiRoute, links_for, render, status_of

router = APIRouter(route_class=UiRoute, include_in_schema=False)

PER_PAGE_CHOICES = (25, 50, 100)
# Offered in the event-type box; any other action, or a prefix ending in "*", works too.
KNOWN_ACTIONS = (
    "alias.*",
    "alias.set",
    "alias.deleted",
    "card.set",
    "deployment.recorded",
    "evaluation.added",
    "model.*",
    "model.created",
    "model.updated",
    "model.deleted",
    "policy.set",
    "promotion.*",
    "promotion.requested",
    "promotion.approval",
    "promotion.approved",
    "promotion.rejected",
    "version.*",
    "version.created",
    "version.updated",
    "version.archived",
    "version.restored",
    "version.numbers_added",
    "version.deleted",
)


@dataclass(frozen=True)
class AuditFilters:
    """The form's values as typed, and the query they make."""

    model: str = ""
    actor: str = ""
    action: str = ""
    since: str = ""
    until: str = ""

    def query(self) -> AuditQuery:
        return AuditQuery(
            model=self.model.strip() or None,
            actor=self.actor.strip() or None,
            action=self.action.strip() or None,
            since=parse_moment(self.since, "since"),
            until=parse_moment(self.until, "until"),
        )

    def params(self) -> dict[str, str]:
        return {key: value for key, value in vars(self).items() if value.strip()}


def parse_moment(text: str, label: str) -> datetime | None:
    """An ISO-8601 time; one without a zone (what ``<input type=datetime-local>`` sends) is
    UTC, as everywhere in the registry's pages."""
    text = text.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidArgumentError(
            f"{label}: write a time as 2026-03-01T12:00 (UTC) or with a zone, not {text[:40]!r}",
            field=label,
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@router.get(paths.AUDIT, name="ui_audit")
def audit_page(
    request: Request,
    model: str = "",
    actor: str = "",
    action: str = "",
    since: str = "",
    until: str = "",
    cursor: str = "",
    limit: int = PER_PAGE_CHOICES[1],
) -> Response:
    services = get_services(request)
    # The whole trail is for registry admins; a model's part, for its readers.
    check(request, Action.READ if model.strip() else Action.READ_AUDIT, model.strip() or None)
    filters = AuditFilters(model, actor, action, since, until)
    limit = limit if limit in PER_PAGE_CHOICES else PER_PAGE_CHOICES[1]
    entries: tuple[AuditEntry, ...] = ()
    older = None
    refused: ModelregError | None = None
    try:
        page = services.audit.list_entries(
            filters.query(), descending=True, cursor=cursor or None, limit=limit
        )
        entries = page.items
        older = page.next_cursor
    except ModelregError as error:
        refused = error
    chain = chain_status(request).current()
    verification: AuditVerification = chain.verification
    links = links_for(request)
    keep: dict[str, Any] = {**filters.params(), "limit": limit}
    context: dict[str, Any] = {
        "filters": filters,
        "entries": entries,
        "verification": verification,
        "checked_at": chain.checked_at,
        "known_actions": KNOWN_ACTIONS,
        "limit": limit,
        "per_page_choices": PER_PAGE_CHOICES,
        "older": links.audit({**keep, "cursor": older}) if older else None,
        "first": links.audit(keep) if cursor else None,
        "api_url": links.api(routes.AUDIT),
        "refused": refused.message if refused else None,
    }
    return render(
        request, "governance/audit.html", context, status=status_of(refused) if refused else 200
    )


@router.post(paths.AUDIT_VERIFY, name="ui_audit_verify", dependencies=[*CSRF_CHECKED])
def verify_chain(request: Request) -> Response:
    """Walk the whole chain now (the page otherwise shows the last walk's result)."""
    check(request, Action.READ_AUDIT, None)
    chain_status(request).verify_now()
    return see_other(links_for(request).audit())


def chain_status(request: Request) -> ChainStatus:
    state = request.app.state
    found: ChainStatus | None = getattr(state, "chain_status", None)
    if found is None:  # two first views may both create one: harmless, the last one stays
        found = state.chain_status = ChainStatus(get_services(request).audit)
    return found
