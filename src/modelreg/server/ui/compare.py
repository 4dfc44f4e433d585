"""Compare 2 to 10 versions, of one model or several: params side by side with the differences
marked, metrics as a table and as a chart. Versions are named ``NAME/VERSION`` or
``NAME@ALIAS`` in repeated ``v`` parameters; the first one is the baseline."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import APIRouter, Request, Response

from modelreg.domain.entities import ModelVersion
from modelreg.domain.errors import InvalidArgumentError, ModelregError
from modelreg.domain.filters import BoolOp, Comparison, Expr, Field, Query
from modelreg.domain.permissions import Action
from modelreg.domain.rules import ModelRef, parse_ref
from modelreg.server.access import check
from modelreg.server.deps import RegistryDep
from modelreg.server.ui import paths
from modelreg.server.ui.charts import bar_charts
from modelreg.server.ui.present import number
from modelreg.server.ui.query import format_query
from modelreg.server.ui.rendering import UiRoute, links_for, render, status_of
from modelreg.service.registry import Registry

router = APIRouter(route_class=UiRoute, include_in_schema=False)

MIN_VERSIONS = 2
MAX_VERSIONS = 10
T = TypeVar("T", str, float)


@dataclass(frozen=True, slots=True)
class Row:
    """One key across the compared versions; ``changed[i]`` marks a value unlike the first."""

    key: str
    values: tuple[Any, ...]
    differs: bool
    changed: tuple[bool, ...]


@router.get(paths.COMPARE, name="ui_compare")
def compare_page(
    request: Request, registry: RegistryDep, only_diff: str = "", order: str = ""
) -> Response:
    """``order=oldest`` (sent by a model's version picker) puts the versions in push order, so
    the oldest is the baseline; otherwise they stay in the order given."""
    refs = list(dict.fromkeys(ref.strip() for ref in request.query_params.getlist("v")))
    refs = [ref for ref in refs if ref]
    links = links_for(request)
    context: dict[str, Any] = {
        "refs": refs,
        "only_diff": bool(only_diff),
        "versions": [],
        "min_versions": MIN_VERSIONS,
        "max_versions": MAX_VERSIONS,
        "problem": None,
    }
    status = 200
    try:
        if len(refs) > MAX_VERSIONS:
            raise InvalidArgumentError(
                f"compare at most {MAX_VERSIONS} versions at once; {len(refs)} were asked for"
            )
        versions = resolve_all(registry, refs)
        for name in dict.fromkeys(version.model_name for version in versions):
            check(request, Action.READ, name)  # unreadable models answer as missing
    except ModelregError as error:
        context["problem"] = error.message
        return render(request, "compare.html", context, status=status_of(error))
    versions = list({version.ref: version for version in versions}.values())
    if order == "oldest":
        versions.sort(key=lambda version: (version.created_at, version.model_name, version.version))
    if len(versions) < MIN_VERSIONS:
        context["problem"] = (
            f"Pick between {MIN_VERSIONS} and {MAX_VERSIONS} versions: tick them in a model's "
            "versions table, or add them below as NAME/VERSION or NAME@ALIAS."
        )
        context["versions"] = versions
        return render(request, "compare.html", context, status=status)
    labels = _labels(versions)
    params = _rows(versions, lambda v: v.params)
    metrics = _rows(versions, lambda v: v.metrics)
    shown_refs = [version.ref for version in versions]
    context.update(
        versions=versions,
        labels=labels,
        params=[row for row in params if row.differs] if only_diff else params,
        param_count=len(params),
        differing_params=sum(row.differs for row in params),
        metrics=metrics,
        charts=bar_charts(labels, {row.key: row.values for row in metrics}) if metrics else None,
        deltas=_deltas(metrics),
        remove_links=[
            links.compare([r for r in shown_refs if r != ref], {"only_diff": only_diff})
            for ref in shown_refs
        ],
        baseline_links=[
            links.compare([ref, *(r for r in shown_refs if r != ref)], {"only_diff": only_diff})
            for ref in shown_refs
        ],
        all_link=links.compare(shown_refs),
        diff_link=links.compare(shown_refs, {"only_diff": "1"}),
    )
    return render(request, "compare.html", context, status=status)


def resolve_all(registry: Registry, refs: Sequence[str]) -> list[ModelVersion]:
    """Resolve every ref with one search where possible (ten ``resolve`` calls would be ten
    transactions); a ref the search does not return is resolved on its own, so an unknown one
    fails with the same error as the API's."""
    targets = [parse_ref(ref) for ref in refs]
    terms: list[Expr] = []
    for target in targets:
        name = Comparison(Field("attr", "name"), "=", target.name)
        if target.version is not None:
            terms.append(
                BoolOp("AND", (name, Comparison(Field("attr", "version"), "=", target.version)))
            )
        elif target.alias is not None:
            terms.append(
                BoolOp("AND", (name, Comparison(Field("attr", "alias"), "=", target.alias)))
            )
    found: tuple[ModelVersion, ...] = ()
    if terms:
        where = terms[0] if len(terms) == 1 else BoolOp("OR", tuple(terms))
        found = registry.search_versions(format_query(Query(where=where)), limit=len(terms)).items
    return [_match(found, target) or registry.resolve(target) for target in targets]


def _match(found: Sequence[ModelVersion], target: ModelRef) -> ModelVersion | None:
    for version in found:
        if version.model_name != target.name:
            continue
        if target.version is not None and version.version == target.version:
            return version
        if target.alias is not None and target.alias in version.aliases:
            return version
    return None


def _deltas(rows: Sequence[Row]) -> dict[str, tuple[str, ...]]:
    """Each metric's difference from the baseline (the first version), as signed text."""
    deltas = {}
    for row in rows:
        baseline = row.values[0]
        texts = []
        for index, value in enumerate(row.values):
            if index == 0 or value is None or baseline is None or value == baseline:
                texts.append("")
            else:
                texts.append(
                    ("+" if value > baseline else "\u2212") + number(abs(value - baseline))
                )
        deltas[row.key] = tuple(texts)
    return deltas


def _labels(versions: Sequence[ModelVersion]) -> list[str]:
    """``v3`` when every version belongs to one model, ``name/3`` otherwise."""
    if len({version.model_name for version in versions}) == 1:
        return [f"v{version.version}" for version in versions]
    return [version.ref for version in versions]


def _rows(
    versions: Sequence[ModelVersion], values_of: Callable[[ModelVersion], Mapping[str, T]]
) -> list[Row]:
    mappings = [values_of(version) for version in versions]
    keys = sorted({key for mapping in mappings for key in mapping})
    rows = []
    for key in keys:
        values = tuple(mapping.get(key) for mapping in mappings)
        baseline = values[0]
        changed = tuple(index > 0 and value != baseline for index, value in enumerate(values))
        rows.append(Row(key, values, len(set(values)) > 1, changed))
    return rows
