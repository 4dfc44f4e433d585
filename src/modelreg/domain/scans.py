"""Scan verdicts of model files: what each engine found in one blob, and the verdict of a version.

A blob is scanned once per set of engine versions (content addressing makes the result valid
for every version and model that holds the same bytes). Verdicts are ordered::

    clean < unscanned < suspicious < unsafe

The verdict of a file is the worst of its engines' verdicts; the verdict of a version is the
worst of its files'. ``suspicious`` and ``unsafe`` put a file in quarantine: downloads are
refused unless the caller explicitly overrides.
"""

from __future__ import annotations

import enum
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


@dataclass(frozen=True, slots=True)
class FileScan:
    """One file of a version with the scan of its blob (None when it was never scanned)."""

    path: str
    digest: Digest
    scan: BlobScan | None

    @property
    def verdict(self) -> Verdict:
        return Verdict.UNSCANNED if self.scan is None else self.scan.verdict


@dataclass(frozen=True, slots=True)
class VersionScan:
    model_name: str
    version: int
    files: tuple[FileScan, ...]
    enforced: bool = True
    """Whether the registry refuses downloads of quarantined files (``MODELREG_SCAN_ENFORCE``)."""

    @property
    def verdict(self) -> Verdict:
        return worst(file.verdict for file in self.files)

    @property
    def quarantined(self) -> bool:
        return self.verdict.quarantined


@dataclass(frozen=True, slots=True)
class RescanReport:
    scanned: int
    skipped: int
    quarantined: tuple[str, ...]
    """Digests whose new verdict is suspicious or unsafe."""
