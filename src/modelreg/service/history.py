"""Point-in-time answers: what a reference resolved to at a past moment, from the alias history.

An alias change takes effect at its timestamp: asked exactly at the moment of a move, the answer
is the version it moved to. Before the alias first existed, or after it was removed, there is no
answer (``AliasNotFoundError``).
"""

from __future__ import annotations

from datetime import datetime

from modelreg.domain.entities import ModelVersion, Page, VersionStatus
from modelreg.domain.errors import (
    AliasNotFoundError,
    InvalidArgumentError,
    VersionNotFoundError,
)
from modelreg.domain.filters import BoolOp, Comparison, Field, OrderItem, Query
from modelreg.domain.records import AliasChange
from modelreg.domain.rules import ModelRef, validate_alias_name, validate_model_name
from modelreg.service.pagination import check_page_size, decode_cursor, encode_cursor, fingerprint
from modelreg.store.base import MetadataStore, MetadataTransaction

_CANDIDATES = 50


class AliasHistory:
    """Reading the alias history (it is written by the store on every set, move and removal)."""

    def __init__(self, store: MetadataStore) -> None:
        self.store = store

    def list_changes(
        self,
        name: str,
        alias: str | None = None,
        *,
        cursor: str | None = None,
        limit: int = 100,
    ) -> Page[AliasChange]:
        """Changes of ``alias`` (of every alias when None) of model ``name``, newest first."""
        validate_model_name(name)
        if alias is not None:
            validate_alias_name(alias)
        check_page_size(limit)
        key = fingerprint("alias-history", name, alias)
        offset = decode_cursor(cursor, key)
        with self.store.transaction() as tx:
            found = tx.list_alias_history(name, alias, offset=offset, limit=limit + 1)
        if len(found) > limit:
            return Page(tuple(found[:limit]), encode_cursor(offset + limit, key))
        return Page(tuple(found))


def check_moment(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise InvalidArgumentError(
            "a point in time must include its time zone, e.g. 2026-03-01T12:00:00Z", field="at"
        )
    return moment


def resolve_at(tx: MetadataTransaction, target: ModelRef, moment: datetime) -> ModelVersion:
    """``target`` as it resolved at ``moment``."""
    name = target.name
    stamp = moment.isoformat()
    if target.alias is not None:
        change = tx.alias_at(name, target.alias, moment)
        if change is None:
            raise AliasNotFoundError(
                f"model {name!r} had no alias {target.alias!r} at {stamp}",
                model=name,
                alias=target.alias,
            )
        if change.version is None:
            raise AliasNotFoundError(
                f"alias {target.alias!r} of {name!r} had been removed at {change.at.isoformat()} "
                f"(asked for {stamp})",
                model=name,
                alias=target.alias,
            )
        try:
            return tx.get_version(name, change.version)
        except VersionNotFoundError as error:
            raise VersionNotFoundError(
                f"{name}@{target.alias} pointed at version {change.version} at {stamp}; that "
                "version has since been deleted",
                model=name,
                version=change.version,
            ) from error
    if target.version is not None:
        found = tx.get_version(name, target.version)
        if found.created_at > moment:
            raise VersionNotFoundError(
                f"version {target.version} of {name!r} did not exist yet at {stamp}",
                model=name,
                version=target.version,
            )
        return found
    return _latest_at(tx, name, moment)


def _latest_at(tx: MetadataTransaction, name: str, moment: datetime) -> ModelVersion:
    """The highest READY version that existed at ``moment`` and was not archived then."""
    tx.get_model(name)
    query = Query(
        where=BoolOp(
            "AND",
            (
                Comparison(Field("attr", "name"), "=", name),
                Comparison(Field("attr", "status"), "=", VersionStatus.READY.value),
                Comparison(Field("attr", "created_at"), "<=", moment.isoformat()),
            ),
        ),
        order_by=(OrderItem(Field("attr", "version"), descending=True),),
    )
    offset = 0
    while True:
        candidates = tx.search_versions(query, offset=offset, limit=_CANDIDATES)
        for version in candidates:
            if version.archived_at is None or version.archived_at > moment:
                return version
        if len(candidates) < _CANDIDATES:
            raise VersionNotFoundError(
                f"model {name!r} had no versions at {moment.isoformat()}", model=name
            )
        offset += _CANDIDATES
