"""Scan verdicts of versions, re-scans, and the quarantine check of downloads (docs/scanning.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from modelreg import routes
from modelreg.domain.digests import Digest
from modelreg.domain.permissions import Action
from modelreg.domain.scans import EngineResult, FileScan, RescanReport, VersionScan
from modelreg.server.access import requires
from modelreg.server.deps import get_services
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


async def guard_download(request: Request, digest: Digest) -> None:
    """``QUARANTINED`` (403) for a GET of a quarantined blob without the override."""
    if request.method != "GET":
        return  # HEAD sends no content
    await run_in_threadpool(
        get_scans(request).guard_blob, digest, allow_unsafe=allows_unsafe(request)
    )


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
        )


class VersionScanOut(BaseModel):
    model: str
    version: int
    verdict: str
    quarantined: bool
    enforced: bool
    files: list[FileScanOut]

    @classmethod
    def from_entity(cls, found: VersionScan) -> VersionScanOut:
        return cls(
            model=found.model_name,
            version=found.version,
            verdict=str(found.verdict),
            quarantined=found.quarantined,
            enforced=found.enforced,
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


@router.post(routes.SCANS_RESCAN, dependencies=[requires(Action.MANAGE_POLICIES)])
def rescan(body: RescanRequest, scans: ScansDep) -> RescanOut:
    return RescanOut.from_entity(scans.rescan(stale_only=body.stale_only))
