"""Facts recorded about versions after they were made: alias history, deployments, evaluations
and model cards. None of them changes a version's immutable files, params or metrics."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from modelreg.domain.digests import Digest
from modelreg.domain.errors import InvalidArgumentError, LimitExceededError


@dataclass(frozen=True, slots=True)
class AliasChange:
    """One change of an alias: pointed at ``version`` from ``at`` on (None: removed at ``at``)."""

    model_name: str
    alias: str
    version: int | None
    at: datetime
    actor: str


class DeploymentStatus(enum.StrEnum):
    """What a serving system or CI job reports about a version in an environment.

    DEPLOYED makes the version the one running in the environment (replacing the one before);
    RETIRED takes it out, leaving nothing deployed there; DEPLOYING and FAILED are attempts that
    leave what is deployed unchanged.
    """

    DEPLOYING = "DEPLOYING"
    DEPLOYED = "DEPLOYED"
    FAILED = "FAILED"
    RETIRED = "RETIRED"


CURRENT_STATUSES = (DeploymentStatus.DEPLOYED, DeploymentStatus.RETIRED)
"""The statuses that change what runs in an environment."""


@dataclass(frozen=True, slots=True)
class Deployment:
    id: int
    model_name: str
    version: int
    environment: str
    status: DeploymentStatus
    at: datetime
    recorded_by: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class ReportFile:
    """A free-form evaluation report, stored as a blob under its digest."""

    name: str
    size: int
    digest: Digest


@dataclass(frozen=True, slots=True)
class EvaluationDraft:
    dataset: str
    metrics: Mapping[str, float] = field(default_factory=dict)
    description: str = ""
    report: ReportFile | None = None


@dataclass(frozen=True, slots=True)
class Evaluation:
    id: int
    model_name: str
    version: int
    dataset: str
    metrics: Mapping[str, float]
    description: str
    report: ReportFile | None
    created_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ModelCard:
    """A version's Markdown model card; ``metadata`` is its parsed YAML front matter."""

    model_name: str
    version: int
    revision: int
    content: str
    metadata: Mapping[str, Any]
    created_by: str
    created_at: datetime


MAX_CARD_CHARS = 512 * 1024
MAX_ENVIRONMENT_LENGTH = 64
MAX_DATASET_LENGTH = 2048
MAX_NOTE_LENGTH = 4096

_ENVIRONMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S | re.M)


def validate_environment(name: str) -> str:
    if (
        not isinstance(name, str)
        or not _ENVIRONMENT.match(name)
        or len(name) > MAX_ENVIRONMENT_LENGTH
    ):
        raise InvalidArgumentError(
            f"invalid environment {str(name)[:80]!r}: use up to {MAX_ENVIRONMENT_LENGTH} "
            "letters, digits, '.', '_' and '-', starting with a letter or digit",
            field="environment",
        )
    return name


def validate_text(value: str, label: str, limit: int, *, required: bool = False) -> str:
    if not isinstance(value, str):
        raise InvalidArgumentError(f"{label} must be a string", field=label)
    if required and not value.strip():
        raise InvalidArgumentError(f"{label} must not be empty", field=label)
    if len(value) > limit:
        raise LimitExceededError(f"{label} is longer than {limit} characters", field=label)
    return value


def split_front_matter(text: str) -> tuple[str | None, str]:
    """``(front matter, body)`` of a Markdown document. Front matter is a block between a
    first line ``---`` and the next line ``---`` (or ``...``), as in Hugging Face model cards;
    None when the document has none."""
    match = _FRONT_MATTER.match(text)
    if match is None:
        return None, text
    return match.group(1), text[match.end() :]
