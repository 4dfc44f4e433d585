"""Every response carries the browser safety headers, and the UI needs nothing inline, so its
Content-Security-Policy can forbid inline scripts and styles."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from modelreg.client.client import Client
from modelreg.server.app import create_app
from modelreg.server.security_headers import CONTENT_SECURITY_POLICY
from modelreg.settings import Settings
from modelreg.wiring import Services

EXPECTED = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}


def assert_safe(headers: Mapping[str, str], *, policy: str = CONTENT_SECURITY_POLICY) -> None:
    found = {k.lower(): v for k, v in headers.items()}
    for name, value in EXPECTED.items():
        assert found.get(name) == value, (name, found)
    assert "camera=()" in found["permissions-policy"]
    assert found["content-security-policy"] == policy


@pytest.fixture
def pages(http: TestClient, services: Services, model_dir: Path, tmp_path: Path) -> TestClient:
    sdk = Client(http_client=http, user="alice", cache_dir=tmp_path / "cache")
    sdk.push("fraud", model_dir, metrics={"auc": 0.9}, alias="candidate")
    return http


def test_api_ui_errors_and_downloads_carry_the_headers(pages: TestClient) -> None:
    for path in (
        "/",
        "/models/fraud",
        "/healthz",
        "/api/v1/models",
        "/api/v1/models/nope",  # an error answer
        "/ui-page-that-does-not-exist",
        "/openapi.json",
    ):
        answer = pages.get(path)
        assert_safe(answer.headers)
    version = pages.get("/api/v1/models/fraud/versions/1").json()
    digest = version["files"][0]["digest"]
    download = pages.get(f"/api/v1/blobs/{digest}", headers={"Range": "bytes=0-9"})
    assert download.status_code == 206
    assert_safe(download.headers)


def test_the_docs_pages_get_their_own_policy(http: TestClient) -> None:
    answer = http.get("/docs")
    assert answer.status_code == 200
    policy = answer.headers["content-security-policy"]
    assert "'unsafe-inline'" in policy
    assert "https://cdn.jsdelivr.net" in policy
    assert "frame-ancestors 'none'" in policy
    assert "'unsafe-inline'" not in http.get("/").headers["content-security-policy"]


def test_a_refused_oversized_body_carries_the_headers(services: Services) -> None:
    app = create_app(Settings(max_json_bytes=100), services=services)
    with TestClient(app) as small:
        answer = small.post("/api/v1/models", json={"name": "m", "description": "x" * 500})
    assert answer.status_code == 413
    assert_safe(answer.headers)


INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=|\sstyle\s*=|<style|javascript:", re.IGNORECASE
)


def test_ui_pages_have_nothing_inline_the_policy_would_block(pages: TestClient) -> None:
    for path in ("/", "/models/fraud", "/models/fraud/versions/1", "/compare?refs=fraud/1"):
        answer = pages.get(path)
        assert answer.status_code == 200, (path, answer.status_code)
        assert INLINE.search(answer.text) is None, (path, INLINE.search(answer.text))


def test_templates_have_no_inline_script_or_style() -> None:
    import modelreg.server.ui

    folder = Path(modelreg.server.ui.__file__).parent / "templates"
    offenders = [
        str(template.relative_to(folder))
        for template in folder.rglob("*.html")
        if INLINE.search(template.read_text())
    ]
    assert offenders == []


@pytest.fixture
def http(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services=services), raise_server_exceptions=False) as client:
        yield client
