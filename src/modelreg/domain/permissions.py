"""What each role may do: the one table behind every permission check (``docs/permissions.md``).

Three kinds of action:

* **model actions** need a role on the model (``MODEL_ROLE``): reader < writer < maintainer <
  admin, each including the ones before it;
* **registry actions** need only an authenticated caller (``ANY_CALLER``): searching (the
  results are filtered to readable models), creating a new model, experiment tracking;
* **registry-admin actions** (``ADMIN_ONLY``): webhooks, policies, the whole audit trail,
  accounts.

Every action also needs a token scope (``SCOPE``), whatever the role. Registry admins hold every
role on every model; ``open_mode`` (no authentication) allows everything. Pure: no storage.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from modelreg.domain.access import Principal, Role, Scope


class Action(StrEnum):
    # model actions
    READ = "read"  # model, versions, files, aliases, history, deployments, evaluations, grants
    PUSH = "push"  # a new version (the first push of a new name needs CREATE_MODEL instead)
    UPDATE = "update"  # description, owner and tags of the model and its versions
    RECORD = "record"  # deployments, evaluations, model cards
    REQUEST_PROMOTION = "request_promotion"
    SET_ALIAS = "set_alias"  # set or delete an alias; MLflow stage transitions
    APPROVE_PROMOTION = "approve_promotion"  # approve or reject
    ARCHIVE = "archive"  # archive or restore a version
    DELETE_VERSION = "delete_version"
    RELEASE_QUARANTINE = "release_quarantine"  # release (or revoke) a version's scan quarantine
    OVERRIDE_QUARANTINE = "override_quarantine"  # download a flagged file no release covers
    RENAME_MODEL = "rename_model"
    DELETE_MODEL = "delete_model"
    MANAGE_PERMISSIONS = "manage_permissions"  # grant and revoke roles on the model
    # registry actions
    SEARCH = "search"
    CREATE_MODEL = "create_model"
    TRACK = "track"  # read experiments and runs
    LOG = "log"  # create and change experiments, runs and their artifacts
    # registry-admin actions
    MANAGE_WEBHOOKS = "manage_webhooks"
    MANAGE_POLICIES = "manage_policies"
    READ_AUDIT = "read_audit"
    MANAGE_ACCOUNTS = "manage_accounts"
    MANAGE_STORAGE = "manage_storage"  # garbage collection, storage report, retention


MODEL_ROLE: dict[Action, Role] = {
    Action.READ: Role.READER,
    Action.PUSH: Role.WRITER,
    Action.UPDATE: Role.WRITER,
    Action.RECORD: Role.WRITER,
    Action.REQUEST_PROMOTION: Role.WRITER,
    Action.SET_ALIAS: Role.MAINTAINER,
    Action.APPROVE_PROMOTION: Role.MAINTAINER,
    Action.ARCHIVE: Role.MAINTAINER,
    Action.DELETE_VERSION: Role.MAINTAINER,
    Action.RELEASE_QUARANTINE: Role.MAINTAINER,
    # The override is a release for one download, without the review: it needs what a release
    # needs, or it would be the cheaper way around the review (docs/scanning.md).
    Action.OVERRIDE_QUARANTINE: Role.MAINTAINER,
    Action.RENAME_MODEL: Role.ADMIN,
    Action.DELETE_MODEL: Role.ADMIN,
    Action.MANAGE_PERMISSIONS: Role.ADMIN,
}
ANY_CALLER = frozenset({Action.SEARCH, Action.CREATE_MODEL, Action.TRACK, Action.LOG})
ADMIN_ONLY = frozenset(
    {
        Action.MANAGE_WEBHOOKS,
        Action.MANAGE_POLICIES,
        Action.READ_AUDIT,
        Action.MANAGE_ACCOUNTS,
        Action.MANAGE_STORAGE,
    }
)
SCOPE: dict[Action, Scope] = {
    Action.READ: Scope.READ,
    Action.PUSH: Scope.WRITE,
    Action.UPDATE: Scope.WRITE,
    Action.RECORD: Scope.WRITE,
    Action.REQUEST_PROMOTION: Scope.WRITE,
    Action.SET_ALIAS: Scope.WRITE,
    Action.APPROVE_PROMOTION: Scope.WRITE,
    Action.ARCHIVE: Scope.WRITE,
    Action.DELETE_VERSION: Scope.WRITE,
    Action.RELEASE_QUARANTINE: Scope.WRITE,
    Action.OVERRIDE_QUARANTINE: Scope.WRITE,
    Action.RENAME_MODEL: Scope.WRITE,
    Action.DELETE_MODEL: Scope.WRITE,
    Action.MANAGE_PERMISSIONS: Scope.ADMIN,
    Action.SEARCH: Scope.READ,
    Action.CREATE_MODEL: Scope.WRITE,
    Action.TRACK: Scope.READ,
    Action.LOG: Scope.WRITE,
    Action.MANAGE_WEBHOOKS: Scope.ADMIN,
    Action.MANAGE_POLICIES: Scope.ADMIN,
    Action.READ_AUDIT: Scope.READ,
    Action.MANAGE_ACCOUNTS: Scope.ADMIN,
    Action.MANAGE_STORAGE: Scope.ADMIN,
}


def is_model_action(action: Action) -> bool:
    return action in MODEL_ROLE


@dataclass(frozen=True, slots=True)
class Verdict:
    """The answer of ``allowed``; truthy when allowed. When refused, ``missing_role``,
    ``missing_scope`` or ``needs_admin`` says what was lacking, and ``reason`` says it in words."""

    allowed: bool
    reason: str
    missing_role: Role | None = None
    missing_scope: Scope | None = None
    needs_admin: bool = False

    def __bool__(self) -> bool:
        return self.allowed


def allowed(principal: Principal, role_on_model: Role | None, action: Action) -> Verdict:
    """May ``principal``, holding ``role_on_model`` (None: no role) on the model concerned, do
    ``action``? For registry actions ``role_on_model`` is ignored."""
    if principal.open_mode:
        return Verdict(True, "the registry runs without authentication")
    scope = SCOPE[action]
    if not principal.has_scope(scope):
        return Verdict(
            False,
            f"{action.value} needs a token with the {scope.value!r} scope",
            missing_scope=scope,
        )
    if principal.admin:
        return Verdict(True, "registry admins may do everything")
    if action in ADMIN_ONLY:
        return Verdict(False, f"{action.value} needs a registry admin", needs_admin=True)
    if action in ANY_CALLER:
        return Verdict(True, f"every authenticated caller may {action.value}")
    needed = MODEL_ROLE[action]
    if role_on_model is not None and role_on_model.includes(needed):
        return Verdict(True, f"{role_on_model.value} includes {needed.value}")
    held = "no role" if role_on_model is None else f"the {role_on_model.value} role"
    return Verdict(
        False,
        f"{action.value} needs the {needed.value} role on the model (you have {held})",
        missing_role=needed,
    )


def allowed_actions(role: Role) -> frozenset[Action]:
    """Model actions ``role`` allows (the rows of the table in docs/permissions.md)."""
    return frozenset(action for action, needed in MODEL_ROLE.items() if role.includes(needed))


# -- grants -------------------------------------------------------------------------------------


class SubjectKind(StrEnum):
    USER = "user"  # a user or a service account, by name
    TEAM = "team"


@dataclass(frozen=True, slots=True)
class Subject:
    kind: SubjectKind
    name: str

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.name}"


@dataclass(frozen=True, slots=True)
class Grant:
    """``subject`` holds ``role`` on ``model_name``."""

    model_name: str
    subject: Subject
    role: Role
    granted_by: str
    granted_at: datetime


def subjects_of(principal: Principal) -> frozenset[Subject]:
    """Whom grants name when they name ``principal``: the user and each of their teams."""
    return frozenset(
        {Subject(SubjectKind.USER, principal.name)}
        | {Subject(SubjectKind.TEAM, team) for team in principal.teams}
    )


def effective_role(grants: Iterable[Grant], principal: Principal) -> Role | None:
    """The highest role any grant gives ``principal`` (directly or through a team)."""
    if principal.admin or principal.open_mode:
        return Role.ADMIN
    mine = subjects_of(principal)
    roles = [grant.role for grant in grants if grant.subject in mine]
    return max(roles, key=lambda role: role.rank, default=None)


@dataclass(frozen=True, slots=True)
class Visibility:
    """The models a search may return: those with a grant to ``user`` or one of ``teams``."""

    user: str
    teams: frozenset[str] = frozenset()
