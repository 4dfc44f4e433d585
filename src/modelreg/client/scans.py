"""SDK methods for model-file scans (verdicts, re-scans), with their transport halves:
``ScanClient`` is a base of ``Client``, ``HttpScanMethods`` of ``HttpTransport`` and
``EmbeddedScanMethods`` of ``EmbeddedTransport`` (one module, so the shared files stay small)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from modelreg import routes
from modelreg.domain.digests import Digest
from modelreg.domain.entities import ModelVersion
from modelreg.domain.errors import QuarantinedError
from modelreg.domain.scans import (
    BlobScan,
    EngineResult,
    FileScan,
    Finding,
    RescanReport,
    Verdict,
    VersionScan,
)

if TYPE_CHECKING:
    from modelreg.wiring import Services


class ScanTransport(Protocol):
    def get_version_scan(self, name: str, version: int) -> VersionScan: ...

    def rescan(self, *, stale_only: bool) -> RescanReport: ...


class _Resolver(Protocol):
    @property
    def transport(self) -> ScanTransport: ...

    def resolve(self, ref: str) -> ModelVersion: ...


class ScanClient:
    def scan(self: _Resolver, ref: str) -> VersionScan:
        """The scan verdict of ``ref`` and of each of its files, with every engine's findings."""
        version = self.resolve(ref)
        return self.transport.get_version_scan(version.model_name, version.version)

    def rescan(self: _Resolver, *, stale_only: bool = True) -> RescanReport:
        """Re-scan stored blobs: those scanned by older engine versions (or never), or all."""
        return self.transport.rescan(stale_only=stale_only)


def refuse_quarantined(found: VersionScan) -> None:
    """Raise ``QuarantinedError`` when ``found`` holds an unsafe or suspicious file (and the
    registry enforces the quarantine)."""
    if not (found.quarantined and found.enforced):
        return
    bad = [file.path for file in found.files if file.verdict.quarantined]
    ref = f"{found.model_name}/{found.version}"
    raise QuarantinedError(
        f"{ref} is quarantined: the scan found it {found.verdict} ({', '.join(bad[:5])}); "
        f"see `modelreg scan {ref}`, or pass --allow-unsafe to pull it anyway",
        model=found.model_name,
        version=found.version,
        verdict=str(found.verdict),
        files=bad,
    )


class _JsonCaller(Protocol):
    def _json(self, method: str, path: str, **kwargs: Any) -> Any: ...


class HttpScanMethods:
    def get_version_scan(self: _JsonCaller, name: str, version: int) -> VersionScan:
        path = routes.url(routes.VERSION_SCAN, name=name, version=version)
        return version_scan_from_json(self._json("GET", path))

    def rescan(self: _JsonCaller, *, stale_only: bool) -> RescanReport:
        data = self._json("POST", routes.SCANS_RESCAN, json={"stale_only": stale_only})
        return RescanReport(data["scanned"], data["skipped"], tuple(data["quarantined"]))


class EmbeddedScanMethods:
    services: Services

    def get_version_scan(self, name: str, version: int) -> VersionScan:
        return self.services.scans.version_scan(f"{name}/{version}")

    def rescan(self, *, stale_only: bool) -> RescanReport:
        return self.services.scans.rescan(stale_only=stale_only)


def version_scan_from_json(data: dict[str, Any]) -> VersionScan:
    files = []
    for item in data["files"]:
        digest = Digest.parse(item["digest"])
        scan = None
        if item["engines"]:
            results = tuple(
                EngineResult(
                    engine["engine"],
                    engine["engine_version"],
                    Verdict(engine["verdict"]),
                    tuple(Finding.from_json(finding) for finding in engine["findings"]),
                )
                for engine in item["engines"]
            )
            scanned_at = datetime.fromisoformat(item["scanned_at"])
            scan = BlobScan(digest, item["format"] or "", results, scanned_at)
        files.append(FileScan(item["path"], digest, scan))
    return VersionScan(data["model"], data["version"], tuple(files), data.get("enforced", True))


def version_scan_to_json(found: VersionScan) -> dict[str, Any]:
    """The same shape as the server's ``VersionScanOut`` (for the CLI's ``--json``)."""
    return {
        "model": found.model_name,
        "version": found.version,
        "verdict": str(found.verdict),
        "quarantined": found.quarantined,
        "enforced": found.enforced,
        "files": [
            {
                "path": file.path,
                "digest": str(file.digest),
                "verdict": str(file.verdict),
                "format": None if file.scan is None else file.scan.file_format,
                "scanned_at": None if file.scan is None else file.scan.scanned_at.isoformat(),
                "engines": []
                if file.scan is None
                else [
                    {
                        "engine": result.engine,
                        "engine_version": result.engine_version,
                        "verdict": str(result.verdict),
                        "findings": [finding.to_json() for finding in result.findings],
                    }
                    for result in file.scan.results
                ],
            }
            for file in found.files
        ],
    }
