"""Authorization: who may do what to which model (``docs/permissions.md``).

``AccessControl`` answers with the table in ``domain/permissions.py`` and the grants stored
beside each model. Front ends call ``require`` before a use case (the use cases themselves stay
free of callers, so the embedded SDK, which runs in open mode, calls them directly).

Defaults: a caller with no grant on a model cannot read it, and the model is answered as missing
(``MODEL_NOT_FOUND``), so names do not leak; any authenticated caller whose token has the write
scope may create a new model and becomes its admin. Registry admins and open mode may do all.
"""

from __future__ import annotations

from datetime import datetime

from modelreg.domain.access import Principal, Role
from modelreg.domain.entities import Event
from modelreg.domain.errors import (
    BlobNotFoundError,
    ConflictError,
    InvalidArgumentError,
    ModelNotFoundError,
    PermissionDeniedError,
)
from modelreg.domain.permissions import (
    Action,
    Grant,
    Subject,
    SubjectKind,
    Verdict,
    Visibility,
    allowed,
    effective_role,
    is_model_action,
)
from modelreg.service.clock import Clock, utcnow
from modelreg.store.base import MetadataStore, MetadataTransaction

MAX_SUBJECT = 256


class AccessControl:
    def __init__(self, store: MetadataStore, *, clock: Clock = utcnow) -> None:
        self.store = store
        self.clock = clock

    # -- questions ---------------------------------------------------------------------------

    def role_of(self, principal: Principal, model_name: str) -> Role | None:
        """The highest role ``principal`` holds on the model, directly or through a team
        (admin for registry admins); ``ModelNotFoundError`` when there is no such model."""
        with self.store.transaction() as tx:
            return effective_role(tx.list_grants(model_name), principal)

    def decides_alone(self, principal: Principal, action: Action) -> bool:
        """Whether ``require`` answers without reading the store (open mode, admins and
        registry-wide actions), so the HTTP edge can check on the event loop."""
        return principal.open_mode or principal.admin or not is_model_action(action)

    def visibility(self, principal: Principal) -> Visibility | None:
        """The constraint a search for ``principal`` runs under; None: sees every model."""
        if principal.open_mode or principal.admin:
            return None
        return Visibility(principal.name, frozenset(principal.teams))

    def can_read(self, principal: Principal, model_name: str) -> bool:
        try:
            self.require(principal, Action.READ, model_name)
        except (ModelNotFoundError, PermissionDeniedError):
            return False
        return True

    def require(self, principal: Principal, action: Action, model_name: str | None = None) -> None:
        """Raise unless ``principal`` may do ``action`` (on ``model_name`` for model actions).

        ``PermissionDeniedError`` names the missing role or scope. A model the caller may not
        even read is answered with ``ModelNotFoundError``, worded as for a missing model. The
        first push to a name that does not exist yet is a model creation.
        """
        if principal.open_mode:
            return
        if not is_model_action(action) or principal.admin:
            _raise_unless(allowed(principal, Role.ADMIN if principal.admin else None, action))
            return
        if model_name is None:
            raise InvalidArgumentError(f"{action.value} needs a model")
        try:
            role = self.role_of(principal, model_name)
        except ModelNotFoundError:
            if action is Action.PUSH:
                _raise_unless(allowed(principal, None, Action.CREATE_MODEL))
                return
            raise
        if role is None:
            raise ModelNotFoundError(f"model {model_name!r} does not exist", model=model_name)
        _raise_unless(allowed(principal, role, action), model=model_name)

    def require_blob(self, principal: Principal, digest: str) -> None:
        """Content is readable when some version (or evaluation report) of a readable model
        holds it; otherwise it is answered as missing, like an unreadable model."""
        if principal.open_mode or principal.admin:
            _raise_unless(allowed(principal, Role.ADMIN, Action.READ))
            return
        with self.store.transaction() as tx:
            holders = tx.models_holding(digest)
        if not any(self.can_read(principal, name) for name in holders):
            raise BlobNotFoundError(f"blob {digest} not found", digest=digest)  # as cas.py words it

    def model_of_upload(self, upload_id: str) -> str:
        """The model an upload session pushes to (for checks on routes keyed by session)."""
        with self.store.transaction() as tx:
            return tx.get_upload(upload_id).model_name

    def model_of_promotion(self, request_id: int) -> str:
        with self.store.transaction() as tx:
            return tx.get_promotion(request_id).model_name

    # -- grants ------------------------------------------------------------------------------

    def list_grants(self, model_name: str) -> list[Grant]:
        with self.store.transaction() as tx:
            return tx.list_grants(model_name)

    def grant(self, model_name: str, subject: Subject, role: Role, *, actor: str) -> Grant:
        """Give ``subject`` ``role`` on the model (replacing the role it had there)."""
        _check_subject(subject)
        now = self.clock()
        with self.store.transaction(write=True) as tx:
            tx.lock_model(model_name)
            previous = tx.set_grant(model_name, subject, role, granted_by=actor, now=now)
            if previous is Role.ADMIN and role is not Role.ADMIN:
                _keep_an_admin(tx, model_name, subject)
            if previous is not role:
                _record(tx, model_name, "permission.granted", subject, previous, role, actor, now)
            return next(g for g in tx.list_grants(model_name) if g.subject == subject)

    def revoke(self, model_name: str, subject: Subject, *, actor: str) -> Role | None:
        """Remove ``subject``'s grant; returns the role it had (None: it had none, no change)."""
        _check_subject(subject)
        now = self.clock()
        with self.store.transaction(write=True) as tx:
            tx.lock_model(model_name)
            previous = tx.delete_grant(model_name, subject)
            if previous is Role.ADMIN:
                _keep_an_admin(tx, model_name, subject)
            if previous is not None:
                _record(tx, model_name, "permission.revoked", subject, previous, None, actor, now)
            return previous


def grant_creator(tx: MetadataTransaction, model_name: str, actor: str, now: datetime) -> None:
    """Make whoever creates a model its admin, in the creating transaction. The grant is part of
    the ``model.created`` entry (its actor), not a separate history event."""
    tx.set_grant(
        model_name, Subject(SubjectKind.USER, actor), Role.ADMIN, granted_by=actor, now=now
    )


def _raise_unless(verdict: Verdict, **details: object) -> None:
    if verdict:
        return
    if verdict.missing_role is not None:
        details["required_role"] = verdict.missing_role.value
    if verdict.missing_scope is not None:
        details["required_scope"] = verdict.missing_scope.value
    raise PermissionDeniedError(verdict.reason, **details)


def _check_subject(subject: Subject) -> None:
    name = subject.name
    if not name or len(name) > MAX_SUBJECT or name != name.strip():
        raise InvalidArgumentError(
            f"a {subject.kind.value} name has 1 to {MAX_SUBJECT} characters without surrounding "
            "spaces",
            field=subject.kind.value,
        )


def _keep_an_admin(tx: MetadataTransaction, model_name: str, subject: Subject) -> None:
    """Refuse a change that would leave the model without any admin grant (only registry admins
    could manage it then)."""
    if not any(grant.role is Role.ADMIN for grant in tx.list_grants(model_name)):
        raise ConflictError(
            f"{subject} is the last admin of model {model_name!r}; grant admin to someone else "
            "first",
            model=model_name,
        )


def _record(
    tx: MetadataTransaction,
    model_name: str,
    action: str,
    subject: Subject,
    before: Role | None,
    after: Role | None,
    actor: str,
    now: datetime,
) -> None:
    tx.add_event(
        Event(
            model_name,
            action,
            actor,
            now,
            details=_details(subject, before, after),
            target=f"permission:{model_name}:{subject}",
            before=None if before is None else {"role": before.value},
            after=None if after is None else {"role": after.value},
        )
    )


def _details(subject: Subject, before: Role | None, after: Role | None) -> dict[str, object]:
    """``role`` is the role granted, or for a revocation the role taken away."""
    found: dict[str, object] = {"subject": subject.name, "kind": subject.kind.value}
    if after is None:
        return {**found, "role": None if before is None else before.value}
    return {**found, "role": after.value, "from": None if before is None else before.value}
