"""The web UI's login session: the pasted API token, sealed in a cookie.

The cookie holds the token encrypted and authenticated with Fernet (AES-128-CBC plus
HMAC-SHA256, from ``cryptography``) under a key derived from ``MODELREG_UI_SECRET`` (a random
key per process when unset: a restart then asks everyone to log in again). So the browser never
holds a usable API token: a stolen cookie works only against this UI, only until the session
ends, and only while the token itself is valid, since the token is checked on every request
(revoking it ends its sessions at once). The cookie is ``HttpOnly`` (no script can read it),
``SameSite=Strict`` (no other site can make the browser send it) and ``Secure`` on https.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

COOKIE = "modelreg_session"
LIFETIME = timedelta(hours=12)
_CONTEXT = b"modelreg-ui-session-v1:"

if TYPE_CHECKING:
    from cryptography.fernet import Fernet


class SessionCookie:
    def __init__(self, secret: str | bytes | None = None) -> None:
        if isinstance(secret, str):
            secret = secret.encode()
        self._key = hashlib.sha256(_CONTEXT + (secret or secrets.token_bytes(32))).digest()

    @cached_property
    def _fernet(self) -> Fernet:
        # Imported on the first login, not at start: ``cryptography`` costs ~7 MB of resident
        # memory that a server without authentication never needs (see modelreg/signing.py).
        from cryptography.fernet import Fernet

        return Fernet(base64.urlsafe_b64encode(self._key))

    def seal(self, token: str) -> str:
        return self._fernet.encrypt(token.encode()).decode()

    def open(self, value: str | None) -> str | None:
        """The token in a cookie this server sealed less than ``LIFETIME`` ago; else None."""
        if not value or len(value) > 1024:
            return None
        from cryptography.fernet import InvalidToken

        try:
            ttl = int(LIFETIME.total_seconds())
            return self._fernet.decrypt(value.encode(), ttl=ttl).decode()
        except (InvalidToken, ValueError):
            return None

    def set(self, response: Response, request: Request, token: str) -> None:
        response.set_cookie(
            COOKIE,
            self.seal(token),
            max_age=int(LIFETIME.total_seconds()),
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )

    def clear(self, response: Response, request: Request) -> None:
        response.delete_cookie(
            COOKIE,
            path="/",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
