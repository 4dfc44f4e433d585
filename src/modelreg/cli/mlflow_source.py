"""The REST API of a running MLflow tracking server, as ``modelreg import mlflow`` reads it:
registered models and versions page by page, runs, and the files of a version, downloaded from
``mlflow-artifacts:`` URIs (a server started with ``--serve-artifacts``), ``runs:/`` URIs or a
local file store."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlparse

import httpx
import typer

ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"
CHUNK = 1024 * 1024


class MlflowSourceError(Exception):
    pass


class MlflowServer:
    """The REST API of an MLflow tracking server (``MLFLOW_TRACKING_TOKEN`` or
    ``MLFLOW_TRACKING_USERNAME``/``PASSWORD`` authenticate, as for the MLflow client)."""

    def __init__(self, uri: str, *, timeout: float = 60.0) -> None:
        parsed = urlparse(uri)
        if parsed.scheme not in {"http", "https"}:
            raise typer.BadParameter(f"--from must be an http(s) tracking URI, got {uri!r}")
        auth: tuple[str, str] | None = None
        headers = {}
        if token := os.environ.get("MLFLOW_TRACKING_TOKEN"):
            headers["Authorization"] = f"Bearer {token}"
        elif user := os.environ.get("MLFLOW_TRACKING_USERNAME"):
            auth = (user, os.environ.get("MLFLOW_TRACKING_PASSWORD", ""))
        self.uri = uri.rstrip("/")
        self.http = httpx.Client(base_url=self.uri, headers=headers, auth=auth, timeout=timeout)

    def close(self) -> None:
        self.http.close()

    def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self.http.request(method, f"/api/2.0/mlflow/{path}", **kwargs)
        except httpx.HTTPError as error:
            raise MlflowSourceError(f"cannot reach MLflow at {self.uri}: {error}") from error
        if response.status_code != 200:
            try:
                body = response.json()
                detail = f"{body.get('error_code')}: {body.get('message')}"
            except ValueError:
                detail = response.text[:200]
            raise MlflowSourceError(f"MLflow answered {response.status_code} to {path}: {detail}")
        document: dict[str, Any] = response.json()
        return document

    def _pages(self, path: str, key: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        token = None
        while True:
            page = self.call(
                "GET", path, params=params if not token else {**params, "page_token": token}
            )
            yield from page.get(key, [])
            token = page.get("next_page_token")
            if not token:
                return

    def registered_models(self) -> Iterator[dict[str, Any]]:
        return self._pages("registered-models/search", "registered_models", {"max_results": 1000})

    def versions(self, name: str) -> list[dict[str, Any]]:
        quoted = f"'{name}'" if "'" not in name else f'"{name}"'
        found = list(
            self._pages(
                "model-versions/search",
                "model_versions",
                {"filter": f"name = {quoted}", "max_results": 1000},
            )
        )
        return sorted(found, key=lambda v: int(v["version"]))

    def download_version(self, name: str, version: str, dest: Path) -> int:
        """Write the version's files under ``dest``; returns how many there were."""
        uri = self.call(
            "GET", "model-versions/get-download-uri", params={"name": name, "version": version}
        )["artifact_uri"]
        return self.download(uri, dest)

    def download(self, uri: str, dest: Path) -> int:
        parsed = urlparse(uri)
        if parsed.scheme == "runs":
            run_id, _, inner = parsed.path.lstrip("/").partition("/")
            run = self.call("GET", "runs/get", params={"run_id": run_id})["run"]
            root = run["info"]["artifact_uri"].rstrip("/")
            return self.download(f"{root}/{inner}" if inner else root, dest)
        if parsed.scheme == "mlflow-artifacts":
            return self._download_tree(unquote(parsed.path).strip("/"), dest)
        if parsed.scheme in {"", "file"} and Path(unquote(parsed.path)).exists():
            source = Path(unquote(parsed.path))  # a file store on this machine
            if source.is_file():
                shutil.copy2(source, dest / source.name)
                return 1
            shutil.copytree(source, dest, dirs_exist_ok=True)
            return sum(1 for p in dest.rglob("*") if p.is_file())
        raise MlflowSourceError(
            f"cannot read artifacts at {uri!r}: use an MLflow server started with "
            "--serve-artifacts (mlflow-artifacts: URIs) or a local file store"
        )

    def _download_tree(self, folder: str, dest: Path) -> int:
        response = self.http.get(ARTIFACTS, params={"path": folder})
        if response.status_code != 200:
            raise MlflowSourceError(f"cannot list {folder!r}: HTTP {response.status_code}")
        count = 0
        for entry in response.json().get("files", []):
            name = entry["path"].rsplit("/", 1)[-1]
            if name in {"", ".", ".."}:
                continue
            if entry.get("is_dir"):
                (dest / name).mkdir(parents=True, exist_ok=True)
                count += self._download_tree(f"{folder}/{name}", dest / name)
                continue
            dest.mkdir(parents=True, exist_ok=True)
            with self.http.stream("GET", f"{ARTIFACTS}/{quote(f'{folder}/{name}')}") as stream:
                if stream.status_code != 200:
                    raise MlflowSourceError(
                        f"cannot download {folder}/{name}: HTTP {stream.status_code}"
                    )
                with (dest / name).open("wb") as handle:
                    for chunk in stream.iter_bytes(CHUNK):
                        handle.write(chunk)
            count += 1
        return count
