"""Commands on versions: push, pull, show, versions, search."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Annotated

import typer

from modelreg.cli import parsing
from modelreg.cli.context import target
from modelreg.cli.output import (
    console,
    human_size,
    print_json,
    print_table,
    short_time,
    transfer_progress,
)
from modelreg.cli.scan import quarantine_note
from modelreg.client.files import collect_files
from modelreg.domain.entities import Lineage, ModelVersion

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
ArchivedOption = Annotated[
    bool, typer.Option("--include-archived", help="Show archived versions too.")
]


def push(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A model file or folder.")],
    model: Annotated[str, typer.Option("--model", "-m", help="Registered model name.")],
    param: Annotated[list[str] | None, typer.Option(help="KEY=VALUE, repeatable.")] = None,
    metric: Annotated[list[str] | None, typer.Option(help="KEY=NUMBER, repeatable.")] = None,
    tag: Annotated[list[str] | None, typer.Option(help="KEY=VALUE, repeatable.")] = None,
    description: Annotated[str, typer.Option(help="What this version is.")] = "",
    alias: Annotated[str | None, typer.Option(help="Point this alias at the new version.")] = None,
    source_commit: Annotated[
        str | None, typer.Option(help="Code commit it was trained from.")
    ] = None,
    source_url: Annotated[str | None, typer.Option(help="Code repository URL.")] = None,
    dataset: Annotated[
        list[str] | None, typer.Option(help="Data set reference, repeatable.")
    ] = None,
    parent_version: Annotated[
        int | None, typer.Option(help="Version this one derives from.")
    ] = None,
    run_id: Annotated[str | None, typer.Option(help="Training run id.")] = None,
    experiment_id: Annotated[str | None, typer.Option(help="Experiment id.")] = None,
) -> None:
    """Push PATH as the next version of --model; prints NAME/VERSION."""
    lineage = Lineage(
        source_commit=source_commit,
        source_url=source_url,
        datasets=tuple(dataset or ()),
        parent_version=parent_version,
        run_id=run_id,
        experiment_id=experiment_id,
    )
    total = sum(local.stat().st_size for _, local in collect_files(path))
    with target(ctx).client() as client, transfer_progress("push", total) as progress:
        version = client.push(
            model,
            path,
            params=parsing.key_values(param, "--param"),
            metrics=parsing.metrics(metric),
            tags=parsing.key_values(tag, "--tag"),
            description=description,
            lineage=lineage,
            alias=alias,
            progress=progress,
        )
    print(version.ref)


def pull(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="NAME, NAME/VERSION or NAME@ALIAS.")],
    dest: Annotated[Path | None, typer.Argument(help="Folder to write to.")] = None,
    no_verify: Annotated[
        bool, typer.Option("--no-verify", help="Skip the signature check of a signed version.")
    ] = False,
    trusted_key: Annotated[
        list[Path] | None,
        typer.Option("--trusted-key", help="Repeatable: trust this public key file instead."),
    ] = None,
    allow_unsafe: Annotated[
        bool,
        typer.Option(
            "--allow-unsafe",
            help="Pull a quarantined version (files the scan flagged) anyway: maintainers; "
            "audited.",
        ),
    ] = False,
) -> None:
    """Download a version's files, verified against their digests (and its signature)."""
    with target(ctx).client() as client:
        version = client.resolve(ref)
        with transfer_progress(f"pull {version.ref}", version.size) as progress:
            written = client.pull(
                version.ref,
                dest,
                progress=progress,
                verify=not no_verify,
                trusted_keys=trusted_key,
                allow_unsafe=allow_unsafe,
            )
    print(written)


def show(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="NAME, NAME/VERSION or NAME@ALIAS.")],
    json_output: JsonOption = False,
) -> None:
    """Everything about one version."""
    with target(ctx).client() as client:
        version = client.resolve(ref)
        scan = client.scan(version.ref)
    verdicts = {f.path: f"{f.verdict}{' (released)' if f.released else ''}" for f in scan.files}
    if json_output:
        payload = {field.name: getattr(version, field.name) for field in fields(version)}
        payload["scan"] = {
            "verdict": str(scan.verdict),
            "quarantined": scan.quarantined,
            "released": scan.released,  # docs/scanning.md: a maintainer's reviewed exception
        }
        print_json(payload)
        return
    updated = (
        f"  updated {short_time(version.updated_at)}"
        if version.updated_at != version.created_at
        else ""
    )
    console.print(
        f"[bold]{version.ref}[/bold]  {version.status}  {short_time(version.created_at)}"
        f"  by {version.created_by}{updated}"
    )
    if version.description:
        console.print(version.description)
    if version.aliases:
        console.print("aliases: " + ", ".join(version.aliases))
    for label, values in (
        ("params", version.params),
        ("metrics", version.metrics),
        ("tags", version.tags),
    ):
        if values:
            console.print(f"{label}: " + ", ".join(f"{k}={v}" for k, v in values.items()))
    lineage = version.lineage
    facts = {
        "source_commit": lineage.source_commit,
        "source_url": lineage.source_url,
        "datasets": ", ".join(lineage.datasets) or None,
        "parent_version": lineage.parent_version,
        "run_id": lineage.run_id,
        "experiment_id": lineage.experiment_id,
    }
    for key, value in facts.items():
        if value is not None:
            console.print(f"{key}: {value}")
    console.print(f"scan: {scan.verdict}{quarantine_note(scan)}", markup=False)
    print_table(
        None,
        ["path", "size", "digest", "scan"],
        [(f.path, human_size(f.size), str(f.digest), verdicts[f.path]) for f in version.files],
    )


def _version_rows(versions: list[ModelVersion]) -> list[tuple[object, ...]]:
    return [
        (
            v.version if len({x.model_name for x in versions}) == 1 else v.ref,
            v.status,
            ", ".join(v.aliases),
            ", ".join(f"{k}={m:g}" for k, m in list(v.metrics.items())[:4]),
            human_size(v.size),
            v.created_by,
            short_time(v.created_at),
        )
        for v in versions
    ]


VERSION_COLUMNS = ["version", "status", "aliases", "metrics", "size", "by", "created"]


def versions(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Registered model name.")],
    limit: Annotated[int | None, typer.Option(help="At most this many.")] = None,
    json_output: JsonOption = False,
    include_archived: ArchivedOption = False,
) -> None:
    """Versions of a model, newest first."""
    with target(ctx).client() as client:
        found = client.list_versions(name, limit=limit, include_archived=include_archived)
    if json_output:
        print_json(found)
    else:
        print_table(name, VERSION_COLUMNS, _version_rows(found))


def search(
    ctx: typer.Context,
    filter: Annotated[
        str, typer.Argument(help='e.g. "metrics.auc > 0.9 ORDER BY metrics.auc DESC"')
    ],
    limit: Annotated[int | None, typer.Option(help="At most this many.")] = None,
    json_output: JsonOption = False,
    include_archived: ArchivedOption = False,
) -> None:
    """Search versions across models (grammar: docs/search.md)."""
    with target(ctx).client() as client:
        found = client.search_versions(filter, limit=limit, include_archived=include_archived)
    if json_output:
        print_json(found)
    else:
        print_table(None, VERSION_COLUMNS, _version_rows(found))
