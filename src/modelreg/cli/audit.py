"""``modelreg audit ls|verify|export``: read and check the tamper-evident audit trail."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from modelreg.cli.context import target
from modelreg.cli.lifecycle import JsonOption, parse_moment
from modelreg.cli.output import print_json, print_table, short_time
from modelreg.client import wire

audit_app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)

ModelOption = Annotated[str | None, typer.Option(help="Only entries of this model.")]
ActorOption = Annotated[str | None, typer.Option(help="Only entries by this actor.")]
ActionOption = Annotated[
    str | None, typer.Option(help="Only this action, or a prefix ending in '*' (alias.*).")
]
SinceOption = Annotated[str | None, typer.Option(help="From this ISO-8601 time (inclusive).")]
UntilOption = Annotated[str | None, typer.Option(help="Before this ISO-8601 time.")]


def _filters(
    model: str | None,
    actor: str | None,
    action: str | None,
    since: str | None,
    until: str | None,
) -> dict[str, object]:
    return {
        "model": model,
        "actor": actor,
        "action": action,
        "since": None if since is None else parse_moment(since, "--since"),
        "until": None if until is None else parse_moment(until, "--until"),
    }


@audit_app.command("ls")
def list_entries(
    ctx: typer.Context,
    model: ModelOption = None,
    actor: ActorOption = None,
    action: ActionOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    limit: Annotated[int | None, typer.Option(help="At most this many.")] = None,
    newest_first: Annotated[bool, typer.Option("--newest-first", help="Newest first.")] = False,
    json_output: JsonOption = False,
) -> None:
    """Audit entries, oldest first."""
    with target(ctx).client() as client:
        entries = client.audit(
            **_filters(model, actor, action, since, until),  # type: ignore[arg-type]
            newest_first=newest_first,
            limit=limit,
        )
    if json_output:
        print_json([wire.audit_entry_to_json(entry) for entry in entries])
        return
    print_table(
        None,
        ["seq", "when", "actor", "action", "target", "before", "after"],
        [
            (e.seq, short_time(e.at), e.actor, e.action, e.target, e.before, e.after)
            for e in entries
        ],
    )


@audit_app.command("verify")
def verify(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """Walk the hash chain; exit 1 naming the first altered, inserted or deleted entry."""
    with target(ctx).client() as client:
        report = client.verify_audit()
    if json_output:
        print_json(report)
    elif report.ok:
        head = report.head
        where = "" if head is None else f"; head #{head.seq} {head.hash}"
        print(f"audit trail intact: {report.entries} entries{where}")
    if report.problem is not None:
        print(f"audit trail broken: {report.problem.message}", file=sys.stderr)
        raise typer.Exit(1)


@audit_app.command("export")
def export(
    ctx: typer.Context,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")
    ] = None,
    model: ModelOption = None,
    actor: ActorOption = None,
    action: ActionOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
) -> None:
    """Write the audit trail as JSON lines, oldest first, hashes included."""
    filters = _filters(model, actor, action, since, until)
    with target(ctx).client() as client:
        if output is None:
            client.export_audit(sys.stdout, **filters)  # type: ignore[arg-type]
            return
        partial = output.with_name(output.name + ".partial")
        with partial.open("w", encoding="utf-8") as handle:
            count = client.export_audit(handle, **filters)  # type: ignore[arg-type]
        partial.replace(output)
    print(f"exported {count} entries to {output}", file=sys.stderr)
