"""Authentication with real processes: where the server agrees to run open, ``modelreg login``
and the account commands against a live server that requires tokens."""

from __future__ import annotations

import json
import stat
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import (
    CLI_TIMEOUT,
    ENTRY,
    ServerFactory,
    clean_env,
    free_port,
    run_cli,
)

pytestmark = pytest.mark.e2e


def bootstrap(home: Path, user: str = "alice") -> str:
    """The first admin and their token, made with local access to the registry's files."""
    run_cli("user", "create", user, "--admin", "--home", home).ok()
    made = run_cli("token", "create", "--name", "bootstrap", "--user", user, "--home", home).ok()
    assert "not shown again" in made.stderr
    return made.stdout.strip()


def test_refuses_to_run_open_on_a_non_loopback_address(tmp_path: Path):
    command = [*ENTRY, "server", "--host", "0.0.0.0", "--port", str(free_port())]
    command += ["--home", str(tmp_path / "home")]
    done = subprocess.run(
        command, capture_output=True, text=True, env=clean_env(), timeout=CLI_TIMEOUT, check=False
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: refusing to serve without authentication on '0.0.0.0'")
    assert "--auth" in lines[0]
    assert "--insecure" in lines[0]


def test_runs_open_on_any_address_with_insecure(server: ServerFactory):
    running = server(extra_args=["--host", "0.0.0.0", "--insecure"])  # the last --host wins
    answer = httpx.get(f"{running.url}/api/v1/whoami", headers={"X-Modelreg-User": "zoe"})
    assert answer.json()["open_mode"] is True
    assert answer.json()["name"] == "zoe"


def test_runs_with_auth_on_any_address(server: ServerFactory, tmp_path: Path):
    home = tmp_path / "home"
    secret = bootstrap(home)
    running = server(home, extra_args=["--host", "0.0.0.0", "--auth"])
    assert httpx.get(f"{running.url}/api/v1/models").status_code == 401
    me = httpx.get(f"{running.url}/api/v1/whoami", headers={"Authorization": f"Bearer {secret}"})
    assert me.json()["name"] == "alice"
    assert secret not in running.log_text()


def test_login_and_account_commands_against_a_live_server(server: ServerFactory, tmp_path: Path):
    home = tmp_path / "home"
    secret = bootstrap(home)
    running = server(home, extra_args=["--auth"])
    config = tmp_path / "config"
    env = clean_env(MODELREG_CONFIG_DIR=str(config))

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*ENTRY, "--registry", running.url, *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=CLI_TIMEOUT,
            check=False,
        )

    refused = cli("whoami")
    assert refused.returncode == 1
    assert refused.stderr.startswith("error: authentication required")

    wrong = subprocess.run(
        [*ENTRY, "login", "--url", running.url, "--token-stdin"],
        input="mrt_not-a-token\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=CLI_TIMEOUT,
        check=False,
    )
    assert wrong.returncode == 1
    assert not (config / "credentials.json").exists()

    login = subprocess.run(
        [*ENTRY, "login", "--url", running.url, "--token-stdin"],
        input=secret + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=CLI_TIMEOUT,
        check=False,
    )
    assert login.returncode == 0, login.stderr
    assert "as alice" in login.stdout
    saved = config / "credentials.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600

    assert "alice [admin]" in cli("whoami").stdout
    assert cli("user", "create", "ci-bot", "--service").returncode == 0
    assert cli("team", "create", "vision").returncode == 0
    assert cli("team", "add", "vision", "ci-bot").returncode == 0
    users = cli("user", "ls").stdout
    assert "ci-bot" in users
    assert "service" in users
    assert "vision" in users
    made = cli("token", "create", "--name", "ci", "--user", "ci-bot", "--scope", "read")
    made_expiring = cli("token", "create", "--name", "short", "--expires", "30d")
    assert made.returncode == 0, made.stderr
    assert made_expiring.returncode == 0, made_expiring.stderr
    bot_secret = made.stdout.strip()
    assert bot_secret.startswith("mrt_")

    # MODELREG_TOKEN overrides the saved token.
    as_bot = subprocess.run(
        [*ENTRY, "--registry", running.url, "whoami"],
        capture_output=True,
        text=True,
        env={**env, "MODELREG_TOKEN": bot_secret},
        timeout=CLI_TIMEOUT,
        check=False,
    )
    assert "ci-bot [service] teams: vision scopes: read" in as_bot.stdout

    listed = cli("token", "ls", "--user", "ci-bot", "--json")
    tokens = json.loads(listed.stdout)
    assert [(t["name"], t["scopes"]) for t in tokens] == [("ci", ["read"])]
    assert bot_secret not in listed.stdout
    assert cli("token", "revoke", tokens[0]["id"]).returncode == 0
    revoked = httpx.get(
        f"{running.url}/api/v1/whoami", headers={"Authorization": f"Bearer {bot_secret}"}
    )
    assert revoked.status_code == 401

    assert cli("team", "remove", "vision", "ci-bot").returncode == 0
    assert "logged out" in cli("logout").stdout
    assert cli("whoami").returncode == 1
    assert secret not in running.log_text()
    assert bot_secret not in running.log_text()
