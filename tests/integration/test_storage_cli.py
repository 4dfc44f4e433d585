"""``modelreg gc``, ``modelreg storage`` and ``modelreg retention`` on an embedded registry, run
in-process through the same ``main()`` the console script calls (stdout, the one-line stderr
error and the exit code)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_runner import Cli, local_cli
from tests.factories import write_model_dir


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    return local_cli(tmp_path, monkeypatch, capsys, user="ops")


def push(cli: Cli, tmp_path: Path, name: str, files: dict[str, bytes]) -> None:
    folder = write_model_dir(tmp_path / f"{name}-{len(list(tmp_path.iterdir()))}", files)
    cli("push", folder, "-m", name).ok()


def test_gc_command(cli, tmp_path):
    push(cli, tmp_path, "m", {"w.bin": b"one"})
    push(cli, tmp_path, "m", {"w.bin": b"two!"})
    cli("archive", "m/1").ok()

    dry = json.loads(cli("gc", "--dry-run", "--grace", "0", "--json").ok().stdout)
    assert dry["dry_run"] is True
    assert dry["blobs"] == {"objects": 0, "bytes": 0}  # an archived version keeps its blob
    assert dry["grace"] == "0s"

    shown = cli("gc", "--grace", "0").ok().stdout
    assert "unreferenced blobs" in shown
    assert "stale upload sessions: 0" in shown

    for bad in ("an hour", "1y", ""):
        failed = cli("gc", "--grace", bad)
        assert failed.returncode == 1
        assert failed.stderr.count("\n") == 1
        assert failed.stderr.startswith("error: invalid --grace")
        assert failed.stdout == ""


def test_storage_command(cli, tmp_path):
    push(cli, tmp_path, "m", {"a.bin": b"x" * 1000})
    push(cli, tmp_path, "m", {"a.bin": b"x" * 1000, "b.bin": b"y" * 500})

    report = json.loads(cli("storage", "--json").ok().stdout)
    assert report["logical_bytes"] == 2500
    assert report["physical_bytes"] == 1500
    assert report["dedup_ratio"] == pytest.approx(2500 / 1500)
    assert report["models"] == [
        {"model_name": "m", "versions": 2, "logical_bytes": 2500, "blobs": 2, "blob_bytes": 1500}
    ]
    text = cli("storage").ok().stdout
    assert "dedup ratio 1.67x" in text
    assert "in 2 versions" in text


def test_retention_commands(cli, tmp_path):
    for tag in ("1", "2", "3"):
        push(cli, tmp_path, "m", {"w.bin": tag.encode()})
    cli("alias", "set", "m", "production", "1").ok()

    assert cli("retention", "show").ok().stdout.strip() == "no retention policies"
    set_out = cli("retention", "set", "--keep-last", "1", "--archive-after", "0s").ok().stdout
    assert set_out.strip() == "retention policy of registry-wide: keep last 1, archive after 0s"
    cli("retention", "set", "-m", "m", "--keep-last", "5", "--archive-after", "30d").ok()
    shown = json.loads(cli("retention", "show", "--json").ok().stdout)
    assert [(p["scope"], p["keep_last"], p["archive_after"]) for p in shown] == [
        ("", 1, "0s"),
        ("m", 5, "30d"),
    ]
    assert shown[1]["updated_by"] == "ops"

    plan = json.loads(cli("retention", "plan", "-m", "m", "--json").ok().stdout)
    assert [d["action"] for d in plan["models"][0]["decisions"]] == ["keep", "keep", "keep"]
    cli("retention", "unset", "-m", "m").ok()
    text = cli("retention", "plan").ok().stdout
    assert "archive [2], delete []" in text
    assert "alias production" in text

    applied = cli("retention", "apply").ok().stdout
    assert "(applied)" in applied
    assert "archive-after: created" in applied
    versions = json.loads(cli("versions", "m", "--json").ok().stdout)
    assert [v["version"] for v in versions] == [3, 1]

    failed = cli("retention", "set", "--archive-after", "30 days")
    assert (failed.returncode, failed.stdout) == (1, "")
    assert failed.stderr == (
        "error: invalid --archive-after '30 days': use a whole number with s, m, h, d or w "
        "(e.g. 30d)\n"
    )
    failed = cli("retention", "set", "--keep-last", "3")
    assert failed.returncode == 1
    assert failed.stderr.startswith("error: a retention policy needs archive-after")
    assert cli("retention", "plan", "-m", "nope").returncode == 1
