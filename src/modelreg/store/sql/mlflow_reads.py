"""Models and versions as MLflow shows them (``store/mlflow_reads.py``) on the transaction's
connection: a mixin of ``SqlTransaction``.

These reads answer most calls of an MLflow client, so each runs a fixed, small number of
statements whatever the page size (``mlflow_statements.py``): the version rows with their
MLflow-only fields outer-joined, then one union of their tags and aliases; a search first finds
its page with the registry's own search statement (``search.py``), so it filters (``readable_by``
included), orders and pages as the registry does. They run on the connection, without an ORM
session, because they select columns, not ORM entities: the ORM's per-statement work would
cost more than the database's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from modelreg.domain.entities import Alias, ModelVersion, RegisteredModel
from modelreg.domain.errors import NotFoundError
from modelreg.domain.filters import Query
from modelreg.domain.mlflow_views import MlflowModelView, MlflowVersionView
from modelreg.domain.permissions import Visibility
from modelreg.domain.tracking import VersionExtras
from modelreg.store.sql.mlflow_statements import (
    BY_ALIAS,
    BY_IDS,
    BY_NUMBER,
    KEY_VALUES,
    LATEST,
    LATEST_BY_STAGE,
    MODEL,
    search_statement,
)
from modelreg.store.sql.unit import SqlUnit


class _KeyValues:
    """The rows of one ``KEY_VALUES`` query, by owner."""

    def __init__(self, rows: Sequence[Any]) -> None:
        self.version_tags: dict[int, dict[str, str]] = defaultdict(dict)
        self.version_aliases: dict[int, list[str]] = defaultdict(list)
        self.model_tags: dict[int, dict[str, str]] = defaultdict(dict)
        self.model_aliases: dict[int, dict[str, int]] = defaultdict(dict)
        for kind, owner, key, value, number in rows:
            if kind == "vt":
                self.version_tags[owner][key] = value
            elif kind == "va":
                self.version_aliases[owner].append(key)
            elif kind == "mt":
                self.model_tags[owner][key] = value
            else:
                self.model_aliases[owner][key] = int(number)


class MlflowReadsSql(SqlUnit):
    if TYPE_CHECKING:
        # The registry's own reads, which raise the precise not-found errors.
        def get_version(self, model_name: str, version: int) -> ModelVersion: ...

        def get_latest_version(self, model_name: str) -> ModelVersion: ...

        def get_alias(self, model_name: str, alias: str) -> Alias: ...

        def get_model(self, name: str) -> RegisteredModel: ...

    def mlflow_version(self, model_name: str, version: int) -> MlflowVersionView:
        parameters = {"name": model_name, "version": version}
        return _one(self.core, BY_NUMBER, parameters, lambda: self.get_version(model_name, version))

    def mlflow_version_by_alias(self, model_name: str, alias: str) -> MlflowVersionView:
        parameters = {"name": model_name, "alias": alias}
        return _one(self.core, BY_ALIAS, parameters, lambda: self.get_alias(model_name, alias))

    def mlflow_latest_version(self, model_name: str) -> MlflowVersionView:
        return _one(
            self.core, LATEST, {"name": model_name}, lambda: self.get_latest_version(model_name)
        )

    def mlflow_latest_by_stage(
        self, model_names: Sequence[str]
    ) -> dict[str, list[MlflowVersionView]]:
        if not model_names:
            return {}
        rows = _rows(self.core, LATEST_BY_STAGE, {"names": sorted(set(model_names))})
        found: dict[str, list[MlflowVersionView]] = defaultdict(list)
        for view in _views(self.core, rows):
            found[view.model_name].append(view)
        return dict(found)

    def mlflow_model(self, name: str) -> MlflowModelView:
        rows = _found(self.core, MODEL, {"name": name}, lambda: self.get_model(name))
        return _model_views(self.core, rows)[0]

    def mlflow_search_versions(
        self, query: Query, *, offset: int, limit: int, readable_by: Visibility | None = None
    ) -> list[MlflowVersionView]:
        statement = search_statement("versions", repr(query), query, readable_by)
        ids = [row[0] for row in _rows(self.core, statement, {"offset": offset, "limit": limit})]
        rows = _rows(self.core, BY_IDS, {"ids": ids}) if ids else []
        found = dict(zip((row[0] for row in rows), _views(self.core, rows), strict=True))
        # On PostgreSQL a version deleted since the first statement is simply left out.
        return [found[view_id] for view_id in ids if view_id in found]

    def mlflow_search_models(
        self, query: Query, *, offset: int, limit: int, readable_by: Visibility | None = None
    ) -> list[MlflowModelView]:
        statement = search_statement("models", repr(query), query, readable_by)
        rows = _rows(self.core, statement, {"offset": offset, "limit": limit})
        return _model_views(self.core, rows)


# -- helpers (functions, not methods: the mixins of ``SqlTransaction`` share one namespace) -----


def _rows(core: Connection, statement: Any, parameters: Mapping[str, Any]) -> Sequence[Any]:
    return core.execute(statement, dict(parameters)).all()


def _found(
    core: Connection, statement: Any, parameters: Mapping[str, Any], lookup: Callable[[], object]
) -> Sequence[Any]:
    """The rows of a read that names one thing. When there are none, ``lookup`` (the registry's
    own read) raises its precise error: missing model, version or alias."""
    rows = _rows(core, statement, parameters)
    if not rows:
        lookup()
        # It exists after all: created meanwhile (PostgreSQL reads what others committed).
        rows = _rows(core, statement, parameters)
        if not rows:
            raise NotFoundError(f"model {parameters['name']!r} changed while it was read")
    return rows


def _one(
    core: Connection, statement: Any, parameters: Mapping[str, Any], lookup: Callable[[], object]
) -> MlflowVersionView:
    return _views(core, _found(core, statement, parameters, lookup))[0]


def _views(
    core: Connection, rows: Sequence[Any], key_values: _KeyValues | None = None
) -> list[MlflowVersionView]:
    if not rows:
        return []
    if key_values is None:
        key_values = _key_values_of(core, version_ids=[row[0] for row in rows])
    return [_view(row, key_values) for row in rows]


def _model_views(core: Connection, rows: Sequence[Any]) -> list[MlflowModelView]:
    if not rows:
        return []
    latest = _rows(core, LATEST_BY_STAGE, {"names": sorted({row[1] for row in rows})})
    key_values = _key_values_of(
        core, version_ids=[row[0] for row in latest], model_ids=[row[0] for row in rows]
    )
    by_model: dict[str, list[MlflowVersionView]] = defaultdict(list)
    for view in _views(core, latest, key_values):
        by_model[view.model_name].append(view)
    return [
        MlflowModelView(
            name=name,
            description=description,
            owner=owner,
            # Sorted as ``SqlTransaction._models`` sorts them.
            tags=dict(sorted(key_values.model_tags[model_id].items())),
            created_at=created_at,
            updated_at=updated_at,
            aliases=dict(sorted(key_values.model_aliases[model_id].items())),
            latest_versions=tuple(by_model[name]),
        )
        for model_id, name, description, owner, created_at, updated_at in rows
    ]


def _key_values_of(
    core: Connection, *, version_ids: Sequence[int] = (), model_ids: Sequence[int] = ()
) -> _KeyValues:
    parameters = {"version_ids": list(version_ids), "model_ids": list(model_ids)}
    return _KeyValues(_rows(core, KEY_VALUES, parameters))


def _view(row: Any, key_values: _KeyValues) -> MlflowVersionView:
    (version_id, name, number, status, description, created_by, created_at, run_id) = row[:8]
    extras_id, stage, source, run_link, logged_model_id, updated_at = row[8:]
    extras = (
        VersionExtras()
        if extras_id is None
        else VersionExtras(stage, source, run_link, logged_model_id)
    )
    return MlflowVersionView(
        model_name=name,
        version=number,
        status=status,
        description=description,
        created_by=created_by,
        created_at=created_at,
        updated_at=updated_at,
        run_id=run_id,
        tags=key_values.version_tags[version_id],
        aliases=tuple(key_values.version_aliases[version_id]),
        extras=extras,
    )
