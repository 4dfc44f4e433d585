"""Scan verdicts of versions, re-scans, and the quarantine check of downloads (docs/scanning.md)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from modelreg import routes
from modelreg.domain.access import Principal
from modelreg.domain.digests import Digest
from modelreg.domain.errors import ModelNotFoundError, PermissionDeniedError
from modelreg.domain.permissions import Action
from modelreg.domain.scans import (
    EngineResult,
    FileScan,
    QuarantineRelease,
    RescanReport,
    VersionScan,
)
from modelreg.server.access import get_access, requires
from modelreg.server.deps import ActorDep, get_principal, get_services
from modelreg.service.access import AccessControl
from modelreg.service.scans import Scans

router = APIRouter(tags=["scans"])


def get_scans(request: Request) -> Scans:
    return get_services(request).scans


ScansDep = Annotated[Scans, Depends(get_scans)]


def allows_unsafe(request: Request) -> bool:
    """The caller's explicit override of the quarantine: a header or a query parameter."""
    header = request.headers.get(routes.ALLOW_UNSAFE_HEADER, "")
    param = request.query_params.get(routes.ALLOW_UNSAFE_PARAM, "")
    return "true" in (header.strip().lower(), param.strip().lower())


def guard(request: Request, digest: Digest, *, via: str = "api") -> None:
    """``QUARANTINED`` (403) for a quarantined blob, unless a release the caller may read
    covers it or the caller overrides (a maintainer's action, audited: ``Scans.guard_blob``)."""
    principal = get_principal(request)
    access = get_access(request)
    get_scans(request).guard_blob(
        digest,
        allow_unsafe=allows_unsafe(request),
        actor=principal.name,
        may_read=lambda model: access.can_read(principal, model),
        may_override=_override_check(access, principal),
        via=via,
    )


def _override_check(access: AccessControl, principal: Principal) -> Callable[[Sequence[str]], None]:
    """``OVERRIDE_QUARANTINE`` on at least one of the models holding the blob; otherwise the
    refusal of the first readable one (``PERMISSION_DENIED``, naming the role). A blob no
    readable model holds (an MLflow run artifact) has no maintainer to trust: registry admins
    only, and unreadable models are never named."""

    def check(models: Sequence[str]) -> None:
        if principal.open_mode:
            return
        refusal: PermissionDeniedError | None = None
        for model in models:
            try:
                access.require(principal, Action.OVERRIDE_QUARANTINE, model)
                return
            except PermissionDeniedError as error:
                refusal = refusal or error
            except ModelNotFoundError:  # not readable (or deleted meanwhile)
                continue
        if refusal is not None:
            raise refusal
        if not principal.admin:
            raise PermissionDeniedError(
                "overriding the quarantine of a blob that no model you may read holds needs a "
                "registry admin"
            )
        access.require(principal, Action.OVERRIDE_QUARANTINE)  # the token's scope

    return check


async def guard_download(request: Request, digest: Digest) -> None:
    """``guard`` for a GET of a blob (HEAD sends no content)."""
    if request.method != "GET":
        return
    await run_in_threadpool(guard, request, digest)


class FindingOut(BaseModel):
    severity: str
    message: str
    location: str


class EngineResultOut(BaseModel):
    engine: str
    engine_version: str
    verdict: str
    findings: list[FindingOut]

    @classmethod
    def from_entity(cls, result: EngineResult) -> EngineResultOut:
        return cls(
            engine=result.engine,
            engine_version=result.engine_version,
            verdict=str(result.verdict),
            findings=[FindingOut(**finding.to_json()) for finding in result.findings],
        )


class FileScanOut(BaseModel):
    path: str
    digest: str
    verdict: str
    format: str | None
    scanned_at: datetime | None
    engines: list[EngineResultOut]
    released: bool = False

    @classmethod
    def from_entity(cls, file: FileScan) -> FileScanOut:
        scan = file.scan
        return cls(
            path=file.path,
            digest=str(file.digest),
            verdict=str(file.verdict),
            format=None if scan is None else scan.file_format,
            scanned_at=None if scan is None else scan.scanned_at,
            engines=[] if scan is None else [EngineResultOut.from_entity(r) for r in scan.results],
            released=file.released,
        )


class ReleasedFileOut(BaseModel):
    digest: str
    verdict: str
    engines: dict[str, str]
    fingerprint: str


class ReleaseOut(BaseModel):
    reason: str
    released_by: str
    released_at: datetime
    files: list[ReleasedFileOut]

    @classmethod
    def from_entity(cls, release: QuarantineRelease) -> ReleaseOut:
        return cls(
            reason=release.reason,
            released_by=release.released_by,
            released_at=release.released_at,
            files=[
                ReleasedFileOut(
                    digest=str(f.digest),
                    verdict=str(f.verdict),
                    engines=dict(f.engines),
                    fingerprint=f.fingerprint,
                )
                for f in release.files
            ],
        )


class VersionScanOut(BaseModel):
    model: str
    version: int
    verdict: str
    quarantined: bool
    """Some flagged file is not covered by a release."""
    released: bool
    """Flagged, but every flagged file is covered by the version's release."""
    release_void: bool
    """A release is stored, but a re-scan changed findings it reviewed."""
    enforced: bool
    release: ReleaseOut | None
    files: list[FileScanOut]

    @classmethod
    def from_entity(cls, found: VersionScan) -> VersionScanOut:
        return cls(
            model=found.model_name,
            version=found.version,
            verdict=str(found.verdict),
            quarantined=found.quarantined,
            released=found.released,
            release_void=found.release_void,
            enforced=found.enforced,
            release=None if found.release is None else ReleaseOut.from_entity(found.release),
            files=[FileScanOut.from_entity(file) for file in found.files],
        )


class RescanRequest(BaseModel):
    stale_only: bool = True


class RescanOut(BaseModel):
    scanned: int
    skipped: int
    quarantined: list[str]

    @classmethod
    def from_entity(cls, report: RescanReport) -> RescanOut:
        return cls(
            scanned=report.scanned, skipped=report.skipped, quarantined=list(report.quarantined)
        )


@router.get(routes.VERSION_SCAN, dependencies=[requires(Action.READ)])
def get_version_scan(name: str, version: int, scans: ScansDep) -> VersionScanOut:
    return VersionScanOut.from_entity(scans.version_scan(f"{name}/{version}"))


class ReleaseRequest(BaseModel):
    reason: str = Field(max_length=2000)


@router.post(routes.VERSION_SCAN_RELEASE, dependencies=[requires(Action.RELEASE_QUARANTINE)])
def release_quarantine(
    name: str, version: int, body: ReleaseRequest, scans: ScansDep, actor: ActorDep
) -> VersionScanOut:
    found = scans.release(f"{name}/{version}", reason=body.reason, actor=actor)
    return VersionScanOut.from_entity(found)


@router.delete(routes.VERSION_SCAN_RELEASE, dependencies=[requires(Action.RELEASE_QUARANTINE)])
def revoke_quarantine_release(
    name: str, version: int, scans: ScansDep, actor: ActorDep, reason: str = ""
) -> Response:
    scans.revoke_release(f"{name}/{version}", actor=actor, reason=reason)
    return Response(status_code=204)


@router.post(routes.SCANS_RESCAN, dependencies=[requires(Action.MANAGE_POLICIES)])
def rescan(body: RescanRequest, scans: ScansDep) -> RescanOut:
    return RescanOut.from_entity(scans.rescan(stale_only=body.stale_only))
