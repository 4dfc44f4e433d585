"""What a training run came from: the data it read (MLflow dataset inputs, ``mlflow.log_input``),
the logged models it took as input, and the code commit the MLflow client tagged it with.

A dataset is identified, as in MLflow, by its experiment, name and digest: logging the same
dataset to several runs of an experiment stores it once. A run's input adds tags to it, of
which ``mlflow.data.context`` (``training``, ``validation``, ``eval``...) says what it was for.

A version registered from a run carries the run's datasets in its lineage (``Lineage.datasets``,
as ``<name>@<digest>`` references) and its commit (``source_commit``, ``source_url``): that is
how an auditor gets from a model in production to the data and code it was trained on, and how
a policy that requires ``datasets`` or ``source_commit`` is met by an MLflow user.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from modelreg.domain.errors import InvalidArgumentError, LimitExceededError

CONTEXT_TAG = "mlflow.data.context"
# Set by the MLflow client on runs started in a git checkout (the URL by MLflow Projects).
GIT_COMMIT_TAG = "mlflow.source.git.commit"
GIT_REPO_URL_TAG = "mlflow.source.git.repoURL"
LINEAGE_TEXT_LENGTH = 2048

# MLflow's own limits, so what its client accepts is accepted here.
NAME_LENGTH = 500
DIGEST_LENGTH = 36
SOURCE_TYPE_LENGTH = 36
SOURCE_LENGTH = 65_535
SCHEMA_LENGTH = 1_048_575
PROFILE_LENGTH = 16_777_215
INPUT_TAG_KEY_LENGTH = 255
INPUT_TAG_VALUE_LENGTH = 500
DATASETS_PER_REQUEST = 1000
MODEL_ID_LENGTH = 64


def dataset_reference(name: str, digest: str) -> str:
    """How a version's lineage names a dataset: MLflow's identity of one."""
    return f"{name}@{digest}"


@dataclass(frozen=True, slots=True)
class Dataset:
    name: str
    digest: str
    source_type: str
    source: str
    schema: str | None = None
    profile: str | None = None

    @property
    def reference(self) -> str:
        return dataset_reference(self.name, self.digest)

    @property
    def location(self) -> str | None:
        """Where the data is, when the source document says (``{"uri": "s3://..."}``)."""
        try:
            source = json.loads(self.source)
        except ValueError:
            return None
        found = (source.get("uri") or source.get("path")) if isinstance(source, dict) else None
        return found if isinstance(found, str) and found else None


@dataclass(frozen=True, slots=True)
class DatasetInput:
    """A dataset as one run used it."""

    dataset: Dataset
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def context(self) -> str | None:
        return self.tags.get(CONTEXT_TAG)


@dataclass(frozen=True, slots=True)
class ModelInput:
    """A logged model a run took as input (an evaluation run, say)."""

    model_id: str


def validate_dataset_input(item: DatasetInput) -> DatasetInput:
    data = item.dataset
    for label, value, limit, required in (
        ("name", data.name, NAME_LENGTH, True),
        ("digest", data.digest, DIGEST_LENGTH, True),
        ("source_type", data.source_type, SOURCE_TYPE_LENGTH, True),
        ("source", data.source, SOURCE_LENGTH, True),
        ("schema", data.schema, SCHEMA_LENGTH, False),
        ("profile", data.profile, PROFILE_LENGTH, False),
    ):
        if value is None and not required:
            continue
        if not isinstance(value, str) or (required and not value):
            raise InvalidArgumentError(
                f"a dataset needs a non-empty string '{label}'", field=f"dataset.{label}"
            )
        if len(value) > limit:
            raise LimitExceededError(
                f"dataset {label} is longer than {limit} characters", field=f"dataset.{label}"
            )
    for key, value in item.tags.items():
        if not isinstance(key, str) or not key or len(key) > INPUT_TAG_KEY_LENGTH:
            raise InvalidArgumentError(
                f"a dataset input tag key must be 1 to {INPUT_TAG_KEY_LENGTH} characters",
                field="dataset.tags",
            )
        if not isinstance(value, str) or len(value) > INPUT_TAG_VALUE_LENGTH:
            raise LimitExceededError(
                f"dataset input tag {key[:80]!r} is longer than {INPUT_TAG_VALUE_LENGTH} "
                "characters",
                field="dataset.tags",
                key=key,
            )
    return item


def validate_inputs(datasets: Sequence[DatasetInput]) -> list[DatasetInput]:
    if len(datasets) > DATASETS_PER_REQUEST:
        raise LimitExceededError(
            f"too many datasets in one request: {len(datasets)} > {DATASETS_PER_REQUEST}",
            field="datasets",
        )
    return [validate_dataset_input(item) for item in datasets]


def validate_model_input(item: ModelInput) -> ModelInput:
    if not isinstance(item.model_id, str) or not 0 < len(item.model_id) <= MODEL_ID_LENGTH:
        raise InvalidArgumentError(
            f"a model input needs a 'model_id' of 1 to {MODEL_ID_LENGTH} characters",
            field="models",
        )
    return item


def lineage_references(references: Iterable[str], limit: int) -> tuple[str, ...]:
    """A run's dataset references once each, in the order they were logged, at most ``limit``
    of them (the rest stay on the run, which the lineage also names)."""
    return tuple(dict.fromkeys(references))[:limit]


@dataclass(frozen=True, slots=True)
class RunProvenance:
    """The part of a run a version's lineage takes."""

    datasets: tuple[str, ...] = ()
    source_commit: str | None = None
    source_url: str | None = None


def provenance_of(
    tags: Mapping[str, str], references: Iterable[str], dataset_limit: int
) -> RunProvenance:
    """A run's provenance, within what a lineage holds: a tag too long to be a commit or URL is
    left out rather than refusing the registration (the run keeps it)."""

    def text(key: str) -> str | None:
        value = tags.get(key)
        return value if value and len(value) <= LINEAGE_TEXT_LENGTH else None

    return RunProvenance(
        datasets=lineage_references(references, dataset_limit),
        source_commit=text(GIT_COMMIT_TAG),
        source_url=text(GIT_REPO_URL_TAG),
    )
