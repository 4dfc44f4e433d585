"""The quarantine override (docs/scanning.md): who may use it (maintainers, docs/permissions.md),
its audit (and that of a refused override) once per caller, blob and UTC day, and garbage
collection of the per-day keys, over the REST API (authentication on), the SDK and MLflow's
artifact route, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from modelreg import Client
from modelreg.domain.access import Role, Scope
from modelreg.domain.errors import PermissionDeniedError
from modelreg.wiring import Services
from tests.integration import test_quarantine_release, test_scans
from tests.integration.test_quarantine_release import Auth
from tests.integration.test_scans import EVIL

# The fixtures of the scanning and release tests, shared rather than copied.
evil_dir = test_scans.evil_dir
auth = test_quarantine_release.auth

API = "/api/v1"
UNSAFE = {"X-Modelreg-Allow-Unsafe": "true"}
RUN_ARTIFACT = "/api/2.0/mlflow-artifacts/artifacts/0/run/artifacts/model/model.pkl"


def _overriders(auth: Auth) -> list[str]:
    return sorted(entry.actor for entry in auth.owner.audit(action="scan.overridden"))


def test_overriding_needs_the_maintainer_role(auth: Auth, evil_dir: Path, tmp_path: Path) -> None:
    version = auth.owner.push("fraud", evil_dir)
    digest = next(f.digest for f in version.files if f.path == "model.pkl")
    auth.grant("fraud", "reader_a", Role.READER)
    auth.grant("fraud", "writer", Role.WRITER)
    auth.grant("fraud", "maint", Role.MAINTAINER)
    urls = (f"{API}/blobs/{digest}", f"{API}/models/fraud/versions/1/files/model.pkl")
    for user in ("reader_a", "writer"):
        for url in urls:
            refused = auth.http.get(url, headers={**UNSAFE, **auth.as_(user)})
            assert refused.status_code == 403, refused.text
            error = refused.json()["error"]
            assert (error["code"], error["details"]["required_role"]) == (
                "PERMISSION_DENIED",
                "maintainer",
            )
            assert "override_quarantine needs the maintainer role" in error["message"]
    _, read_only = auth.services.accounts.create_token(
        "maint", name="ro", scopes=(Scope.READ,), actor="setup"
    )
    scoped = auth.http.get(urls[0], headers={**UNSAFE, "Authorization": f"Bearer {read_only}"})
    assert (scoped.status_code, scoped.json()["error"]["details"]) == (
        403,
        {"model": "fraud", "required_scope": "write"},
    )
    assert _overriders(auth) == []  # refused: nothing was downloaded
    # ... but each refused caller is on record, once for the day however often it tried.
    refusals = auth.owner.audit(action="scan.override_refused")
    assert sorted(entry.actor for entry in refusals) == ["maint", "reader_a", "writer"]
    assert {(e.model_name, e.version, e.details["digest"]) for e in refusals} == {
        ("fraud", 1, str(digest))
    }

    for url in urls:
        assert auth.http.get(url, headers={**UNSAFE, **auth.as_("maint")}).content == EVIL
    assert _overriders(auth) == ["maint"]  # its own refusal earlier did not hide this


def test_a_refused_override_fails_the_pull_before_anything_is_written(
    auth: Auth, evil_dir: Path, tmp_path: Path
) -> None:
    auth.owner.push("fraud", evil_dir)
    auth.grant("fraud", "reader_a", Role.READER)
    auth.grant("fraud", "maint", Role.MAINTAINER)
    reader = Client(http_client=auth.http, token=auth.tokens["reader_a"], cache_dir=tmp_path / "c")
    with pytest.raises(PermissionDeniedError, match="maintainer role") as refused:
        reader.pull("fraud/1", tmp_path / "out", allow_unsafe=True)
    assert refused.value.code == "PERMISSION_DENIED"  # not QUARANTINED: the override was refused
    assert not any((tmp_path / "out").iterdir())  # the flagged file is fetched first

    maint = Client(http_client=auth.http, token=auth.tokens["maint"], cache_dir=tmp_path / "m")
    pulled = maint.pull("fraud/1", tmp_path / "ok", allow_unsafe=True)
    assert (pulled / "model.pkl").read_bytes() == EVIL
    assert (pulled / "config.json").exists()


def test_overriding_a_run_artifact_needs_a_registry_admin(auth: Auth) -> None:
    """No model holds it, so there is no maintainer to trust."""
    assert auth.http.put(RUN_ARTIFACT, content=EVIL, headers=auth.as_("writer")).status_code == 200
    unsafe = {"allow_unsafe": "true"}
    refused = auth.http.get(RUN_ARTIFACT, params=unsafe, headers=auth.as_("writer"))
    assert refused.status_code == 403, refused.text
    assert refused.json()["error_code"] == "PERMISSION_DENIED"
    assert "needs a registry admin" in refused.json()["message"]
    assert auth.http.get(RUN_ARTIFACT, params=unsafe, headers=auth.as_("root")).content == EVIL
    assert _overriders(auth) == ["root"]


def test_override_downloads_are_audited_once_per_caller_blob_and_day(
    auth: Auth, evil_dir: Path
) -> None:
    version = auth.owner.push("fraud", evil_dir)
    digest = next(f.digest for f in version.files if f.path == "model.pkl")
    clean = next(f.digest for f in version.files if f.path == "config.json")
    auth.grant("fraud", "maint", Role.MAINTAINER)
    auth.grant("fraud", "maint_b", Role.MAINTAINER)
    day = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    auth.services.scans.clock = lambda: day
    blob = f"{API}/blobs/{digest}"
    for _ in range(3):
        assert auth.http.get(blob, headers={**UNSAFE, **auth.as_("maint")}).content == EVIL
    auth.http.get(f"{API}/blobs/{clean}", headers={**UNSAFE, **auth.as_("maint")})
    file_url = f"{API}/models/fraud/versions/1/files/model.pkl"
    assert auth.http.get(file_url, params={"allow_unsafe": "true"}, headers=auth.as_("maint_b"))
    day += timedelta(days=1)
    auth.http.get(blob, headers={**UNSAFE, **auth.as_("maint")})

    events = [e for e in auth.owner.events("fraud") if e.action == "scan.overridden"]
    assert sorted((e.actor, e.details["day"]) for e in events) == [
        ("maint", "2026-11-27"),
        ("maint", "2026-11-28"),
        ("maint_b", "2026-11-27"),
    ]
    assert {(e.version, e.details["digest"], e.details["verdict"]) for e in events} == {
        (1, str(digest), "unsafe")
    }
    assert len(auth.owner.audit(action="scan.overridden")) == 3

    auth.owner.release_quarantine("fraud/1", reason="reviewed")
    auth.http.get(blob, headers={**UNSAFE, **auth.as_("maint_b")})  # released: no override
    day += timedelta(days=1)
    auth.http.get(blob, headers={**UNSAFE, **auth.as_("maint_b")})
    assert len(auth.owner.audit(action="scan.overridden")) == 3


def test_overriding_an_mlflow_run_artifact_is_a_registry_wide_audit_entry(
    client: Client, http: TestClient
) -> None:
    assert http.put(RUN_ARTIFACT, content=EVIL).status_code == 200
    assert http.get(RUN_ARTIFACT, params={"allow_unsafe": "true"}).content == EVIL
    entries = client.audit(action="scan.overridden")
    assert [(e.model_name, e.details["via"]) for e in entries] == [(None, "mlflow")]
    assert entries[0].target.startswith("blob:blake3:")


def test_gc_prunes_old_override_keys_and_keeps_their_audit_events(
    services: Services, http: TestClient, client: Client, evil_dir: Path
) -> None:
    version = client.push("fraud", evil_dir)
    blob = f"{API}/blobs/{next(f.digest for f in version.files if f.path == 'model.pkl')}"
    today = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    for days_ago in (5, 3, 2, 0):
        moment = today - timedelta(days=days_ago)
        services.scans.clock = lambda moment=moment: moment
        assert http.get(blob, headers=UNSAFE).content == EVIL
    assert len(client.audit(action="scan.overridden")) == 4
    services.storage.gc.clock = lambda: today

    dry = client.collect_garbage(grace="1h", dry_run=True)
    real = client.collect_garbage(grace="1h")
    again = client.collect_garbage(grace="1h")

    # Retention two days: the keys of 5 and 3 days back go, those of 2 days back and today stay.
    assert (dry.overrides, real.overrides, again.overrides) == (2, 2, 0)
    assert sorted(e.details["overrides"] for e in client.audit(action="gc.completed")) == [0, 2]
    assert len(client.audit(action="scan.overridden")) == 4  # the audit record is untouched
    assert http.get(blob, headers=UNSAFE).content == EVIL  # today's key still deduplicates
    assert len(client.audit(action="scan.overridden")) == 4
