"""CSRF protection for the UI's forms: a signed double-submit token.

Every page that shows a form makes sure the browser holds a cookie ``modelreg_csrf`` with a
token ``<random>.<signature>``, where the signature is an HMAC-SHA256 of the random part under
the server's secret, and puts the same token in a hidden ``csrf_token`` field of each form.
A POST is accepted only when

1. the cookie is present and its signature verifies (a value the server never issued, such as
   one planted by a sibling sub-domain, is refused), and
2. the form field equals the cookie (a page on another site can make the browser send the
   cookie, but it cannot read it to fill in the field), compared in constant time, and
3. the browser did not label the request ``Sec-Fetch-Site: cross-site``.

The cookie is ``HttpOnly`` (no script needs it: the token reaches forms through the HTML) and
``SameSite=Lax``, so browsers do not even send it with cross-site POSTs. The standard library's
``hmac`` is enough here; no extra dependency is needed.

The secret comes from ``MODELREG_UI_SECRET``; without it each server process draws a random
one, so processes behind one load balancer must share the variable, and a restart asks users
to reload a page left open. Until authentication lands the token is not bound to a user; when it
does, the session's id belongs in the signed message.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

from modelreg.domain.errors import PermissionDeniedError

COOKIE = "modelreg_csrf"
FIELD = "csrf_token"
_CONTEXT = b"modelreg-ui-csrf-v1:"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class CsrfGuard:
    def __init__(self, secret: bytes | str | None = None) -> None:
        if isinstance(secret, str):
            secret = secret.encode()
        self._key = hashlib.sha256(_CONTEXT + (secret or secrets.token_bytes(32))).digest()

    def _sign(self, nonce: str) -> str:
        return _b64(hmac.new(self._key, _CONTEXT + nonce.encode(), hashlib.sha256).digest())

    def issue(self) -> str:
        nonce = _b64(secrets.token_bytes(18))
        return f"{nonce}.{self._sign(nonce)}"

    def is_valid(self, token: str | None) -> bool:
        if not token or token.count(".") != 1 or len(token) > 200:
            return False
        nonce, signature = token.split(".")
        return hmac.compare_digest(signature.encode(), self._sign(nonce).encode())

    def token_for(self, request: Request) -> tuple[str, bool]:
        """The token for forms on this page, and whether the cookie must be (re)set."""
        current = request.cookies.get(COOKIE)
        if current is not None and self.is_valid(current):
            return current, False
        return self.issue(), True

    def set_cookie(self, response: Response, request: Request, token: str) -> None:
        response.set_cookie(
            COOKIE,
            token,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )

    def check(self, request: Request, submitted: str | None) -> None:
        """Raise ``PermissionDeniedError`` (403) saying what is wrong unless the POST carries
        the right token. (The domain's class itself: a subclass here would be picked up by the
        SDK's code-to-class table.)"""
        if request.headers.get("sec-fetch-site") == "cross-site":
            raise PermissionDeniedError(
                "This form was sent from another site; the registry refuses it."
            )
        cookie = request.cookies.get(COOKIE)
        if not self.is_valid(cookie):
            raise PermissionDeniedError(
                "The form's security cookie is missing or was not issued by this server "
                "(cookies blocked, or the server restarted). Reload the page and try again."
            )
        if not submitted or not hmac.compare_digest(submitted.encode(), (cookie or "").encode()):
            raise PermissionDeniedError(
                "The form's security token does not match this browser's. "
                "Reload the page and try again."
            )
