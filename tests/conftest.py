"""Shared fixtures: every service- and SDK-level test runs on SQLite and on PostgreSQL, and
SDK tests run both embedded and over HTTP (in-process ASGI, no sockets)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from modelreg.client.client import Client
from modelreg.client.embedded import EmbeddedTransport
from modelreg.server.app import create_app
from modelreg.settings import Settings
from modelreg.wiring import Services, open_services
from tests import databases
from tests.factories import opaque_bytes
from tests.s3server import s3_env, s3_server  # noqa: F401  (S3 fixtures for every suite)


@pytest.fixture(scope="session")
def postgres_url(worker_id: str) -> Iterator[str]:
    name = f"modelreg_test_{worker_id}_{os.getpid()}"
    url = databases.create_postgres_database(name)
    yield url
    databases.drop_postgres_database(name)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return databases.migrated_sqlite(tmp_path_factory.mktemp("template") / "registry.db")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        return databases.copy_migrated_sqlite(template, tmp_path / "registry.db")
    url: str = request.getfixturevalue("postgres_url")
    databases.truncate_all(url)
    return url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(home=tmp_path / "home", database_url=database_url)


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    opened = open_services(settings)
    yield opened
    opened.close()


@pytest.fixture
def http(services: Services) -> Iterator[TestClient]:
    """The server app over ``services``, driven in-process."""
    with TestClient(create_app(services=services), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(params=["embedded", "http"])
def client(request: pytest.FixtureRequest, services: Services, tmp_path: Path) -> Iterator[Client]:
    """The SDK, once embedded and once through the HTTP API; the same tests run on both."""
    cache = tmp_path / "cache"
    if request.param == "embedded":
        sdk = Client(transport=EmbeddedTransport(services, user="alice"), cache_dir=cache)
        yield sdk
        return
    app = create_app(services=services)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield Client(http_client=test_client, user="alice", cache_dir=cache)


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    """A small model folder: weights, a config and a nested file."""
    folder = tmp_path / "model"
    (folder / "sub").mkdir(parents=True)
    (folder / "weights.bin").write_bytes(opaque_bytes(200_000))
    (folder / "config.json").write_text('{"layers": 3}')
    (folder / "sub" / "tokenizer.txt").write_text("a b c\n")
    return folder
