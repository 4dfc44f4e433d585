"""``ModelFileScanner``: the ``Scanner`` port over every engine, with the format inspection."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path

from modelreg.domain.scans import EngineResult, Verdict
from modelreg.scanning.engines import PicklescanEngine, StrictEngine
from modelreg.scanning.formats import HEAD_SIZE, detect
from modelreg.scanning.inspection import inspect, needs_content
from modelreg.scanning.port import FileReport


class ModelFileScanner:
    """Runs the strict engine and picklescan on a file; each engine's result is stored, and the
    file's verdict is the worst of them (``domain/scans.py``)."""

    head_size = HEAD_SIZE

    def __init__(self, *, workdir: Path | None = None) -> None:
        self.workdir = workdir
        self.strict = StrictEngine()
        self.picklescan = PicklescanEngine()

    @property
    def engines(self) -> Mapping[str, str]:
        return {
            self.strict.name: self.strict.version,
            self.picklescan.name: self.picklescan.version,
        }

    def scan_head(self, head: bytes, name: str) -> FileReport | None:
        kind = detect(head, name)
        if needs_content(kind):
            return None
        results = tuple(
            EngineResult(engine, version, Verdict.CLEAN) for engine, version in self.engines.items()
        )
        return FileReport(str(kind), results)

    def scan_file(self, path: Path, name: str) -> FileReport:
        with tempfile.TemporaryDirectory(prefix="modelreg-scan-", dir=self.workdir) as work:
            inspection = inspect(path, name, Path(work))
            results = (
                self.strict.judge(inspection),
                self.picklescan.judge(path, inspection),
            )
        return FileReport(str(inspection.file_format), results)
