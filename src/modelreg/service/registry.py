"""Use cases for models, versions, aliases, search and history: one transaction each."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TypeVar

from modelreg.domain.entities import (
    Alias,
    Event,
    ModelVersion,
    Page,
    RegisteredModel,
)
from modelreg.domain.errors import InvalidArgumentError
from modelreg.domain.filters import (
    BoolOp,
    Comparison,
    Field,
    OrderItem,
    Query,
    Target,
    mentions,
    parse_query,
)
from modelreg.domain.permissions import Visibility
from modelreg.domain.rules import (
    DEFAULT_LIMITS,
    Limits,
    ModelRef,
    parse_ref,
    validate_alias_name,
    validate_description,
    validate_key,
    validate_model_name,
    validate_tags,
)
from modelreg.service.access import grant_creator
from modelreg.service.clock import Clock, utcnow
from modelreg.service.history import check_moment, resolve_at
from modelreg.service.pagination import (
    check_page_size,
    decode_cursor,
    encode_cursor,
    fingerprint,
    search_page,
)
from modelreg.service.policies import (
    enforce_model_name,
    guard_alias_change,
    guard_deletion,
)
from modelreg.store.base import MetadataStore, MetadataTransaction

T = TypeVar("T")


class Registry:
    """The registry's metadata use cases. The server, the SDK's embedded mode and the CLI all
    call these, so they behave the same everywhere."""

    def __init__(
        self,
        store: MetadataStore,
        *,
        limits: Limits = DEFAULT_LIMITS,
        clock: Clock = utcnow,
    ) -> None:
        self.store = store
        self.limits = limits
        self.clock = clock

    # -- models ------------------------------------------------------------------------------

    def create_model(
        self,
        name: str,
        *,
        actor: str,
        description: str = "",
        owner: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> RegisteredModel:
        validate_model_name(name, self.limits)
        validate_description(description, self.limits)
        clean_tags = validate_tags(tags or {}, self.limits)
        now = self.clock()
        with self.store.transaction(write=True) as tx:
            enforce_model_name(tx, name)
            model = tx.create_model(
                name, description=description, owner=owner, tags=clean_tags, now=now
            )
            grant_creator(tx, name, actor, now)
            tx.add_event(
                Event(
                    name,
                    "model.created",
                    actor,
                    now,
                    after={"description": description, "owner": owner, "tags": clean_tags},
                )
            )
        return model

    def get_model(self, name: str) -> RegisteredModel:
        with self.store.transaction() as tx:
            return tx.get_model(name)

    def update_model(
        self,
        name: str,
        *,
        actor: str,
        description: str | None = None,
        owner: str | None = None,
        set_tags: Mapping[str, str] | None = None,
        delete_tags: Sequence[str] = (),
    ) -> RegisteredModel:
        if description is not None:
            validate_description(description, self.limits)
        clean_tags = validate_tags(set_tags or {}, self.limits)
        for key in delete_tags:
            validate_key(key, "tag", self.limits)
        now = self.clock()
        with self.store.transaction(write=True) as tx:
            before = tx.get_model(name)
            after = tx.update_model(
                name,
                now=now,
                description=description,
                owner=owner,
                set_tags=clean_tags,
                delete_tags=tuple(delete_tags),
            )
            change = _model_change(before, after)
            old, new = _before_after(change)
            tx.add_event(
                Event(name, "model.updated", actor, now, details=change, before=old, after=new)
            )
        return after

    def rename_model(self, name: str, new_name: str, *, actor: str) -> RegisteredModel:
        """Give a model a new name; its versions, aliases and tags go with it."""
        validate_model_name(new_name, self.limits)
        now = self.clock()
        with self.store.transaction(write=True) as tx:
            tx.get_model(name)
            enforce_model_name(tx, new_name)
            model = tx.rename_model(name, new_name, now=now)
            tx.add_event(
                Event(
                    new_name,
                    "model.renamed",
                    actor,
                    now,
                    details={"from": name, "to": new_name},
                    before={"name": name},
                    after={"name": new_name},
                )
            )
        return model

    def delete_model(self, name: str, *, actor: str) -> None:
        now = self.clock()
        with self.store.transaction(write=True) as tx:
            guard_deletion(tx, name, None)
            model = tx.get_model(name)
            _remove_aliases(tx, name, model.aliases, actor=actor, now=now)
            tx.delete_model(name)
            tx.add_event(
                Event(
                    name,
                    "model.deleted",
                    actor,
                    now,
                    before={"aliases": dict(model.aliases), "latest_version": model.latest_version},
                )
            )

    def search_models(
        self,
        filter: str = "",
        *,
        cursor: str | None = None,
        limit: int = 100,
        readable_by: Visibility | None = None,
    ) -> Page[RegisteredModel]:
        """Models matching ``filter``; with ``readable_by`` only those that caller may read
        (``AccessControl.visibility``)."""
        query = parse_query(filter, Target.MODELS)

        def run(tx: MetadataTransaction, q: Query, offset: int, size: int) -> list[RegisteredModel]:
            return tx.search_models(q, offset=offset, limit=size, readable_by=readable_by)

        return search_page(self.store, query, ("models", filter), cursor, limit, run)

    # -- versions ----------------------------------------------------------------------------

    def get_version(self, name: str, version: int) -> ModelVersion:
        with self.store.transaction() as tx:
            return tx.get_version(name, version)

    def resolve(self, ref: str | ModelRef, *, at: datetime | None = None) -> ModelVersion:
        """``NAME``, ``NAME/VERSION``, ``NAME@ALIAS`` (``@latest`` too) to a version; with
        ``at``, to the version it resolved to at that moment (``service/history.py``)."""
        target = parse_ref(ref) if isinstance(ref, str) else ref
        with self.store.transaction() as tx:
            if at is not None:
                return resolve_at(tx, target, check_moment(at))
            if target.version is not None:
                return tx.get_version(target.name, target.version)
            if target.alias is not None:
                alias = tx.get_alias(target.name, target.alias)
                return tx.get_version(target.name, alias.version)
            return tx.get_latest_version(target.name)

    def list_versions(
        self,
        name: str,
        *,
        cursor: str | None = None,
        limit: int = 100,
        include_archived: bool = False,
    ) -> Page[ModelVersion]:
        """Versions of ``name``, newest first; archived ones only when asked for."""
        validate_model_name(name, self.limits)
        with self.store.transaction() as tx:
            tx.get_model(name)  # an unknown model is an error, not an empty list
        query = live_unless(
            Query(
                where=Comparison(Field("attr", "name"), "=", name),
                order_by=(OrderItem(Field("attr", "version"), descending=True),),
                limit=None,
            ),
            include_archived,
        )
        identity = ("versions-of" + ("+archived" if include_archived else ""), name)
        return search_page(self.store, query, identity, cursor, limit, _search_versions)

    def search_versions(
        self,
        filter: str = "",
        *,
        cursor: str | None = None,
        limit: int = 100,
        include_archived: bool = False,
        readable_by: Visibility | None = None,
    ) -> Page[ModelVersion]:
        """Versions matching ``filter``; archived ones only when the filter names ``archived``
        or ``include_archived`` is set; with ``readable_by`` only of models that caller may read."""
        query = live_unless(parse_query(filter, Target.VERSIONS), include_archived)
        identity = ("versions" + ("+archived" if include_archived else ""), filter)

        def run(tx: MetadataTransaction, q: Query, offset: int, size: int) -> list[ModelVersion]:
            return tx.search_versions(q, offset=offset, limit=size, readable_by=readable_by)

        return search_page(self.store, query, identity, cursor, limit, run)

    def update_version(
        self,
        name: str,
        version: int,
        *,
        actor: str,
        description: str | None = None,
        set_tags: Mapping[str, str] | None = None,
        delete_tags: Sequence[str] = (),
    ) -> ModelVersion:
        """Change a version's description and tags; its files, params and metrics never change."""
        if description is not None:
            validate_description(description, self.limits)
        clean_tags = validate_tags(set_tags or {}, self.limits)
        for key in delete_tags:
            validate_key(key, "tag", self.limits)
        now = self.clock()
        with self.store.transaction(write=True) as tx:
            before = tx.get_version(name, version)
            after = tx.update_version(
                name,
                version,
                now=now,
                description=description,
                set_tags=clean_tags,
                delete_tags=tuple(delete_tags),
            )
            change = _changes(
                {"description": before.description, **_prefixed(before.tags)},
                {"description": after.description, **_prefixed(after.tags)},
            )
            old, new = _before_after(change)
            tx.add_event(
                Event(name, "version.updated", actor, now, version, change, before=old, after=new)
            )
        return after

    def delete_version(self, name: str, version: int, *, actor: str) -> None:
        """Delete a version and its aliases; its number is never handed out again."""
        now = self.clock()
        with self.store.transaction(write=True) as tx:
            removed = tx.get_version(name, version)
            guard_deletion(tx, name, version)
            _remove_aliases(tx, name, dict.fromkeys(removed.aliases, version), actor=actor, now=now)
            tx.delete_version(name, version)
            tx.add_event(
                Event(
                    name,
                    "version.deleted",
                    actor,
                    now,
                    version,
                    {"aliases": list(removed.aliases)},
                    before={"files": len(removed.files), "aliases": list(removed.aliases)},
                )
            )

    # -- aliases -----------------------------------------------------------------------------

    def set_alias(self, name: str, alias: str, version: int, *, actor: str) -> Alias:
        validate_alias_name(alias)
        now = self.clock()
        with self.store.transaction(write=True) as tx:
            guard_alias_change(tx, name, alias)
            tx.lock_model(name)  # orders this against archiving the target version
            previous = tx.set_alias(name, alias, version, actor=actor, now=now)
            tx.add_event(
                Event(
                    name,
                    "alias.set",
                    actor,
                    now,
                    version,
                    {"alias": alias, "from": previous, "to": version},
                    target=f"alias:{name}@{alias}",
                    before=None if previous is None else {"version": previous},
                    after={"version": version},
                )
            )
            return tx.get_alias(name, alias)

    def delete_alias(self, name: str, alias: str, *, actor: str) -> None:
        validate_alias_name(alias)
        now = self.clock()
        with self.store.transaction(write=True) as tx:
            guard_alias_change(tx, name, alias)
            version = tx.delete_alias(name, alias, actor=actor, now=now)
            tx.add_event(
                Event(
                    name,
                    "alias.deleted",
                    actor,
                    now,
                    version,
                    {"alias": alias},
                    target=f"alias:{name}@{alias}",
                    before={"version": version},
                )
            )

    def get_alias(self, name: str, alias: str) -> Alias:
        with self.store.transaction() as tx:
            return tx.get_alias(name, alias)

    # -- history -----------------------------------------------------------------------------

    def list_events(self, name: str, *, cursor: str | None = None, limit: int = 100) -> Page[Event]:
        check_page_size(limit)
        key = fingerprint("events", name)
        offset = decode_cursor(cursor, key)
        with self.store.transaction() as tx:
            events = tx.list_events(name, offset=offset, limit=limit + 1)
            if not events and offset == 0:
                tx.get_model(name)
        return _paged(events, offset, limit, key)

    # -- helpers -----------------------------------------------------------------------------


def _search_versions(
    tx: MetadataTransaction, query: Query, offset: int, limit: int
) -> list[ModelVersion]:
    return tx.search_versions(query, offset=offset, limit=limit)


def _paged(items: Sequence[T], offset: int, limit: int, key: str) -> Page[T]:
    """``items`` was fetched with one extra row to learn whether another page exists."""
    if len(items) > limit:
        return Page(tuple(items[:limit]), encode_cursor(offset + limit, key))
    return Page(tuple(items))


def _prefixed(tags: Mapping[str, str]) -> dict[str, str]:
    return {f"tags.{key}": value for key, value in tags.items()}


def _changes(before: Mapping[str, object], after: Mapping[str, object]) -> dict[str, object]:
    """Before/after values of every key that changed, for the history."""
    keys = sorted(set(before) | set(after))
    return {
        key: {"from": before.get(key), "to": after.get(key)}
        for key in keys
        if before.get(key) != after.get(key)
    }


def _before_after(changes: Mapping[str, object]) -> tuple[dict[str, object], dict[str, object]]:
    """The before and after values of a ``_changes`` result, for the audit trail."""
    before: dict[str, object] = {}
    after: dict[str, object] = {}
    for key, change in changes.items():
        if isinstance(change, Mapping):
            before[key], after[key] = change["from"], change["to"]
    return before, after


def _remove_aliases(
    tx: MetadataTransaction,
    name: str,
    aliases: Mapping[str, int],
    *,
    actor: str,
    now: datetime,
) -> None:
    """Remove aliases before their version (or model) goes, so the alias history and the audit
    trail record the removal as a removal."""
    for alias, version in aliases.items():
        tx.delete_alias(name, alias, actor=actor, now=now)
        tx.add_event(
            Event(
                name,
                "alias.deleted",
                actor,
                now,
                version,
                {"alias": alias, "cascade": True},
                target=f"alias:{name}@{alias}",
                before={"version": version},
            )
        )


def live_unless(query: Query, include_archived: bool) -> Query:
    """``query`` restricted to versions that are not archived, unless the caller includes them
    or the filter already says something about ``archived``."""
    archived = Field("attr", "archived")
    if include_archived or mentions(query.where, archived):
        return query
    live = Comparison(archived, "=", False)
    where = live if query.where is None else BoolOp("AND", (query.where, live))
    return Query(where=where, order_by=query.order_by, limit=query.limit)


def _model_change(before: RegisteredModel, after: RegisteredModel) -> dict[str, object]:
    return _changes(
        {"description": before.description, "owner": before.owner, **_prefixed(before.tags)},
        {"description": after.description, "owner": after.owner, **_prefixed(after.tags)},
    )


def require_positive(version: int) -> int:
    if version < 1:
        raise InvalidArgumentError("version numbers start at 1", field="version")
    return version
