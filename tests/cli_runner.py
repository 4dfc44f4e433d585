"""The real CLI run in-process against an embedded registry: ``main()`` with a patched
``sys.argv``, its exit code and captured output. For tests that drive many commands (a fresh
process per command is what tests/e2e/test_cli.py checks, and it is slow)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from modelreg.cli.main import main
from tests.e2e.conftest import CliResult

Cli = Callable[..., CliResult]

_REGISTRY_VARIABLES = (
    "MODELREG_URL",
    "MODELREG_HOME",
    "MODELREG_DATABASE_URL",
    "MODELREG_STORAGE_URL",
    "MODELREG_TRUSTED_KEYS",
)


def run_cli(
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *args: str | Path,
) -> CliResult:
    """``modelreg --home HOME ARGS...``; a non-integer exit (an error message) counts as 1."""
    argv = ["modelreg", "--home", str(home), *map(str, args)]
    monkeypatch.setattr(sys, "argv", argv)
    code: int | str | None = 0
    try:
        main()
    except SystemExit as done:
        code = done.code
    out = capsys.readouterr()
    return CliResult(argv[1:], code if isinstance(code, int) else 1, out.out, out.err)


def local_cli(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *,
    user: str = "ann",
) -> Cli:
    """A CLI bound to a fresh registry under ``tmp_path``, isolated from the caller's
    environment, acting as ``user``."""
    home = tmp_path / "home"
    for name in _REGISTRY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MODELREG_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("MODELREG_USER", user)
    monkeypatch.setenv("COLUMNS", "200")

    def run(*args: str | Path) -> CliResult:
        return run_cli(home, monkeypatch, capsys, *args)

    return run
