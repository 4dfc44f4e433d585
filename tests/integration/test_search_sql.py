"""The compiled search statements, run against real SQLite and PostgreSQL databases."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from modelreg.domain.entities import VersionStatus
from modelreg.domain.filters import Target, parse_query
from modelreg.domain.tracking import Stage
from modelreg.store.sql.search import model_statement, version_statement
from modelreg.store.sql.tables import (
    AliasRow,
    Base,
    ModelTagRow,
    ModelVersionRow,
    RegisteredModelRow,
    VersionMetricRow,
    VersionParamRow,
    VersionTagRow,
)
from modelreg.store.sql.tracking import VersionExtrasRow

POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


# -- fixtures --------------------------------------------------------------------------------


@contextmanager
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path_factory.mktemp('search')}/search.db")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        # The engine owner sets this pragma in production; search.py relies on it for LIKE.
        cursor.execute("PRAGMA case_sensitive_like = ON")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def postgres_engine() -> Iterator[Engine]:
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    database = "modelreg_search_test" + (f"_{worker}" if worker else "")
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        admin_connection = admin.connect()
    except OperationalError as e:
        admin.dispose()
        reason = f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {e.orig}"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with admin_connection:
        admin_connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin_connection.execute(text(f'CREATE DATABASE "{database}"'))
    engine = create_engine(admin.url.set(database=database))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as admin_connection:
            admin_connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def engine(request, tmp_path_factory) -> Iterator[Engine]:
    database = sqlite_engine(tmp_path_factory) if request.param == "sqlite" else postgres_engine()
    with database as engine:
        Base.metadata.create_all(engine)
        with Session(engine) as session, session.begin():
            seed(session)
        yield engine


def seed(session: Session) -> None:
    """Three models: credit-risk (v1..v3), churn (v1, v2) and fraud (no versions)."""
    credit = RegisteredModelRow(
        name="credit-risk",
        description="Credit Risk scorer",
        owner="alice",
        created_at=at("2024-01-01"),
        updated_at=at("2024-03-01"),
        last_version=3,
    )
    churn = RegisteredModelRow(
        name="churn",
        description="churn model",
        owner=None,
        created_at=at("2024-02-01"),
        updated_at=at("2024-02-15"),
        last_version=2,
    )
    fraud = RegisteredModelRow(
        name="fraud",
        description="100% synthetic",
        owner="bob",
        created_at=at("2024-03-01"),
        updated_at=at("2024-03-02"),
    )
    session.add_all([credit, churn, fraud])
    session.flush()
    session.add_all(
        [
            ModelTagRow(model_id=credit.id, key="team", value="risk"),
            ModelTagRow(model_id=credit.id, key="mlflow.prompt.is_prompt", value="false"),
            ModelTagRow(model_id=churn.id, key="team", value="growth"),
            ModelTagRow(model_id=churn.id, key="mlflow.prompt.is_prompt", value="true"),
        ]
    )

    def version(model, number, status, created, **fields):
        row = ModelVersionRow(
            model_id=model.id,
            version=number,
            status=status,
            created_by=fields.pop("created_by", "alice"),
            created_at=at(created),
            updated_at=at(created),
            **fields,
        )
        session.add(row)
        session.flush()
        return row

    ready, pending, failed = VersionStatus.READY, VersionStatus.PENDING, VersionStatus.FAILED
    cr1 = version(credit, 1, ready, "2024-01-02", description="baseline", run_id="r1")
    cr2 = version(
        credit, 2, ready, "2024-01-10", description="retrained on 2024 data", parent_version=1
    )
    cr3 = version(
        credit, 3, pending, "2024-01-20", description="Retrained again", source_commit="abc"
    )
    ch1 = version(churn, 1, ready, "2024-02-02", description="first", created_by="bob")
    ch2 = version(churn, 2, failed, "2024-02-05", description="broken")
    session.add_all(
        [
            VersionMetricRow(version_id=cr1.id, key="auc", value=0.80),
            VersionMetricRow(version_id=cr2.id, key="auc", value=0.95),
            VersionMetricRow(version_id=ch1.id, key="auc", value=0.90),
            VersionMetricRow(version_id=ch1.id, key="val.auc", value=0.88),
            VersionMetricRow(version_id=ch2.id, key="auc", value=0.60),
            VersionParamRow(version_id=cr1.id, key="lr", value="0.01"),
            VersionParamRow(version_id=cr2.id, key="lr", value="0.02"),
            VersionTagRow(version_id=cr1.id, key="stage", value="dev"),
            VersionTagRow(version_id=cr2.id, key="stage", value="prod"),
            VersionTagRow(version_id=ch1.id, key="mlflow.prompt.is_prompt", value="true"),
            # Registered through MLflow: the source it named.
            VersionExtrasRow(
                version_id=cr1.id, stage=Stage.NONE, source="runs:/r1/model", run_link="",
            ),
            VersionExtrasRow(
                version_id=ch1.id, stage=Stage.NONE, source="runs:/r9/Model", run_link="",
            ),
            AliasRow(
                model_id=credit.id, name="prod", version_id=cr2.id, updated_at=at("2024-01-11"),
                updated_by="alice",
            ),
            AliasRow(
                model_id=credit.id, name="staging", version_id=cr3.id,
                updated_at=at("2024-01-21"), updated_by="alice",
            ),
            AliasRow(
                model_id=churn.id, name="champion", version_id=ch1.id,
                updated_at=at("2024-02-03"), updated_by="bob",
            ),
        ]
    )  # fmt: skip


def versions(engine: Engine, filter_text: str) -> list[str]:
    statement = version_statement(parse_query(filter_text, Target.VERSIONS))
    with Session(engine) as session:
        rows = session.execute(statement).all()
    return [f"{name}/{row.version}" for row, name in rows]


def models(engine: Engine, filter_text: str) -> list[str]:
    statement = model_statement(parse_query(filter_text, Target.MODELS))
    with Session(engine) as session:
        return [row.name for row in session.scalars(statement)]


ALL_VERSIONS_NEWEST_FIRST = [
    "churn/2",
    "churn/1",
    "credit-risk/3",
    "credit-risk/2",
    "credit-risk/1",
]


# -- versions ---------------------------------------------------------------------------------


def test_no_filter_returns_all_versions_newest_first(engine):
    assert versions(engine, "") == ALL_VERSIONS_NEWEST_FIRST


def test_limit_is_left_to_the_caller(engine):
    assert versions(engine, "LIMIT 1") == ALL_VERSIONS_NEWEST_FIRST


def test_name_refers_to_the_model_name(engine):
    assert versions(engine, "name = 'churn'") == ["churn/2", "churn/1"]


def test_name_equality_is_exact_wherever_it_stands(engine):
    # ``name = x`` compiles to a lookup of the model's id: the same rows as a test on the name.
    assert versions(engine, "name = 'nobody'") == []
    assert versions(engine, "name = 'Churn'") == []
    assert versions(engine, "name = 'churn' OR name = 'fraud'") == versions(
        engine, "name IN ('churn', 'fraud')"
    )
    assert versions(engine, "name = 'churn' OR version = 3") == [
        "churn/2",
        "churn/1",
        "credit-risk/3",
    ]
    assert versions(engine, "name != 'churn'") == [
        "credit-risk/3",
        "credit-risk/2",
        "credit-risk/1",
    ]


def test_metric_order_puts_missing_values_last_in_both_directions(engine):
    assert versions(engine, "ORDER BY metrics.auc DESC") == [
        "credit-risk/2",
        "churn/1",
        "credit-risk/1",
        "churn/2",
        "credit-risk/3",
    ]
    assert versions(engine, "ORDER BY metrics.auc") == [
        "churn/2",
        "credit-risk/1",
        "churn/1",
        "credit-risk/2",
        "credit-risk/3",
    ]


def test_ties_are_broken_by_id_in_the_last_direction(engine):
    assert versions(engine, "ORDER BY status") == [
        "churn/2",  # FAILED
        "credit-risk/3",  # PENDING
        "credit-risk/1",  # READY, in insertion (id) order
        "credit-risk/2",
        "churn/1",
    ]
    assert versions(engine, "ORDER BY status DESC") == [
        "churn/1",
        "credit-risk/2",
        "credit-risk/1",
        "credit-risk/3",
        "churn/2",
    ]


def test_order_by_several_items(engine):
    assert versions(engine, "ORDER BY name ASC, version DESC") == [
        "churn/2",
        "churn/1",
        "credit-risk/3",
        "credit-risk/2",
        "credit-risk/1",
    ]


def test_and_or_and_parentheses(engine):
    assert versions(
        engine, "name = 'credit-risk' AND (metrics.auc > 0.9 OR status = 'PENDING')"
    ) == ["credit-risk/3", "credit-risk/2"]
    assert versions(engine, "name = 'credit-risk' AND metrics.auc > 0.9 OR status = 'FAILED'") == [
        "churn/2",
        "credit-risk/2",
    ]


def test_in_and_not_in(engine):
    assert versions(engine, "version IN (1, 3)") == ["churn/1", "credit-risk/3", "credit-risk/1"]
    assert versions(engine, "status NOT IN ('ready')") == ["churn/2", "credit-risk/3"]
    assert versions(engine, "metrics.auc IN (0.8, 0.6)") == ["churn/2", "credit-risk/1"]


def test_float_compares_with_integer_columns(engine):
    assert versions(engine, "version > 1.5") == ["churn/2", "credit-risk/3", "credit-risk/2"]


def test_like_is_case_sensitive_and_ilike_is_not(engine):
    assert versions(engine, "description LIKE 'retrain%'") == ["credit-risk/2"]
    assert versions(engine, "description LIKE 'Retrain%'") == ["credit-risk/3"]
    assert versions(engine, "description ILIKE 'RETRAIN%'") == ["credit-risk/3", "credit-risk/2"]
    assert versions(engine, "description NOT ILIKE 'retrain%'") == [
        "churn/2",
        "churn/1",
        "credit-risk/1",
    ]


def test_like_backslash_escapes_wildcards(engine):
    assert models(engine, "description LIKE '100\\% s%'") == ["fraud"]
    assert models(engine, "description LIKE '100\\_%'") == []


def test_tag_not_equal_means_key_present_with_other_value(engine):
    assert versions(engine, "tags.stage != 'prod'") == ["credit-risk/1"]
    assert versions(engine, "tags.stage IS NULL") == ["churn/2", "churn/1", "credit-risk/3"]
    assert versions(engine, "tags.stage IS NOT NULL") == ["credit-risk/2", "credit-risk/1"]


def test_mlflow_prompt_filter(engine):
    assert versions(engine, "tags.`mlflow.prompt.is_prompt` != 'true'") == []
    assert models(engine, "tags.`mlflow.prompt.is_prompt` != 'true'") == ["credit-risk"]


def test_metric_key_with_dots_and_params_as_text(engine):
    assert versions(engine, "metrics.val.auc > 0.8") == ["churn/1"]
    assert versions(engine, "params.lr = 0.01") == ["credit-risk/1"]
    assert versions(engine, "metrics.auc != 0.8") == ["churn/2", "churn/1", "credit-risk/2"]


def test_nullable_attribute_comparisons_skip_missing_values(engine):
    assert versions(engine, "run_id != 'zzz'") == ["credit-risk/1"]
    assert versions(engine, "parent_version IS NULL") == [
        "churn/2",
        "churn/1",
        "credit-risk/3",
        "credit-risk/1",
    ]


def test_mlflow_source_is_the_source_an_mlflow_client_registered_from(engine):
    assert versions(engine, "mlflow_source = 'runs:/r1/model'") == ["credit-risk/1"]
    assert versions(engine, "mlflow_source LIKE 'runs:/%'") == ["churn/1", "credit-risk/1"]
    assert versions(engine, "mlflow_source LIKE '%/model'") == ["credit-risk/1"]
    assert versions(engine, "mlflow_source ILIKE '%/MODEL'") == ["churn/1", "credit-risk/1"]
    assert versions(engine, "mlflow_source != 'runs:/r1/model'") == ["churn/1"]
    # Pushed versions have no MLflow source: missing, and last in either order.
    assert versions(engine, "mlflow_source IS NULL") == [
        "churn/2",
        "credit-risk/3",
        "credit-risk/2",
    ]
    assert versions(engine, "ORDER BY mlflow_source ASC")[:2] == ["credit-risk/1", "churn/1"]
    assert versions(engine, "ORDER BY mlflow_source DESC")[:2] == ["churn/1", "credit-risk/1"]


def test_version_alias_filters(engine):
    assert versions(engine, "alias = 'prod'") == ["credit-risk/2"]
    assert versions(engine, "alias IN ('prod', 'champion')") == ["churn/1", "credit-risk/2"]
    assert versions(engine, "alias != 'prod'") == [
        "churn/2",
        "churn/1",
        "credit-risk/3",
        "credit-risk/1",
    ]
    assert versions(engine, "alias NOT IN ('prod', 'staging')") == [
        "churn/2",
        "churn/1",
        "credit-risk/1",
    ]


def test_created_at_ranges(engine):
    assert versions(
        engine, "created_at >= '2024-01-05' AND created_at < '2024-02-03T00:00:00Z'"
    ) == [
        "churn/1",
        "credit-risk/3",
        "credit-risk/2",
    ]
    # credit-risk/2 was created at 2024-01-10T00:00Z, which is 02:00 at +02:00.
    assert versions(engine, "created_at < '2024-01-10T02:00:00+02:00'") == ["credit-risk/1"]
    assert versions(engine, "created_at <= '2024-01-10T02:00:00+02:00'") == [
        "credit-risk/2",
        "credit-risk/1",
    ]
    assert versions(engine, "created_at = '2024-01-10T00:00:00'") == ["credit-risk/2"]


# -- models -----------------------------------------------------------------------------------


def test_no_filter_returns_models_by_name(engine):
    assert models(engine, "") == ["churn", "credit-risk", "fraud"]


def test_model_alias_filters(engine):
    assert models(engine, "alias = 'champion'") == ["churn"]
    assert models(engine, "alias != 'champion'") == ["credit-risk", "fraud"]
    assert models(engine, "alias IN ('prod', 'staging')") == ["credit-risk"]


def test_latest_version_counts_ready_versions_only(engine):
    assert models(engine, "latest_version = 2") == ["credit-risk"]
    assert models(engine, "latest_version IS NULL") == ["fraud"]
    assert models(engine, "ORDER BY latest_version DESC") == ["credit-risk", "churn", "fraud"]
    assert models(engine, "ORDER BY latest_version") == ["churn", "credit-risk", "fraud"]


def test_model_tag_order_puts_missing_last(engine):
    assert models(engine, "ORDER BY tags.team") == ["churn", "credit-risk", "fraud"]
    assert models(engine, "ORDER BY tags.team DESC") == ["credit-risk", "churn", "fraud"]


def test_model_attribute_filters(engine):
    assert models(engine, "owner != 'alice'") == ["fraud"]
    assert models(engine, "owner IS NULL") == ["churn"]
    assert models(engine, "updated_at > '2024-02-20' ORDER BY updated_at DESC") == [
        "fraud",
        "credit-risk",
    ]
    assert models(engine, "description ILIKE 'credit%' OR tags.team = 'growth'") == [
        "churn",
        "credit-risk",
    ]
    assert models(engine, "description LIKE 'credit%'") == []


# -- safety -----------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()])
def test_user_text_is_bound_never_inlined(dialect):
    query = parse_query(
        "name = 'x''; DROP TABLE model_versions; --' OR tags.`evil'key` LIKE 'p%' "
        "ORDER BY params.`a'b`",
        Target.VERSIONS,
    )
    sql = str(version_statement(query).compile(dialect=dialect))
    assert "DROP" not in sql
    assert "evil" not in sql
    assert "a'b" not in sql
