"""Port for reading models and versions as MLflow shows them (part of ``MetadataTransaction``).

Each read loads the views of ``domain/mlflow_views.py`` in a few statements whatever the page
size, leaving out the files, params and metrics MLflow never shows. Same contract as
``store/base.py``: nothing commits on its own; missing things raise the domain's
``NotFoundError`` subclasses with the same messages as the registry's own reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from modelreg.domain.filters import Query
from modelreg.domain.mlflow_views import MlflowModelView, MlflowVersionView
from modelreg.domain.permissions import Visibility


class MlflowReadRepository(Protocol):
    def mlflow_version(self, model_name: str, version: int) -> MlflowVersionView: ...

    def mlflow_version_by_alias(self, model_name: str, alias: str) -> MlflowVersionView:
        """The version a stored alias points at (``AliasNotFoundError`` when there is none)."""

    def mlflow_latest_version(self, model_name: str) -> MlflowVersionView:
        """The highest READY version that is not archived, as ``get_latest_version``."""

    def mlflow_latest_by_stage(
        self, model_names: Sequence[str]
    ) -> dict[str, list[MlflowVersionView]]:
        """For each model, its highest version in every stage that has one, highest first, as
        ``latest_versions_by_stage``; models that are missing or have no versions are left out."""

    def mlflow_model(self, name: str) -> MlflowModelView: ...

    def mlflow_search_versions(
        self, query: Query, *, offset: int, limit: int, readable_by: Visibility | None = None
    ) -> list[MlflowVersionView]:
        """The versions ``search_versions`` finds, in the same order."""

    def mlflow_search_models(
        self, query: Query, *, offset: int, limit: int, readable_by: Visibility | None = None
    ) -> list[MlflowModelView]:
        """The models ``search_models`` finds, in the same order."""
