"""``modelreg scan``: the scan verdict of a version with each file's findings, and re-scans."""

from __future__ import annotations

from typing import Annotated

import typer

from modelreg.cli.context import target
from modelreg.cli.output import console, print_json, print_table
from modelreg.client.scans import version_scan_to_json


def scan(
    ctx: typer.Context,
    ref: Annotated[
        str | None, typer.Argument(help="NAME, NAME/VERSION or NAME@ALIAS to show.")
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
    """Show what the scanners found in a version's files, or re-scan stored blobs."""
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
    state = " (quarantined)" if found.quarantined else ""
    console.print(f"{found.model_name}/{found.version}: {found.verdict}{state}", markup=False)
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
