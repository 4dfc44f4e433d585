"""Evaluations and model cards: what is learnt about a version after it was made. Neither
changes the version's immutable files, params or metrics.

An evaluation names the data set it ran on, its metrics and, optionally, a free-form report
file stored as a blob (by digest, like model files). A model card is Markdown with optional YAML
front matter (as Hugging Face model cards have); every ``set`` keeps the earlier revisions.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from modelreg.blobs.base import BlobStore
from modelreg.domain.digests import Digest
from modelreg.domain.entities import Event
from modelreg.domain.errors import ConflictError, InvalidArgumentError, LimitExceededError
from modelreg.domain.records import (
    MAX_CARD_CHARS,
    MAX_DATASET_LENGTH,
    Evaluation,
    EvaluationDraft,
    ModelCard,
    ReportFile,
    split_front_matter,
    validate_text,
)
from modelreg.domain.rules import (
    DEFAULT_LIMITS,
    Limits,
    validate_description,
    validate_file_path,
    validate_metrics,
    validate_model_name,
)
from modelreg.service.clock import Clock, utcnow
from modelreg.store.base import MetadataStore

MAX_REPORT_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ReportUpload:
    """A report file on its way in: declared name, size and digest, then its bytes."""

    name: str
    size: int
    digest: Digest
    chunks: Iterable[bytes]


class Evaluations:
    def __init__(
        self,
        store: MetadataStore,
        blobs: BlobStore,
        *,
        limits: Limits = DEFAULT_LIMITS,
        clock: Clock = utcnow,
    ) -> None:
        self.store = store
        self.blobs = blobs
        self.limits = limits
        self.clock = clock

    # -- evaluations ---------------------------------------------------------------------------

    def add_evaluation(
        self,
        name: str,
        version: int,
        *,
        dataset: str,
        actor: str,
        metrics: Mapping[str, float] | None = None,
        description: str = "",
        report: ReportUpload | None = None,
    ) -> Evaluation:
        """Attach an evaluation to an existing version. A report's bytes are stored (and checked
        against its digest) before the evaluation is recorded."""
        validate_model_name(name, self.limits)
        validate_text(dataset, "dataset", MAX_DATASET_LENGTH, required=True)
        clean_metrics = validate_metrics(metrics or {}, self.limits)
        validate_description(description, self.limits)
        with self.store.transaction() as tx:
            tx.get_version(name, version)  # fail before receiving a report for nothing
        stored = None if report is None else self._store_report(report)
        draft = EvaluationDraft(dataset, clean_metrics, description, stored)
        now = self.clock()
        with self.store.transaction(write=True) as tx:
            evaluation = tx.add_evaluation(name, version, draft, actor=actor, now=now)
            if stored is not None:
                require_blob(self.blobs, stored.digest, "report")
            tx.add_event(
                Event(
                    name,
                    "evaluation.added",
                    actor,
                    now,
                    version,
                    {"evaluation": evaluation.id},
                    target=f"version:{name}/{version}",
                    after={
                        "dataset": dataset,
                        "metrics": clean_metrics,
                        "report": None if stored is None else str(stored.digest),
                    },
                )
            )
        return evaluation

    def list_evaluations(self, name: str, version: int) -> list[Evaluation]:
        validate_model_name(name, self.limits)
        with self.store.transaction() as tx:
            return tx.list_evaluations(name, version)

    def open_report(self, report: ReportFile) -> Iterator[bytes]:
        return self.blobs.open(report.digest)

    def _store_report(self, report: ReportUpload) -> ReportFile:
        validate_file_path(report.name, self.limits)
        if not 0 <= report.size <= MAX_REPORT_BYTES:
            raise LimitExceededError(
                f"a report may have up to {MAX_REPORT_BYTES} bytes", field="report"
            )
        writer = self.blobs.begin_write(report.digest.algorithm)
        try:
            for chunk in report.chunks:
                if writer.size + len(chunk) > report.size:
                    raise InvalidArgumentError(
                        f"report {report.name!r} is larger than the {report.size} bytes declared",
                        field="report",
                    )
                writer.write(chunk)
            writer.commit(report.digest, report.size)
        except BaseException:
            writer.abort()
            raise
        return ReportFile(report.name, report.size, report.digest)

    # -- model cards ---------------------------------------------------------------------------

    def set_card(self, name: str, version: int, content: str, *, actor: str) -> ModelCard:
        """Store ``content`` as the version's model card (a new revision)."""
        validate_model_name(name, self.limits)
        validate_text(content, "card", MAX_CARD_CHARS)
        metadata = parse_front_matter(content)
        now = self.clock()
        with self.store.transaction(write=True) as tx:
            tx.lock_model(name)  # revisions of one card are numbered one after another
            previous = None
            if tx.has_model_card(name, version):
                previous = tx.get_model_card(name, version)
            card = tx.add_model_card(name, version, content, metadata, actor=actor, now=now)
            tx.add_event(
                Event(
                    name,
                    "card.set",
                    actor,
                    now,
                    version,
                    {"revision": card.revision},
                    target=f"card:{name}/{version}",
                    before=None if previous is None else _card_summary(previous),
                    after=_card_summary(card),
                )
            )
        return card

    def get_card(self, name: str, version: int, *, revision: int | None = None) -> ModelCard:
        validate_model_name(name, self.limits)
        with self.store.transaction() as tx:
            return tx.get_model_card(name, version, revision)


def require_blob(blobs: BlobStore, digest: Digest, what: str) -> None:
    """Called inside the write transaction that records a row naming ``digest``, AFTER its
    INSERT. Bytes already stored are not rewritten, so an old unreferenced blob is not
    protected by GC's grace and may have been collected since it was written. The check must
    follow the INSERT: from then on GC cannot delete it until we commit (on PostgreSQL the
    INSERT's ROW EXCLUSIVE lock conflicts with the SHARE lock of ``hold_blob_references``; on
    SQLite this write transaction is exclusive); checked before, GC could still slip in. The
    bytes were consumed, so the service cannot store them again: the caller must retry."""
    if not blobs.exists(digest):
        raise ConflictError(
            f"the {what}'s stored content was removed by garbage collection while it was being "
            "recorded; nothing was saved, send it again",
            field=what,
            digest=str(digest),
        )


def _card_summary(card: ModelCard) -> dict[str, Any]:
    """What the audit trail keeps of a card: its revision, size, content hash and metadata."""
    return {
        "revision": card.revision,
        "sha256": hashlib.sha256(card.content.encode()).hexdigest(),
        "chars": len(card.content),
        "metadata": dict(card.metadata),
    }


def parse_front_matter(content: str) -> dict[str, Any]:
    """The card's YAML front matter as JSON-compatible data ({} when there is none)."""
    block, _body = split_front_matter(content)
    if block is None or not block.strip():
        return {}
    try:
        data = yaml.safe_load(block)
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f" (front matter line {where.line + 1})" if where is not None else ""
        raise InvalidArgumentError(
            f"the model card's YAML front matter is invalid{line}: "
            f"{getattr(error, 'problem', None) or error}",
            field="card",
        ) from error
    if not isinstance(data, dict):
        raise InvalidArgumentError(
            "the model card's YAML front matter must be a mapping (key: value lines)",
            field="card",
        )
    return {str(key): _json_value(value) for key, value in data.items()}


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidArgumentError(
            "the model card's front matter holds a non-finite number", field="card"
        )
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict):
        return {str(key): _json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        items = [_json_value(item) for item in value]
        return sorted(items, key=repr) if isinstance(value, set) else items
    raise InvalidArgumentError(
        f"the model card's front matter holds a {type(value).__name__} value, which cannot be "
        "stored; use strings, numbers, lists and mappings",
        field="card",
    )
