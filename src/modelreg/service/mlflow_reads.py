"""Reads of MLflow's registry API: models and versions as MLflow shows them
(``domain/mlflow_views.py``), one short transaction each.

They answer what ``Registry`` and ``Stages`` answer for the same calls (same errors, same
filters, visibility, order and page cursors) without loading what MLflow never shows, which
is most of the work of the registry's general version reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from modelreg.domain.entities import Page, RegisteredModel
from modelreg.domain.filters import Query, Target, parse_query
from modelreg.domain.mlflow_views import MlflowModelView, MlflowVersionView, model_view
from modelreg.domain.permissions import Visibility
from modelreg.domain.tracking import Stage, canonical_stage
from modelreg.service.pagination import search_page
from modelreg.service.registry import live_unless
from modelreg.store.base import MetadataStore, MetadataTransaction

T = TypeVar("T")


class MlflowReads:
    def __init__(self, store: MetadataStore) -> None:
        self.store = store

    def version(self, name: str, number: int) -> MlflowVersionView:
        with self.store.transaction() as tx:
            return tx.mlflow_version(name, number)

    def version_by_alias(self, name: str, alias: str) -> MlflowVersionView:
        """The version ``alias`` names; ``latest`` (any case) is the highest version."""
        with self.store.transaction() as tx:
            if alias.lower() == "latest":
                return tx.mlflow_latest_version(name)
            return tx.mlflow_version_by_alias(name, alias)

    def latest_versions(self, name: str, stages: Sequence[str] = ()) -> list[MlflowVersionView]:
        """The highest version in each of ``stages`` (every stage when empty), highest first."""
        wanted = {canonical_stage(stage) for stage in stages} or set(Stage)
        with self.store.transaction() as tx:
            latest = tx.mlflow_latest_by_stage([name]).get(name, [])
            if not latest:
                tx.get_model(name)  # an unknown model is an error, not an empty list
        return [view for view in latest if view.extras.stage in wanted]

    def model(self, name: str) -> MlflowModelView:
        with self.store.transaction() as tx:
            return tx.mlflow_model(name)

    def model_of(self, model: RegisteredModel) -> MlflowModelView:
        """The view of a model a write just returned, with its latest versions as they are now."""
        with self.store.transaction() as tx:
            latest = tx.mlflow_latest_by_stage([model.name]).get(model.name, [])
        return model_view(model, latest)

    def search_versions(
        self,
        filter: str = "",
        *,
        cursor: str | None = None,
        limit: int = 100,
        readable_by: Visibility | None = None,
    ) -> Page[MlflowVersionView]:
        """``Registry.search_versions`` (archived versions only when the filter names
        ``archived``), as views; its cursors and these are interchangeable."""
        query = live_unless(parse_query(filter, Target.VERSIONS), False)

        def run(
            tx: MetadataTransaction, q: Query, offset: int, size: int
        ) -> list[MlflowVersionView]:
            return tx.mlflow_search_versions(q, offset=offset, limit=size, readable_by=readable_by)

        return search_page(self.store, query, ("versions", filter), cursor, limit, run)

    def search_models(
        self,
        filter: str = "",
        *,
        cursor: str | None = None,
        limit: int = 100,
        readable_by: Visibility | None = None,
    ) -> Page[MlflowModelView]:
        """``Registry.search_models`` as views, each with its latest versions per stage."""
        query = parse_query(filter, Target.MODELS)

        def run(tx: MetadataTransaction, q: Query, offset: int, size: int) -> list[MlflowModelView]:
            return tx.mlflow_search_models(q, offset=offset, limit=size, readable_by=readable_by)

        return search_page(self.store, query, ("models", filter), cursor, limit, run)
