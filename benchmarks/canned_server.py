"""The floor of an MLflow-client call: a server that answers with bytes prepared in advance.

    python benchmarks/canned_server.py --port N --answers answers.json

``answers.json`` maps a request path (``/api/2.0/mlflow/registered-models/alias``) to the
exact body to send back, whatever the query. The server is a bare ASGI callable under uvicorn
(the server modelreg itself runs on, with httptools): no routing table, no database, no
serialisation. What ``MlflowClient`` takes against it is the client's own cost plus one local
HTTP round trip, which no server can go below; ``bench_mlflow.py`` measures it in the same run
as the real servers, so "modelreg is N times faster than mlflow" can be read against the most
any server could be.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import uvicorn

HEADERS = [(b"content-type", b"application/json")]


def make_app(answers: dict[str, bytes]) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        body = answers.get(scope["path"])
        status = 200 if body is not None else 404
        body = body if body is not None else b'{"error_code": "ENDPOINT_NOT_FOUND"}'
        await send({"type": "http.response.start", "status": status, "headers": HEADERS})
        await send({"type": "http.response.body", "body": body})

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--answers", type=Path, required=True)
    args = parser.parse_args()
    loaded = json.loads(args.answers.read_text())
    answers = {path: body.encode() for path, body in loaded.items()}
    answers["/health"] = b"{}"
    uvicorn.run(make_app(answers), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
