"""The floor of an MLflow-client call: a server that answers with bytes prepared in advance.

    python benchmarks/canned_server.py --port N --answers answers.json [--file big.bin]

``answers.json`` maps a request path (``/api/2.0/mlflow/registered-models/alias``) to the
exact body to send back, whatever the query. With ``--file``, artifact transfers have a floor
too: an upload (``PUT`` under ``/api/2.0/mlflow-artifacts/artifacts/``) is read and dropped,
and a download (``GET`` there) streams that file in 1 MiB reads, whatever the path names.

The server is a bare ASGI callable under uvicorn (the server modelreg itself runs on, with
httptools): no routing table, no database, no serialisation, no hashing, no disk writes. What
``MlflowClient`` takes against it is the client's own cost plus local HTTP, which no server
can go below; ``bench_mlflow.py`` measures it in the same run as the real servers, so "modelreg
is N times faster than mlflow" can be read against the most any server could be.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import uvicorn

JSON_HEADERS = [(b"content-type", b"application/json")]
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts/"
READ_SIZE = 1 << 20


def make_app(answers: dict[str, bytes], file: Path | None) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass  # an upload's bytes are dropped as they arrive
        path = scope["path"]
        if file is not None and path.startswith(ARTIFACTS):
            if scope["method"] == "GET":
                await _stream(file, send)
                return
            answer = b"{}"
        else:
            answer = answers.get(path, b"")
        status = 200 if answer else 404
        body = answer or b'{"error_code": "ENDPOINT_NOT_FOUND"}'
        await send({"type": "http.response.start", "status": status, "headers": JSON_HEADERS})
        await send({"type": "http.response.body", "body": body})

    return app


async def _stream(file: Path, send: Any) -> None:
    size = file.stat().st_size
    headers = [
        (b"content-type", b"application/octet-stream"),
        (b"content-length", str(size).encode()),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    with file.open("rb") as handle:
        while chunk := handle.read(READ_SIZE):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--answers", type=Path, required=True)
    parser.add_argument("--file", type=Path, default=None)
    args = parser.parse_args()
    loaded = json.loads(args.answers.read_text())
    answers = {path: body.encode() for path, body in loaded.items()}
    answers["/health"] = b"{}"
    app = make_app(answers, args.file)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
