"""``modelreg key|sign|verify`` and ``pull --no-verify`` on an embedded registry, through the same
``main()`` the console script runs: output, the one-line error and the exit code."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tests.cli_runner import Cli, local_cli
from tests.e2e.conftest import CliResult


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    return local_cli(tmp_path, monkeypatch, capsys, user="ann")


def failed(result: CliResult, *fragments: str) -> None:
    assert result.returncode == 1, result
    assert result.stderr.startswith("error: ")
    assert result.stderr.count("\n") == 1, result.stderr  # one line
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def test_key_sign_verify_and_tampering(cli: Cli, tmp_path: Path, model_dir: Path) -> None:
    key = tmp_path / "release.key"
    made = cli("key", "generate", "--out", key).ok()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    fingerprint = made.stdout.split("fingerprint: ")[1].strip()
    assert fingerprint.startswith("ed25519:")
    failed(cli("key", "generate", "--out", key), "already exists")

    assert cli("push", model_dir, "-m", "fraud").ok().stdout.strip() == "fraud/1"
    failed(cli("sign", "fraud/1", "--key", key), "is not registered", "modelreg key add")
    added = cli("key", "add", "release", f"{key}.pub").ok()
    assert added.stdout.split() == ["release", fingerprint]
    assert "release" in cli("key", "ls").ok().stdout
    assert cli("sign", "fraud/1", "--key", key).ok().stdout.strip() == "signed fraud/1 with release"

    verified = cli("verify", "fraud/1").ok().stdout
    assert "3 file(s) match" in verified
    assert f"release ({fingerprint})" in verified

    other = tmp_path / "other.key"
    cli("key", "generate", "--out", other).ok()
    failed(cli("verify", "fraud/1", "--trusted-key", f"{other}.pub"), "do not trust (release)")
    assert (
        "trusted: local keys" in cli("verify", "fraud/1", "--trusted-key", f"{key}.pub").ok().stdout
    )

    pulled = tmp_path / "pulled"
    cli("pull", "fraud/1", pulled).ok()
    (pulled / "config.json").write_text('{"layers": 4}')
    failed(cli("verify", "fraud/1", "--dir", pulled), "'config.json' does not match")

    [blob] = (tmp_path / "home" / "blobs").rglob(_digest_hex(cli, "weights.bin"))
    blob.write_bytes(b"\0" * blob.stat().st_size)
    failed(cli("verify", "fraud/1"), "file 'weights.bin' does not match the manifest")

    cli("key", "remove", "release").ok()
    failed(cli("pull", "fraud/1", tmp_path / "again"), "signed only by keys you do not trust")
    failed(cli("key", "remove", "nobody"), "no signing key is named 'nobody'")
    failed(cli("sign", "fraud/1", "--key", tmp_path / "missing.key"), "cannot read the key")


def test_pull_no_verify_skips_a_signature_nobody_trusts(
    cli: Cli, tmp_path: Path, model_dir: Path
) -> None:
    key = tmp_path / "k"
    cli("key", "generate", "--out", key).ok()
    cli("push", model_dir, "-m", "fraud").ok()
    cli("key", "add", "k", f"{key}.pub").ok()
    cli("sign", "fraud/1", "--key", key).ok()
    cli("key", "remove", "k").ok()
    failed(cli("pull", "fraud/1", tmp_path / "a"), "do not trust")
    cli("pull", "fraud/1", tmp_path / "b", "--no-verify").ok()
    assert (tmp_path / "b" / "sub" / "tokenizer.txt").read_text() == "a b c\n"
    failed(cli("verify", "fraud/1", "--trusted-key", tmp_path / "nope.pub"), "cannot read")


def _digest_hex(cli: Cli, path: str) -> str:
    version = json.loads(cli("show", "fraud/1", "--json").ok().stdout)
    [entry] = [f for f in version["files"] if f["path"] == path]
    return str(entry["digest"]).split(":")[1]
