"""Run search (``domain/run_search.py``) on SQLite and PostgreSQL, through the tracking service
and MLflow's filter syntax (``server/mlflow/run_filters.py``): latest metric values, params,
tags, attributes, missing values last in either order, and pages that resume one search only."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from modelreg.domain.errors import InvalidArgumentError, ModelregError
from modelreg.domain.tracking import Metric, RunStatus
from modelreg.server.mlflow.deps import MlflowServices
from modelreg.server.mlflow.errors import MlflowError
from modelreg.server.mlflow.run_filters import run_search
from modelreg.wiring import Services

START = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
def ms(services: Services) -> MlflowServices:
    return MlflowServices.over(services)


@pytest.fixture
def runs(ms: MlflowServices) -> tuple[str, dict[str, str]]:
    """Four runs of one experiment, started a minute apart (``a`` first):

    ========  =====================  ======  =========  ========
    run       rmse (latest)          lr      team tag   status
    ========  =====================  ======  =========  ========
    a         0.9, then 0.5 (step 2)  0.1     risk       FINISHED
    b         0.7                     0.01    Risk-Ops   FINISHED
    c         NaN                     0.1     (none)     FAILED
    d         (none)                  (none)  fraud      RUNNING
    ========  =====================  ======  =========  ========
    """
    experiment = ms.tracking.create_experiment("search-me")
    at = START
    ids: dict[str, str] = {}
    for name in "abcd":
        run = ms.tracking.create_run(
            experiment.id, user_id=f"user-{name}", name=name, start_time=at
        )
        ids[name] = run.info.id
        at += timedelta(minutes=1)
    log = ms.tracking.log_batch
    log(ids["a"], metrics=[Metric("rmse", 0.9, START, 1), Metric("rmse", 0.5, START, 2)])
    log(ids["a"], params={"lr": "0.1"}, tags={"team": "risk"})
    log(ids["b"], metrics=[Metric("rmse", 0.7, START, 0)], params={"lr": "0.01"})
    log(ids["b"], tags={"team": "Risk-Ops"})
    log(ids["c"], metrics=[Metric("rmse", math.nan, START, 0)], params={"lr": "0.1"})
    log(ids["d"], tags={"team": "fraud"})
    for name, status in (("a", RunStatus.FINISHED), ("b", RunStatus.FINISHED)):
        ms.tracking.update_run(ids[name], status=status, end_time=START + timedelta(hours=1))
    ms.tracking.update_run(ids["c"], status=RunStatus.FAILED)
    return experiment.id, ids


def found(
    ms: MlflowServices, runs: tuple[str, dict[str, str]], text: str = "", *order: str
) -> list[str]:
    experiment, ids = runs
    names = {run_id: name for name, run_id in ids.items()}
    page = ms.tracking.search_runs([experiment], query=run_search(text, list(order)))
    return [names[run.info.id] for run in page.items]


def test_without_a_filter_the_newest_start_comes_first(ms, runs):
    assert found(ms, runs) == ["d", "c", "b", "a"]


def test_metrics_compare_their_latest_value(ms, runs):
    assert found(ms, runs, "metrics.rmse < 0.6") == ["a"]  # 0.9 was logged first, at step 1
    assert found(ms, runs, "metrics.rmse >= 0.5") == ["b", "a"]
    assert found(ms, runs, "metric.rmse = 0.7") == ["b"]
    # NaN and a missing metric match no comparison, not even !=.
    assert found(ms, runs, "metrics.rmse != 0.5") == ["b"]
    assert found(ms, runs, "metrics.rmse > 1e-3 AND metrics.rmse < 7E-1") == ["a"]


def test_ordering_by_a_metric_puts_missing_values_last_both_ways(ms, runs):
    assert found(ms, runs, "", "metrics.rmse ASC") == ["a", "b", "d", "c"]
    assert found(ms, runs, "", "metrics.rmse DESC") == ["b", "a", "d", "c"]
    assert found(ms, runs, "", "metrics.`rmse`") == ["a", "b", "d", "c"]


def test_params_and_tags_compare_text_and_presence(ms, runs):
    assert found(ms, runs, "params.lr = '0.1'") == ["c", "a"]
    assert found(ms, runs, "params.lr != '0.1'") == ["b"]  # d has no lr: no match
    assert found(ms, runs, "params.lr IS NULL") == ["d"]
    assert found(ms, runs, "params.lr IS NOT NULL") == ["c", "b", "a"]
    assert found(ms, runs, "tags.team LIKE 'Risk%'") == ["b"]  # LIKE is case-sensitive
    assert found(ms, runs, "tags.`team` ILIKE 'risk%'") == ["b", "a"]
    assert found(ms, runs, "tags.team IS NULL") == ["c"]
    assert found(ms, runs, "params.lr = '0.1' AND tags.team = 'risk'") == ["a"]


def test_attributes(ms, runs):
    _, ids = runs
    assert found(ms, runs, "attributes.status = 'FINISHED'") == ["b", "a"]
    assert found(ms, runs, "status != 'FINISHED'") == ["d", "c"]
    assert found(ms, runs, "attribute.status LIKE 'FIN%'") == ["b", "a"]
    assert found(ms, runs, "run_name = 'c'") == ["c"]
    assert found(ms, runs, "attributes.`run name` = 'c'") == ["c"]
    assert found(ms, runs, "user_id = 'user-b'") == ["b"]
    assert found(ms, runs, f"run_id IN ('{ids['a']}', '{ids['d']}')") == ["d", "a"]
    assert found(ms, runs, f"attributes.run_id NOT IN ('{ids['a']}')") == ["d", "c", "b"]
    third = int((START + timedelta(minutes=2)).timestamp() * 1000)
    assert found(ms, runs, f"attributes.start_time >= {third}") == ["d", "c"]
    assert found(ms, runs, f"created < {third}") == ["b", "a"]
    assert found(ms, runs, "end_time > 0") == ["b", "a"]
    assert found(ms, runs, "", "attributes.start_time ASC") == ["a", "b", "c", "d"]
    assert found(ms, runs, "", "params.lr DESC", "run_name DESC") == ["c", "a", "b", "d"]


def test_a_page_token_resumes_only_its_own_search(ms, runs):
    experiment, _ = runs
    query = run_search("params.lr IS NOT NULL", ["metrics.rmse ASC"])
    first = ms.tracking.search_runs([experiment], query=query, limit=2)
    assert first.next_cursor
    rest = ms.tracking.search_runs([experiment], query=query, cursor=first.next_cursor, limit=2)
    assert len(first.items) + len(rest.items) == 3
    assert not {r.info.id for r in first.items} & {r.info.id for r in rest.items}
    other = run_search("params.lr IS NULL", [])
    with pytest.raises(InvalidArgumentError):
        ms.tracking.search_runs([experiment], query=other, cursor=first.next_cursor, limit=2)


@pytest.mark.parametrize(
    ("text", "order"),
    [
        ("metrics.rmse < 'low'", []),
        ("metrics.rmse LIKE '0%'", []),
        ("params.lr > 1", []),
        ("tags.team IN ('a')", []),
        ("attributes.color = 'red'", []),
        ("start_time = 'yesterday'", []),
        ("datasets.name = 'train'", []),
        ("metrics.rmse < 1 OR params.lr = '1'", []),
        ("params.lr IS 'x'", []),
        ("", ["metrics.rmse ASC", "metrics.rmse DESC"]),
        ("", ["attributes.color"]),
    ],
)
def test_malformed_searches_are_refused_in_words(text: str, order: list[str]):
    with pytest.raises((ModelregError, MlflowError)) as excinfo:
        run_search(text, order)
    assert str(excinfo.value)
