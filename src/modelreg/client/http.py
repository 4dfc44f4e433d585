"""``HttpTransport``: the registry's REST API through one keep-alive ``httpx.Client``."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from modelreg import routes
from modelreg.client import wire
from modelreg.client.accounts import HttpAccounts
from modelreg.client.chunking import HttpChunkSink, push_in_chunks
from modelreg.client.direct import DirectTransferClient
from modelreg.client.permissions import HttpPermissions
from modelreg.client.scans import HttpScanMethods
from modelreg.client.signing import HttpSignatures
from modelreg.client.storage import HttpStorageMethods
from modelreg.client.transport import Progress
from modelreg.domain.audit import AuditEntry, AuditQuery, AuditVerification
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
from modelreg.domain.governance import PolicyRevision, PromotionRequest, PromotionStatus
from modelreg.domain.policy import PolicyReport
from modelreg.domain.records import AliasChange, Deployment, Evaluation, ModelCard, ReportFile
from modelreg.domain.webhooks import WebhookDelivery, WebhookSubscription
from modelreg.hashing import digest_file

CHUNK = 1024 * 1024
TIMEOUT = httpx.Timeout(connect=10.0, read=600.0, write=600.0, pool=60.0)


class HttpTransport(
    HttpSignatures, HttpAccounts, HttpStorageMethods, HttpScanMethods, HttpPermissions
):
    remote = True

    def __init__(
        self,
        base_url: str | None = None,
        *,
        client: httpx.Client | None = None,
        user: str | None = None,
        token: str | None = None,
    ) -> None:
        headers = {routes.USER_HEADER: user} if user else {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if client is None:
            if not base_url:
                raise ValueError("give the registry's base URL or an httpx.Client")
            client = httpx.Client(base_url=base_url.rstrip("/"), timeout=TIMEOUT)
        client.headers.update(headers)
        self.http = client
        self.direct = DirectTransferClient(self._request, timeout=TIMEOUT)
        self.chunk_sink = HttpChunkSink(self._request, self.direct.storage_client)

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
        response = self._request(method, path, **kwargs)
        try:
            return response.json()
        except ValueError as error:
            raise ModelregError(
                f"{self.http.base_url} did not answer with JSON; is it a modelreg registry?"
            ) from error

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

    def list_versions(
        self, name: str, *, cursor: str | None, limit: int, include_archived: bool = False
    ) -> Page[ModelVersion]:
        params = _page_params("", cursor, limit)
        if include_archived:
            params["include_archived"] = "true"
        data = self._json("GET", routes.url(routes.VERSIONS, name=name), params=params)
        return _versions(data)

    def search_versions(
        self, filter: str, *, cursor: str | None, limit: int, include_archived: bool = False
    ) -> Page[ModelVersion]:
        params = _page_params(filter, cursor, limit)
        if include_archived:
            params["include_archived"] = "true"
        return _versions(self._json("GET", routes.SEARCH_VERSIONS, params=params))

    def get_version(self, name: str, version: int) -> ModelVersion:
        path = routes.url(routes.VERSION, name=name, version=version)
        return wire.version_from_json(self._json("GET", path))

    def resolve(self, ref: str, *, at: datetime | None = None) -> ModelVersion:
        params = {"ref": ref}
        if at is not None:
            params["at"] = at.isoformat()
        return wire.version_from_json(self._json("GET", routes.RESOLVE, params=params))

    def set_mlflow_stage(self, name: str, version: int, stage: str) -> None:
        body = {"name": name, "version": str(version), "stage": stage}
        self._request("POST", routes.MLFLOW_TRANSITION_STAGE, json=body)

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
        # Chunks first: a large file sends only the chunks the registry lacks (client/chunking.py),
        # to pre-signed object-store URLs when the registry has direct transfers.
        if push_in_chunks(self.chunk_sink, upload_id, digest, source, progress=progress):
            return
        if self.direct.upload(upload_id, digest, source, progress=progress):
            return  # sent whole, straight to the registry's object store (client/direct.py)
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

    def read_blob(
        self, digest: Digest, offset: int = 0, *, allow_unsafe: bool = False
    ) -> Iterator[bytes]:
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        # A chunked blob on object storage may answer its chunks' URLs (client/direct.py).
        headers["Accept"] = f"{routes.CHUNK_MANIFEST_TYPE}, */*;q=0.5"
        if allow_unsafe:
            headers[routes.ALLOW_UNSAFE_HEADER] = "true"
        request = self.http.build_request(
            "GET", routes.url(routes.BLOB, digest=digest), headers=headers
        )
        try:
            response = self.http.send(request, stream=True, follow_redirects=False)
            if response.is_redirect:  # served straight from object storage (client/direct.py)
                response = self.direct.follow(response, offset=offset)
        except httpx.TransportError as error:
            raise UnavailableError(
                f"cannot reach the registry at {self.http.base_url}: {error}"
            ) from error
        try:
            if response.is_error:
                response.read()
                raise _error_from(response)
            if response.headers.get("content-type", "").startswith(routes.CHUNK_MANIFEST_TYPE):
                yield from self.direct.read_pieces(response.read(), offset=offset)
                return
            if offset and response.status_code != 206:
                raise ModelregError(f"the registry ignored a range request for {digest}")
            yield from response.iter_bytes(CHUNK)
        except httpx.TransportError as error:
            raise UnavailableError(f"download of {digest} was interrupted: {error}") from error
        finally:
            response.close()

    # -- policies, promotions, webhooks ------------------------------------------------------

    def set_policy(self, document: Mapping[str, Any], *, model: str | None) -> PolicyRevision:
        path = routes.POLICY if model is None else routes.url(routes.MODEL_POLICY, name=model)
        body = {"document": dict(document)}
        return wire.policy_revision_from_json(self._json("PUT", path, json=body))

    def get_policy(self, *, model: str | None, revision: int | None) -> PolicyRevision:
        path = routes.POLICY if model is None else routes.url(routes.MODEL_POLICY, name=model)
        params = {} if revision is None else {"revision": revision}
        return wire.policy_revision_from_json(self._json("GET", path, params=params))

    def list_policy_revisions(self, *, model: str | None) -> list[PolicyRevision]:
        path = (
            routes.POLICY_REVISIONS
            if model is None
            else routes.url(routes.MODEL_POLICY_REVISIONS, name=model)
        )
        return [wire.policy_revision_from_json(r) for r in self._json("GET", path)["items"]]

    def effective_policy(self, model: str) -> dict[str, Any]:
        data = self._json("GET", routes.url(routes.MODEL_POLICY_EFFECTIVE, name=model))
        document: dict[str, Any] = data["document"]
        return document

    def check_policy(self, ref: str, *, alias: str | None) -> PolicyReport:
        params = {"ref": ref} if alias is None else {"ref": ref, "alias": alias}
        return wire.policy_report_from_json(self._json("GET", routes.POLICY_CHECK, params=params))

    def request_promotion(
        self, name: str, alias: str, version: int, *, reason: str
    ) -> PromotionRequest:
        body = {"alias": alias, "version": version, "reason": reason}
        path = routes.url(routes.MODEL_PROMOTIONS, name=name)
        return wire.promotion_from_json(self._json("POST", path, json=body))

    def approve_promotion(self, request_id: int, *, reason: str) -> PromotionRequest:
        path = routes.url(routes.PROMOTION_APPROVE, request_id=request_id)
        return wire.promotion_from_json(self._json("POST", path, json={"reason": reason}))

    def reject_promotion(self, request_id: int, *, reason: str) -> PromotionRequest:
        path = routes.url(routes.PROMOTION_REJECT, request_id=request_id)
        return wire.promotion_from_json(self._json("POST", path, json={"reason": reason}))

    def get_promotion(self, request_id: int) -> PromotionRequest:
        path = routes.url(routes.PROMOTION, request_id=request_id)
        return wire.promotion_from_json(self._json("GET", path))

    def list_promotions(
        self,
        *,
        model: str | None,
        status: PromotionStatus | None,
        cursor: str | None,
        limit: int,
    ) -> Page[PromotionRequest]:
        params = _page_params("", cursor, limit)
        if model is not None:
            params["model"] = model
        if status is not None:
            params["status"] = status.value
        data = self._json("GET", routes.PROMOTIONS, params=params)
        return Page(tuple(wire.promotion_from_json(p) for p in data["items"]), data["next_cursor"])

    def add_webhook(self, url: str, *, events: Sequence[str], secret: str) -> WebhookSubscription:
        body = {"url": url, "events": list(events), "secret": secret}
        return wire.webhook_from_json(self._json("POST", routes.WEBHOOKS, json=body))

    def list_webhooks(self) -> list[WebhookSubscription]:
        return [wire.webhook_from_json(w) for w in self._json("GET", routes.WEBHOOKS)["items"]]

    def remove_webhook(self, webhook_id: int) -> None:
        self._request("DELETE", routes.url(routes.WEBHOOK, webhook_id=webhook_id))

    def list_deliveries(
        self, webhook_id: int, *, cursor: str | None, limit: int
    ) -> Page[WebhookDelivery]:
        path = routes.url(routes.WEBHOOK_DELIVERIES, webhook_id=webhook_id)
        data = self._json("GET", path, params=_page_params("", cursor, limit))
        return Page(tuple(wire.delivery_from_json(d) for d in data["items"]), data["next_cursor"])

    # -- audit trail, alias history, archiving, deployments, evaluations, model cards ---------

    def list_audit(
        self, query: AuditQuery, *, descending: bool, cursor: str | None, limit: int
    ) -> Page[AuditEntry]:
        params = _page_params("", cursor, limit)
        for key, value in (
            ("model", query.model),
            ("actor", query.actor),
            ("action", query.action),
        ):
            if value is not None:
                params[key] = value
        for key, moment in (("since", query.since), ("until", query.until)):
            if moment is not None:
                params[key] = moment.isoformat()
        if descending:
            params["order"] = "desc"
        data = self._json("GET", routes.AUDIT, params=params)
        return Page(
            tuple(wire.audit_entry_from_json(e) for e in data["items"]), data["next_cursor"]
        )

    def verify_audit(self) -> AuditVerification:
        return wire.verification_from_json(self._json("GET", routes.AUDIT_VERIFY))

    def list_alias_history(
        self, name: str, alias: str, *, cursor: str | None, limit: int
    ) -> Page[AliasChange]:
        path = routes.url(routes.ALIAS_HISTORY, name=name, alias=alias)
        data = self._json("GET", path, params=_page_params("", cursor, limit))
        return Page(
            tuple(wire.alias_change_from_json(c) for c in data["items"]), data["next_cursor"]
        )

    def archive_version(self, name: str, version: int) -> ModelVersion:
        path = routes.url(routes.VERSION_ARCHIVE, name=name, version=version)
        return wire.version_from_json(self._json("POST", path))

    def restore_version(self, name: str, version: int) -> ModelVersion:
        path = routes.url(routes.VERSION_RESTORE, name=name, version=version)
        return wire.version_from_json(self._json("POST", path))

    def record_deployment(
        self, name: str, version: int, environment: str, *, status: str, note: str
    ) -> Deployment:
        body = {"version": version, "environment": environment, "status": status, "note": note}
        path = routes.url(routes.MODEL_DEPLOYMENTS, name=name)
        return wire.deployment_from_json(self._json("POST", path, json=body))

    def list_deployments(self, *, environment: str | None, model: str | None) -> list[Deployment]:
        params = {
            key: value
            for key, value in (("environment", environment), ("model", model))
            if value is not None
        }
        data = self._json("GET", routes.DEPLOYMENTS, params=params)
        return [wire.deployment_from_json(d) for d in data["items"]]

    def deployment_history(
        self, name: str, *, environment: str | None, cursor: str | None, limit: int
    ) -> Page[Deployment]:
        params = _page_params("", cursor, limit)
        if environment is not None:
            params["environment"] = environment
        path = routes.url(routes.MODEL_DEPLOYMENTS, name=name)
        data = self._json("GET", path, params=params)
        return Page(tuple(wire.deployment_from_json(d) for d in data["items"]), data["next_cursor"])

    def add_evaluation(
        self,
        name: str,
        version: int,
        *,
        dataset: str,
        metrics: Mapping[str, float],
        description: str,
        report: Path | None,
    ) -> Evaluation:
        path = routes.url(routes.VERSION_EVALUATIONS, name=name, version=version)
        body: dict[str, Any] = {
            "dataset": dataset,
            "metrics": dict(metrics),
            "description": description,
        }
        if report is None:
            return wire.evaluation_from_json(self._json("POST", path, json=body))
        digest, size = digest_file(report)
        body["report"] = wire.report_to_json(ReportFile(report.name, size, digest))
        with report.open("rb") as handle:
            data = self._json(
                "POST",
                path,
                data={"evaluation": json.dumps(body)},
                files={"report": (report.name, handle, "application/octet-stream")},
            )
        return wire.evaluation_from_json(data)

    def list_evaluations(self, name: str, version: int) -> list[Evaluation]:
        path = routes.url(routes.VERSION_EVALUATIONS, name=name, version=version)
        return [wire.evaluation_from_json(e) for e in self._json("GET", path)["items"]]

    def set_card(self, name: str, version: int, content: str) -> ModelCard:
        path = routes.url(routes.VERSION_CARD, name=name, version=version)
        return wire.card_from_json(self._json("PUT", path, json={"content": content}))

    def get_card(self, name: str, version: int, *, revision: int | None) -> ModelCard:
        path = routes.url(routes.VERSION_CARD, name=name, version=version)
        params = {} if revision is None else {"revision": revision}
        return wire.card_from_json(self._json("GET", path, params=params))

    def close(self) -> None:
        self.direct.close()
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
        text = " ".join(response.text[:200].split()) or response.reason_phrase
        if response.status_code >= 500:
            return UnavailableError(f"the registry answered HTTP {response.status_code}: {text}")
        return ModelregError(f"the registry answered HTTP {response.status_code}: {text}")
