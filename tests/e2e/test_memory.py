"""Pushing and pulling a 1 GiB file keeps the server's peak memory under 150 MB."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import httpx
import pytest

from modelreg import Client
from modelreg.domain.entities import FileEntry
from modelreg.hashing import digest_file
from tests import databases
from tests.e2e.conftest import (
    MiB,
    ServerFactory,
    peak_rss_bytes,
    write_incompressible_file,
)

pytestmark = pytest.mark.e2e

GiB = 1024 * MiB
PEAK_LIMIT = 150 * 1000 * 1000  # 150 MB


def test_push_and_pull_of_1_gib_keeps_server_peak_memory_under_150_mb(
    server: ServerFactory, tmp_path: Path
) -> None:
    # A registry migrated beforehand, as a server restarted on its database finds it: the one
    # migration of a new registry (Alembic and fifteen migrations, ~10 MB more at start) is not
    # what this measures.
    (tmp_path / "home").mkdir()
    databases.migrated_sqlite(tmp_path / "home" / "registry.db")
    running = server(tmp_path / "home")
    source = tmp_path / "source" / "model.bin"
    dest = tmp_path / "pulled"
    cache = tmp_path / "cache"
    try:
        write_incompressible_file(source, GiB)
        digest, size = digest_file(source)
        assert size == GiB
        baseline = peak_rss_bytes(running.pid)

        started = time.monotonic()
        with Client(running.url, cache_dir=cache, user="e2e") as client:
            pushed = client.push("big", source)
            pushed_at = time.monotonic()
            written = client.pull("big/1", dest)
        pulled_at = time.monotonic()

        assert pushed.version == 1
        assert pushed.files == (FileEntry("model.bin", GiB, digest),)
        assert pushed.size == GiB
        with httpx.Client(base_url=running.url, timeout=30) as http:
            stored = http.get("/api/v1/models/big/versions/1").json()
        assert stored["files"] == [{"path": "model.bin", "size": GiB, "digest": str(digest)}]

        assert written == dest
        assert digest_file(dest / "model.bin") == (digest, GiB)

        assert running.alive()
        peak = peak_rss_bytes(running.pid)
        report = (
            f"server peak RSS {peak / 1e6:.1f} MB (at start {baseline / 1e6:.1f} MB); "
            f"push {pushed_at - started:.1f} s, pull {pulled_at - pushed_at:.1f} s"
        )
        print(report)  # noqa: T201 - shown with -s, and in the failure report below
        assert peak < PEAK_LIMIT, report
    finally:
        shutil.rmtree(source.parent, ignore_errors=True)
        shutil.rmtree(dest, ignore_errors=True)
        shutil.rmtree(cache, ignore_errors=True)
        running.stop()
        shutil.rmtree(running.home / "blobs", ignore_errors=True)
