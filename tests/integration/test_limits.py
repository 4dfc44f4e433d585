"""Every limit answers with its status and stable code, names what was too big, and writes
nothing (over HTTP, on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from modelreg.server.app import create_app
from modelreg.settings import Settings
from modelreg.wiring import Services

DIGEST = "sha256:" + "ab" * 32


def draft(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "files": [{"path": "w.bin", "size": 1, "digest": DIGEST}],
        "params": {},
        "metrics": {},
        "tags": {},
        "description": "",
        "lineage": {},
    }
    body.update(changes)
    return body


def many(count: int, value: Any = "v") -> dict[str, Any]:
    return {f"k{i}": value for i in range(count)}


TOO_BIG, BAD = (413, "LIMIT_EXCEEDED"), (400, "INVALID_ARGUMENT")
FILES = [{"path": f"f{i}", "size": 1, "digest": DIGEST} for i in range(10_001)]
LONG_PATH = [{"path": "p" * 1025, "size": 1, "digest": DIGEST}]
LIMITS = {
    "files": (draft(files=FILES), TOO_BIG, "too many files"),
    "description": (draft(description="x" * (64 * 1024 + 1)), TOO_BIG, "description is longer"),
    "tag count": (draft(tags=many(1001)), TOO_BIG, "too many tags"),
    "tag value": (draft(tags={"k": "x" * 100_001}), TOO_BIG, "tag 'k' is longer"),
    "param count": (draft(params=many(1001)), TOO_BIG, "too many params"),
    "param value": (draft(params={"k": "x" * 6001}), TOO_BIG, "param 'k' is longer"),
    "metric count": (draft(metrics=many(1001, 1.0)), TOO_BIG, "too many metrics"),
    "datasets": (draft(lineage={"datasets": [f"d{i}" for i in range(101)]}), TOO_BIG, "data sets"),
    "key length": (draft(tags={"k" * 251: "v"}), BAD, "tag key must be 1 to 250"),
    "path length": (draft(files=LONG_PATH), BAD, "longer than 1024"),
    "lineage text": (draft(lineage={"run_id": "r" * 2049}), BAD, "run_id must be"),
}


@pytest.mark.parametrize(("body", "expected", "message"), LIMITS.values(), ids=list(LIMITS))
def test_each_version_limit_has_its_status_and_code(
    http: TestClient, body: dict[str, Any], expected: tuple[int, str], message: str
) -> None:
    status, code = expected
    answer = http.post("/api/v1/models/fraud/uploads", json=body)
    assert answer.status_code == status, answer.text[:300]
    error = answer.json()["error"]
    assert error["code"] == code
    assert message in error["message"]
    assert http.get("/api/v1/models/fraud").status_code == 404  # nothing half-written


def test_model_limits(http: TestClient) -> None:
    long_name = http.post("/api/v1/models", json={"name": "m" * 129})
    assert (long_name.status_code, long_name.json()["error"]["code"]) == (400, "INVALID_ARGUMENT")
    long_text = http.post("/api/v1/models", json={"name": "m", "description": "x" * 65537})
    assert (long_text.status_code, long_text.json()["error"]["code"]) == (413, "LIMIT_EXCEEDED")
    page = http.get("/api/v1/models", params={"limit": 100_000})
    assert (page.status_code, page.json()["error"]["code"]) == (400, "INVALID_ARGUMENT")
    assert "page size" in page.json()["error"]["message"]


@pytest.fixture
def small_body(services: Services) -> Iterator[TestClient]:
    app = create_app(Settings(max_json_bytes=1000), services=services)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_the_request_body_limit_declared_or_streamed(small_body: TestClient) -> None:
    body = b'{"name": "m", "description": "' + b"x" * 2000 + b'"}'
    declared = small_body.post(
        "/api/v1/models", content=body, headers={"content-type": "application/json"}
    )
    assert declared.status_code == 413
    assert declared.json()["error"] == {
        "code": "LIMIT_EXCEEDED",
        "message": "request body is larger than 1000 bytes",
        "details": {},
    }

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while it arrives
        yield body[:600]
        yield body[600:]

    streamed = small_body.post(
        "/api/v1/models", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413
    assert streamed.json()["error"]["code"] == "LIMIT_EXCEEDED"
    assert small_body.get("/api/v1/models/m").status_code == 404


def test_a_blob_larger_than_declared_is_refused(http: TestClient) -> None:
    started = http.post("/api/v1/models/fraud/uploads", json=draft())
    assert started.status_code == 201, started.text
    upload = started.json()["upload_id"]
    answer = http.put(f"/api/v1/uploads/{upload}/blobs/{DIGEST}", content=b"too many bytes")
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "INVALID_ARGUMENT"
    assert "larger than the 1 bytes declared" in answer.json()["error"]["message"]
