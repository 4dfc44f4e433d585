"""Where the SDK finds a token: argument, ``MODELREG_TOKEN``, then the saved credentials."""

import stat
from pathlib import Path

import pytest

from modelreg.client import credentials
from modelreg.client.credentials import (
    credentials_path,
    forget_token,
    resolve_token,
    server_key,
    store_token,
    stored_token,
)


@pytest.fixture(autouse=True)
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(credentials.CONFIG_ENV, str(tmp_path / "config"))
    monkeypatch.delenv(credentials.TOKEN_ENV, raising=False)
    return tmp_path / "config"


def test_saved_tokens_are_private_and_keyed_by_server(config: Path):
    path = store_token("http://Reg.Example:8080/", "mrt_a", user="alice")
    store_token("http://other:8080", "mrt_b", user="bob")
    assert path == config / "credentials.json" == credentials_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(config.stat().st_mode) == 0o700
    assert stored_token("http://reg.example:8080") == "mrt_a"
    assert stored_token("http://other:8080/") == "mrt_b"
    assert stored_token("http://third") is None
    assert forget_token("http://reg.example:8080")
    assert not forget_token("http://reg.example:8080")
    assert stored_token("http://reg.example:8080") is None
    assert stored_token("http://other:8080") == "mrt_b"


def test_argument_then_environment_then_file(monkeypatch: pytest.MonkeyPatch):
    url = "http://reg:1"
    assert resolve_token(url) is None
    store_token(url, "mrt_saved", user="alice")
    assert resolve_token(url) == "mrt_saved"
    monkeypatch.setenv(credentials.TOKEN_ENV, "mrt_env")
    assert resolve_token(url) == "mrt_env"
    assert resolve_token(url, "mrt_arg") == "mrt_arg"
    assert resolve_token(None) == "mrt_env"


def test_a_damaged_file_counts_as_empty(config: Path):
    config.mkdir()
    (config / "credentials.json").write_text("{not json")
    assert stored_token("http://reg:1") is None
    store_token("http://reg:1", "mrt_new", user="alice")
    assert stored_token("http://reg:1") == "mrt_new"


def test_server_keys_ignore_case_and_trailing_slashes():
    assert server_key("HTTPS://Models.Example.com/reg/") == "https://models.example.com/reg"
