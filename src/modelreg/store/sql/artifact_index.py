"""The artifact index and the MLflow-only fields of versions on the transaction's ``Session``
(mixins of ``SqlTrackingRepository``). ORM rows never leave this module."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, bindparam, delete, func, insert, or_, select, update

from modelreg.domain.digests import Digest
from modelreg.domain.entities import ModelVersion
from modelreg.domain.errors import InvalidArgumentError
from modelreg.domain.tracking import ArtifactEntry, Stage, VersionExtras
from modelreg.store.sql.lists import IntegerList, member_of
from modelreg.store.sql.tables import ModelVersionRow, PlainRow, RegisteredModelRow, core_table
from modelreg.store.sql.tracking import ArtifactRow, VersionExtrasRow
from modelreg.store.sql.unit import SqlUnit

_KEYS_PER_QUERY = 1000


class SqlArtifactIndex(SqlUnit):
    """Artifact path -> blob."""

    def put_artifact(self, path: str, *, size: int, digest: Digest, now: datetime) -> None:
        self.session.merge(ArtifactRow(path=path, size=size, digest=str(digest), updated_at=now))
        self.session.flush()

    def get_artifact(self, path: str) -> ArtifactEntry | None:
        row = self.session.get(ArtifactRow, path)
        return None if row is None else _artifact(row)

    def artifacts_under(self, folder: str) -> list[ArtifactEntry]:
        if not folder:
            rows = self.session.scalars(select(ArtifactRow).order_by(ArtifactRow.path))
        else:  # on the path of every registration from a run: built once
            rows = self.session.scalars(_ARTIFACTS_UNDER, {"pattern": _below_pattern(folder)})
        return [_artifact(row) for row in rows]

    def artifacts_at_or_under(self, path: str) -> list[ArtifactEntry]:
        found = self.core.execute(
            _ARTIFACTS_AT_OR_UNDER, {"path": path, "pattern": _below_pattern(path)}
        )
        return [_artifact(row) for row in found]

    def artifact_clash(self, path: str) -> str | None:
        parts = path.split("/")
        parents = ["/".join(parts[:i]) for i in range(1, len(parts))]
        return self.session.scalars(
            select(ArtifactRow.path).where(or_(ArtifactRow.path.in_(parents), _below(path)))
        ).first()

    def delete_artifacts(self, path: str) -> int:
        result = self.session.execute(
            delete(ArtifactRow).where(or_(ArtifactRow.path == path, _below(path)))
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def referenced_artifact_digests(self) -> list[str]:
        return list(self.session.scalars(select(ArtifactRow.digest).distinct()))


class SqlVersionExtras(SqlUnit):
    """Stage, source and the other MLflow-only fields of model versions."""

    versions_without_extras: dict[tuple[str, int], int]  # by ``SqlTransaction``

    if TYPE_CHECKING:

        def _versions(self, rows: Sequence[tuple[ModelVersionRow, str]]) -> list[ModelVersion]: ...

        def get_version(self, model_name: str, version: int) -> ModelVersion: ...

    def versions_from_run(self, run_id: str, *, since: datetime) -> list[tuple[str, int]]:
        # Along the index on created_at: only the versions registered since the run started.
        source = f"runs:/{run_id}"
        found = self.core.execute(
            select(RegisteredModelRow.name, ModelVersionRow.version)
            .join(RegisteredModelRow, RegisteredModelRow.id == ModelVersionRow.model_id)
            .outerjoin(VersionExtrasRow, VersionExtrasRow.version_id == ModelVersionRow.id)
            .where(
                ModelVersionRow.created_at >= since,
                or_(
                    ModelVersionRow.run_id == run_id,
                    VersionExtrasRow.source == source,
                    VersionExtrasRow.source.like(_below_pattern(source), escape="\\"),
                ),
            )
            .order_by(RegisteredModelRow.name, ModelVersionRow.version)
        )
        return [(name, number) for name, number in found]

    def get_version_extras(
        self, keys: Sequence[tuple[str, int]]
    ) -> dict[tuple[str, int], VersionExtras]:
        ordered = sorted(set(keys))
        found: dict[tuple[str, int], VersionExtras] = {}
        for start in range(0, len(ordered), _KEYS_PER_QUERY):  # bounded bind parameters
            wanted = set(ordered[start : start + _KEYS_PER_QUERY])
            rows = self.session.execute(
                select(RegisteredModelRow.name, ModelVersionRow.version, VersionExtrasRow)
                .join(ModelVersionRow, ModelVersionRow.model_id == RegisteredModelRow.id)
                .join(VersionExtrasRow, VersionExtrasRow.version_id == ModelVersionRow.id)
                .where(
                    RegisteredModelRow.name.in_({name for name, _ in wanted}),
                    ModelVersionRow.version.in_({version for _, version in wanted}),
                )
            )
            found.update(
                ((name, version), _extras(row))
                for name, version, row in rows
                if (name, version) in wanted
            )
        return found

    def set_version_extras(
        self,
        model_name: str,
        version: int,
        *,
        now: datetime,
        stage: Stage | None = None,
        source: str | None = None,
        run_link: str | None = None,
        logged_model_id: str | None = None,
    ) -> VersionExtras:
        fresh = self.versions_without_extras.pop((model_name, version), None)
        if fresh is not None:
            # Inserted by this transaction, updated at its creation: one INSERT, nothing to
            # look up.
            extras = VersionExtras(
                stage=stage or Stage.NONE,
                source=source,
                run_link=run_link or "",
                logged_model_id=logged_model_id,
            )
            self.core.execute(_INSERT_EXTRAS, {"version_id": fresh, **asdict(extras)})
            return extras
        version_id = self._version_id(model_name, version)
        self._touch_versions([version_id], now)
        row = self.session.get(VersionExtrasRow, version_id)
        if row is None:
            row = VersionExtrasRow(version_id=version_id, stage=Stage.NONE, run_link="")
            self.session.add(row)
        if stage is not None:
            row.stage = stage
        if source is not None:
            row.source = source
        if run_link is not None:
            row.run_link = run_link
        if logged_model_id is not None:
            row.logged_model_id = logged_model_id
        self.session.flush()
        return _extras(row)

    def _version_id(self, model_name: str, version: int) -> int:
        found = self.session.scalar(
            select(ModelVersionRow.id)
            .join(RegisteredModelRow, RegisteredModelRow.id == ModelVersionRow.model_id)
            .where(RegisteredModelRow.name == model_name, ModelVersionRow.version == version)
        )
        if found is None:
            # Let the registry's own lookup raise its precise not-found error.
            self.get_version(model_name, version)
            raise InvalidArgumentError(f"version {version} of {model_name!r} vanished")
        return int(found)

    def _touch_versions(self, version_ids: Sequence[int], now: datetime) -> None:
        """A stage or source change is a change of the version: it was updated ``now``."""
        if not version_ids:
            return
        self.session.execute(_TOUCH_VERSIONS, {"ids": list(version_ids), "now": now})
        # A Core UPDATE leaves loaded copies of the rows stale: reload them if read again.
        for version_id in version_ids:
            loaded = self.loaded(ModelVersionRow, version_id)
            if loaded is not None:
                self.session.expire(loaded, ["updated_at"])

    def archive_stage(
        self, model_name: str, stage: Stage, *, keep: int, now: datetime
    ) -> list[int]:
        rows = self.session.execute(
            select(ModelVersionRow.version, VersionExtrasRow)
            .join(RegisteredModelRow, RegisteredModelRow.id == ModelVersionRow.model_id)
            .join(VersionExtrasRow, VersionExtrasRow.version_id == ModelVersionRow.id)
            .where(
                RegisteredModelRow.name == model_name,
                ModelVersionRow.version != keep,
                VersionExtrasRow.stage == stage,
            )
        )
        archived, touched = [], []
        for version, row in rows:
            row.stage = Stage.ARCHIVED
            archived.append(version)
            touched.append(row.version_id)
        self._touch_versions(touched, now)
        self.session.flush()
        return sorted(archived)

    def latest_versions_by_stage(self, model_names: Sequence[str]) -> dict[str, list[ModelVersion]]:
        if not model_names:
            return {}
        stage = func.coalesce(VersionExtrasRow.stage, Stage.NONE.value)
        latest = (
            select(ModelVersionRow.model_id, func.max(ModelVersionRow.version).label("version"))
            .join(RegisteredModelRow, RegisteredModelRow.id == ModelVersionRow.model_id)
            .outerjoin(VersionExtrasRow, VersionExtrasRow.version_id == ModelVersionRow.id)
            .where(RegisteredModelRow.name.in_(list(model_names)))
            .group_by(ModelVersionRow.model_id, stage)
            .subquery()
        )
        rows = self.session.execute(
            select(ModelVersionRow, RegisteredModelRow.name)
            .join(RegisteredModelRow, RegisteredModelRow.id == ModelVersionRow.model_id)
            .join(
                latest,
                (latest.c.model_id == ModelVersionRow.model_id)
                & (latest.c.version == ModelVersionRow.version),
            )
            .order_by(ModelVersionRow.version.desc())
        )
        found: dict[str, list[ModelVersion]] = defaultdict(list)
        for version in self._versions(list(rows)):
            found[version.model_name].append(version)
        return dict(found)

    def touch_model(self, model_name: str, *, now: datetime) -> None:
        self.session.execute(
            update(RegisteredModelRow)
            .where(RegisteredModelRow.name == model_name)
            .values(updated_at=now)
        )


# -- helpers --------------------------------------------------------------------------------------


def _artifact(row: ArtifactRow | PlainRow) -> ArtifactEntry:
    return ArtifactEntry(row.path, row.size, Digest.parse(row.digest), row.updated_at)


_INSERT_EXTRAS = insert(core_table(VersionExtrasRow))
_TOUCH_VERSIONS = (
    update(ModelVersionRow)
    .where(member_of(ModelVersionRow.id, bindparam("ids", type_=IntegerList())))
    .values(updated_at=bindparam("now"))
)


def _extras(row: VersionExtrasRow) -> VersionExtras:
    return VersionExtras(
        stage=row.stage,
        source=row.source,
        run_link=row.run_link,
        logged_model_id=row.logged_model_id,
    )


def _below(folder: str) -> ColumnElement[bool]:
    """``path`` is inside ``folder`` (LIKE with the folder's wildcards escaped)."""
    return ArtifactRow.path.like(_below_pattern(folder), escape="\\")


def _below_pattern(folder: str) -> str:
    escaped = folder.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}/%"


_ARTIFACTS_AT_OR_UNDER = (  # read by every registration from a run: plain rows
    select(*core_table(ArtifactRow).c)
    .where(
        or_(
            ArtifactRow.path == bindparam("path"),
            ArtifactRow.path.like(bindparam("pattern"), escape="\\"),
        )
    )
    .order_by(ArtifactRow.path)
)
_ARTIFACTS_UNDER = (
    select(ArtifactRow)
    .where(ArtifactRow.path.like(bindparam("pattern"), escape="\\"))
    .order_by(ArtifactRow.path)
)
