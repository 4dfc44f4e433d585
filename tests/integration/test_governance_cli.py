"""``modelreg policy|promote|webhook`` on an embedded registry, run in-process through the same
``main()`` the console script calls (stdout, the one-line stderr error and the exit code)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_runner import run_cli
from tests.e2e.conftest import CliResult

POLICY_YAML = """\
# The registry-wide default policy.
version:
  required: [description]
aliases:
  production:
    approvals: 1
    gates:
      - metrics.auc >= 0.85
      - metrics.auc >= previous - 0.01
"""


def test_policy_promote_and_webhook_commands(
    tmp_path: Path,
    model_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    home = tmp_path / "home"
    for name in ("MODELREG_URL", "MODELREG_HOME", "MODELREG_DATABASE_URL", "MODELREG_STORAGE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MODELREG_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("COLUMNS", "200")
    # The webhook below targets loopback, which is refused unless allowed explicitly.
    monkeypatch.setenv("MODELREG_WEBHOOK_ALLOWED_HOSTS", '["*", "127.0.0.1"]')

    def cli(user: str, *args: str | Path) -> CliResult:
        monkeypatch.setenv("MODELREG_USER", user)
        return run_cli(home, monkeypatch, capsys, *args)

    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY_YAML)
    assert cli("ann", "push", model_dir, "-m", "fraud", "--metric", "auc=0.80").ok()
    assert cli("ann", "policy", "set", policy).ok().stdout.strip() == "default policy revision 1"
    shown = cli("ann", "policy", "show", "--json").ok()
    assert json.loads(shown.stdout)["aliases"]["production"]["approvals"] == 1
    assert "revision" in cli("ann", "policy", "history").ok().stdout

    # check: rule by rule, exit 1 when something fails, nothing changed.
    checked = cli("ann", "policy", "check", "fraud/1", "--alias", "production")
    assert checked.returncode == 1, checked.stderr
    lines = checked.stdout.splitlines()
    assert lines[0] == "policy check fraud/1 -> production"
    assert any(
        line.split()[:2] == ["FAIL", "version.required"] and "description" in line for line in lines
    ), lines
    assert any(
        line.startswith("  FAIL") and "metrics.auc >= 0.85" in line and "auc is 0.8" in line
        for line in lines
    ), lines
    assert any(line.startswith("  PASS") and "previous - 0.01" in line for line in lines), lines
    assert any(line.startswith("  PENDING") and "approvals 1" in line for line in lines), lines
    assert lines[-1] == "failed: 2 rule(s)"
    assert checked.stderr.strip() == "error: fraud/1 fails 2 policy rule(s)"

    # A direct move is refused with one clear line; a gate failure names the gate.
    refused = cli("ann", "alias", "set", "fraud", "production", "1")
    assert refused.returncode == 1
    assert "promote request" in refused.stderr
    assert "Traceback" not in refused.stderr
    refused = cli("ann", "promote", "request", "fraud", "production", "1", "-r", "ship it")
    assert refused.returncode == 1
    assert "metrics.auc >= 0.85" in refused.stderr

    # A passing version: requested by ann, approved by ben, not by ann herself.
    assert cli(
        "ann", "push", model_dir, "-m", "fraud", "--metric", "auc=0.9", "--description", "v2"
    ).ok()
    requested = cli("ann", "promote", "request", "fraud", "production", "2", "-r", "better auc")
    assert "promotion 1: fraud/2 -> production PENDING" in requested.ok().stdout
    self_approval = cli("ann", "promote", "approve", "1")
    assert self_approval.returncode == 1
    assert "cannot approve" in self_approval.stderr
    approved = cli("ben", "promote", "approve", "1", "-r", "reviewed").ok()
    assert "APPROVED (approved by: ben)" in approved.stdout
    listed = json.loads(cli("ann", "promote", "ls", "--json").ok().stdout)
    assert [(p["id"], p["status"], p["requested_by"]) for p in listed] == [(1, "APPROVED", "ann")]

    # Webhooks: add, list (no secret), deliveries (queued: no server runs here), remove.
    added = cli(
        "ann",
        "webhook",
        "add",
        "http://127.0.0.1:9/hook",
        "-e",
        "model.created",
        "--secret",
        "cli-secret-123",
    ).ok()
    hook_id = added.stdout.strip()
    assert cli("ann", "model", "create", "another").ok()
    hooks = json.loads(cli("ann", "webhook", "ls", "--json").ok().stdout)
    assert [h["url"] for h in hooks] == ["http://127.0.0.1:9/hook"]
    assert "secret" not in hooks[0]
    deliveries = json.loads(cli("ann", "webhook", "deliveries", hook_id, "--json").ok().stdout)
    assert [(d["event_type"], d["status"]) for d in deliveries] == [("model.created", "PENDING")]
    assert cli("ann", "webhook", "rm", hook_id).ok()
    assert json.loads(cli("ann", "webhook", "ls", "--json").ok().stdout) == []
