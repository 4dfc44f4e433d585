"""Where the SDK and the CLI find an API token for a server.

In order: the ``token`` argument, the ``MODELREG_TOKEN`` environment variable, then the token
``modelreg login`` saved for that server URL in ``credentials.json`` under
``MODELREG_CONFIG_DIR`` (default ``$XDG_CONFIG_HOME/modelreg`` or ``~/.config/modelreg``). The
file is written with mode 0600 in a 0700 folder, replaced atomically, and keyed by the server's
normalised URL, so one person can hold tokens for several registries.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

TOKEN_ENV = "MODELREG_TOKEN"  # noqa: S105 - the variable's name, not a secret
CONFIG_ENV = "MODELREG_CONFIG_DIR"
FILENAME = "credentials.json"


def config_dir() -> Path:
    configured = os.environ.get(CONFIG_ENV)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "modelreg"


def credentials_path() -> Path:
    return config_dir() / FILENAME


def server_key(url: str) -> str:
    """``HTTP://Host:8080/reg/`` and ``http://host:8080/reg`` name the same server."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def _read() -> dict[str, Any]:
    try:
        data = json.loads(credentials_path().read_text())
    except (FileNotFoundError, ValueError):
        return {"servers": {}}
    if not isinstance(data, dict) or not isinstance(data.get("servers"), dict):
        return {"servers": {}}
    return data


def _write(data: dict[str, Any]) -> None:
    path = credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{FILENAME}.{os.getpid()}")
    # Created 0600 from the start: the secret is never readable by others, not even briefly.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(data, file, indent=2, sort_keys=True)
    os.replace(temporary, path)


def stored_token(url: str) -> str | None:
    entry = _read()["servers"].get(server_key(url))
    token = entry.get("token") if isinstance(entry, dict) else None
    return token if isinstance(token, str) and token else None


def store_token(url: str, token: str, *, user: str) -> Path:
    data = _read()
    data["servers"][server_key(url)] = {
        "token": token,
        "user": user,
        "saved_at": datetime.now(UTC).isoformat(),
    }
    _write(data)
    return credentials_path()


def forget_token(url: str) -> bool:
    data = _read()
    if data["servers"].pop(server_key(url), None) is None:
        return False
    _write(data)
    return True


def resolve_token(url: str | None, token: str | None = None) -> str | None:
    """The token to send to ``url``: the argument, ``MODELREG_TOKEN``, or the saved one."""
    if token:
        return token
    from_env = os.environ.get(TOKEN_ENV, "").strip()
    if from_env:
        return from_env
    return stored_token(url) if url else None
