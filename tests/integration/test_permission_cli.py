"""``modelreg permission grant|revoke|ls`` on an embedded registry, run in-process through the
same ``main()`` the console script calls (stdout, the one-line stderr error, the exit code)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_runner import run_cli
from tests.e2e.conftest import CliResult


def test_permission_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    for name in ("MODELREG_URL", "MODELREG_HOME", "MODELREG_DATABASE_URL", "MODELREG_STORAGE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MODELREG_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("MODELREG_USER", "ann")
    monkeypatch.setenv("COLUMNS", "200")

    def cli(*args: str) -> CliResult:
        return run_cli(home, monkeypatch, capsys, *args)

    assert cli("model", "create", "fraud").ok()
    granted = cli("permission", "grant", "fraud", "--user", "bob", "--role", "writer").ok()
    assert granted.stdout.strip() == "user:bob is now writer of fraud"
    assert cli("permission", "grant", "fraud", "--team", "ml", "-r", "reader").ok()
    listed = json.loads(cli("permission", "ls", "fraud", "--json").ok().stdout)
    assert [(g["subject"]["kind"], g["subject"]["name"], g["role"]) for g in listed] == [
        ("team", "ml", "reader"),
        ("user", "ann", "admin"),
        ("user", "bob", "writer"),
    ]
    table = cli("permission", "ls", "fraud").ok().stdout
    assert "bob" in table
    assert "writer" in table
    assert cli("permission", "revoke", "fraud", "--user", "bob").ok()
    history = cli("history", "fraud").ok().stdout
    assert "permission.revoked" in history
    assert "permission.granted" in history

    both = cli("permission", "grant", "fraud", "--user", "bob", "--team", "ml", "-r", "reader")
    assert both.returncode == 1
    assert both.stderr == "error: name exactly one user or one team\n"
    last = cli("permission", "revoke", "fraud", "--user", "ann")
    assert last.returncode == 1
    assert "last admin" in last.stderr
    assert last.stderr.count("\n") == 1
    missing = cli("permission", "ls", "ghost")
    assert missing.returncode == 1
    assert missing.stderr.startswith("error: model 'ghost' does not exist")
    assert cli("permission", "grant", "fraud", "--user", "bob", "--role", "boss").returncode == 2
