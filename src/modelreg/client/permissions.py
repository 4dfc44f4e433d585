"""SDK methods for role grants on models (``docs/permissions.md``), with their transport halves:
``PermissionsClient`` is a base of ``Client``, ``HttpPermissions`` of ``HttpTransport`` and
``EmbeddedPermissions`` of ``EmbeddedTransport`` (one module, so the shared files stay small)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from modelreg import routes
from modelreg.domain.access import Role
from modelreg.domain.errors import InvalidArgumentError
from modelreg.domain.permissions import Grant, Subject, SubjectKind

if TYPE_CHECKING:
    from modelreg.client.transport import Transport
    from modelreg.wiring import Services


class PermissionTransport(Protocol):
    def list_grants(self, model: str) -> list[Grant]: ...

    def grant(self, model: str, subject: Subject, role: Role) -> Grant: ...

    def revoke(self, model: str, subject: Subject) -> None: ...


def subject_of(user: str | None, team: str | None) -> Subject:
    """The one user or team a grant names."""
    if (user is None) == (team is None):
        raise InvalidArgumentError("name exactly one user or one team")
    if user is not None:
        return Subject(SubjectKind.USER, user)
    return Subject(SubjectKind.TEAM, team or "")


class PermissionsClient:
    transport: Transport  # the Client's (TYPE_CHECKING import: transport.py imports this module)

    def permissions(self, model: str) -> list[Grant]:
        """Who holds which role on ``model`` (users and teams)."""
        return self.transport.list_grants(model)

    def grant(
        self, model: str, role: Role | str, *, user: str | None = None, team: str | None = None
    ) -> Grant:
        """Give ``user`` or ``team`` ``role`` on ``model``, replacing the role it had there.
        Needs the admin role on the model (or a registry admin)."""
        try:
            wanted = Role(role)
        except ValueError as error:
            choices = ", ".join(r.value for r in Role)
            raise InvalidArgumentError(f"unknown role {role!r}: use {choices}") from error
        return self.transport.grant(model, subject_of(user, team), wanted)

    def revoke(self, model: str, *, user: str | None = None, team: str | None = None) -> None:
        """Take away the role ``user`` or ``team`` holds on ``model`` (nothing when none)."""
        self.transport.revoke(model, subject_of(user, team))


class _JsonCaller(Protocol):
    def _json(self, method: str, path: str, **kwargs: Any) -> Any: ...

    def _request(self, method: str, path: str, **kwargs: Any) -> object: ...


class HttpPermissions:
    def list_grants(self: _JsonCaller, model: str) -> list[Grant]:
        data = self._json("GET", routes.url(routes.MODEL_PERMISSIONS, name=model))
        return [grant_from_json(model, item) for item in data["items"]]

    def grant(self: _JsonCaller, model: str, subject: Subject, role: Role) -> Grant:
        body = {"kind": subject.kind.value, "subject": subject.name, "role": role.value}
        path = routes.url(routes.MODEL_PERMISSIONS, name=model)
        return grant_from_json(model, self._json("PUT", path, json=body))

    def revoke(self: _JsonCaller, model: str, subject: Subject) -> None:
        path = routes.url(routes.MODEL_PERMISSIONS, name=model)
        self._request("DELETE", path, params={subject.kind.value: subject.name})


class EmbeddedPermissions:
    """In-process, the registry runs open (no authentication): whoever holds the files may do
    everything, so grants here only prepare a registry that will later be served with auth."""

    services: Services
    user: str

    def list_grants(self, model: str) -> list[Grant]:
        return self.services.access.list_grants(model)

    def grant(self, model: str, subject: Subject, role: Role) -> Grant:
        return self.services.access.grant(model, subject, role, actor=self.user)

    def revoke(self, model: str, subject: Subject) -> None:
        self.services.access.revoke(model, subject, actor=self.user)


def grant_from_json(model: str, data: dict[str, Any]) -> Grant:
    return Grant(
        model,
        Subject(SubjectKind(data["kind"]), data["subject"]),
        Role(data["role"]),
        data["granted_by"],
        datetime.fromisoformat(data["granted_at"]),
    )
