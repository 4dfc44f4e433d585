"""Governance in the web UI: promotion requests with the policy explained rule by rule,
archive / restore, model card editing and the audit log.

The pages of ``models.py`` and ``versions.py`` have template slots (``governance/_*.html``);
``install`` registers page hooks that add what those slots show to the page's context, so the
model and version routers stay unaware of governance, and includes the governance routers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request

from modelreg.domain.entities import ModelVersion, RegisteredModel
from modelreg.domain.governance import PromotionRequest, PromotionStatus
from modelreg.domain.policy import AliasRule, RuleResult, parse_policy
from modelreg.server.deps import get_services
from modelreg.server.ui import audit, card_editor, lifecycle, promotions
from modelreg.server.ui.rendering import Ui
from modelreg.wiring import Services

PROMOTIONS_ON_PAGE = 50


@dataclass(frozen=True)
class ProtectedAlias:
    """A protected alias and what moving it takes, in words."""

    name: str
    rule: AliasRule

    @property
    def summary(self) -> str:
        parts = [f"{self.rule.approvals} approval{'s' if self.rule.approvals != 1 else ''}"]
        if self.rule.model_card:
            parts.append("a model card")
        parts.extend(gate.text for gate in self.rule.gates)
        return ", ".join(parts)


@dataclass(frozen=True)
class AliasCheck:
    """The policy's verdict, rule by rule, on promoting one version to one protected alias."""

    alias: ProtectedAlias
    results: tuple[RuleResult, ...]

    @property
    def passed(self) -> bool:
        return not any(result.failed for result in self.results)


def protected_aliases(services: Services, name: str) -> dict[str, ProtectedAlias]:
    policy = parse_policy(services.policies.effective_policy(name))
    return {alias: ProtectedAlias(alias, rule) for alias, rule in sorted(policy.aliases.items())}


def pending_promotions(services: Services, name: str) -> tuple[PromotionRequest, ...]:
    return services.promotions.list_promotions(
        model=name, status=PromotionStatus.PENDING, limit=PROMOTIONS_ON_PAGE
    ).items


def version_context(request: Request, page: Mapping[str, Any]) -> dict[str, Any]:
    """What ``governance/_version_actions.html`` shows: the policy checks of this version
    against each protected alias, its promotion requests, and its archived state."""
    services = get_services(request)
    version: ModelVersion = page["version"]
    name = version.model_name
    protected = protected_aliases(services, name)
    checks = []
    version_rules: tuple[RuleResult, ...] = ()
    for alias in protected.values():
        report = services.policies.check(version.ref, alias=alias.name)
        own = f"aliases.{alias.name}"
        checks.append(AliasCheck(alias, tuple(r for r in report.results if r.rule.startswith(own))))
        version_rules = tuple(r for r in report.results if not r.rule.startswith("aliases."))
    if not protected:
        version_rules = services.policies.check(version.ref).results
    requests = services.promotions.list_promotions(model=name, limit=PROMOTIONS_ON_PAGE).items
    return {
        "protected_aliases": protected,
        "alias_checks": checks,
        "version_rules": version_rules,
        "version_promotions": [r for r in requests if r.version == version.version],
    }


def model_context(request: Request, page: Mapping[str, Any]) -> dict[str, Any]:
    """What ``governance/_model_panel.html`` shows: protected aliases and pending requests."""
    services = get_services(request)
    model: RegisteredModel = page["model"]
    return {
        "protected_aliases": protected_aliases(services, model.name),
        "pending_promotions": pending_promotions(services, model.name),
    }


def install(app: FastAPI) -> None:
    """Fill the governance slots of the model and version pages and serve the governance
    routes; call after ``app.state.ui`` is set."""
    ui: Ui = app.state.ui
    ui.add_page_hook("version.html", version_context)
    ui.add_page_hook("model.html", model_context)
    for module in (promotions, lifecycle, card_editor, audit):
        app.include_router(module.router)
