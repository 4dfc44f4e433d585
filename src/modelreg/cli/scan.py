"""``modelreg scan``: the scan verdict of a version with each file's findings, re-scans, and
quarantine releases (``modelreg scan release REF --reason ...``, ``modelreg scan revoke REF``).

``release`` and ``revoke`` are words in the REF position followed by the real REF, rather than
sub-commands: a Click group cannot also take a bare REF, and ``modelreg scan REF`` predates
them. A model actually named ``release`` is still shown by ``modelreg scan release``."""

from __future__ import annotations

from typing import Annotated

import typer

from modelreg.cli.context import target
from modelreg.cli.output import console, print_json, print_table
from modelreg.client.scans import version_scan_to_json
from modelreg.domain.scans import VersionScan

ACTIONS = ("release", "revoke")


def scan(
    ctx: typer.Context,
    ref: Annotated[
        str | None,
        typer.Argument(
            help="NAME, NAME/VERSION or NAME@ALIAS to show; or `release` / `revoke` then the REF."
        ),
    ] = None,
    release_ref: Annotated[
        str | None, typer.Argument(help="After `release` or `revoke`: the version.")
    ] = None,
    reason: Annotated[
        str | None,
        typer.Option("--reason", help="With release (required) or revoke: why, for the audit."),
    ] = None,
    rescan: Annotated[
        bool, typer.Option("--rescan", help="Re-scan the blobs of every version.")
    ] = False,
    stale: Annotated[
        bool,
        typer.Option("--stale", help="With --rescan: only blobs scanned by older engines."),
    ] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show what the scanners found in a version's files, re-scan stored blobs, or release a
    reviewed version's quarantine (maintainers)."""
    if release_ref is not None:
        if ref not in ACTIONS:
            raise typer.BadParameter(f"give one REF, or `release REF` / `revoke REF` (not {ref!r})")
        _release(ctx, ref, release_ref, reason, json_output)
        return
    if reason is not None:
        raise typer.BadParameter("--reason goes with `modelreg scan release REF`")
    if rescan:
        with target(ctx).client() as client:
            report = client.rescan(stale_only=stale)
        if json_output:
            print_json(report)
            return
        print(
            f"scanned {report.scanned} blob(s), skipped {report.skipped} up to date, "
            f"{len(report.quarantined)} quarantined"
        )
        return
    if ref is None:
        raise typer.BadParameter("give a REF to show, or --rescan")
    with target(ctx).client() as client:
        found = client.scan(ref)
    if json_output:
        print_json(version_scan_to_json(found))
        return
    console.print(
        f"{found.model_name}/{found.version}: {found.verdict}{state_of(found)}", markup=False
    )
    if found.release is not None:
        release = found.release
        void = " (void: a re-scan changed the findings)" if found.release_void else ""
        console.print(
            f"released by {release.released_by} at {release.released_at:%Y-%m-%d %H:%M} UTC"
            f"{void}: {release.reason}",
            markup=False,
        )
    rows: list[tuple[object, ...]] = []
    for file in found.files:
        if file.scan is None:
            rows.append((file.path, "-", str(file.verdict), "-", "never scanned"))
            continue
        for result in file.scan.results:
            engine = f"{result.engine} {result.engine_version}"
            if not result.findings:
                rows.append((file.path, file.scan.file_format, str(result.verdict), engine, ""))
            for finding in result.findings:
                where = f" [{finding.location}]" if finding.location else ""
                rows.append(
                    (
                        file.path,
                        file.scan.file_format,
                        str(finding.severity),
                        engine,
                        finding.message + where,
                    )
                )
    print_table(None, ["path", "format", "verdict", "engine", "finding"], rows)


def state_of(found: VersionScan) -> str:
    """The quarantine state after the verdict: `` (quarantined)``, `` (released)`` or none."""
    if found.quarantined:
        return " (quarantined)"
    if found.released:
        return " (released after review)"
    return ""


def quarantine_note(found: VersionScan) -> str:
    """What ``modelreg show`` says after the verdict about the quarantine."""
    if found.quarantined:
        void = ", its release is void after a re-scan" if found.release_void else ""
        return f" (quarantined{void}: pulls need --allow-unsafe or a release)"
    if found.released and found.release is not None:
        release = found.release
        return f" (released by {release.released_by}: {release.reason})"
    return ""


def _release(
    ctx: typer.Context, action: str, ref: str, reason: str | None, json_output: bool
) -> None:
    with target(ctx).client() as client:
        if action == "revoke":
            client.revoke_quarantine_release(ref, reason=reason or "")
            print(f"{ref}: release revoked; its flagged files are quarantined again")
            return
        if not reason or not reason.strip():
            raise typer.BadParameter("a release needs --reason (what was reviewed, by whom)")
        found = client.release_quarantine(ref, reason=reason)
    if json_output:
        print_json(version_scan_to_json(found))
        return
    released = [file.path for file in found.files if file.released]
    print(f"{found.model_name}/{found.version}: released ({', '.join(released)})")
