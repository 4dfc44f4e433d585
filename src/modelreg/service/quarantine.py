"""Quarantine releases and the audited override (docs/scanning.md), a base of ``Scans``.

A release is a maintainer's reviewed exception for one version: its quarantined files may be
downloaded without the per-request override. It names the scan it reviewed per file (a
fingerprint of engines, versions and findings), so a re-scan that says something else voids it.
Blobs are served by digest, so a blob is let through when some release the caller may read
covers its current scan: the same bytes with the same findings are already readable by that
caller through the released version, and refusing them under another name protects nothing.

The override is for maintainers (``Action.OVERRIDE_QUARANTINE``; the front end checks it with
the models holding the blob, ``may_override``). Every download that needs it is audited, once
per (caller, digest, UTC day): the first is an event in the history of each readable model
holding the blob, the rest add nothing. A refused override is audited the same way, as
``scan.override_refused`` with a key of its own: who tried to get past a quarantine is part of
the record a compliance review reads. The per-day key (``note_override``) only deduplicates
those events; garbage collection deletes old keys (``service/gc.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

from modelreg.domain.digests import Digest
from modelreg.domain.entities import Event, FileEntry, ModelVersion
from modelreg.domain.errors import (
    ConflictError,
    InvalidArgumentError,
    PermissionDeniedError,
    QuarantinedError,
)
from modelreg.domain.rules import parse_ref
from modelreg.domain.scans import (
    BlobScan,
    QuarantineRelease,
    ReleasedFile,
    VersionScan,
    fingerprint,
    version_scan,
)
from modelreg.store.base import MetadataStore, MetadataTransaction

MAX_REASON = 2000


def anyone(model_name: str) -> bool:
    return True


def unchecked(models: Sequence[str]) -> None:
    """No override check (open mode, the embedded SDK)."""


class _ScanCore(Protocol):
    store: MetadataStore
    enforce: bool
    clock: Callable[[], datetime]

    def ensure_scanned(self, files: Iterable[FileEntry]) -> dict[Digest, BlobScan]: ...

    def scan_blob(self, digest: Digest, name: str = "") -> BlobScan: ...

    def is_stale(self, scan: BlobScan) -> bool: ...


class QuarantineMethods:
    # -- releases ----------------------------------------------------------------------------

    def release(self: _ScanCore, ref: str, *, reason: str, actor: str) -> VersionScan:
        """Release the quarantine of ``ref`` after a review: its flagged files, as scanned now,
        may be downloaded without the override. ``ConflictError`` when nothing is flagged or
        the current findings are already released."""
        reason = _reason(reason, required=True)
        with self.store.transaction() as tx:
            version = resolve(tx, ref)
        scans = self.ensure_scanned(version.files)  # review the current engines' findings
        flagged = {
            entry.digest: scans[entry.digest]
            for entry in version.files
            if scans[entry.digest].verdict.quarantined
        }
        if not flagged:
            raise ConflictError(
                f"{version.ref} is not quarantined: nothing to release", model=version.model_name
            )
        now = self.clock()
        release = QuarantineRelease(
            version.model_name,
            version.version,
            reason,
            actor,
            now,
            tuple(
                ReleasedFile(
                    digest,
                    scan.verdict,
                    {r.engine: r.engine_version for r in scan.results},
                    fingerprint(scan),
                )
                for digest, scan in flagged.items()
            ),
        )
        with self.store.transaction(write=True) as tx:
            tx.lock_model(version.model_name)
            previous = tx.get_release(version.model_name, version.version)
            if previous is not None and all(previous.covers(d, s) for d, s in flagged.items()):
                raise ConflictError(
                    f"{version.ref} is already released (by {previous.released_by})",
                    model=version.model_name,
                )
            tx.save_release(release)
            tx.add_event(_release_event("scan.released", release, version, actor, now, reason))
            found = scan_of(tx, version)
        return replace(found, enforced=self.enforce)

    def revoke_release(self: _ScanCore, ref: str, *, actor: str, reason: str = "") -> None:
        """Take back the release of ``ref``: its flagged files are quarantined again."""
        reason = _reason(reason, required=False)
        now = self.clock()
        with self.store.transaction(write=True) as tx:
            version = resolve(tx, ref)
            tx.lock_model(version.model_name)
            removed = tx.delete_release(version.model_name, version.version)
            if removed is None:
                raise ConflictError(
                    f"{version.ref} has no quarantine release to revoke", model=version.model_name
                )
            tx.add_event(
                _release_event("scan.release_revoked", removed, version, actor, now, reason)
            )

    # -- downloads ---------------------------------------------------------------------------

    def guard_blob(
        self: _ScanCore,
        digest: Digest,
        *,
        allow_unsafe: bool = False,
        actor: str = "anonymous",
        may_read: Callable[[str], bool] = anyone,
        may_override: Callable[[Sequence[str]], None] = unchecked,
        via: str = "api",
    ) -> None:
        """Refuse serving a quarantined blob (``QuarantinedError``) unless a release the caller
        may read covers it, or the caller overrides (audited once per caller, blob and day). A
        blob never scanned, or scanned by older engines, is scanned first.

        ``may_override`` gets the models holding the blob and raises (``PermissionDeniedError``)
        unless the caller may override on one of them; a refused override is audited too
        (``scan.override_refused``, once per caller, blob and day), then raised."""
        if not self.enforce:
            return
        with self.store.transaction() as tx:
            scan = tx.get_blob_scans([digest]).get(digest)
        if scan is None or self.is_stale(scan):
            scan = self.scan_blob(digest)
        if not scan.verdict.quarantined:
            return
        with self.store.transaction() as tx:
            releases = tx.releases_holding(digest)
            holders = tx.versions_holding(digest) if allow_unsafe else []
            owners = tx.models_holding(str(digest)) if allow_unsafe else []
        # Permission checks run their own transactions: never inside the write one below.
        if any(r.covers(digest, scan) and may_read(r.model_name) for r in releases):
            return
        if not allow_unsafe:
            with self.store.transaction() as tx:
                held_by = tx.versions_holding(digest)
            raise QuarantinedError(
                _refusal(digest, scan, [(m, v) for m, v in held_by if may_read(m)]),
                digest=str(digest),
                verdict=str(scan.verdict),
            )
        readable = {model for model, _ in holders if may_read(model)}
        shown = [(model, version) for model, version in holders if model in readable]
        try:
            may_override(owners)
        except PermissionDeniedError:
            _audit_override(self.store, self.clock(), shown, digest, scan, actor, via, refused=True)
            raise
        _audit_override(self.store, self.clock(), shown, digest, scan, actor, via, refused=False)


def _audit_override(
    store: MetadataStore,
    now: datetime,
    shown: list[tuple[str, int]],
    digest: Digest,
    scan: BlobScan,
    actor: str,
    via: str,
    *,
    refused: bool,
) -> None:
    action = "scan.override_refused" if refused else "scan.overridden"
    events = _override_events(shown, digest, scan, actor, now, via, action)
    with store.transaction(write=True) as tx:
        if tx.note_override(actor, digest, now.date(), refused=refused):
            for event in events:
                tx.add_event(event)


def resolve(tx: MetadataTransaction, ref: str) -> ModelVersion:
    target = parse_ref(ref)
    if target.version is not None:
        return tx.get_version(target.name, target.version)
    if target.alias is not None:
        return tx.get_version(target.name, tx.get_alias(target.name, target.alias).version)
    return tx.get_latest_version(target.name)


def scan_of(tx: MetadataTransaction, version: ModelVersion) -> VersionScan:
    scans = tx.get_blob_scans(entry.digest for entry in version.files)
    release = tx.get_release(version.model_name, version.version)
    files = [(entry.path, entry.digest) for entry in version.files]
    return version_scan(version.model_name, version.version, files, scans, release)


def _reason(reason: str, *, required: bool) -> str:
    text = " ".join(reason.split())
    if required and not text:
        raise InvalidArgumentError(
            "a release needs a reason (what was reviewed, by whom)", field="reason"
        )
    if len(text) > MAX_REASON or not text.isprintable():
        raise InvalidArgumentError(
            f"a reason is printable text of at most {MAX_REASON} characters", field="reason"
        )
    return text


def _release_event(
    action: str,
    release: QuarantineRelease,
    version: ModelVersion,
    actor: str,
    now: datetime,
    reason: str,
) -> Event:
    paths = {entry.digest: entry.path for entry in version.files}
    files = [
        {
            "path": paths.get(file.digest, ""),
            "digest": str(file.digest),
            "verdict": str(file.verdict),
            "engines": dict(file.engines),
            "fingerprint": file.fingerprint,
        }
        for file in release.files
    ]
    details: dict[str, Any] = {"reason": reason, "digests": [f["digest"] for f in files]}
    details["files"] = files
    if action != "scan.released":
        details["released_by"] = release.released_by
        details["release_reason"] = release.reason
    return Event(version.model_name, action, actor, now, version=version.version, details=details)


def _refusal(digest: Digest, scan: BlobScan, readable: Sequence[tuple[str, int]]) -> str:
    """Why a blob is refused, naming the versions the caller may read that hold it: a client
    that only shows this message (MLflow's, which cannot send the override) then says which
    version to have reviewed and how to release it."""
    found = f"blob {digest} is quarantined: the scan found it {scan.verdict}"
    if not readable:
        return (
            f"{found} (a maintainer can release the version after a review, or download it "
            "anyway with the explicit unsafe override)"
        )
    refs = [f"{model}/{version}" for model, version in readable]
    held = ", ".join(refs[:3]) + (f" and {len(refs) - 3} more" if len(refs) > 3 else "")
    return (
        f"{found}; it is a file of {held}. A maintainer can review it and release the version "
        f'(`modelreg scan release {refs[-1]} --reason "..."`), or download it anyway with the '
        "explicit unsafe override"
    )


def _override_events(
    holders: list[tuple[str, int]],
    digest: Digest,
    scan: BlobScan,
    actor: str,
    now: datetime,
    via: str,
    action: str,
) -> list[Event]:
    """One event per readable model holding the blob (on its newest such version), or one
    registry-wide event for a blob no readable version holds (an MLflow run artifact)."""
    details: Mapping[str, Any] = {
        "digest": str(digest),
        "verdict": str(scan.verdict),
        "via": via,
        "day": now.date().isoformat(),
    }
    by_model: dict[str, list[int]] = {}
    for model, version in holders:
        by_model.setdefault(model, []).append(version)
    if not by_model:
        return [Event("", action, actor, now, details=details, target=f"blob:{digest}")]
    return [
        Event(
            model,
            action,
            actor,
            now,
            version=max(versions),
            details={**details, "versions": sorted(versions)},
        )
        for model, versions in by_model.items()
    ]
