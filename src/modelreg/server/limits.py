"""ASGI middleware that refuses oversized request bodies with 413 before they are parsed.

Blob uploads are exempt: they stream to storage and are bounded by their declared size instead;
so are MLflow artifact uploads, which stream to the blob store the same way.
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MLFLOW_ARTIFACTS_PREFIX = "/api/2.0/mlflow-artifacts/artifacts/"


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.exempt_prefix = "/api/v1/uploads/"
        self.exempt_marker = "/blobs/"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._exempt(scope["path"]):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    # Raised while the app reads the body; its error handler answers 413.
                    raise HTTPException(413, f"request body is larger than {self.max_bytes} bytes")
            return message

        await self.app(scope, limited_receive, send)

    def _exempt(self, path: str) -> bool:
        if path.startswith(MLFLOW_ARTIFACTS_PREFIX):
            return True  # MLflow artifact uploads stream to the blob store like blobs do
        return path.startswith(self.exempt_prefix) and self.exempt_marker in path

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            {
                "error": {
                    "code": "LIMIT_EXCEEDED",
                    "message": f"request body is larger than {self.max_bytes} bytes",
                    "details": {},
                }
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
