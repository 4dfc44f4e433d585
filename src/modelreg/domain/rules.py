"""Value rules: what a valid name, tag, metric, file path and reference look like, and the limits.

Each ``validate_*`` function raises ``InvalidArgumentError`` (or ``LimitExceededError``) naming
the offending field, and returns the value (normalised where that is safe) otherwise.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from modelreg.domain.entities import FileEntry, Lineage, VersionDraft, VersionStatus
from modelreg.domain.errors import ConflictError, InvalidArgumentError, LimitExceededError


@dataclass(frozen=True, slots=True)
class Limits:
    """Upper bounds that keep one request from filling the database; all are configurable."""

    name_length: int = 128
    description_length: int = 64 * 1024
    key_length: int = 250
    tag_value_length: int = 100_000  # MLflow's registry limit: every MLflow tag fits
    param_value_length: int = 6000
    entries_per_mapping: int = 1000
    files_per_version: int = 10_000
    path_length: int = 1024
    datasets_per_version: int = 100


DEFAULT_LIMITS = Limits()

_MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_ALIAS_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_RESERVED_ALIAS = re.compile(r"^(latest|v\d+)$", re.IGNORECASE)
_KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-/: ]*$")
# Windows device names, with or without an extension: writing "nul.txt" there reaches a device.
_DEVICE_NAME = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\.[^/]*)?$", re.IGNORECASE)


def validate_model_name(name: str, limits: Limits = DEFAULT_LIMITS) -> str:
    if not isinstance(name, str) or not name:
        raise InvalidArgumentError("model name must be a non-empty string", field="name")
    if len(name) > limits.name_length:
        raise InvalidArgumentError(
            f"model name is longer than {limits.name_length} characters", field="name"
        )
    if not _MODEL_NAME.fullmatch(name):
        raise InvalidArgumentError(
            f"invalid model name {name[:80]!r}: use letters, digits, '.', '_' and '-', "
            "starting with a letter or digit",
            field="name",
        )
    return name


def validate_alias_name(alias: str) -> str:
    if not isinstance(alias, str) or not _ALIAS_NAME.fullmatch(alias) or len(alias) > 64:
        raise InvalidArgumentError(
            f"invalid alias {str(alias)[:80]!r}: use up to 64 letters, digits, '_' and '-', "
            "starting with a letter or '_'",
            field="alias",
        )
    if _RESERVED_ALIAS.fullmatch(alias):
        raise InvalidArgumentError(
            f"alias {alias!r} is reserved ('latest' and 'v<number>' are resolved by the registry)",
            field="alias",
        )
    return alias


def validate_key(key: str, kind: str, limits: Limits = DEFAULT_LIMITS) -> str:
    if not isinstance(key, str) or not key or len(key) > limits.key_length:
        raise InvalidArgumentError(
            f"{kind} key must be 1 to {limits.key_length} characters", field=kind
        )
    if not _KEY.fullmatch(key):
        raise InvalidArgumentError(
            f"invalid {kind} key {key[:80]!r}: use letters, digits and '_ . - / : space'",
            field=kind,
        )
    return key


def validate_description(text: str, limits: Limits = DEFAULT_LIMITS) -> str:
    if not isinstance(text, str):
        raise InvalidArgumentError("description must be a string", field="description")
    if len(text) > limits.description_length:
        raise LimitExceededError(
            f"description is longer than {limits.description_length} characters",
            field="description",
        )
    return text


def _check_count(mapping: Mapping[str, object], kind: str, limits: Limits) -> None:
    if len(mapping) > limits.entries_per_mapping:
        raise LimitExceededError(
            f"too many {kind}s: {len(mapping)} > {limits.entries_per_mapping}", field=kind
        )


def validate_tags(tags: Mapping[str, str], limits: Limits = DEFAULT_LIMITS) -> dict[str, str]:
    _check_count(tags, "tag", limits)
    for key, value in tags.items():
        validate_key(key, "tag", limits)
        if not isinstance(value, str):
            raise InvalidArgumentError(f"tag {key!r} must have a string value", field="tag")
        if len(value) > limits.tag_value_length:
            raise LimitExceededError(
                f"tag {key!r} is longer than {limits.tag_value_length} characters", field="tag"
            )
    return dict(tags)


def param_text(key: str, value: object) -> str:
    """Params are stored as text, as training code logs them; numbers and booleans converted."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str | int | float):
        return str(value)
    raise InvalidArgumentError(f"param {key!r} must be a string or a number", field="param")


def validate_params(params: Mapping[str, str], limits: Limits = DEFAULT_LIMITS) -> dict[str, str]:
    _check_count(params, "param", limits)
    result: dict[str, str] = {}
    for key, value in params.items():
        validate_key(key, "param", limits)
        text = param_text(key, value)
        if len(text) > limits.param_value_length:
            raise LimitExceededError(
                f"param {key!r} is longer than {limits.param_value_length} characters",
                field="param",
            )
        result[key] = text
    return result


def validate_metrics(
    metrics: Mapping[str, object], limits: Limits = DEFAULT_LIMITS
) -> dict[str, float]:
    _check_count(metrics, "metric", limits)
    result: dict[str, float] = {}
    for key, value in metrics.items():
        validate_key(key, "metric", limits)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidArgumentError(f"metric {key!r} must be a number", field="metric")
        number = float(value)
        if not math.isfinite(number):
            raise InvalidArgumentError(
                f"metric {key!r} must be a finite number, got {number}", field="metric"
            )
        result[key] = number
    return result


def number_refusal(
    kind: str, key: str, value: object, held: int, limits: Limits = DEFAULT_LIMITS
) -> str | None:
    """Why a version cannot hold this param or metric when it already holds ``held`` of that
    kind, or None. For numbers copied from elsewhere (an MLflow run), which keep what passes
    instead of failing the version."""
    try:
        validate_key(key, kind, limits)
    except InvalidArgumentError as error:
        return error.message
    if held >= limits.entries_per_mapping:
        return f"more than {limits.entries_per_mapping} {kind}s"
    if kind == "param":
        if len(str(value)) > limits.param_value_length:
            return f"longer than {limits.param_value_length} characters"
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return f"{value!r} is not a finite number"
    return None


def validate_file_path(path: str, limits: Limits = DEFAULT_LIMITS) -> str:
    """A manifest path is relative, POSIX-style, and cannot climb out of its folder."""
    problem = None
    if not isinstance(path, str) or not path:
        problem = "must be a non-empty string"
    elif len(path) > limits.path_length:
        problem = f"is longer than {limits.path_length} characters"
    elif "\x00" in path:
        problem = "contains a NUL character"
    elif "\\" in path:
        problem = "contains a backslash (use '/')"
    elif path.startswith("/"):
        problem = "is absolute"
    elif re.match(r"^[A-Za-z]:", path):
        problem = "starts with a drive letter"
    else:
        parts = path.split("/")
        if any(part == ".." for part in parts):
            problem = "contains '..'"
        elif any(part in ("", ".") for part in parts):
            problem = "contains an empty or '.' segment"
        elif any(ord(ch) < 32 for ch in path):
            problem = "contains a control character"
        elif any(_DEVICE_NAME.match(part) for part in parts):
            problem = "uses a reserved device name (CON, NUL, COM1, ...)"
    if problem:
        raise InvalidArgumentError(
            f"invalid file path {str(path)[:120]!r}: {problem}", field="path"
        )
    return path


def validate_files(
    files: Iterable[FileEntry], limits: Limits = DEFAULT_LIMITS
) -> tuple[FileEntry, ...]:
    entries = tuple(files)
    if not entries:
        raise InvalidArgumentError("a version needs at least one file", field="files")
    if len(entries) > limits.files_per_version:
        raise LimitExceededError(
            f"too many files: {len(entries)} > {limits.files_per_version}", field="files"
        )
    seen: set[str] = set()
    for entry in entries:
        validate_file_path(entry.path, limits)
        if entry.size < 0:
            raise InvalidArgumentError(f"file {entry.path!r} has a negative size", field="files")
        if entry.path in seen:
            raise InvalidArgumentError(f"file {entry.path!r} is listed twice", field="files")
        seen.add(entry.path)
    # A file and a folder of the same name cannot both be materialised on pull.
    folders = {entry.path.rsplit("/", 1)[0] for entry in entries if "/" in entry.path}
    prefixes = {"/".join(f.split("/")[: i + 1]) for f in folders for i in range(f.count("/") + 1)}
    clash = seen & prefixes
    if clash:
        raise InvalidArgumentError(
            f"file {sorted(clash)[0]!r} is also used as a folder", field="files"
        )
    return tuple(sorted(entries, key=lambda entry: entry.path))


def validate_lineage(lineage: Lineage, limits: Limits = DEFAULT_LIMITS) -> Lineage:
    for label, value in (
        ("source_commit", lineage.source_commit),
        ("source_url", lineage.source_url),
        ("run_id", lineage.run_id),
        ("experiment_id", lineage.experiment_id),
    ):
        if value is not None and (not isinstance(value, str) or len(value) > 2048):
            raise InvalidArgumentError(f"{label} must be a string of at most 2048 characters")
    if len(lineage.datasets) > limits.datasets_per_version:
        raise LimitExceededError(
            f"too many data sets: {len(lineage.datasets)} > {limits.datasets_per_version}",
            field="datasets",
        )
    for dataset in lineage.datasets:
        if not isinstance(dataset, str) or not dataset or len(dataset) > 2048:
            raise InvalidArgumentError("each data set reference must be 1 to 2048 characters")
    if lineage.parent_version is not None and lineage.parent_version < 1:
        raise InvalidArgumentError("parent_version must be a positive version number")
    return lineage


def validate_draft(draft: VersionDraft, limits: Limits = DEFAULT_LIMITS) -> VersionDraft:
    """The one place that decides whether a new version's metadata is acceptable."""
    return VersionDraft(
        files=validate_files(draft.files, limits),
        params=validate_params(draft.params, limits),
        metrics=validate_metrics(draft.metrics, limits),
        tags=validate_tags(draft.tags, limits),
        description=validate_description(draft.description, limits),
        lineage=validate_lineage(draft.lineage, limits),
    )


_ALLOWED_TRANSITIONS = {
    VersionStatus.PENDING: {VersionStatus.READY, VersionStatus.FAILED},
    VersionStatus.READY: set(),
    VersionStatus.FAILED: set(),
}


def check_transition(current: VersionStatus, target: VersionStatus) -> None:
    if target not in _ALLOWED_TRANSITIONS[current]:
        raise ConflictError(f"a {current} version cannot become {target}")


@dataclass(frozen=True, slots=True)
class ModelRef:
    """``NAME``, ``NAME/VERSION`` or ``NAME@ALIAS``; a bare name means the latest version."""

    name: str
    version: int | None = None
    alias: str | None = None

    def __str__(self) -> str:
        if self.version is not None:
            return f"{self.name}/{self.version}"
        if self.alias is not None:
            return f"{self.name}@{self.alias}"
        return self.name


def parse_ref(text: str) -> ModelRef:
    if "@" in text:
        name, _, alias = text.partition("@")
        if alias == "latest":
            return ModelRef(validate_model_name(name))
        return ModelRef(validate_model_name(name), alias=validate_alias_name(alias))
    if "/" in text:
        name, _, version = text.partition("/")
        if not version.isdigit() or int(version) < 1:
            raise InvalidArgumentError(
                f"invalid reference {text!r}: the version after '/' must be a positive integer"
            )
        return ModelRef(validate_model_name(name), version=int(version))
    return ModelRef(validate_model_name(text))
