"""Presentation helpers: how sizes, numbers, times, digests and history read on a page."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from modelreg.domain.entities import Event

_UNITS = ("B", "kB", "MB", "GB", "TB", "PB")


def human_size(size: int | None) -> str:
    """Decimal units, as file managers show them: ``1.2 MB``."""
    if size is None:
        return ""
    value = float(size)
    for unit in _UNITS:
        if abs(value) < 1000 or unit == _UNITS[-1]:
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")  # pragma: no cover


def number(value: float | int | None) -> str:
    """A metric for reading: 6 significant digits, no exponent for everyday magnitudes."""
    if value is None:
        return ""
    if isinstance(value, int) or (
        math.isfinite(value) and value == int(value) and abs(value) < 1e15
    ):
        return f"{int(value):,}".replace(",", "\u202f")
    if not math.isfinite(value):
        return str(value)
    return f"{value:.6g}"


def iso(moment: datetime | None) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else ""


def timestamp(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """``just now``, ``5 min ago``, ``3 h ago``, ``2 days ago``; a date after ~two months."""
    if moment is None:
        return ""
    seconds = ((now or datetime.now(UTC)) - moment).total_seconds()
    if seconds < 45:
        return "just now"
    for limit, size, unit in ((3600, 60, "min"), (86400, 3600, "h"), (60 * 86400, 86400, "day")):
        if seconds < limit:
            count = max(1, round(seconds / size))
            plural = "s" if unit == "day" and count != 1 else ""
            return f"{count} {unit}{plural} ago"
    return moment.astimezone(UTC).strftime("%Y-%m-%d")


def short_digest(digest: object, length: int = 12) -> str:
    algorithm, _, hexdigest = str(digest).partition(":")
    return f"{algorithm}:{hexdigest[:length]}…" if hexdigest else str(digest)


def is_web_link(text: str | None) -> bool:
    """Only http(s) targets become links; anything else is shown as text."""
    return bool(text) and str(text).lower().startswith(("https://", "http://"))


def tags_text(tags: Mapping[str, str]) -> str:
    """Tags as the edit form shows them: one ``key=value`` per line."""
    return "\n".join(f"{key}={value}" for key, value in tags.items())


def describe_event(event: Event) -> str:
    """One line of history in words; unknown actions (added later) show their details."""
    details: Mapping[str, Any] = event.details or {}
    version = f"version {event.version}" if event.version is not None else ""
    match event.action:
        case "model.created":
            return "created the model"
        case "model.deleted":
            return "deleted the model"
        case "model.updated":
            return "edited the model: " + (", ".join(details) or "no change")
        case "version.created":
            files = details.get("files")
            size = details.get("size")
            extra = f" ({files} files, {human_size(size)})" if files is not None else ""
            return f"pushed {version}{extra}"
        case "version.updated":
            return f"edited {version}: " + (", ".join(details) or "no change")
        case "version.deleted":
            return f"deleted {version}"
        case "version.numbers_added":
            added = [*details.get("params", {}), *details.get("metrics", {})]
            run = details.get("run_id", "?")
            return f"added to {version} what run {run} logged after it: " + ", ".join(added)
        case "alias.set":
            alias = details.get("alias", "?")
            before = details.get("from")
            if before is None:
                return f"set alias {alias} → v{event.version}"
            if before == event.version:
                return f"re-set alias {alias} on v{event.version}"
            return f"moved alias {alias} from v{before} to v{event.version}"
        case "alias.deleted":
            return f"removed alias {details.get('alias', '?')} (was v{event.version})"
    summary = ", ".join(f"{key}={value}" for key, value in details.items())
    text = f"{event.action} {version}".strip()
    return f"{text}: {summary}" if summary else text


def parse_tags(text: str) -> dict[str, str]:
    """``key=value`` lines (blank lines ignored) to a mapping; ``ValueError`` naming the line."""
    tags: dict[str, str] = {}
    for number_, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"tags, line {number_}: write key=value, found {line.strip()[:60]!r}")
        tags[key.strip()] = value.strip()
    return tags
