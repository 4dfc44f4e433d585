"""MLflow's run search (``filter`` and ``order_by`` of ``runs/search``) as a ``RunQuery``
(``domain/run_search.py``, which holds the rules)::

    metrics.rmse < 0.8 AND params.model = 'gbm' AND tags.`team` LIKE 'risk%'
    attributes.status = 'FINISHED' AND run_id IN ('a1…', 'b2…') AND start_time > 1700000000000
    order_by: ["metrics.rmse ASC", "attributes.start_time DESC"]

Fields are ``metric(s).``, ``param(s).``/``parameter(s).``, ``tag(s).`` and ``attribute(s).``/
``attr.``/``run.`` followed by a key, which may be back-quoted or double-quoted; a bare name is
an attribute (``created`` is ``start_time``, ``run name`` is ``run_name``). Dataset filters
(``datasets.``) are refused: modelreg does not keep run inputs.
"""

from __future__ import annotations

from modelreg.domain.run_search import (
    RunCondition,
    RunField,
    RunOrder,
    RunQuery,
    run_condition,
    run_order,
    run_query,
)
from modelreg.server.mlflow.errors import invalid
from modelreg.server.mlflow.filters import parse_filter

_PREFIXES: dict[str, RunField] = {
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
_KINDS: dict[str, RunField] = {kind: kind for kind in _PREFIXES.values()}
_ATTRIBUTE_NAMES = {"created": "start_time", "run name": "run_name"}


def run_search(filter_text: str | None, order_by: list[str]) -> RunQuery:
    conditions: list[RunCondition] = []
    for clause in parse_filter(filter_text, _field):
        if clause.kind == "dataset":
            raise invalid("modelreg does not keep run inputs: datasets cannot be searched")
        conditions.append(run_condition(_kind(clause.kind), clause.key, clause.op, clause.value))
    return run_query(conditions, [_order(entry) for entry in order_by])


def _order(entry: str) -> RunOrder:
    text = entry.strip()
    field, _, direction = text.rpartition(" ")
    if direction.upper() not in {"ASC", "DESC"}:
        field, direction = text, "ASC"
    kind, key = _field(field.strip())
    if not key or kind == "dataset":
        raise invalid(f"Invalid order_by clause '{entry}'")
    return run_order(_kind(kind), key, descending=direction.upper() == "DESC")


def _field(text: str) -> tuple[str, str]:
    """(kind, key) of a field as written: ``metrics.`a b``` is (``metric``, ``a b``)."""
    if text.startswith("`") and text.endswith("`") and text.count("`") == 2:
        return "attribute", _attribute(text[1:-1])
    prefix, dot, rest = text.partition(".")
    if dot and prefix.lower() in {"dataset", "datasets"}:
        return "dataset", rest
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


def _kind(kind: str) -> RunField:
    found = _KINDS.get(kind)
    if found is None:
        raise invalid(f"Invalid filter: unknown field kind {kind!r}")
    return found
