"""The express lane (``server/mlflow/express.py``) answers every MLflow registry call as the
FastAPI routes it stands in front of: the same status, body and content type, for answers and
errors alike, on SQLite (reads on the event loop) and PostgreSQL (reads in worker threads)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from modelreg.server import mlflow
from modelreg.server.app import create_app
from modelreg.server.branches import branch
from modelreg.server.errors import install_error_handlers
from modelreg.server.mlflow import registry
from modelreg.server.mlflow.express import ExpressRoutes
from modelreg.server.offload import INLINE_ROWS
from modelreg.wiring import Services

API = "/api/2.0/mlflow"
MODELS, VERSIONS = f"{API}/registered-models", f"{API}/model-versions"


@pytest.fixture
def lanes(services: Services) -> Iterator[tuple[TestClient, TestClient]]:
    """The server (the lane in front) and the MLflow routes alone, through FastAPI's routing,
    over the same registry."""
    app = create_app(services=services)
    fastapi_only = branch(app, mlflow.routers, install_error_handlers)
    with (
        TestClient(app, raise_server_exceptions=False) as express,
        TestClient(fastapi_only, raise_server_exceptions=False) as plain,
    ):
        yield express, plain


def _fill(http: TestClient, versions: int) -> None:
    experiment = http.post(f"{API}/experiments/create", json={"name": "e"}).json()
    run = http.post(f"{API}/runs/create", json={"experiment_id": experiment["experiment_id"]})
    info = run.json()["run"]["info"]
    root = info["artifact_uri"].removeprefix("mlflow-artifacts:/")
    put = http.put(f"/api/2.0/mlflow-artifacts/artifacts/{root}/model/w.bin", content=b"abc")
    assert put.status_code == 200
    source = f"runs:/{info['run_id']}/model"
    for name in ("m", "other"):
        assert http.post(f"{MODELS}/create", json={"name": name}).status_code == 200
    for _ in range(versions):
        created = http.post(f"{VERSIONS}/create", json={"name": "m", "source": source})
        assert created.status_code == 200, created.text
    assert http.post(f"{MODELS}/alias", json={"name": "m", "alias": "champion", "version": "2"})
    stage = {"name": "m", "version": "3", "stage": "Production"}
    assert http.post(f"{VERSIONS}/transition-stage", json=stage).status_code == 200
    tag = {"name": "m", "version": "1", "key": "k", "value": "v"}
    assert http.post(f"{VERSIONS}/set-tag", json=tag).status_code == 200


# (method, path, query or JSON body): answers and refusals that change nothing.
CALLS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", f"{MODELS}/get", {"name": "m"}),
    ("GET", f"{MODELS}/get", {"name": "nope"}),
    ("GET", f"{MODELS}/get", {}),
    ("GET", f"{MODELS}/search", {"max_results": 1}),
    ("GET", f"{MODELS}/search", {"filter": "name LIKE 'o%'"}),
    ("GET", f"{MODELS}/search", {"max_results": 0}),
    ("GET", f"{MODELS}/search", {"page_token": "not-a-token"}),
    ("GET", f"{MODELS}/search", {"filter": "name ~ 'x'"}),
    ("GET", f"{MODELS}/get-latest-versions", {"name": "m"}),
    ("POST", f"{MODELS}/get-latest-versions", {"name": "m", "stages": ["Production"]}),
    ("GET", f"{MODELS}/alias", {"name": "m", "alias": "champion"}),
    ("GET", f"{MODELS}/alias", {"name": "m", "alias": "Latest"}),
    ("GET", f"{MODELS}/alias", {"name": "m", "alias": "missing"}),
    ("GET", f"{MODELS}/alias", {"name": "m", "alias": "v1"}),
    ("GET", f"{VERSIONS}/get", {"name": "m", "version": "2"}),
    ("GET", f"{VERSIONS}/get", {"name": "m", "version": "two"}),
    ("GET", f"{VERSIONS}/get", {"name": "m", "version": "9999"}),
    ("GET", f"{VERSIONS}/search", {"filter": "name = 'm'", "max_results": 2}),
    ("GET", f"{VERSIONS}/search", {"filter": "tags.k = 'v'"}),
    ("GET", f"{VERSIONS}/search", {"max_results": INLINE_ROWS + 1}),  # in a thread
    ("GET", f"{VERSIONS}/search", {"filter": "version_number = 2.5"}),
    ("GET", f"{VERSIONS}/get-download-uri", {"name": "m", "version": "1"}),
    ("POST", f"{MODELS}/create", {}),
    ("POST", f"{MODELS}/create", {"name": "m"}),
    ("POST", f"{MODELS}/create", {"name": "bad/name"}),
    ("POST", f"{MODELS}/rename", {"name": "nope", "new_name": "x"}),
    ("PATCH", f"{MODELS}/update", {"name": "nope", "description": "d"}),
    ("DELETE", f"{MODELS}/delete", {"name": "nope"}),
    ("POST", f"{MODELS}/alias", {"name": "m", "alias": "latest", "version": "1"}),
    ("POST", f"{MODELS}/alias", {"name": "m", "alias": "a", "version": "9999"}),
    ("DELETE", f"{MODELS}/delete-tag", {"name": "nope", "key": "k"}),
    ("POST", f"{VERSIONS}/create", {"name": "m", "source": "s3://elsewhere/model"}),
    ("POST", f"{VERSIONS}/create", {"name": "nope", "source": "runs:/abc/model"}),
    ("PATCH", f"{VERSIONS}/update", {"name": "m", "version": "x", "description": "d"}),
    ("POST", f"{VERSIONS}/transition-stage", {"name": "m", "version": "1", "stage": "Nope"}),
    ("DELETE", f"{VERSIONS}/delete", {"name": "m", "version": "9999"}),
    ("POST", f"{VERSIONS}/set-tag", {"name": "m", "version": "9999", "key": "k", "value": "v"}),
    ("PUT", f"{MODELS}/alias", {"name": "m"}),  # a method the lane does not take
    ("GET", f"{MODELS}/alias/", {"name": "m", "alias": "champion"}),  # nor a trailing slash
]


def _send(http: TestClient, method: str, path: str, fields: dict[str, Any] | None) -> Any:
    if method == "GET":
        return http.request(method, path, params=fields)
    return http.request(method, path, json=fields)


@pytest.mark.parametrize("versions", [4, INLINE_ROWS + 5])
def test_the_lane_answers_as_the_fastapi_routes(lanes, versions: int):
    express, plain = lanes
    _fill(express, versions)
    for method, path, fields in CALLS:
        fast, slow = _send(express, method, path, fields), _send(plain, method, path, fields)
        where = f"{method} {path} {fields}"
        assert fast.status_code == slow.status_code, where
        assert fast.content == slow.content, where
        assert fast.headers["content-type"] == slow.headers["content-type"], where
    # and it did serve: a page too big for the loop still holds every version
    page = express.get(f"{VERSIONS}/search", params={"max_results": INLINE_ROWS + 1}).json()
    assert len(page["model_versions"]) == min(versions, INLINE_ROWS + 1)


def test_a_malformed_body_is_refused_alike(lanes):
    express, plain = lanes
    for http in (express, plain):
        answer = http.post(f"{MODELS}/create", content=b"{not json")
        assert answer.status_code == 400
        assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert express.post(f"{MODELS}/create", content=b"[1]").content == (
        plain.post(f"{MODELS}/create", content=b"[1]").content
    )


def test_writes_through_the_lane_change_the_registry_as_the_routes_do(lanes):
    express, plain = lanes
    for name, http in (("fast", express), ("slow", plain)):
        created = http.post(f"{MODELS}/create", json={"name": name, "description": "d"})
        assert created.status_code == 200
        tag = {"name": name, "key": "team", "value": "risk"}
        assert http.post(f"{MODELS}/set-tag", json=tag).json() == {}
    fast = plain.get(f"{MODELS}/get", params={"name": "fast"}).json()["registered_model"]
    slow = express.get(f"{MODELS}/get", params={"name": "slow"}).json()["registered_model"]
    assert fast["tags"] == slow["tags"] == [{"key": "team", "value": "risk"}]
    assert fast["description"] == slow["description"] == "d"


def test_every_lane_route_is_a_documented_route(services: Services):
    documented = create_app(services=services).openapi()["paths"]
    for method, path in mlflow.express.table:
        assert method.lower() in documented[path], (method, path)
    # the whole registry API goes by the lane
    routes = {(m, r.path) for r in registry.router.routes for m in r.methods}  # type: ignore[attr-defined]
    assert set(mlflow.express.table) == routes
    assert len(routes) == 22


def test_an_endpoint_asking_for_what_the_lane_cannot_give_is_refused_at_definition():
    routes = ExpressRoutes(APIRouter())

    def endpoint(msg: Any, request: Any) -> None: ...

    with pytest.raises(TypeError, match="request"):
        routes.get("/x")(endpoint)
    assert routes.table == {}
