"""Promotion requests: the only way a protected alias moves.

A request is checked against the policy when it is made and again when it completes; the alias
moves in the transaction that records the last approval the policy asks for. Approvers are
counted once each and never include the requester.
"""

from __future__ import annotations

from modelreg.domain.entities import Event, Page, VersionStatus
from modelreg.domain.errors import (
    ConflictError,
    InvalidArgumentError,
    PermissionDeniedError,
)
from modelreg.domain.governance import Decision, PromotionRequest, PromotionStatus
from modelreg.domain.policy import AliasRule
from modelreg.domain.rules import validate_alias_name, validate_model_name
from modelreg.service.clock import Clock, utcnow
from modelreg.service.pagination import (
    check_page_size,
    decode_cursor,
    encode_cursor,
    fingerprint,
)
from modelreg.service.policies import (
    ModelCardLookup,
    alias_results,
    load_policy,
    raise_for,
    store_model_cards,
)
from modelreg.store.base import MetadataStore, MetadataTransaction

MAX_REASON = 4096


def _reason(reason: str, *, required: bool) -> str:
    if not isinstance(reason, str) or len(reason) > MAX_REASON:
        raise InvalidArgumentError(
            f"a reason must be a string of at most {MAX_REASON} characters", field="reason"
        )
    if required and not reason.strip():
        raise InvalidArgumentError("give a reason", field="reason")
    return reason.strip()


class Promotions:
    def __init__(
        self,
        store: MetadataStore,
        *,
        clock: Clock = utcnow,
        model_cards: ModelCardLookup = store_model_cards,
    ) -> None:
        self.store = store
        self.clock = clock
        self.model_cards = model_cards

    def request_promotion(
        self, name: str, alias: str, version: int, *, reason: str, actor: str
    ) -> PromotionRequest:
        """Ask to move protected ``alias`` to ``version``. Refused at once when the version
        fails the alias's gates; completed at once when the policy asks for no approvals."""
        validate_model_name(name)
        validate_alias_name(alias)
        reason = _reason(reason, required=True)
        now = self.clock()
        with self.store.transaction(write=True) as tx:
            tx.lock_model(name)
            candidate = tx.get_version(name, version)
            if candidate.status is not VersionStatus.READY:
                raise ConflictError(f"version {version} of {name!r} is {candidate.status}")
            policy = load_policy(tx, name)
            if alias not in policy.aliases:
                raise InvalidArgumentError(
                    f"alias {alias!r} of {name!r} is not protected: set it directly",
                    field="alias",
                )
            results = alias_results(
                tx, policy, candidate, alias, model_cards=self.model_cards, approvers=None
            )
            raise_for(f"promoting {name}/{version} to {alias!r}", results)
            request = tx.create_promotion(
                name, alias, version, reason=reason, requested_by=actor, now=now
            )
            tx.add_event(
                Event(
                    name,
                    "promotion.requested",
                    actor,
                    now,
                    version,
                    {"promotion": request.id, "alias": alias, "reason": reason},
                )
            )
            if policy.aliases[alias].approvals == 0:
                self._complete(tx, request, actor=actor, reason=reason)
            return tx.get_promotion(request.id)

    def approve(self, request_id: int, *, actor: str, reason: str = "") -> PromotionRequest:
        """Approve; when this is the last approval the policy asks for, the alias moves now.

        The requester cannot approve their own request, and each person counts once.
        """
        reason = _reason(reason, required=False)
        now = self.clock()
        with self.store.transaction(write=True) as tx:
            request = self._pending(tx, request_id)
            if actor == request.requested_by:
                raise PermissionDeniedError(
                    f"{actor!r} requested promotion {request_id} and cannot approve it: "
                    "someone else must",
                    promotion=request_id,
                )
            if actor in request.approvers:
                raise ConflictError(
                    f"{actor!r} already approved promotion {request_id}", promotion=request_id
                )
            tx.lock_model(request.model_name)
            tx.add_promotion_decision(
                request_id, actor=actor, decision=Decision.APPROVE, reason=reason, now=now
            )
            approvers = (*request.approvers, actor)
            policy = load_policy(tx, request.model_name)
            rule = policy.aliases.get(request.alias, AliasRule())
            if len(approvers) >= rule.approvals:
                self._complete(tx, request, actor=actor, reason=reason, approvers=approvers)
            else:
                tx.add_event(
                    Event(
                        request.model_name,
                        "promotion.approval",
                        actor,
                        now,
                        request.version,
                        {
                            "promotion": request_id,
                            "alias": request.alias,
                            "reason": reason,
                            "approvals": len(approvers),
                            "required": rule.approvals,
                        },
                    )
                )
            return tx.get_promotion(request_id)

    def reject(self, request_id: int, *, actor: str, reason: str) -> PromotionRequest:
        """Close the request without moving the alias; a reason is required."""
        reason = _reason(reason, required=True)
        now = self.clock()
        with self.store.transaction(write=True) as tx:
            request = self._pending(tx, request_id)
            tx.add_promotion_decision(
                request_id, actor=actor, decision=Decision.REJECT, reason=reason, now=now
            )
            tx.set_promotion_status(request_id, PromotionStatus.REJECTED, now=now)
            tx.add_event(
                Event(
                    request.model_name,
                    "promotion.rejected",
                    actor,
                    now,
                    request.version,
                    {"promotion": request_id, "alias": request.alias, "reason": reason},
                )
            )
            return tx.get_promotion(request_id)

    def get_promotion(self, request_id: int) -> PromotionRequest:
        with self.store.transaction() as tx:
            return tx.get_promotion(request_id)

    def list_promotions(
        self,
        *,
        model: str | None = None,
        status: PromotionStatus | None = None,
        cursor: str | None = None,
        limit: int = 100,
    ) -> Page[PromotionRequest]:
        """Newest first; filtered by model and status when given."""
        check_page_size(limit)
        if model is not None:
            validate_model_name(model)
        key = fingerprint("promotions", model, status)
        offset = decode_cursor(cursor, key)
        with self.store.transaction() as tx:
            found = tx.list_promotions(
                model_name=model, status=status, offset=offset, limit=limit + 1
            )
        if len(found) > limit:
            return Page(tuple(found[:limit]), encode_cursor(offset + limit, key))
        return Page(tuple(found))

    # -- helpers -----------------------------------------------------------------------------

    def _pending(self, tx: MetadataTransaction, request_id: int) -> PromotionRequest:
        request = tx.get_promotion(request_id, lock=True)
        if request.status is not PromotionStatus.PENDING:
            raise ConflictError(
                f"promotion {request_id} is already {request.status.value.lower()}",
                promotion=request_id,
            )
        return request

    def _complete(
        self,
        tx: MetadataTransaction,
        request: PromotionRequest,
        *,
        actor: str,
        reason: str,
        approvers: tuple[str, ...] = (),
    ) -> None:
        """Check the gates again against the alias's current target, then move the alias."""
        name, alias, version = request.model_name, request.alias, request.version
        policy = load_policy(tx, name)
        candidate = tx.get_version(name, version)
        if alias in policy.aliases:
            results = alias_results(
                tx, policy, candidate, alias, model_cards=self.model_cards, approvers=approvers
            )
            # Approvals were counted by the caller; only gates and the card can still fail.
            raise_for(
                f"promoting {name}/{version} to {alias!r}",
                [r for r in results if not r.rule.startswith(f"aliases.{alias}.approvals")],
            )
        now = self.clock()
        previous = tx.set_alias(name, alias, version, actor=actor, now=now)
        tx.set_promotion_status(request.id, PromotionStatus.APPROVED, now=now)
        tx.add_event(
            Event(
                name,
                "promotion.approved",
                actor,
                now,
                version,
                {
                    "promotion": request.id,
                    "alias": alias,
                    "reason": reason,
                    "requested_by": request.requested_by,
                    "approvers": list(approvers),
                },
            )
        )
        tx.add_event(
            Event(
                name,
                "alias.set",
                actor,
                now,
                version,
                {"alias": alias, "from": previous, "to": version, "promotion": request.id},
            )
        )
