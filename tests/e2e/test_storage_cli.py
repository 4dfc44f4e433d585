"""``modelreg gc``, ``storage`` and ``retention`` as a user runs them against a live server
(``--registry URL``): a fresh process per command, the blobs checked on the server's disk."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.e2e.conftest import ServerFactory, clean_env, run_cli, verified_blobs

pytestmark = pytest.mark.e2e


def test_storage_commands_against_a_server(server: ServerFactory, tmp_path: Path) -> None:
    running = server()
    env = clean_env(MODELREG_CACHE=str(tmp_path / "cache"), MODELREG_USER="ops")

    def cli(*args: str | Path) -> str:
        return run_cli("--registry", running.url, *args, env=env, cwd=tmp_path).ok().stdout

    for tag in ("1", "2", "3"):
        folder = tmp_path / f"v{tag}"
        folder.mkdir()
        (folder / "w.bin").write_bytes(b"\x00" + os.urandom(10_000))
        cli("push", folder, "-m", "m")
    report = json.loads(cli("storage", "--json"))
    assert (report["versions"], report["physical_objects"]) == (3, 3)

    cli(
        "retention",
        "set",
        "--keep-last",
        "1",
        "--archive-after",
        "0s",
        "--delete-archived-after",
        "0s",
    )
    assert "archive [2, 1]" in cli("retention", "apply")
    assert "delete [2, 1]" in cli("retention", "apply")
    dry = json.loads(cli("gc", "--grace", "0", "--dry-run", "--json"))
    assert dry["blobs"]["objects"] == 2
    assert len(verified_blobs(running.blobs_root)) == 3
    freed = json.loads(cli("gc", "--grace", "0", "--json"))
    assert freed["blobs"] == dry["blobs"]
    assert len(verified_blobs(running.blobs_root)) == 1
    failed = run_cli("--registry", running.url, "gc", "--grace", "soon", env=env, cwd=tmp_path)
    assert failed.returncode == 1
    assert failed.stderr.startswith("error: invalid --grace 'soon'")
