"""One real server process on PostgreSQL: push, pull and aliases through it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from modelreg import AliasNotFoundError, Client
from modelreg.store.sql.tables import AliasRow, Base, ModelVersionRow
from tests import databases
from tests.e2e.conftest import ServerFactory, clean_env, free_port, run_cli, tree_bytes
from tests.factories import opaque_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


def _folder(root: Path, payload: bytes) -> Path:
    (root / "sub").mkdir(parents=True)
    (root / "weights.bin").write_bytes(payload)
    (root / "sub" / "config.json").write_text('{"layers": 2}')
    return root


def _count(url: str, table: type[Base]) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(table)).scalar_one()
    finally:
        engine.dispose()


def test_server_on_postgres_pushes_pulls_and_moves_aliases(
    postgres_database: str, server: ServerFactory, tmp_path: Path
) -> None:
    running = server(tmp_path / "home", database_url=postgres_database)
    with httpx.Client(base_url=running.url, timeout=30) as http:
        assert http.get("/api/v1/info").json()["database"] == "postgresql"

    v1_dir = _folder(tmp_path / "v1", opaque_bytes(120_000))
    v2_dir = _folder(tmp_path / "v2", opaque_bytes(80_000))
    with Client(running.url, cache_dir=tmp_path / "cache", user="pg-user") as client:
        v1 = client.push("pg-model", v1_dir, metrics={"auc": 0.81}, tags={"team": "risk"})
        v2 = client.push("pg-model", v2_dir, metrics={"auc": 0.9}, alias="production")
        assert (v1.version, v2.version) == (1, 2)
        assert v2.aliases == ("production",)

        client.set_alias("pg-model", "staging", 1)
        assert client.resolve("pg-model@staging").version == 1
        assert client.get_model("pg-model").aliases == {"production": 2, "staging": 1}

        pulled = client.pull("pg-model@production", tmp_path / "pulled-prod")
        assert tree_bytes(pulled) == tree_bytes(v2_dir)
        pulled = client.pull("pg-model@staging", tmp_path / "pulled-staging")
        assert tree_bytes(pulled) == tree_bytes(v1_dir)

        client.set_alias("pg-model", "production", 1)  # roll back
        assert client.resolve("pg-model@production").version == 1
        client.delete_alias("pg-model", "staging")
        with pytest.raises(AliasNotFoundError):
            client.resolve("pg-model@staging")

        found = client.search_versions("metrics.auc > 0.85")
        assert [(v.model_name, v.version) for v in found] == [("pg-model", 2)]
        assert [e.action for e in client.events("pg-model")] == [
            "alias.deleted",
            "alias.set",
            "alias.set",
            "alias.set",
            "version.created",
            "version.created",
            "model.created",
        ]

    # the CLI against the same server sees the same state
    listed = run_cli(
        "--registry",
        running.url,
        "models",
        "--json",
        env=clean_env(MODELREG_CACHE=str(tmp_path / "cli-cache")),
    ).ok()
    assert '"production": 1' in listed.stdout

    # the metadata lives in PostgreSQL, not in a SQLite file inside the home folder
    assert not (running.home / "registry.db").exists()
    assert _count(postgres_database, ModelVersionRow) == 2
    assert _count(postgres_database, AliasRow) == 1


def test_unreachable_postgres_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """The helper these tests use fails (it does not skip) when CI is set."""
    closed = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test"
    monkeypatch.setattr(databases, "ADMIN_URL", closed)
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="PostgreSQL is required in CI"):
        databases.create_postgres_database("modelreg_e2e_never_created")
