"""The tamper-evident audit trail: entries, their hash chain, and its verification.

Every change the registry records (``Event``) becomes an ``AuditEntry`` with a gapless sequence
number ``seq`` (1, 2, 3, ...). Its ``hash`` is the sha256 of a canonical JSON document holding
the entry's fields *and the previous entry's hash*::

    hash(n) = sha256(canonical_json({"v": 1, "seq": n, "at": ..., "actor": ..., "action": ...,
                                     "model": ..., "version": ..., "target": ..., "before": ...,
                                     "after": ..., "details": ..., "prev": hash(n-1)}))

with ``hash(0)`` = :data:`GENESIS`. Changing any field of an entry breaks its own hash; removing
an entry breaks the link of the one after it; the chain head (the last ``seq`` and ``hash``,
kept in its own row) shows entries removed from, or added after, the end. Someone who can
rewrite the whole table *and* the head can still forge a consistent chain: keep the head hash
that ``verify`` prints somewhere else (a ticket, a signed log) to anchor it.

Canonical JSON: keys sorted, no spaces, UTF-8, no NaN or infinity; floats holding a whole
number are written as integers (``1.0`` as ``1``), since JSON databases such as PostgreSQL's
JSONB do not keep the difference; timestamps are UTC ISO-8601 with microseconds.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from modelreg.domain.entities import Event

FORMAT_VERSION = 1
GENESIS = "0" * 64
"""The "previous hash" of the first entry."""


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One link of the chain. ``model_name`` is None for registry-wide entries."""

    seq: int
    at: datetime
    actor: str
    action: str
    model_name: str | None
    version: int | None
    target: str
    before: Any
    after: Any
    details: Mapping[str, Any]
    prev_hash: str
    hash: str
    id: int | None = None
    """The row's own id, to find it in the database; not part of the hash."""

    def computed_hash(self) -> str:
        """The hash this entry's content and ``prev_hash`` give; equals ``hash`` if untouched."""
        return entry_hash(self.content(), self.prev_hash)

    def content(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "model": self.model_name,
            "version": self.version,
            "target": self.target,
            "before": self.before,
            "after": self.after,
            "details": self.details,
        }

    def describe(self) -> str:
        """How a report names the entry: ``#12 alias.set alias:m@prod by alice at ...``."""
        return f"#{self.seq} {self.action} {self.target} by {self.actor} at {self.at.isoformat()}"


def default_target(event: Event) -> str:
    """What an event changed, when its writer did not say: the version, the model, or the
    registry itself."""
    if event.target:
        return event.target
    if not event.model_name:
        return "registry"
    if event.version is not None:
        return f"version:{event.model_name}/{event.version}"
    return f"model:{event.model_name}"


def chain_entry(event: Event, *, seq: int, prev_hash: str) -> AuditEntry:
    """The entry that appends ``event`` after an entry whose hash is ``prev_hash``."""
    draft = AuditEntry(
        seq=seq,
        at=event.at.astimezone(UTC),
        actor=event.actor,
        action=event.action,
        model_name=event.model_name or None,
        version=event.version,
        target=default_target(event),
        before=jsonable(event.before),
        after=jsonable(event.after),
        details=jsonable(dict(event.details)),
        prev_hash=prev_hash,
        hash="",
    )
    return AuditEntry(**{**_fields(draft), "hash": draft.computed_hash()})


def _fields(entry: AuditEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in entry.__dataclass_fields__}


def entry_hash(content: Mapping[str, Any], prev_hash: str) -> str:
    document = {"v": FORMAT_VERSION, **content, "prev": prev_hash}
    return hashlib.sha256(canonical_json(document)).hexdigest()


def canonical_json(value: Any) -> bytes:
    """The one serialisation that is hashed (see the module docstring)."""
    return json.dumps(
        _canonical(value),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    ).encode()


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("audit timestamps must be timezone-aware")
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, float):
        # Through the shortest repr, as a JSON database keeps the number's decimal text.
        return int(Decimal(repr(value))) if value.is_integer() else value
    if isinstance(value, Mapping):
        return {str(key): _canonical(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    raise TypeError(f"{type(value).__name__} cannot be recorded in the audit trail")


def jsonable(value: Any) -> Any:
    """``value`` as it will be stored and hashed: mappings, lists and JSON scalars only."""
    canonical_json(value)  # raises TypeError/ValueError for what cannot be recorded
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    return value


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Which entries to list: every filter is optional; ``since`` is inclusive, ``until`` not.

    ``model`` matches entries of that model; ``action`` matches exactly, or every action
    starting with the prefix when it ends in ``*`` (``alias.*``).
    """

    model: str | None = None
    actor: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


# -- verification --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The last link as the registry recorded it when appending."""

    seq: int
    hash: str


class ProblemKind(enum.StrEnum):
    ALTERED = "altered"
    INSERTED = "inserted"
    DELETED = "deleted"


@dataclass(frozen=True, slots=True)
class AuditProblem:
    """The first break in the chain. ``seq`` names the entry: the altered or inserted one, or
    the first missing number for a deletion; ``entry_id`` is the row id where one exists."""

    kind: ProblemKind
    seq: int | None
    message: str
    entry_id: int | None = None


@dataclass(frozen=True, slots=True)
class AuditVerification:
    entries: int
    head: ChainHead | None
    problem: AuditProblem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass
class ChainVerifier:
    """Walks entries in ``seq`` order and stops at the first break.

    Feed every entry (``feed`` answers False once a problem is found), then call ``finish``
    with the chain head as recorded *after* the entries that were fed had been appended.
    """

    count: int = 0
    problem: AuditProblem | None = None
    _previous: AuditEntry | None = field(default=None, repr=False)

    @property
    def last_seq(self) -> int:
        return 0 if self._previous is None else self._previous.seq

    def feed(self, entry: AuditEntry) -> bool:
        """Check one entry; False once a problem was found (later entries are not checked)."""
        if self.problem is not None:
            return False
        self.count += 1
        self.problem = self._check(entry)
        self._previous = entry
        return self.problem is None

    def finish(
        self, head: ChainHead | None, beyond_head: AuditEntry | None = None
    ) -> AuditVerification:
        """``beyond_head`` is the entry numbered ``head.seq + 1`` when the walk saw one."""
        if head is not None and beyond_head is not None and beyond_head.seq > head.seq:
            inserted = _problem(
                ProblemKind.INSERTED,
                beyond_head,
                f"entry {beyond_head.describe()} was inserted: it lies after the recorded "
                f"chain head #{head.seq}",
            )
            if self.problem is None or (self.problem.seq or 0) > head.seq:
                self.problem = inserted
        if self.problem is None:
            self.problem = self._check_end(head)
        return AuditVerification(self.count, head, self.problem)

    def _check(self, entry: AuditEntry) -> AuditProblem | None:
        previous = self._previous
        expected_seq = 1 if previous is None else previous.seq + 1
        expected_prev = GENESIS if previous is None else previous.hash
        if entry.computed_hash() != entry.hash:
            return _problem(
                ProblemKind.ALTERED,
                entry,
                f"entry {entry.describe()} was altered: its content does not match its hash",
            )
        if entry.seq > expected_seq and entry.prev_hash != expected_prev:
            missing = _numbers(expected_seq, entry.seq - 1)
            return AuditProblem(
                ProblemKind.DELETED,
                expected_seq,
                f"entry {missing} was deleted: {entry.describe()} follows "
                + (f"#{previous.seq}" if previous else "the start of the chain"),
            )
        if entry.prev_hash != expected_prev:
            if previous is None:
                return _problem(
                    ProblemKind.INSERTED,
                    entry,
                    f"entry {entry.describe()} was inserted: it does not start from the genesis",
                )
            return _problem(
                ProblemKind.ALTERED,
                previous,
                f"entry {previous.describe()} was altered and re-hashed: the next entry "
                f"#{entry.seq} links to a different hash",
            )
        if entry.seq != expected_seq:
            return _problem(
                ProblemKind.INSERTED,
                entry,
                f"entry {entry.describe()} was inserted: expected #{expected_seq} at this place",
            )
        return None

    def _check_end(self, head: ChainHead | None) -> AuditProblem | None:
        last = self._previous
        if head is None:
            if last is None:
                return None
            return AuditProblem(
                ProblemKind.DELETED,
                None,
                f"the chain head record was deleted ({self.count} entries remain, last "
                f"{last.describe()})",
            )
        last_seq = 0 if last is None else last.seq
        if head.seq > last_seq:
            missing = _numbers(last_seq + 1, head.seq)
            return AuditProblem(
                ProblemKind.DELETED,
                last_seq + 1,
                f"entry {missing} was deleted from the end of the chain (the chain head "
                f"records #{head.seq})",
            )
        if last is None:
            if head.hash != GENESIS:
                return AuditProblem(ProblemKind.ALTERED, None, "the chain head record was altered")
            return None
        if head.hash != last.hash:
            return _problem(
                ProblemKind.ALTERED,
                last,
                f"entry {last.describe()} was altered and re-hashed: the chain head records "
                "another hash",
            )
        return None


def _problem(kind: ProblemKind, entry: AuditEntry, message: str) -> AuditProblem:
    return AuditProblem(kind, entry.seq, message, entry.id)


def _numbers(first: int, last: int) -> str:
    return f"#{first}" if first == last else f"#{first}..#{last}"
