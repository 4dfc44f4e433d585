"""MLflow's run and logged-model searches (``filter`` and ``order_by`` of ``runs/search`` and
``logged-models/search``) as a ``TrackingQuery`` (``domain/tracking_search.py``, which holds the
rules)::

    metrics.rmse < 0.8 AND params.model = 'gbm' AND tags.`team` LIKE 'risk%'
    attributes.status = 'FINISHED' AND run_id IN ('a1…', 'b2…') AND start_time > 1700000000000
    order_by: ["metrics.rmse ASC", "attributes.start_time DESC"]

Fields are ``metric(s).``, ``param(s).``/``parameter(s).``, ``tag(s).`` and ``attribute(s).``/
``attr.``/``run.`` followed by a key, which may be back-quoted or double-quoted; a bare name is
an attribute (``created`` is ``start_time``, ``run name`` is ``run_name``). Runs can also be
searched by the datasets they read (``datasets.name``, ``datasets.digest``, ``datasets.context``);
a logged-model filter cannot name ``datasets.``, as in MLflow.

A logged-model search orders by objects (``{"field_name": "metrics.acc", "ascending": false}``)
instead of strings, which may name the dataset the metric was measured on (``dataset_name``,
``dataset_digest``); its ``datasets`` list restricts the metric conditions to those datasets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelreg.domain.tracking_search import (
    FieldCondition,
    FieldKind,
    FieldOrder,
    MetricDataset,
    TrackingQuery,
    experiment_condition,
    experiment_order,
    logged_model_condition,
    logged_model_order,
    run_condition,
    run_order,
    tracking_query,
)
from modelreg.server.mlflow.errors import invalid
from modelreg.server.mlflow.filters import parse_filter

_PREFIXES: dict[str, FieldKind] = {
    "metric": "metric",
    "metrics": "metric",
    "param": "param",
    "params": "param",
    "parameter": "param",
    "parameters": "param",
    "tag": "tag",
    "tags": "tag",
    "attr": "attribute",
    "attribute": "attribute",
    "attributes": "attribute",
    "run": "attribute",
}
_KINDS: dict[str, FieldKind] = {kind: kind for kind in _PREFIXES.values()}
_ATTRIBUTE_NAMES = {"created": "start_time", "run name": "run_name"}


def run_search(filter_text: str | None, order_by: list[str]) -> TrackingQuery:
    conditions: list[FieldCondition] = []
    for clause in parse_filter(filter_text, _field):
        kind: FieldKind = "dataset" if clause.kind == "dataset" else _kind(clause.kind)
        conditions.append(run_condition(kind, clause.key, clause.op, clause.value))
    return tracking_query(conditions, [_order(entry) for entry in order_by])


def experiment_search(filter_text: str | None, order_by: list[str]) -> TrackingQuery:
    conditions = [
        experiment_condition(_kind(clause.kind), clause.key, clause.op, clause.value)
        for clause in parse_filter(filter_text, _field)
    ]
    order = []
    for entry in order_by:
        field, descending = _written_order(entry)
        kind, key = _field(field)
        order.append(experiment_order(_kind(kind), key, descending=descending))
    return tracking_query(conditions, order)


def logged_model_search(
    filter_text: str | None,
    order_by: list[Mapping[str, Any]],
    datasets: list[Mapping[str, Any]] | None = None,
) -> TrackingQuery:
    conditions: list[FieldCondition] = []
    for clause in parse_filter(filter_text, _field):
        if clause.kind == "dataset":
            raise invalid(
                "logged models cannot be searched by dataset: modelreg keeps the datasets of runs"
            )
        kind = _kind(clause.kind)
        conditions.append(logged_model_condition(kind, clause.key, clause.op, clause.value))
    order: list[FieldOrder] = []
    for entry in order_by:
        name = entry.get("field_name")
        if not isinstance(name, str) or not name.strip():
            raise invalid("Each order_by entry needs a field_name.")
        written, key = _field(name.strip())
        descending = entry.get("ascending", True) is False
        dataset = _metric_dataset(entry) if entry.get("dataset_name") else None
        if dataset is None and entry.get("dataset_digest"):
            raise invalid("An order_by entry with a dataset_digest needs its dataset_name.")
        order.append(
            logged_model_order(_kind(written), key, descending=descending, dataset=dataset)
        )
    return tracking_query(conditions, order, [_metric_dataset(item) for item in datasets or []])


def _metric_dataset(entry: Mapping[str, Any]) -> MetricDataset:
    name, digest = entry.get("dataset_name"), entry.get("dataset_digest")
    if not isinstance(name, str) or not name:
        raise invalid("Each dataset needs a dataset_name.")
    if digest is not None and not isinstance(digest, str):
        raise invalid("A dataset_digest must be a string.")
    return MetricDataset(name, digest or None)


def _order(entry: str) -> FieldOrder:
    field, descending = _written_order(entry)
    kind, key = _field(field)
    if not key or kind == "dataset":
        raise invalid(f"Invalid order_by clause '{entry}'")
    return run_order(_kind(kind), key, descending=descending)


def _written_order(entry: str) -> tuple[str, bool]:
    """``field [ASC|DESC]`` as (field, descending)."""
    text = entry.strip()
    field, _, direction = text.rpartition(" ")
    if direction.upper() not in {"ASC", "DESC"}:
        return text, False
    return field.strip(), direction.upper() == "DESC"


def _field(text: str) -> tuple[str, str]:
    """(kind, key) of a field as written: ``metrics.`a b``` is (``metric``, ``a b``)."""
    if text.startswith("`") and text.endswith("`") and text.count("`") == 2:
        return "attribute", _attribute(text[1:-1])
    prefix, dot, rest = text.partition(".")
    if dot and prefix.lower() in {"dataset", "datasets"}:
        return "dataset", _unquoted(rest)
    if dot and prefix.lower() in _PREFIXES:
        kind = _PREFIXES[prefix.lower()]
        key = _unquoted(rest)
        return kind, _attribute(key) if kind == "attribute" else key
    return "attribute", _attribute(_unquoted(text))


def _unquoted(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in '`"':
        return text[1:-1].replace(text[0] * 2, text[0])
    return text


def _attribute(name: str) -> str:
    return _ATTRIBUTE_NAMES.get(name.lower(), name)


def _kind(kind: str) -> FieldKind:
    found = _KINDS.get(kind)
    if found is None:
        raise invalid(f"Invalid filter: unknown field kind {kind!r}")
    return found
