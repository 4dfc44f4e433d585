"""Scan verdicts of model files: what each engine found in one blob, and the verdict of a version.

A blob is scanned once per set of engine versions (content addressing makes the result valid
for every version and model that holds the same bytes). Verdicts are ordered::

    clean < unscanned < suspicious < unsafe

The verdict of a file is the worst of its engines' verdicts; the verdict of a version is the
worst of its files'. ``suspicious`` and ``unsafe`` put a file in quarantine: downloads are
refused unless the caller explicitly overrides, or a maintainer *released* the version after a
review (``QuarantineRelease``). A release covers each file's findings as they were: it names the
scan it reviewed by a fingerprint of every engine's version and findings, and no longer applies
once a re-scan says something else.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from modelreg.domain.digests import Digest


class Verdict(enum.StrEnum):
    CLEAN = "clean"
    UNSCANNED = "unscanned"
    """No stored result for the current engines yet (a blob stored before scanning existed)."""
    SUSPICIOUS = "suspicious"
    """Something the engines cannot vouch for: a global off the allow-list, an opaque stream."""
    UNSAFE = "unsafe"
    """A known way to run code on load: os.system, eval, subprocess, a Keras Lambda, ..."""

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def quarantined(self) -> bool:
        return self in (Verdict.SUSPICIOUS, Verdict.UNSAFE)


_RANK = {Verdict.CLEAN: 0, Verdict.UNSCANNED: 1, Verdict.SUSPICIOUS: 2, Verdict.UNSAFE: 3}


def worst(verdicts: Iterable[Verdict]) -> Verdict:
    """The worst of ``verdicts``; ``clean`` when there are none."""
    return max(verdicts, key=lambda verdict: verdict.rank, default=Verdict.CLEAN)


@dataclass(frozen=True, slots=True)
class Finding:
    severity: Verdict
    message: str
    location: str = ""
    """Where in the file: an archive member, a byte offset."""

    def to_json(self) -> dict[str, str]:
        return {"severity": str(self.severity), "message": self.message, "location": self.location}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Finding:
        return cls(Verdict(data["severity"]), str(data["message"]), str(data.get("location", "")))


@dataclass(frozen=True, slots=True)
class EngineResult:
    """What one engine (at one version) said about one blob."""

    engine: str
    engine_version: str
    verdict: Verdict
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True, slots=True)
class BlobScan:
    """The stored scan of one blob: its detected format and every engine's result."""

    digest: Digest
    file_format: str
    results: tuple[EngineResult, ...]
    scanned_at: datetime

    @property
    def verdict(self) -> Verdict:
        return worst(result.verdict for result in self.results)


def fingerprint(scan: BlobScan) -> str:
    """What a release reviewed: every engine, its version, verdict and findings (sha256 of a
    canonical JSON form; the scan time is left out, so an identical re-scan keeps it)."""
    canonical = [
        [r.engine, r.engine_version, str(r.verdict), [f.to_json() for f in r.findings]]
        for r in sorted(scan.results, key=lambda result: result.engine)
    ]
    text = json.dumps([scan.file_format, canonical], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ReleasedFile:
    """One quarantined blob a release covers, and the scan it was reviewed against."""

    digest: Digest
    verdict: Verdict
    engines: Mapping[str, str]
    """engine -> engine version of the reviewed scan (for display; ``fingerprint`` decides)."""
    fingerprint: str

    def covers(self, scan: BlobScan | None) -> bool:
        return scan is not None and fingerprint(scan) == self.fingerprint


@dataclass(frozen=True, slots=True)
class QuarantineRelease:
    """A maintainer's reviewed exception: the version's quarantined files may be downloaded
    without the per-request override."""

    model_name: str
    version: int
    reason: str
    released_by: str
    released_at: datetime
    files: tuple[ReleasedFile, ...]

    def covers(self, digest: Digest, scan: BlobScan | None) -> bool:
        return any(file.digest == digest and file.covers(scan) for file in self.files)


@dataclass(frozen=True, slots=True)
class FileScan:
    """One file of a version with the scan of its blob (None when it was never scanned)."""

    path: str
    digest: Digest
    scan: BlobScan | None
    released: bool = False
    """A release of the version covers this file's current scan."""

    @property
    def verdict(self) -> Verdict:
        return Verdict.UNSCANNED if self.scan is None else self.scan.verdict

    @property
    def quarantined(self) -> bool:
        return self.verdict.quarantined and not self.released


@dataclass(frozen=True, slots=True)
class VersionScan:
    model_name: str
    version: int
    files: tuple[FileScan, ...]
    enforced: bool = True
    """Whether the registry refuses downloads of quarantined files (``MODELREG_SCAN_ENFORCE``)."""
    release: QuarantineRelease | None = None

    @property
    def verdict(self) -> Verdict:
        """The worst finding, released or not (a release is an exception, not a new verdict)."""
        return worst(file.verdict for file in self.files)

    @property
    def quarantined(self) -> bool:
        """Some flagged file is not covered by a release."""
        return any(file.quarantined for file in self.files)

    @property
    def released(self) -> bool:
        """Flagged, but every flagged file is covered by the version's release."""
        return self.verdict.quarantined and not self.quarantined

    @property
    def release_void(self) -> bool:
        """A release is stored, but a re-scan changed findings it reviewed (or flagged more)."""
        return self.release is not None and self.quarantined


def version_scan(
    model_name: str,
    version: int,
    files: Iterable[tuple[str, Digest]],
    scans: Mapping[Digest, BlobScan],
    release: QuarantineRelease | None,
    *,
    enforced: bool = True,
) -> VersionScan:
    """The scan of a version from its (path, digest) pairs, stored scans and release."""
    found = []
    for path, digest in files:
        scan = scans.get(digest)
        released = release is not None and release.covers(digest, scan)
        found.append(FileScan(path, digest, scan, released))
    return VersionScan(model_name, version, tuple(found), enforced, release)


@dataclass(frozen=True, slots=True)
class RescanReport:
    scanned: int
    skipped: int
    quarantined: tuple[str, ...]
    """Digests whose new verdict is suspicious or unsafe."""
