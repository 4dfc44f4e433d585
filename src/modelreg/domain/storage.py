"""What garbage collection and the storage report answer, and the duration syntax they share.

Pure values: the service fills them in, the SDK and the CLI print them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from modelreg.domain.errors import InvalidArgumentError

_DURATION = re.compile(r"^\s*(\d{1,12})\s*([smhdw]?)\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: str, *, option: str = "duration") -> timedelta:
    """``90s``, ``15m``, ``1h``, ``30d``, ``2w`` or plain seconds (``0`` too) as a timedelta.

    ``InvalidArgumentError`` naming ``option`` for anything else.
    """
    match = _DURATION.fullmatch(text)
    if match is None:
        raise InvalidArgumentError(
            f"invalid {option} {text[:40]!r}: use a whole number with s, m, h, d or w (e.g. 30d)",
            field=option,
        )
    amount, unit = int(match.group(1)), match.group(2) or "s"
    if amount > 100 * 365 * 86400:
        raise InvalidArgumentError(f"{option} {text!r} is longer than 100 years", field=option)
    return timedelta(seconds=amount * _UNITS[unit])


def format_duration(span: timedelta) -> str:
    """The shortest exact spelling in ``parse_duration``'s syntax: ``30d``, ``36h``, ``90s``."""
    seconds = int(span.total_seconds())
    for unit in ("w", "d", "h", "m"):
        if seconds and seconds % _UNITS[unit] == 0:
            return f"{seconds // _UNITS[unit]}{unit}"
    return f"{seconds}s"


@dataclass(frozen=True, slots=True)
class Freed:
    """Objects and bytes removed by a collection (or, in a dry run, that would be)."""

    objects: int = 0
    bytes: int = 0

    def __add__(self, other: Freed) -> Freed:
        return Freed(self.objects + other.objects, self.bytes + other.bytes)


@dataclass(frozen=True, slots=True)
class GcReport:
    """One garbage collection, per category: unreferenced ``blobs``, temporary ``uploads``
    objects, chunk ``parts``, stale upload ``sessions`` and old quarantine ``overrides`` keys
    (those two are rows; no bytes)."""

    dry_run: bool
    grace: timedelta
    started_at: datetime
    finished_at: datetime
    referenced: int
    """Distinct digests something still refers to (marked)."""
    blobs: Freed = field(default_factory=Freed)
    uploads: Freed = field(default_factory=Freed)
    parts: Freed = field(default_factory=Freed)
    sessions: int = 0
    kept_young: int = 0
    """Unreferenced blobs left alone because they are younger than the grace period."""
    overrides: int = 0
    """Once-a-day keys of quarantine overrides past their retention (``service/gc.py``)."""

    @property
    def total(self) -> Freed:
        return self.blobs + self.uploads + self.parts


@dataclass(frozen=True, slots=True)
class ModelStorage:
    """One model's share: ``logical_bytes`` sums every file of every version (archived too);
    ``blob_bytes`` counts each distinct blob of the model once."""

    model_name: str
    versions: int
    logical_bytes: int
    blobs: int
    blob_bytes: int


@dataclass(frozen=True, slots=True)
class StorageReport:
    """What the registry holds: ``logical_bytes`` as users see it (sum of version file sizes),
    ``physical_objects``/``physical_bytes`` as the blob store keeps it."""

    logical_bytes: int
    physical_objects: int
    physical_bytes: int
    versions: int
    models: tuple[ModelStorage, ...] = ()

    @property
    def dedup_ratio(self) -> float | None:
        """Logical over physical bytes (2.0: every byte is used twice); None when empty."""
        if self.physical_bytes == 0:
            return None
        return self.logical_bytes / self.physical_bytes
