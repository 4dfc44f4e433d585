"""Run and logged-model searches (``domain/tracking_search.py``) on SQLite and PostgreSQL,
through the tracking service and MLflow's filter syntax (``server/mlflow/tracking_filters.py``):
metric values, params, tags, attributes, missing values last in either order, and pages that
resume one search only."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from modelreg.domain.errors import InvalidArgumentError, ModelregError
from modelreg.domain.tracking import Metric, RunStatus
from modelreg.server.mlflow.deps import MlflowServices
from modelreg.server.mlflow.errors import MlflowError
from modelreg.server.mlflow.tracking_filters import (
    experiment_search,
    logged_model_search,
    run_search,
)
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
        ("datasets.rows = 'x'", []),
        ("datasets.name IS NULL", []),
        ("", ["datasets.name"]),
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


# -- logged models -----------------------------------------------------------------------------


@pytest.fixture
def models(ms: MlflowServices) -> tuple[str, dict[str, str]]:
    """Three logged models of one experiment, created in order x, y, z: x's accuracy was 0.7,
    then 0.9 (later); y's is 0.8; z has none. x and y have depth params, z a team tag."""
    experiment = ms.tracking.create_experiment("models-search")
    run = ms.tracking.create_run(experiment.id, user_id="u", start_time=START)
    ids = {}
    for name, params in (("x", {"depth": "3"}), ("y", {"depth": "8"}), ("z", {})):
        tags = {"team": "risk"} if name == "z" else {}
        created = ms.tracking.create_logged_model(
            experiment.id, name=name, source_run_id=run.info.id, params=params, tags=tags
        )
        ids[name] = created.id
    later = START + timedelta(minutes=5)
    metrics = [
        Metric("accuracy", 0.7, START, 0, ids["x"]),
        Metric("accuracy", 0.9, later, 0, ids["x"]),
        Metric("accuracy", 0.8, START, 0, ids["y"]),
    ]
    ms.tracking.log_batch(run.info.id, metrics=metrics)
    return experiment.id, ids


def models_found(
    ms: MlflowServices, models: tuple[str, dict[str, str]], text: str = "", *order: dict
) -> list[str]:
    experiment, ids = models
    names = {model_id: name for name, model_id in ids.items()}
    query = logged_model_search(text, list(order))
    return [names[m.id] for m in ms.tracking.search_logged_models([experiment], query).items]


def test_logged_models_without_a_filter_newest_first(ms, models):
    assert models_found(ms, models) == ["z", "y", "x"]


def test_a_logged_model_metric_condition_holds_for_any_value_logged(ms, models):
    assert models_found(ms, models, "metrics.accuracy > 0.85") == ["x"]
    assert models_found(ms, models, "metrics.accuracy < 0.75") == ["x"]  # its first value
    assert models_found(ms, models, "metrics.accuracy >= 0.8") == ["y", "x"]


def test_logged_models_order_by_their_latest_metric_missing_last(ms, models):
    accuracy = {"field_name": "metrics.accuracy"}
    assert models_found(ms, models, "", {**accuracy, "ascending": False}) == ["x", "y", "z"]
    assert models_found(ms, models, "", accuracy) == ["y", "x", "z"]
    assert models_found(ms, models, "", {"field_name": "name", "ascending": False}) == [
        "z",
        "y",
        "x",
    ]


def test_logged_models_by_params_tags_and_attributes(ms, models):
    _, ids = models
    assert models_found(ms, models, "params.depth = '8'") == ["y"]
    assert models_found(ms, models, "tags.team LIKE 'ri%'") == ["z"]
    assert models_found(ms, models, "name IN ('x', 'z')") == ["z", "x"]
    assert models_found(ms, models, f"model_id = '{ids['y']}'") == ["y"]
    assert models_found(ms, models, "status = 'PENDING'") == ["z", "y", "x"]
    assert models_found(ms, models, "status IN ('LOGGED_MODEL_PENDING')") == ["z", "y", "x"]
    assert models_found(ms, models, "status != 'pending'") == []
    assert models_found(ms, models, "status = 'READY'") == []
    assert models_found(ms, models, "creation_timestamp > 0") == ["z", "y", "x"]


def test_logged_model_metrics_measured_on_datasets(ms, models):
    """x scored 0.95 on eval (v1) then 0.6 on eval (v2, later); y 0.7 on holdout. A search naming
    datasets counts only metrics measured on them, as MLflow 3's does."""
    experiment, ids = models
    run = ms.tracking.search_runs([experiment]).items[0].info.id
    later = START + timedelta(minutes=9)
    ms.tracking.log_batch(
        run,
        metrics=[
            Metric("f1", 0.95, START, 0, ids["x"], "eval", "v1"),
            Metric("f1", 0.6, later, 0, ids["x"], "eval", "v2"),
            Metric("f1", 0.7, START, 0, ids["y"], "holdout", "h1"),
        ],
    )
    names = {model_id: name for name, model_id in ids.items()}

    def found(text: str, datasets: list[dict], *order: dict) -> list[str]:
        query = logged_model_search(text, list(order), datasets)
        return [names[m.id] for m in ms.tracking.search_logged_models([experiment], query).items]

    assert found("metrics.f1 > 0.65", []) == ["y", "x"]
    assert found("metrics.f1 > 0.65", [{"dataset_name": "holdout"}]) == ["y"]
    assert found("metrics.f1 > 0.65", [{"dataset_name": "eval", "dataset_digest": "v2"}]) == []
    assert found("metrics.f1 > 0.65", [{"dataset_name": "eval", "dataset_digest": "v1"}]) == ["x"]
    assert found("", [{"dataset_name": "eval"}, {"dataset_name": "holdout"}]) == ["y", "x"]
    assert found("", [{"dataset_name": "nothing"}]) == []
    by_eval = {"field_name": "metrics.f1", "ascending": False, "dataset_name": "eval"}
    assert found("", [], by_eval) == ["x", "z", "y"]  # y has no f1 on eval: last
    on_v1 = {**by_eval, "dataset_digest": "v1"}
    latest = {"field_name": "metrics.f1", "ascending": False}
    # x's latest f1 is 0.6 (v2); on v1 it is 0.95.
    assert found("", [], latest)[:2] == ["y", "x"]
    assert found("", [], on_v1)[0] == "x"
    got = ms.tracking.get_logged_model(ids["y"]).metrics
    assert [(m.key, m.dataset_name, m.dataset_digest) for m in got if m.key == "f1"] == [
        ("f1", "holdout", "h1")
    ]
    with pytest.raises((ModelregError, MlflowError)):
        logged_model_search("", [{"field_name": "name", "dataset_name": "eval"}])
    with pytest.raises((ModelregError, MlflowError)):
        logged_model_search("", [], [{"dataset_digest": "v1"}])


@pytest.mark.parametrize(
    ("text", "order"),
    [
        ("metrics.accuracy = 'high'", []),
        ("params.depth > 3", []),
        ("attributes.color = 'red'", []),
        ("datasets.name = 'train'", []),
        ("", [{"field_name": "params.depth"}]),
        ("", [{"field_name": "metrics.accuracy", "dataset_digest": "d1"}]),
        ("", [{"ascending": True}]),
        ("", [{"field_name": "name"}, {"field_name": "name", "ascending": False}]),
    ],
)
def test_malformed_logged_model_searches_are_refused(text: str, order: list[dict]):
    with pytest.raises((ModelregError, MlflowError)) as excinfo:
        logged_model_search(text, order)
    assert str(excinfo.value)


# -- experiments ---------------------------------------------------------------------------------


def test_experiments_by_name_time_and_tags_in_any_order(ms: MlflowServices):
    for name, team in (("credit-a", "risk"), ("credit-b", "Risk"), ("churn", None)):
        ms.tracking.create_experiment(name, tags={"team": team} if team else None)

    def names(text: str = "", *order: str) -> list[str]:
        query = experiment_search(text, list(order))
        found = ms.tracking.search_experiments(query=query).items
        return [e.name for e in found if e.name != "Default"]

    assert names() == ["churn", "credit-b", "credit-a"]  # newest first
    assert names("name LIKE 'credit%'") == ["credit-b", "credit-a"]
    assert names("name ILIKE 'CREDIT-A'") == ["credit-a"]
    assert names("name != 'churn'", "name ASC") == ["credit-a", "credit-b"]
    assert names("tags.team = 'risk'") == ["credit-a"]
    assert names("tags.`team` ILIKE 'risk'") == ["credit-b", "credit-a"]
    assert names("creation_time > 0", "name DESC") == ["credit-b", "credit-a", "churn"]
    assert names("", "attributes.name") == ["churn", "credit-a", "credit-b"]
    assert names("", "creation_time ASC")[-1] == "churn"
    with pytest.raises((ModelregError, MlflowError)):
        experiment_search("params.x = '1'", [])
    with pytest.raises((ModelregError, MlflowError)):
        experiment_search("", ["tags.team"])
