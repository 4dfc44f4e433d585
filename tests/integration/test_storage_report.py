"""The storage report on SQLite and PostgreSQL, through the SDK (embedded and HTTP) and the raw
API: logical bytes count every file of every version, physical bytes what the blob store
holds, per model and registry-wide."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from modelreg.domain.storage import ModelStorage
from tests.factories import write_model_dir


@pytest.fixture
def contents() -> dict[str, bytes]:
    # Opaque data (a NUL first: neither a pickle nor text), which the upload scanner passes.
    return {k: b"\x00" + os.urandom(n) for k, n in (("x", 30_000), ("y", 20_000), ("z", 10_000))}


def test_logical_and_physical_bytes_per_model_and_registry_wide(client, tmp_path, contents):
    x, y, z = contents["x"], contents["y"], contents["z"]
    client.push("m", write_model_dir(tmp_path / "m1", {"a.bin": x, "b.bin": y}))
    client.push("m", write_model_dir(tmp_path / "m2", {"a.bin": x, "c.bin": z, "again.bin": z}))
    client.push("n", write_model_dir(tmp_path / "n1", {"copy.bin": x}))
    client.create_model("empty")
    client.archive_version("m", 1)  # archived versions still count

    report = client.storage_report()

    logical = len(x) + len(y) + len(x) + 2 * len(z) + len(x)
    assert report.logical_bytes == logical
    assert (report.physical_objects, report.physical_bytes) == (3, len(x) + len(y) + len(z))
    assert report.versions == 3
    assert report.dedup_ratio == pytest.approx(logical / (len(x) + len(y) + len(z)))
    assert report.models == (
        ModelStorage("empty", 0, 0, 0, 0),
        ModelStorage("m", 2, len(x) * 2 + len(y) + 2 * len(z), 3, len(x) + len(y) + len(z)),
        ModelStorage("n", 1, len(x), 1, len(x)),
    )


def test_physical_bytes_fall_only_when_garbage_is_collected(client, tmp_path, contents):
    client.push("m", write_model_dir(tmp_path / "m1", {"a.bin": contents["x"]}))
    client.push("m", write_model_dir(tmp_path / "m2", {"b.bin": contents["y"]}))
    client.delete_version("m", 1)

    before = client.storage_report()
    assert (before.logical_bytes, before.physical_bytes) == (
        len(contents["y"]),
        len(contents["x"]) + len(contents["y"]),
    )
    assert before.dedup_ratio is not None
    assert before.dedup_ratio < 1  # unreferenced bytes are still stored

    client.collect_garbage(grace=timedelta(0))
    after = client.storage_report()
    assert (after.physical_objects, after.physical_bytes) == (1, len(contents["y"]))
    assert after.dedup_ratio == 1


def test_an_empty_registry(client):
    report = client.storage_report()
    assert (report.logical_bytes, report.physical_bytes, report.versions) == (0, 0, 0)
    assert report.dedup_ratio is None
    assert report.models == ()


def test_storage_api(http, tmp_path):
    response = http.get("/api/v1/storage")
    assert response.status_code == 200
    assert response.json() == {
        "logical_bytes": 0,
        "physical_objects": 0,
        "physical_bytes": 0,
        "dedup_ratio": None,
        "versions": 0,
        "models": [],
    }
    bad = http.post("/api/v1/storage/gc", json={"grace": "an hour"})
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "INVALID_ARGUMENT"
    dry = http.post("/api/v1/storage/gc", json={"grace": "0", "dry_run": True})
    assert dry.status_code == 200
    assert dry.json()["dry_run"] is True
    assert dry.json()["total"] == {"objects": 0, "bytes": 0}
    bad_policy = http.put("/api/v1/retention", json={"keep_last": 3, "archive_after": "3 days"})
    assert bad_policy.status_code == 400
    assert "archive_after" in bad_policy.json()["error"]["message"]
    assert http.get("/api/v1/retention").json() == {"items": []}
