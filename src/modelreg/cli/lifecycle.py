"""Commands on a version's life: resolve (also at a past moment), archive, restore."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from modelreg.cli.context import target
from modelreg.cli.output import print_json
from modelreg.domain.errors import InvalidArgumentError

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def parse_moment(text: str, option: str) -> datetime:
    """An ISO-8601 time; ``Z`` means UTC, and a time without a zone is taken as UTC."""
    raw = text.strip()
    if raw[-1:] in {"Z", "z"}:
        raw = raw[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError as error:
        raise InvalidArgumentError(
            f"{option} expects an ISO-8601 time such as 2026-03-01T12:00:00Z, got {text!r}"
        ) from error
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def resolve(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="NAME, NAME/VERSION or NAME@ALIAS.")],
    at: Annotated[
        str | None,
        typer.Option(help="Answer as of this moment, e.g. 2026-03-01T12:00:00Z (UTC if no zone)."),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Print the version REF resolves to (now, or at --at); e.g. credit-risk/3."""
    moment = None if at is None else parse_moment(at, "--at")
    with target(ctx).client() as client:
        version = client.resolve(ref, at=moment)
    if json_output:
        print_json(version)
    else:
        print(version.ref)


def archive(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="NAME/VERSION (or NAME@ALIAS, NAME for latest).")],
) -> None:
    """Hide a version from default listings and search; its files are kept.

    Refused while an alias points at it: move the aliases first."""
    with target(ctx).client() as client:
        version = client.resolve(ref)
        archived = client.archive_version(version.model_name, version.version)
    print(f"archived {archived.ref}")


def restore(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="NAME/VERSION of an archived version.")],
) -> None:
    """Bring an archived version back into listings and search."""
    with target(ctx).client() as client:
        version = client.resolve(ref)
        restored = client.restore_version(version.model_name, version.version)
    print(f"restored {restored.ref}")
