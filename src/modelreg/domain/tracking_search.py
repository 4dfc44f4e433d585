"""Searches over tracking runs and logged models: conditions on their metrics, params, tags and
attributes, and an order. "Find the best run (or logged model), then register it" is the
registry flow this serves.

The rules follow MLflow's searches, which is what clients of these entities speak. Runs:

* a metric compares its **latest** value (highest step, then latest timestamp) with a number;
  a run without that metric, or whose latest value is NaN, matches no comparison;
* a param or tag compares its value as text (``=``, ``!=``, ``LIKE``, ``ILIKE``); a run without
  the key matches none of these, ``IS NULL`` matches exactly those runs;
* attributes: ``run_id``, ``run_name``, ``status``, ``user_id`` and ``artifact_uri`` as text
  (``run_id`` also ``IN`` / ``NOT IN``), ``start_time`` and ``end_time`` as epoch milliseconds;
* datasets: ``datasets.name``, ``datasets.digest`` and ``datasets.context`` compare as text
  (also ``IN`` / ``NOT IN``); a run matches when **any** dataset it read compares true, so a
  run that read none matches no dataset condition, not even ``!=``;
* in an order, runs without the value come last in either direction, then the newest start
  first, then the run id, so pages never overlap.

Logged models (MLflow 3):

* a metric condition holds when **any** value logged for the model under that key compares
  true (as in MLflow); ordering by a metric uses the latest value (latest timestamp, then
  highest step);
* params and tags as for runs (without ``IS NULL``);
* attributes: ``name``, ``model_id``, ``model_type``, ``status``, ``source_run_id`` as text (also
  ``IN`` / ``NOT IN``), ``creation_timestamp`` and ``last_updated_timestamp`` (or ``_time``) as
  epoch milliseconds;
* an order is metrics and attributes only, missing values last, then the newest first, then
  the model id;
* metrics measured on datasets (MLflow 3's ``log_metric(dataset=...)``): a search may name
  datasets (by name, and digest or not), and its metric conditions then count only values
  measured on one of them; with no metric condition, a model needs a metric measured on one.
  A metric in an order may name a dataset too: its latest value on that dataset.

Experiments: ``name`` as text, ``creation_time`` and ``last_update_time`` as epoch
milliseconds, ``tags.<key>`` as text; ordered by those attributes or ``experiment_id``, then
the newest first, then the id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from modelreg.domain.errors import InvalidArgumentError
from modelreg.domain.tracking import LoggedModelStatus

FieldKind = Literal["metric", "param", "tag", "attribute", "dataset"]
FieldValue = float | str | datetime | tuple[str, ...] | None

RUN_TEXT_ATTRIBUTES = frozenset({"run_id", "run_name", "status", "user_id", "artifact_uri"})
RUN_TIME_ATTRIBUTES = frozenset({"start_time", "end_time"})
RUN_ATTRIBUTES = RUN_TEXT_ATTRIBUTES | RUN_TIME_ATTRIBUTES
# What a run can be searched by in the datasets it read (context: the mlflow.data.context tag).
DATASET_FIELDS = frozenset({"name", "digest", "context"})

NUMBER_OPS = frozenset({"=", "!=", "<", "<=", ">", ">="})
TEXT_OPS = frozenset({"=", "!=", "LIKE", "ILIKE"})
LIST_OPS = frozenset({"IN", "NOT IN"})
PRESENCE_OPS = frozenset({"IS NULL", "IS NOT NULL"})

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class FieldCondition:
    kind: FieldKind
    key: str
    op: str
    value: FieldValue = None


@dataclass(frozen=True, slots=True)
class MetricDataset:
    """The dataset a logged model's metric was measured on; without a digest, any version."""

    name: str
    digest: str | None = None


@dataclass(frozen=True, slots=True)
class FieldOrder:
    kind: FieldKind
    key: str
    descending: bool = False
    dataset: MetricDataset | None = None  # a logged model's metric measured on this dataset


@dataclass(frozen=True, slots=True)
class TrackingQuery:
    conditions: tuple[FieldCondition, ...] = ()
    order: tuple[FieldOrder, ...] = ()
    # Logged models: metric conditions count only values measured on one of these datasets;
    # without metric conditions, a model needs a metric measured on one of them.
    datasets: tuple[MetricDataset, ...] = ()


def run_condition(kind: FieldKind, key: str, op: str, value: object) -> FieldCondition:
    """A checked condition: ``value`` is the number, text or list as written in the filter."""
    if kind == "dataset":
        return _dataset_condition(key, op, value)
    if kind == "metric":
        return FieldCondition(
            kind, key, _op(op, NUMBER_OPS, f"metric {key!r}"), _number(key, value)
        )
    if kind in ("param", "tag"):
        op = _op(op, TEXT_OPS | PRESENCE_OPS, f"{kind} {key!r}")
        return FieldCondition(kind, key, op, None if op in PRESENCE_OPS else _text(key, value))
    if key in RUN_TIME_ATTRIBUTES:
        op = _op(op, NUMBER_OPS, f"attribute {key!r}")
        return FieldCondition(kind, key, op, _EPOCH + timedelta(milliseconds=_number(key, value)))
    if key not in RUN_TEXT_ATTRIBUTES:
        raise InvalidArgumentError(
            f"runs cannot be searched by attribute {key!r}; the attributes are "
            f"{', '.join(sorted(RUN_ATTRIBUTES))}",
            field="filter",
        )
    if key == "run_id" and op in LIST_OPS:
        if not isinstance(value, tuple) or not all(isinstance(v, str) for v in value):
            raise InvalidArgumentError(f"{op} needs a list of quoted run ids", field="filter")
        return FieldCondition(kind, key, op, value)
    return FieldCondition(kind, key, _op(op, TEXT_OPS, f"attribute {key!r}"), _text(key, value))


def _dataset_condition(key: str, op: str, value: object) -> FieldCondition:
    if key not in DATASET_FIELDS:
        raise InvalidArgumentError(
            f"runs cannot be searched by dataset field {key!r}; the fields are "
            f"{', '.join(sorted(DATASET_FIELDS))}",
            field="filter",
        )
    op = _op(op, TEXT_OPS | LIST_OPS, f"dataset {key!r}")
    if op in LIST_OPS:
        if not isinstance(value, tuple) or not all(isinstance(v, str) for v in value):
            raise InvalidArgumentError(f"{op} needs a list of quoted values", field="filter")
        return FieldCondition("dataset", key, op, value)
    return FieldCondition("dataset", key, op, _text(key, value))


def run_order(kind: FieldKind, key: str, *, descending: bool) -> FieldOrder:
    if kind == "attribute" and key not in RUN_ATTRIBUTES:
        raise InvalidArgumentError(
            f"runs cannot be ordered by attribute {key!r}; the attributes are "
            f"{', '.join(sorted(RUN_ATTRIBUTES))}",
            field="order_by",
        )
    return FieldOrder(kind, key, descending)


LOGGED_MODEL_TEXT_ATTRIBUTES = frozenset(
    {"name", "model_id", "model_type", "status", "source_run_id"}
)
# MLflow's names for a logged model's times, and the attribute each stands for here.
LOGGED_MODEL_TIMES = {
    "creation_timestamp": "created_at",
    "creation_time": "created_at",
    "last_updated_timestamp": "updated_at",
    "last_updated_time": "updated_at",
}
_LOGGED_MODEL_ATTRIBUTES = ", ".join(sorted(LOGGED_MODEL_TEXT_ATTRIBUTES | set(LOGGED_MODEL_TIMES)))


def logged_model_condition(kind: FieldKind, key: str, op: str, value: object) -> FieldCondition:
    if kind == "metric":
        return FieldCondition(
            kind, key, _op(op, NUMBER_OPS, f"metric {key!r}"), _number(key, value)
        )
    if kind in ("param", "tag"):
        return FieldCondition(kind, key, _op(op, TEXT_OPS, f"{kind} {key!r}"), _text(key, value))
    if key in LOGGED_MODEL_TIMES:
        op = _op(op, NUMBER_OPS, f"attribute {key!r}")
        at = _EPOCH + timedelta(milliseconds=_number(key, value))
        return FieldCondition(kind, LOGGED_MODEL_TIMES[key], op, at)
    if key not in LOGGED_MODEL_TEXT_ATTRIBUTES:
        raise InvalidArgumentError(
            f"logged models cannot be searched by attribute {key!r}; the attributes are "
            f"{_LOGGED_MODEL_ATTRIBUTES}",
            field="filter",
        )
    if op in LIST_OPS:
        if not isinstance(value, tuple) or not all(isinstance(v, str) for v in value):
            raise InvalidArgumentError(f"{op} needs a list of quoted values", field="filter")
        if key == "status":
            value = tuple(_status(v) for v in value)
        return FieldCondition(kind, key, op, value)
    text = _text(key, value)
    if key == "status" and op in ("=", "!="):
        text = _status(text)
    return FieldCondition(kind, key, _op(op, TEXT_OPS, f"attribute {key!r}"), text)


def _status(text: str) -> str:
    """A logged model's status as stored, from MLflow's short (``READY``) or wire
    (``LOGGED_MODEL_READY``) name; anything else is kept, and matches nothing."""
    for status in LoggedModelStatus:
        names = (status.name, status.value, status.value.removeprefix("LOGGED_MODEL_"))
        if text.upper() in names:
            return status.value
    return text


def logged_model_order(
    kind: FieldKind, key: str, *, descending: bool, dataset: MetricDataset | None = None
) -> FieldOrder:
    if kind == "metric":
        return FieldOrder(kind, key, descending, dataset)
    if dataset is not None:
        raise InvalidArgumentError(
            f"only a metric is measured on a dataset, not {kind} {key!r}", field="order_by"
        )
    if kind == "attribute" and key in LOGGED_MODEL_TIMES:
        return FieldOrder(kind, LOGGED_MODEL_TIMES[key], descending)
    if kind == "attribute" and key in LOGGED_MODEL_TEXT_ATTRIBUTES:
        return FieldOrder(kind, key, descending)
    raise InvalidArgumentError(
        f"logged models are ordered by metrics or by {_LOGGED_MODEL_ATTRIBUTES}, not "
        f"{kind} {key!r}",
        field="order_by",
    )


EXPERIMENT_TIMES = {"creation_time": "created_at", "last_update_time": "updated_at"}
_EXPERIMENT_ORDER = {"name": "name", "experiment_id": "id", **EXPERIMENT_TIMES}


def experiment_condition(kind: FieldKind, key: str, op: str, value: object) -> FieldCondition:
    if kind == "tag":
        return FieldCondition(kind, key, _op(op, TEXT_OPS, f"tag {key!r}"), _text(key, value))
    if kind == "attribute" and key in EXPERIMENT_TIMES:
        op = _op(op, NUMBER_OPS, f"attribute {key!r}")
        at = _EPOCH + timedelta(milliseconds=_number(key, value))
        return FieldCondition(kind, EXPERIMENT_TIMES[key], op, at)
    if kind == "attribute" and key == "name":
        return FieldCondition(kind, key, _op(op, TEXT_OPS, "attribute 'name'"), _text(key, value))
    raise InvalidArgumentError(
        f"experiments are searched by name, creation_time, last_update_time and tags, not "
        f"{kind} {key!r}",
        field="filter",
    )


def experiment_order(kind: FieldKind, key: str, *, descending: bool) -> FieldOrder:
    if kind != "attribute" or key not in _EXPERIMENT_ORDER:
        raise InvalidArgumentError(
            f"experiments are ordered by {', '.join(sorted(_EXPERIMENT_ORDER))}, not {key!r}",
            field="order_by",
        )
    return FieldOrder(kind, _EXPERIMENT_ORDER[key], descending)


def tracking_query(
    conditions: list[FieldCondition],
    order: list[FieldOrder],
    datasets: list[MetricDataset] | None = None,
) -> TrackingQuery:
    seen = [(item.kind, item.key, item.dataset) for item in order]
    if len(set(seen)) != len(seen):
        raise InvalidArgumentError("the order names the same field twice", field="order_by")
    return TrackingQuery(tuple(conditions), tuple(order), tuple(datasets or ()))


def _op(op: str, allowed: frozenset[str], subject: str) -> str:
    if op not in allowed:
        raise InvalidArgumentError(
            f"{op!r} cannot compare {subject}; use one of {', '.join(sorted(allowed))}",
            field="filter",
        )
    return op


def _number(key: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidArgumentError(f"{key!r} compares with a number, not {value!r}", field="filter")
    return float(value)


def _text(key: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidArgumentError(
            f"{key!r} compares with quoted text, not {value!r}", field="filter"
        )
    return value


NO_FILTER = TrackingQuery()  # no condition, the default order
