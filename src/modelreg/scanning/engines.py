"""The scan engines, each judging the pickle streams (and formats) of one file.

- ``StrictEngine`` (ours): walks every opcode with ``pickletools`` (``opcodes.py``) and classifies
  each import with the allow-list (``allowlist.py``); it also reports what the inspection found
  outside pickles (Keras Lambda layers, unreadable archives, ...).
- ``PicklescanEngine``: the ``picklescan`` library (as used by the Hugging Face Hub), run both on
  the whole file with its own archive handling and on each stream the inspection found, so a
  gap in one walker is covered by the other. Its *dangerous* globals count as unsafe; every
  other global it reports is classified by our allow-list, which makes it strict too.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

from picklescan import scanner as picklescan  # type: ignore[import-untyped]

from modelreg.domain.scans import EngineResult, Finding, Verdict, worst
from modelreg.scanning.allowlist import classify
from modelreg.scanning.fileview import FileView
from modelreg.scanning.formats import Format
from modelreg.scanning.inspection import Inspection

ALLOWLIST_REVISION = 1
"""Bump when the allow-list or the walk changes meaning: stored scans become stale."""
MAX_FINDINGS = 50
PICKLESCAN_MAX_PICKLE = 32 * 1024 * 1024
"""picklescan copies inline byte strings into memory: larger pickle streams are left to the
strict walk, so memory stays bounded by this size whatever the model."""

# picklescan logs every global it finds at WARNING; the findings are reported through ours.
logging.getLogger("picklescan").setLevel(logging.CRITICAL)


def _result(engine: str, version: str, findings: Iterable[Finding]) -> EngineResult:
    unique = list(dict.fromkeys(findings))
    verdict = worst(finding.severity for finding in unique)
    unique.sort(key=lambda finding: -finding.severity.rank)
    return EngineResult(engine, version, verdict, tuple(unique[:MAX_FINDINGS]))


def _import_finding(module: str, name: str, location: str, verdict: Verdict) -> Finding | None:
    if verdict is Verdict.UNSAFE:
        return Finding(verdict, f"imports {module}.{name}, which can run code", location)
    if verdict is Verdict.SUSPICIOUS:
        return Finding(verdict, f"imports {module}.{name}, not on the allow-list", location)
    return None


class StrictEngine:
    name = "modelreg-strict"
    version = f"{metadata.version('modelreg')}+allow{ALLOWLIST_REVISION}"

    def judge(self, inspection: Inspection) -> EngineResult:
        findings = list(inspection.findings)
        for stream in inspection.streams:
            walked = stream.walked
            for ref in walked.globals:
                finding = _import_finding(
                    ref.module, ref.name, stream.location, classify(ref.module, ref.name)
                )
                if finding is not None:
                    findings.append(finding)
            findings += [
                Finding(Verdict.SUSPICIOUS, text, stream.location) for text in walked.opaque
            ]
        return _result(self.name, self.version, findings)


_PICKLESCAN_EXTENSIONS = {
    Format.PICKLE: ".pkl",
    Format.PYTORCH: ".pt",
    Format.ZIP: ".zip",
    Format.NPZ: ".npz",
    Format.KERAS: ".zip",
    Format.NUMPY: ".npy",
}


class PicklescanEngine:
    name = "picklescan"
    version = metadata.version("picklescan")

    def judge(self, path: Path, inspection: Inspection) -> EngineResult:
        findings: list[Finding] = []
        extension = _PICKLESCAN_EXTENSIONS.get(inspection.file_format)
        if extension is not None:
            findings += self._scan(path, 0, "", extension)
        for stream in inspection.streams:
            findings += self._scan(stream.path, stream.offset, stream.location, None)
        return _result(self.name, self.version, findings)

    def _scan(self, path: Path, offset: int, location: str, extension: str | None) -> list[Finding]:
        size = path.stat().st_size - offset
        if extension in (None, ".pkl") and size > PICKLESCAN_MAX_PICKLE:
            # picklescan lists opcodes with pickletools, which copies inline byte strings (a
            # tensor pickled with protocol 5) into memory; the strict walk skips them.
            note = f"picklescan skipped a {size}-byte pickle stream; the strict engine read it"
            return [Finding(Verdict.CLEAN, note, location)]
        with path.open("rb") as handle:
            view = FileView(handle)  # picklescan walks with pickletools too: same memory bound
            view.seek(offset)
            try:
                if extension is None:
                    found = picklescan.scan_pickle_bytes(view, location or path.name)
                else:
                    found = picklescan.scan_bytes(view, path.name, extension)
            except Exception as error:
                # picklescan gives up on streams it finds malformed; it abstains, and the strict
                # engine, which reads every opcode and reports what it cannot, decides.
                message = f"picklescan could not read it: {type(error).__name__}: {error}"
                return [Finding(Verdict.CLEAN, message, location)]
            finally:
                view.close()
        return self._findings(found, location)

    def _findings(self, found: picklescan.ScanResult, location: str) -> list[Finding]:
        findings = []
        for ref in found.globals:
            if "unknown" in (ref.module, ref.name):
                # picklescan's marker for a STACK_GLOBAL it could not resolve; whether one could
                # import anything is the strict walk's call (it tracks what may be on the stack).
                note = "picklescan could not resolve a STACK_GLOBAL"
                findings.append(Finding(Verdict.CLEAN, note, location))
                continue
            verdict = classify(ref.module, ref.name)
            if ref.safety is picklescan.SafetyLevel.Dangerous:
                verdict = Verdict.UNSAFE
            finding = _import_finding(ref.module, ref.name, location, verdict)
            if finding is not None:
                findings.append(finding)
        # picklescan stops at the first byte it cannot parse (joblib's raw arrays); whether the
        # stream is readable is the strict engine's call, so a parse error is not a verdict here.
        return findings
