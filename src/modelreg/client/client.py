"""``Client``: the Python SDK, identical in embedded mode and against a server."""

from __future__ import annotations

import contextlib
import functools
import getpass
import os
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx

from modelreg.client.accounts import AccountsClient
from modelreg.client.cache import BlobCache
from modelreg.client.credentials import resolve_token
from modelreg.client.files import collect_files, read_file, safe_target, write_verified
from modelreg.client.http import HttpTransport
from modelreg.client.permissions import PermissionsClient
from modelreg.client.records import RecordsClient
from modelreg.client.scans import ScanClient, refuse_quarantined
from modelreg.client.storage import StorageClient
from modelreg.client.transport import Progress, Transport
from modelreg.client.verification import SigningClient
from modelreg.domain.digests import Digest
from modelreg.domain.entities import (
    Alias,
    Event,
    FileEntry,
    Lineage,
    ModelVersion,
    Page,
    RegisteredModel,
    VersionDraft,
)
from modelreg.domain.errors import DigestMismatchError
from modelreg.domain.governance import PolicyRevision, PromotionRequest, PromotionStatus
from modelreg.domain.policy import PolicyReport
from modelreg.domain.rules import param_text, validate_draft
from modelreg.domain.webhooks import WebhookDelivery, WebhookSubscription
from modelreg.hashing import digest_file

T = TypeVar("T")
PAGE = 500


def default_user() -> str:
    try:
        return os.environ.get("MODELREG_USER") or getpass.getuser()
    except (KeyError, OSError):
        return "anonymous"


def default_cache_dir() -> Path:
    configured = os.environ.get("MODELREG_CACHE")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "modelreg"


class Client(
    RecordsClient, SigningClient, AccountsClient, StorageClient, ScanClient, PermissionsClient
):
    """Push, find and pull model versions.

    ``Client("http://127.0.0.1:8080")`` talks to a server; ``Client.local("./modelreg-data")``
    runs the registry in-process with no server. Both raise the same ``modelreg`` errors.
    A server that requires authentication gets ``token``, else ``MODELREG_TOKEN``, else the
    token ``modelreg login`` saved for ``url`` (``client/credentials.py``).
    """

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        transport: Transport | None = None,
        http_client: httpx.Client | None = None,
        user: str | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        if transport is None:
            transport = HttpTransport(
                url,
                client=http_client,
                user=user or default_user(),
                token=resolve_token(url, token),
            )
        self.transport = transport
        self.cache = BlobCache(cache_dir or default_cache_dir())

    @classmethod
    def local(
        cls,
        home: str | Path | None = None,
        *,
        database_url: str | None = None,
        storage_url: str | None = None,
        user: str | None = None,
        cache_dir: Path | None = None,
    ) -> Client:
        """An embedded registry in ``home`` (default ``$MODELREG_HOME`` or ``./modelreg-data``)."""
        from modelreg.client.embedded import EmbeddedTransport
        from modelreg.settings import Settings
        from modelreg.wiring import open_services

        overrides: dict[str, object] = {}
        if home is not None:
            overrides["home"] = Path(home)
        if database_url is not None:
            overrides["database_url"] = database_url
        if storage_url is not None:
            overrides["storage_url"] = storage_url
        services = open_services(Settings(**overrides))  # type: ignore[arg-type]
        return cls(
            transport=EmbeddedTransport(services, user=user or default_user()),
            cache_dir=cache_dir,
        )

    @classmethod
    def from_env(cls) -> Client:
        """A server client when ``MODELREG_URL`` is set, else the embedded registry."""
        url = os.environ.get("MODELREG_URL")
        return cls(url) if url else cls.local()

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- models ------------------------------------------------------------------------------

    def create_model(
        self,
        name: str,
        *,
        description: str = "",
        owner: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> RegisteredModel:
        return self.transport.create_model(
            name, description=description, owner=owner, tags=tags or {}
        )

    def get_model(self, name: str) -> RegisteredModel:
        return self.transport.get_model(name)

    def update_model(
        self,
        name: str,
        *,
        description: str | None = None,
        owner: str | None = None,
        set_tags: Mapping[str, str] | None = None,
        delete_tags: Sequence[str] = (),
    ) -> RegisteredModel:
        return self.transport.update_model(
            name,
            description=description,
            owner=owner,
            set_tags=set_tags or {},
            delete_tags=delete_tags,
        )

    def delete_model(self, name: str) -> None:
        self.transport.delete_model(name)

    def search_models(self, filter: str = "", *, limit: int | None = None) -> list[RegisteredModel]:
        """Every model matching ``filter`` (all models when empty), following pages."""
        return _collect(
            lambda cursor, size: self.transport.search_models(filter, cursor=cursor, limit=size),
            limit,
        )

    list_models = search_models

    # -- versions ----------------------------------------------------------------------------

    def list_versions(
        self, name: str, *, limit: int | None = None, include_archived: bool = False
    ) -> list[ModelVersion]:
        """Versions of ``name``, newest first; archived ones only when ``include_archived``."""
        return _collect(
            lambda cursor, size: self.transport.list_versions(
                name, cursor=cursor, limit=size, include_archived=include_archived
            ),
            limit,
        )

    def search_versions(
        self, filter: str = "", *, limit: int | None = None, include_archived: bool = False
    ) -> list[ModelVersion]:
        """Versions matching ``filter``; archived ones only when the filter names ``archived``
        or ``include_archived`` is set."""
        return _collect(
            lambda cursor, size: self.transport.search_versions(
                filter, cursor=cursor, limit=size, include_archived=include_archived
            ),
            limit,
        )

    def get_version(self, name: str, version: int) -> ModelVersion:
        return self.transport.get_version(name, version)

    def resolve(self, ref: str, *, at: datetime | None = None) -> ModelVersion:
        """``NAME`` (latest), ``NAME/VERSION`` or ``NAME@ALIAS`` to a version; with ``at`` (a
        timezone-aware moment), to the version it resolved to then."""
        return self.transport.resolve(ref, at=at)

    def update_version(
        self,
        name: str,
        version: int,
        *,
        description: str | None = None,
        set_tags: Mapping[str, str] | None = None,
        delete_tags: Sequence[str] = (),
    ) -> ModelVersion:
        return self.transport.update_version(
            name, version, description=description, set_tags=set_tags or {}, delete_tags=delete_tags
        )

    def delete_version(self, name: str, version: int) -> None:
        self.transport.delete_version(name, version)

    def set_mlflow_stage(self, name: str, version: int, stage: str) -> None:
        """Move a version to an MLflow stage (``None``, ``Staging``, ``Production``,
        ``Archived``), which only MLflow clients see: ``models:/NAME/Production`` and
        ``get_latest_versions``. Nothing else moves (no ``archive_existing_versions``)."""
        self.transport.set_mlflow_stage(name, version, stage)

    # -- aliases and history -----------------------------------------------------------------

    def set_alias(self, name: str, alias: str, version: int) -> Alias:
        return self.transport.set_alias(name, alias, version)

    def get_alias(self, name: str, alias: str) -> Alias:
        return self.transport.get_alias(name, alias)

    def delete_alias(self, name: str, alias: str) -> None:
        self.transport.delete_alias(name, alias)

    def events(self, name: str, *, limit: int | None = None) -> list[Event]:
        """The model's history, newest first."""
        return _collect(
            lambda cursor, size: self.transport.list_events(name, cursor=cursor, limit=size),
            limit,
        )

    # -- policies ----------------------------------------------------------------------------

    def set_policy(
        self, document: Mapping[str, Any], *, model: str | None = None
    ) -> PolicyRevision:
        """Store ``document`` as the next revision of the default policy (or ``model``'s)."""
        return self.transport.set_policy(document, model=model)

    def get_policy(
        self, *, model: str | None = None, revision: int | None = None
    ) -> PolicyRevision:
        """The latest (or the given) revision of the default policy (or ``model``'s)."""
        return self.transport.get_policy(model=model, revision=revision)

    def policy_history(self, *, model: str | None = None) -> list[PolicyRevision]:
        """Every revision, newest first."""
        return self.transport.list_policy_revisions(model=model)

    def effective_policy(self, model: str) -> dict[str, Any]:
        """The default policy with ``model``'s laid over it."""
        return self.transport.effective_policy(model)

    def check_policy(self, ref: str, *, alias: str | None = None) -> PolicyReport:
        """Rule by rule, whether ``ref`` passes the policy (and could go to ``alias``)."""
        return self.transport.check_policy(ref, alias=alias)

    # -- promotions --------------------------------------------------------------------------

    def request_promotion(
        self, name: str, alias: str, version: int, reason: str
    ) -> PromotionRequest:
        """Ask to move protected ``alias`` to ``version``."""
        return self.transport.request_promotion(name, alias, version, reason=reason)

    def approve_promotion(self, request_id: int, *, reason: str = "") -> PromotionRequest:
        return self.transport.approve_promotion(request_id, reason=reason)

    def reject_promotion(self, request_id: int, *, reason: str) -> PromotionRequest:
        return self.transport.reject_promotion(request_id, reason=reason)

    def get_promotion(self, request_id: int) -> PromotionRequest:
        return self.transport.get_promotion(request_id)

    def list_promotions(
        self,
        *,
        model: str | None = None,
        status: PromotionStatus | str | None = None,
        limit: int | None = None,
    ) -> list[PromotionRequest]:
        """Promotion requests, newest first."""
        wanted = PromotionStatus(status) if status is not None else None
        return _collect(
            lambda cursor, size: self.transport.list_promotions(
                model=model, status=wanted, cursor=cursor, limit=size
            ),
            limit,
        )

    # -- webhooks ----------------------------------------------------------------------------

    def add_webhook(self, url: str, *, events: Sequence[str], secret: str) -> WebhookSubscription:
        """Subscribe ``url`` to ``events`` (or ``["*"]``); deliveries are signed with ``secret``."""
        return self.transport.add_webhook(url, events=events, secret=secret)

    def list_webhooks(self) -> list[WebhookSubscription]:
        return self.transport.list_webhooks()

    def remove_webhook(self, webhook_id: int) -> None:
        self.transport.remove_webhook(webhook_id)

    def webhook_deliveries(
        self, webhook_id: int, *, limit: int | None = None
    ) -> list[WebhookDelivery]:
        """The subscription's delivery log, newest first."""
        return _collect(
            lambda cursor, size: self.transport.list_deliveries(
                webhook_id, cursor=cursor, limit=size
            ),
            limit,
        )

    # -- push and pull -----------------------------------------------------------------------

    def push(
        self,
        name: str,
        path: str | Path,
        *,
        params: Mapping[str, object] | None = None,
        metrics: Mapping[str, float] | None = None,
        tags: Mapping[str, str] | None = None,
        description: str = "",
        lineage: Lineage | None = None,
        alias: str | None = None,
        progress: Progress | None = None,
    ) -> ModelVersion:
        """Push the file or folder at ``path`` as the next version of ``name``.

        Only content the registry does not already hold is sent; the version appears, READY,
        only once every file has arrived and been verified.
        """
        local_files = collect_files(Path(path))
        entries: list[FileEntry] = []
        sources: dict[Digest, Path] = {}
        for manifest_path, local in local_files:
            digest, size = digest_file(local)
            entries.append(FileEntry(manifest_path, size, digest))
            sources.setdefault(digest, local)
        draft = VersionDraft(
            files=tuple(entries),
            params={key: param_text(key, value) for key, value in (params or {}).items()},
            metrics=dict(metrics or {}),
            tags=dict(tags or {}),
            description=description,
            lineage=lineage or Lineage(),
        )
        # Checked here too, so bad metadata fails the same way embedded and over HTTP (JSON
        # cannot even carry a NaN) and before any file is hashed on the server's side.
        validate_draft(draft)
        session = self.transport.start_upload(name, draft)
        try:
            for digest in session.missing:
                self.transport.upload_blob(session.id, digest, sources[digest], progress=progress)
            version = self.transport.commit_upload(session.id)
        except BaseException:
            with contextlib.suppress(Exception):  # the original error matters more
                self.transport.cancel_upload(session.id)
            raise
        if alias:
            self.transport.set_alias(name, alias, version.version)
            version = self.transport.get_version(name, version.version)
        return version

    def pull(
        self,
        ref: str,
        dest: str | Path | None = None,
        *,
        progress: Progress | None = None,
        verify: bool = True,
        trusted_keys: Sequence[str | Path] | None = None,
        allow_unsafe: bool = False,
    ) -> Path:
        """Write the files of ``ref`` under ``dest`` (default ``./NAME-VERSION``), verified
        against their digests; blobs already in the local cache are not transferred again.
        A signed version is first checked against its signature (``verify=False`` skips
        that; ``trusted_keys`` as for ``verify``). A quarantined version (a file the scanners
        found unsafe or suspicious) raises ``QuarantinedError`` before anything is written,
        unless ``allow_unsafe``: the override, which needs the maintainer role (with
        authentication; ``PermissionDeniedError`` otherwise, also before anything is written)."""
        version = self.resolve(ref)
        scan = self.transport.get_version_scan(version.model_name, version.version)
        if not allow_unsafe:
            refuse_quarantined(scan)
        if verify:
            self._check_before_pull(version, trusted_keys)
        root = Path(dest) if dest is not None else Path(f"{version.model_name}-{version.version}")
        root.mkdir(parents=True, exist_ok=True)
        # Flagged files first: a refused override then fails before any file is written.
        flagged = {file.path for file in scan.files if file.quarantined}
        for entry in sorted(version.files, key=lambda entry: entry.path not in flagged):
            target = safe_target(root, entry.path)
            if self.transport.remote:
                self._pull_through_cache(entry, target, progress, allow_unsafe=allow_unsafe)
            else:
                blob = self.transport.read_blob(entry.digest, allow_unsafe=allow_unsafe)
                write_verified(blob, target, entry.digest, progress=progress)
        return root

    def _pull_through_cache(
        self,
        entry: FileEntry,
        target: Path,
        progress: Progress | None,
        *,
        allow_unsafe: bool = False,
    ) -> None:
        read = functools.partial(self.transport.read_blob, entry.digest, allow_unsafe=allow_unsafe)
        cached = self.cache.fetch(entry.digest, entry.size, read, progress=progress)
        try:
            write_verified(read_file(cached), target, entry.digest)
        except DigestMismatchError:
            # The cached copy went bad on this disk: drop it and fetch it once more.
            self.cache.evict(entry.digest)
            cached = self.cache.fetch(entry.digest, entry.size, read, progress=None)
            write_verified(read_file(cached), target, entry.digest)


def _collect(fetch: Callable[[str | None, int], Page[T]], limit: int | None) -> list[T]:
    items: list[T] = []
    cursor: str | None = None
    while True:
        size = PAGE if limit is None else min(PAGE, limit - len(items))
        if size <= 0:
            return items
        page = fetch(cursor, size)
        items.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            return items
