"""A search over tracking runs: conditions on their latest metrics, params, tags and attributes,
and an order. "Find the best run, then register its model" is the registry flow this serves.

The rules follow MLflow's run search, which is what clients of these runs speak:

* a metric compares its **latest** value (highest step, then latest timestamp) with a number;
  a run without that metric, or whose latest value is NaN, matches no comparison;
* a param or tag compares its value as text (``=``, ``!=``, ``LIKE``, ``ILIKE``); a run without
  the key matches none of these, ``IS NULL`` matches exactly those runs;
* attributes: ``run_id``, ``run_name``, ``status``, ``user_id`` and ``artifact_uri`` as text
  (``run_id`` also ``IN`` / ``NOT IN``), ``start_time`` and ``end_time`` as epoch milliseconds;
* in an order, runs without the value come last in either direction, then the newest start
  first, then the run id, so pages never overlap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from modelreg.domain.errors import InvalidArgumentError

RunField = Literal["metric", "param", "tag", "attribute"]
RunValue = float | str | datetime | tuple[str, ...] | None

TEXT_ATTRIBUTES = frozenset({"run_id", "run_name", "status", "user_id", "artifact_uri"})
TIME_ATTRIBUTES = frozenset({"start_time", "end_time"})
RUN_ATTRIBUTES = TEXT_ATTRIBUTES | TIME_ATTRIBUTES

NUMBER_OPS = frozenset({"=", "!=", "<", "<=", ">", ">="})
TEXT_OPS = frozenset({"=", "!=", "LIKE", "ILIKE"})
LIST_OPS = frozenset({"IN", "NOT IN"})
PRESENCE_OPS = frozenset({"IS NULL", "IS NOT NULL"})

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class RunCondition:
    kind: RunField
    key: str
    op: str
    value: RunValue = None


@dataclass(frozen=True, slots=True)
class RunOrder:
    kind: RunField
    key: str
    descending: bool = False


@dataclass(frozen=True, slots=True)
class RunQuery:
    conditions: tuple[RunCondition, ...] = ()
    order: tuple[RunOrder, ...] = ()


def run_condition(kind: RunField, key: str, op: str, value: object) -> RunCondition:
    """A checked condition: ``value`` is the number, text or list as written in the filter."""
    if kind == "metric":
        return RunCondition(kind, key, _op(op, NUMBER_OPS, f"metric {key!r}"), _number(key, value))
    if kind in ("param", "tag"):
        op = _op(op, TEXT_OPS | PRESENCE_OPS, f"{kind} {key!r}")
        return RunCondition(kind, key, op, None if op in PRESENCE_OPS else _text(key, value))
    if key in TIME_ATTRIBUTES:
        op = _op(op, NUMBER_OPS, f"attribute {key!r}")
        return RunCondition(kind, key, op, _EPOCH + timedelta(milliseconds=_number(key, value)))
    if key not in TEXT_ATTRIBUTES:
        raise InvalidArgumentError(
            f"runs cannot be searched by attribute {key!r}; the attributes are "
            f"{', '.join(sorted(RUN_ATTRIBUTES))}",
            field="filter",
        )
    if key == "run_id" and op in LIST_OPS:
        if not isinstance(value, tuple) or not all(isinstance(v, str) for v in value):
            raise InvalidArgumentError(f"{op} needs a list of quoted run ids", field="filter")
        return RunCondition(kind, key, op, value)
    return RunCondition(kind, key, _op(op, TEXT_OPS, f"attribute {key!r}"), _text(key, value))


def run_order(kind: RunField, key: str, *, descending: bool) -> RunOrder:
    if kind == "attribute" and key not in RUN_ATTRIBUTES:
        raise InvalidArgumentError(
            f"runs cannot be ordered by attribute {key!r}; the attributes are "
            f"{', '.join(sorted(RUN_ATTRIBUTES))}",
            field="order_by",
        )
    return RunOrder(kind, key, descending)


def run_query(conditions: list[RunCondition], order: list[RunOrder]) -> RunQuery:
    seen = [(item.kind, item.key) for item in order]
    if len(set(seen)) != len(seen):
        raise InvalidArgumentError("the order names the same field twice", field="order_by")
    return RunQuery(tuple(conditions), tuple(order))


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


ALL_RUNS = RunQuery()  # no condition, the default order
