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
    QuarantineRelease,
    ReleasedFile,
    RescanReport,
    Verdict,
    VersionScan,
)

if TYPE_CHECKING:
    from modelreg.wiring import Services


class ScanTransport(Protocol):
    def get_version_scan(self, name: str, version: int) -> VersionScan: ...

    def rescan(self, *, stale_only: bool) -> RescanReport: ...

    def release_quarantine(self, name: str, version: int, *, reason: str) -> VersionScan: ...

    def revoke_quarantine_release(self, name: str, version: int, *, reason: str) -> None: ...


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

    def release_quarantine(self: _Resolver, ref: str, *, reason: str) -> VersionScan:
        """Release the quarantine of ``ref`` after a review (maintainers; ``reason`` is
        required and recorded): its flagged files, as scanned now, download without the
        override. A re-scan that changes their findings voids the release."""
        version = self.resolve(ref)
        return self.transport.release_quarantine(version.model_name, version.version, reason=reason)

    def revoke_quarantine_release(self: _Resolver, ref: str, *, reason: str = "") -> None:
        """Take back the release of ``ref``: its flagged files are quarantined again."""
        version = self.resolve(ref)
        self.transport.revoke_quarantine_release(version.model_name, version.version, reason=reason)


def refuse_quarantined(found: VersionScan) -> None:
    """Raise ``QuarantinedError`` when ``found`` holds an unsafe or suspicious file (and the
    registry enforces the quarantine)."""
    if not (found.quarantined and found.enforced):
        return
    bad = [file.path for file in found.files if file.quarantined]
    ref = f"{found.model_name}/{found.version}"
    void = " (its release no longer applies: a re-scan changed the findings)"
    raise QuarantinedError(
        f"{ref} is quarantined{void if found.release_void else ''}: the scan found it "
        f"{found.verdict} ({', '.join(bad[:5])}); see `modelreg scan {ref}`; a maintainer "
        f"can release it after a review (`modelreg scan release {ref} --reason ...`), or pull it "
        "anyway with --allow-unsafe",
        model=found.model_name,
        version=found.version,
        verdict=str(found.verdict),
        files=bad,
    )


class _JsonCaller(Protocol):
    def _json(self, method: str, path: str, **kwargs: Any) -> Any: ...

    def _request(self, method: str, path: str, **kwargs: Any) -> Any: ...


class HttpScanMethods:
    def get_version_scan(self: _JsonCaller, name: str, version: int) -> VersionScan:
        path = routes.url(routes.VERSION_SCAN, name=name, version=version)
        return version_scan_from_json(self._json("GET", path))

    def rescan(self: _JsonCaller, *, stale_only: bool) -> RescanReport:
        data = self._json("POST", routes.SCANS_RESCAN, json={"stale_only": stale_only})
        return RescanReport(data["scanned"], data["skipped"], tuple(data["quarantined"]))

    def release_quarantine(
        self: _JsonCaller, name: str, version: int, *, reason: str
    ) -> VersionScan:
        path = routes.url(routes.VERSION_SCAN_RELEASE, name=name, version=version)
        return version_scan_from_json(self._json("POST", path, json={"reason": reason}))

    def revoke_quarantine_release(
        self: _JsonCaller, name: str, version: int, *, reason: str
    ) -> None:
        path = routes.url(routes.VERSION_SCAN_RELEASE, name=name, version=version)
        self._request("DELETE", path, params={"reason": reason})  # 204: no body


class EmbeddedScanMethods:
    services: Services
    user: str

    def get_version_scan(self, name: str, version: int) -> VersionScan:
        return self.services.scans.version_scan(f"{name}/{version}")

    def rescan(self, *, stale_only: bool) -> RescanReport:
        return self.services.scans.rescan(stale_only=stale_only)

    def release_quarantine(self, name: str, version: int, *, reason: str) -> VersionScan:
        return self.services.scans.release(f"{name}/{version}", reason=reason, actor=self.user)

    def revoke_quarantine_release(self, name: str, version: int, *, reason: str) -> None:
        self.services.scans.revoke_release(f"{name}/{version}", actor=self.user, reason=reason)


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
        files.append(FileScan(item["path"], digest, scan, bool(item.get("released", False))))
    release = None if data.get("release") is None else release_from_json(data)
    enforced = data.get("enforced", True)
    return VersionScan(data["model"], data["version"], tuple(files), enforced, release)


def release_from_json(data: dict[str, Any]) -> QuarantineRelease:
    item = data["release"]
    files = tuple(
        ReleasedFile(
            Digest.parse(f["digest"]), Verdict(f["verdict"]), dict(f["engines"]), f["fingerprint"]
        )
        for f in item["files"]
    )
    released_at = datetime.fromisoformat(item["released_at"])
    return QuarantineRelease(
        data["model"], data["version"], item["reason"], item["released_by"], released_at, files
    )


def version_scan_to_json(found: VersionScan) -> dict[str, Any]:
    """The same shape as the server's ``VersionScanOut`` (for the CLI's ``--json``)."""
    return {
        "model": found.model_name,
        "version": found.version,
        "verdict": str(found.verdict),
        "quarantined": found.quarantined,
        "released": found.released,
        "release_void": found.release_void,
        "enforced": found.enforced,
        "release": None if found.release is None else _release_json(found.release),
        "files": [
            {
                "path": file.path,
                "digest": str(file.digest),
                "verdict": str(file.verdict),
                "format": None if file.scan is None else file.scan.file_format,
                "scanned_at": None if file.scan is None else file.scan.scanned_at.isoformat(),
                "released": file.released,
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


def _release_json(release: QuarantineRelease) -> dict[str, Any]:
    return {
        "reason": release.reason,
        "released_by": release.released_by,
        "released_at": release.released_at.isoformat(),
        "files": [
            {
                "digest": str(f.digest),
                "verdict": str(f.verdict),
                "engines": dict(f.engines),
                "fingerprint": f.fingerprint,
            }
            for f in release.files
        ],
    }
