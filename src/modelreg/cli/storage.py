"""``modelreg gc``, ``modelreg storage`` and ``modelreg retention set|show|unset|plan|apply``."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Annotated

import typer

from modelreg.cli.context import target
from modelreg.cli.output import human_size, print_json, print_table, short_time
from modelreg.domain.retention import RetentionAction, RetentionPlan, RetentionPolicy
from modelreg.domain.storage import Freed, format_duration, parse_duration

retention_app = typer.Typer(
    help="Retention policies: keep the last N versions, archive old ones, delete archived ones.",
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ModelOption = Annotated[
    str | None, typer.Option("--model", "-m", help="One model (default: the registry-wide).")
]


def gc(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would be freed; delete nothing.")
    ] = False,
    grace: Annotated[
        str, typer.Option(help="Spare unreferenced blobs younger than this (e.g. 1h, 30m, 0).")
    ] = "1h",
    json_output: JsonOption = False,
) -> None:
    """Delete blobs nothing refers to and leftovers of abandoned uploads."""
    span = parse_duration(grace, option="--grace")
    with target(ctx).client() as client:
        report = client.collect_garbage(grace=span, dry_run=dry_run)
    if json_output:
        print_json(_plain(report))
        return
    verb = "would free" if dry_run else "freed"
    rows = [
        ("unreferenced blobs", *_freed(report.blobs)),
        ("temporary upload objects", *_freed(report.uploads)),
        ("chunk parts", *_freed(report.parts)),
        ("total", *_freed(report.total)),
    ]
    print_table(
        f"garbage collection ({verb}, grace {format_duration(report.grace)})",
        ("category", "objects", "bytes"),
        rows,
    )
    print(
        f"stale upload sessions: {report.sessions}; referenced blobs: {report.referenced}; "
        f"unreferenced but younger than the grace: {report.kept_young}; "
        f"old quarantine override keys: {report.overrides}"
    )


def storage(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """Logical and physical bytes, dedup ratio, registry-wide and per model."""
    with target(ctx).client() as client:
        report = client.storage_report()
    if json_output:
        print_json(_plain(report))
        return
    ratio = "n/a" if report.dedup_ratio is None else f"{report.dedup_ratio:.2f}x"
    print(
        f"logical {human_size(report.logical_bytes)} in {report.versions} versions; "
        f"physical {human_size(report.physical_bytes)} in {report.physical_objects} objects; "
        f"dedup ratio {ratio}"
    )
    rows = [
        (m.model_name, m.versions, human_size(m.logical_bytes), m.blobs, human_size(m.blob_bytes))
        for m in report.models
    ]
    print_table(None, ("model", "versions", "logical", "blobs", "blob bytes"), rows)


@retention_app.command("set")
def set_retention(
    ctx: typer.Context,
    model: ModelOption = None,
    keep_last: Annotated[
        int | None, typer.Option("--keep-last", help="Never touch the N newest versions.")
    ] = None,
    archive_after: Annotated[
        str | None, typer.Option("--archive-after", help="Archive versions this old (e.g. 30d).")
    ] = None,
    delete_archived_after: Annotated[
        str | None,
        typer.Option("--delete-archived-after", help="Delete versions archived this long ago."),
    ] = None,
) -> None:
    """Set (replace) the retention policy of --model, or the registry-wide one."""
    archive = (
        None if archive_after is None else parse_duration(archive_after, option="--archive-after")
    )
    delete = (
        None
        if delete_archived_after is None
        else parse_duration(delete_archived_after, option="--delete-archived-after")
    )
    with target(ctx).client() as client:
        policy = client.set_retention(
            model=model, keep_last=keep_last, archive_after=archive, delete_archived_after=delete
        )
    print(f"retention policy of {_scope(policy)}: {_rules(policy)}")


@retention_app.command("show")
def show_retention(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """Every retention policy; a model's own replaces the registry-wide one."""
    with target(ctx).client() as client:
        policies = client.retention_policies()
    if json_output:
        print_json(_plain(policies))
        return
    if not policies:
        print("no retention policies")
        return
    rows = [
        (
            _scope(p),
            _rules(p),
            p.updated_by,
            "" if p.updated_at is None else short_time(p.updated_at),
        )
        for p in policies
    ]
    print_table(None, ("scope", "rules", "set by", "set at"), rows)


@retention_app.command("unset")
def unset_retention(ctx: typer.Context, model: ModelOption = None) -> None:
    """Remove the retention policy of --model (it falls back to the registry-wide one)."""
    with target(ctx).client() as client:
        client.remove_retention(model=model)
    print(f"removed the retention policy of {model or 'the registry'}")


@retention_app.command("plan")
def plan_retention(
    ctx: typer.Context,
    model: Annotated[str | None, typer.Option("--model", "-m", help="Only this model.")] = None,
    json_output: JsonOption = False,
) -> None:
    """Show what `retention apply` would do now, and why, rule by rule per version."""
    with target(ctx).client() as client:
        plan = client.plan_retention(model=model)
    _print_plan(plan, json_output, verbose=True)


@retention_app.command("apply")
def apply_retention(
    ctx: typer.Context,
    model: Annotated[str | None, typer.Option("--model", "-m", help="Only this model.")] = None,
    json_output: JsonOption = False,
) -> None:
    """Archive and delete what the policies ask for; each action goes to the model's history."""
    with target(ctx).client() as client:
        plan = client.apply_retention(model=model)
    _print_plan(plan, json_output, verbose=False)


def _print_plan(plan: RetentionPlan, json_output: bool, *, verbose: bool) -> None:
    if json_output:
        print_json(_plain(plan))
        return
    if not plan.models:
        print("no model is covered by a retention policy")
        return
    for entry in plan.models:
        policy = (
            "no policy"
            if entry.policy is None
            else f"{_scope(entry.policy)} policy: {_rules(entry.policy)}"
        )
        archived = entry.actions(RetentionAction.ARCHIVE)
        deleted = entry.actions(RetentionAction.DELETE)
        done = "" if not plan.applied else " (applied)"
        print(
            f"{entry.model_name}: {policy}; archive {list(archived)}, delete {list(deleted)}{done}"
        )
        rows: list[tuple[object, ...]] = []
        for decision in entry.decisions:
            if verbose:
                for outcome in decision.rules:
                    rows.append(
                        (
                            decision.version,
                            decision.action.value,
                            outcome.rule,
                            outcome.verdict.value,
                            outcome.reason,
                        )
                    )
            elif decision.action is not RetentionAction.KEEP:
                rows.append((decision.version, decision.action.value, decision.reason))
        if verbose:
            print_table(None, ("version", "action", "rule", "verdict", "reason"), rows)
        elif rows:
            print_table(None, ("version", "action", "reason"), rows)


def _freed(freed: Freed) -> tuple[int, str]:
    return freed.objects, human_size(freed.bytes)


def _scope(policy: RetentionPolicy) -> str:
    return f"model {policy.scope}" if policy.scope else "registry-wide"


def _rules(policy: RetentionPolicy) -> str:
    parts = []
    if policy.keep_last is not None:
        parts.append(f"keep last {policy.keep_last}")
    if policy.archive_after is not None:
        parts.append(f"archive after {format_duration(policy.archive_after)}")
    if policy.delete_archived_after is not None:
        parts.append(f"delete archived after {format_duration(policy.delete_archived_after)}")
    return ", ".join(parts)


# Derived values worth printing next to a dataclass's fields in --json output.
_DERIVED = {
    "GcReport": ("total",),
    "StorageReport": ("dedup_ratio",),
    "VersionDecision": ("reason",),
}


def _plain(value: object) -> object:
    """``value`` as JSON-ready data: durations in the CLI's syntax, times in ISO 8601."""
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if is_dataclass(value) and not isinstance(value, type):
        data = {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
        for name in _DERIVED.get(type(value).__name__, ()):
            data[name] = _plain(getattr(value, name))
        return data
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value
