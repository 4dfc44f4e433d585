"""``HttpTransport``: the registry's REST API through one keep-alive ``httpx.Client``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from modelreg import routes
from modelreg.client import wire
from modelreg.client.transport import Progress
from modelreg.domain.digests import Digest
from modelreg.domain.entities import (
    Alias,
    Event,
    ModelVersion,
    Page,
    RegisteredModel,
    UploadSession,
    VersionDraft,
)
from modelreg.domain.errors import ModelregError, UnavailableError, error_for_code

CHUNK = 1024 * 1024
TIMEOUT = httpx.Timeout(connect=10.0, read=600.0, write=600.0, pool=60.0)


class HttpTransport:
    remote = True

    def __init__(
        self,
        base_url: str | None = None,
        *,
        client: httpx.Client | None = None,
        user: str | None = None,
    ) -> None:
        headers = {routes.USER_HEADER: user} if user else {}
        if client is None:
            if not base_url:
                raise ValueError("give the registry's base URL or an httpx.Client")
            client = httpx.Client(base_url=base_url.rstrip("/"), timeout=TIMEOUT)
        client.headers.update(headers)
        self.http = client

    # -- plumbing ----------------------------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.TransportError as error:
            raise UnavailableError(
                f"cannot reach the registry at {self.http.base_url}: {error}"
            ) from error
        if response.is_error:
            raise _error_from(response)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._request(method, path, **kwargs).json()

    # -- models ------------------------------------------------------------------------------

    def create_model(
        self, name: str, *, description: str, owner: str | None, tags: Mapping[str, str]
    ) -> RegisteredModel:
        body = {"name": name, "description": description, "owner": owner, "tags": dict(tags)}
        return wire.model_from_json(self._json("POST", routes.MODELS, json=body))

    def get_model(self, name: str) -> RegisteredModel:
        return wire.model_from_json(self._json("GET", routes.url(routes.MODEL, name=name)))

    def update_model(
        self,
        name: str,
        *,
        description: str | None,
        owner: str | None,
        set_tags: Mapping[str, str],
        delete_tags: Sequence[str],
    ) -> RegisteredModel:
        body = {
            "description": description,
            "owner": owner,
            "set_tags": dict(set_tags),
            "delete_tags": list(delete_tags),
        }
        return wire.model_from_json(
            self._json("PATCH", routes.url(routes.MODEL, name=name), json=body)
        )

    def delete_model(self, name: str) -> None:
        self._request("DELETE", routes.url(routes.MODEL, name=name))

    def search_models(
        self, filter: str, *, cursor: str | None, limit: int
    ) -> Page[RegisteredModel]:
        data = self._json("GET", routes.MODELS, params=_page_params(filter, cursor, limit))
        return Page(tuple(wire.model_from_json(m) for m in data["items"]), data["next_cursor"])

    # -- versions ----------------------------------------------------------------------------

    def list_versions(self, name: str, *, cursor: str | None, limit: int) -> Page[ModelVersion]:
        data = self._json(
            "GET", routes.url(routes.VERSIONS, name=name), params=_page_params("", cursor, limit)
        )
        return _versions(data)

    def search_versions(self, filter: str, *, cursor: str | None, limit: int) -> Page[ModelVersion]:
        return _versions(
            self._json("GET", routes.SEARCH_VERSIONS, params=_page_params(filter, cursor, limit))
        )

    def get_version(self, name: str, version: int) -> ModelVersion:
        path = routes.url(routes.VERSION, name=name, version=version)
        return wire.version_from_json(self._json("GET", path))

    def resolve(self, ref: str) -> ModelVersion:
        return wire.version_from_json(self._json("GET", routes.RESOLVE, params={"ref": ref}))

    def update_version(
        self,
        name: str,
        version: int,
        *,
        description: str | None,
        set_tags: Mapping[str, str],
        delete_tags: Sequence[str],
    ) -> ModelVersion:
        body = {
            "description": description,
            "set_tags": dict(set_tags),
            "delete_tags": list(delete_tags),
        }
        path = routes.url(routes.VERSION, name=name, version=version)
        return wire.version_from_json(self._json("PATCH", path, json=body))

    def delete_version(self, name: str, version: int) -> None:
        self._request("DELETE", routes.url(routes.VERSION, name=name, version=version))

    # -- aliases and history -----------------------------------------------------------------

    def set_alias(self, name: str, alias: str, version: int) -> Alias:
        path = routes.url(routes.ALIAS, name=name, alias=alias)
        return wire.alias_from_json(self._json("PUT", path, json={"version": version}))

    def get_alias(self, name: str, alias: str) -> Alias:
        return wire.alias_from_json(
            self._json("GET", routes.url(routes.ALIAS, name=name, alias=alias))
        )

    def delete_alias(self, name: str, alias: str) -> None:
        self._request("DELETE", routes.url(routes.ALIAS, name=name, alias=alias))

    def list_events(self, name: str, *, cursor: str | None, limit: int) -> Page[Event]:
        data = self._json(
            "GET", routes.url(routes.EVENTS, name=name), params=_page_params("", cursor, limit)
        )
        return Page(tuple(wire.event_from_json(e) for e in data["items"]), data["next_cursor"])

    # -- transfers ---------------------------------------------------------------------------

    def start_upload(self, name: str, draft: VersionDraft) -> UploadSession:
        data = self._json(
            "POST", routes.url(routes.UPLOADS, name=name), json=wire.draft_to_json(draft)
        )
        return wire.upload_from_json(data, draft)

    def upload_blob(
        self, upload_id: str, digest: Digest, source: Path, *, progress: Progress | None
    ) -> None:
        size = source.stat().st_size

        def chunks() -> Iterator[bytes]:
            with source.open("rb") as handle:
                while chunk := handle.read(CHUNK):
                    if progress:
                        progress(len(chunk))
                    yield chunk

        path = routes.url(routes.UPLOAD_BLOB, upload_id=upload_id, digest=digest)
        self._request(
            "PUT",
            path,
            content=chunks(),
            headers={"Content-Length": str(size), "Content-Type": "application/octet-stream"},
        )

    def commit_upload(self, upload_id: str) -> ModelVersion:
        return wire.version_from_json(
            self._json("POST", routes.url(routes.UPLOAD_COMMIT, upload_id=upload_id))
        )

    def cancel_upload(self, upload_id: str) -> None:
        self._request("DELETE", routes.url(routes.UPLOAD, upload_id=upload_id))

    def read_blob(self, digest: Digest, offset: int = 0) -> Iterator[bytes]:
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        request = self.http.build_request(
            "GET", routes.url(routes.BLOB, digest=digest), headers=headers
        )
        try:
            response = self.http.send(request, stream=True)
        except httpx.TransportError as error:
            raise UnavailableError(
                f"cannot reach the registry at {self.http.base_url}: {error}"
            ) from error
        try:
            if response.is_error:
                response.read()
                raise _error_from(response)
            if offset and response.status_code != 206:
                raise ModelregError(f"the registry ignored a range request for {digest}")
            yield from response.iter_bytes(CHUNK)
        except httpx.TransportError as error:
            raise UnavailableError(f"download of {digest} was interrupted: {error}") from error
        finally:
            response.close()

    def close(self) -> None:
        self.http.close()


def _page_params(filter: str, cursor: str | None, limit: int) -> dict[str, str | int]:
    params: dict[str, str | int] = {"limit": limit}
    if filter:
        params["filter"] = filter
    if cursor:
        params["cursor"] = cursor
    return params


def _versions(data: dict[str, Any]) -> Page[ModelVersion]:
    return Page(tuple(wire.version_from_json(v) for v in data["items"]), data["next_cursor"])


def _error_from(response: httpx.Response) -> ModelregError:
    try:
        error = response.json()["error"]
        return error_for_code(error["code"], error["message"], error.get("details"))
    except (ValueError, KeyError, TypeError):
        text = response.text[:200].strip() or response.reason_phrase
        if response.status_code >= 500:
            return UnavailableError(f"the registry answered HTTP {response.status_code}: {text}")
        return ModelregError(f"the registry answered HTTP {response.status_code}: {text}")
