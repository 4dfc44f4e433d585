"""The ``Scanner`` port the service layer scans blobs through (no scanner library behind it is
imported by ``service/``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from modelreg.domain.scans import EngineResult


@dataclass(frozen=True, slots=True)
class FileReport:
    file_format: str
    results: tuple[EngineResult, ...]


class Scanner(Protocol):
    head_size: int
    """Bytes ``scan_head`` wants to see first."""

    @property
    def engines(self) -> Mapping[str, str]:
        """Engine name -> version; a stored scan made with other versions is stale."""

    def scan_head(self, head: bytes, name: str) -> FileReport | None:
        """The report of a file judged by its first bytes alone (text, safetensors, raw data),
        or None when the whole file must be scanned with ``scan_file``."""

    def scan_file(self, path: Path, name: str) -> FileReport:
        """Scan the file at ``path``; ``name`` (its path in a manifest) is only a hint."""
