"""MLflow's model version stages (None, Staging, Production, Archived) and the other MLflow-only
fields of versions: read them beside registry versions, move versions between stages, and find
the latest version of each stage.

Stages are deprecated in MLflow in favour of aliases, which modelreg has natively; they are kept
so MLflow code that still transitions and queries them works unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

from modelreg.domain.entities import Event, ModelVersion
from modelreg.domain.errors import InvalidArgumentError
from modelreg.domain.tracking import ACTIVE_STAGES, Stage, VersionExtras, canonical_stage
from modelreg.service.clock import Clock, utcnow
from modelreg.store.base import MetadataStore, MetadataTransaction

VersionKey = tuple[str, int]


class Stages:
    def __init__(self, store: MetadataStore, *, clock: Clock = utcnow) -> None:
        self.store = store
        self.clock = clock
        # What MLflow's read routes answer with: models and versions as MLflow shows them.

    def extras_of(self, versions: Sequence[ModelVersion]) -> dict[VersionKey, VersionExtras]:
        """The MLflow fields of each version (defaults for versions without stored ones)."""
        if not versions:
            return {}
        with self.store.transaction() as tx:
            return _extras_in(tx, versions)

    def version(self, name: str, number: int) -> tuple[ModelVersion, VersionExtras]:
        with self.store.transaction() as tx:
            version = tx.get_version(name, number)
            return version, _extras_in(tx, [version])[(name, number)]

    def mark_model_updated(self, name: str) -> None:
        with self.store.transaction(write=True) as tx:
            tx.get_model(name)
            tx.touch_model(name, now=self.clock())

    def transition(
        self, name: str, version: int, stage: str, *, archive_existing: bool, actor: str
    ) -> ModelVersion:
        """Move a version to ``stage``; with ``archive_existing``, the versions already in that
        stage move to Archived (only for Staging and Production, as in MLflow)."""
        target = canonical_stage(stage)
        if archive_existing and target not in ACTIVE_STAGES:
            raise InvalidArgumentError(
                f"archive_existing_versions only applies to {' and '.join(ACTIVE_STAGES)}, "
                f"not to {target.value}",
                field="archive_existing_versions",
            )
        now = self.clock()
        with self.store.transaction(write=True) as tx:
            before = tx.get_version_extras([(name, version)]).get((name, version))
            tx.get_version(name, version)
            archived = (
                tx.archive_stage(name, target, keep=version, now=now) if archive_existing else []
            )
            tx.set_version_extras(name, version, now=now, stage=target)
            tx.touch_model(name, now=now)
            tx.add_event(
                Event(
                    name,
                    "version.stage_changed",
                    actor,
                    now,
                    version,
                    {
                        "from": (before or VersionExtras()).stage.value,
                        "to": target.value,
                        "archived": archived,
                    },
                )
            )
            return tx.get_version(name, version)

    def latest_versions(self, name: str, stages: Sequence[str] = ()) -> list[ModelVersion]:
        """The highest version in each of ``stages`` (every stage when empty), highest first."""
        wanted = {canonical_stage(stage) for stage in stages} or set(Stage)
        with self.store.transaction() as tx:
            tx.get_model(name)
            latest = tx.latest_versions_by_stage([name]).get(name, [])
            stored = tx.get_version_extras([(v.model_name, v.version) for v in latest])
        return [
            v
            for v in latest
            if stored.get((v.model_name, v.version), VersionExtras()).stage in wanted
        ]

    def latest_versions_of(self, names: Sequence[str]) -> dict[str, list[ModelVersion]]:
        with self.store.transaction() as tx:
            return tx.latest_versions_by_stage(names)


def record_registration(
    tx: MetadataTransaction,
    version: ModelVersion,
    *,
    source: str,
    run_link: str = "",
    logged_model_id: str | None = None,
) -> VersionExtras:
    """Inside the transaction that creates ``version``: where it came from."""
    return tx.set_version_extras(
        version.model_name,
        version.version,
        now=version.created_at,
        stage=Stage.NONE,
        source=source,
        run_link=run_link,
        logged_model_id=logged_model_id,
    )


def _extras_in(
    tx: MetadataTransaction, versions: Sequence[ModelVersion]
) -> dict[VersionKey, VersionExtras]:
    keys = [(v.model_name, v.version) for v in versions]
    stored = tx.get_version_extras(keys)
    return {key: stored.get(key, VersionExtras()) for key in keys}
