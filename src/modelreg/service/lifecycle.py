"""Archiving and restoring versions. An archived version keeps its files and stays reachable
as ``NAME/VERSION``, but default listings, searches and ``latest`` leave it out."""

from __future__ import annotations

from modelreg.domain.entities import Event, ModelVersion
from modelreg.domain.errors import ConflictError
from modelreg.domain.rules import DEFAULT_LIMITS, Limits, validate_model_name
from modelreg.service.clock import Clock, utcnow
from modelreg.store.base import MetadataStore


class Lifecycle:
    def __init__(
        self, store: MetadataStore, *, limits: Limits = DEFAULT_LIMITS, clock: Clock = utcnow
    ) -> None:
        self.store = store
        self.limits = limits
        self.clock = clock

    def archive_version(self, name: str, version: int, *, actor: str) -> ModelVersion:
        """Archive a version; refused while any alias points at it (aliases must move first).
        Archiving an archived version changes nothing."""
        validate_model_name(name, self.limits)
        now = self.clock()
        with self.store.transaction(write=True) as tx:
            tx.lock_model(name)  # orders this against a concurrent set_alias
            current = tx.get_version(name, version)
            if current.aliases:
                raise ConflictError(
                    f"{current.ref} is the target of alias(es) {', '.join(current.aliases)}: "
                    "aliases must move first",
                    model=name,
                    version=version,
                    aliases=list(current.aliases),
                )
            if current.archived_at is not None:
                return current
            archived = tx.set_version_archived(name, version, archived_at=now, actor=actor, now=now)
            tx.add_event(
                Event(
                    name,
                    "version.archived",
                    actor,
                    now,
                    version,
                    before={"archived": False},
                    after={"archived": True},
                )
            )
        return archived

    def restore_version(self, name: str, version: int, *, actor: str) -> ModelVersion:
        """Bring an archived version back into listings and search; a live one is unchanged."""
        validate_model_name(name, self.limits)
        now = self.clock()
        with self.store.transaction(write=True) as tx:
            tx.lock_model(name)
            current = tx.get_version(name, version)
            if current.archived_at is None:
                return current
            restored = tx.set_version_archived(name, version, archived_at=None, actor=None, now=now)
            tx.add_event(
                Event(
                    name,
                    "version.restored",
                    actor,
                    now,
                    version,
                    before={"archived": True, "archived_at": current.archived_at.isoformat()},
                    after={"archived": False},
                )
            )
        return restored
