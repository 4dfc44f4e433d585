"""Commands on registered models: models, model create|update|rm, history."""

from __future__ import annotations

from typing import Annotated

import typer

from modelreg.cli import parsing
from modelreg.cli.context import target
from modelreg.cli.output import print_json, print_table, short_time
from modelreg.cli.versions import JsonOption

model_app = typer.Typer(help="Create, update and delete registered models.", no_args_is_help=True)


def models(
    ctx: typer.Context,
    filter: Annotated[str, typer.Option(help="Search filter, e.g. \"tags.team = 'risk'\".")] = "",
    limit: Annotated[int | None, typer.Option(help="At most this many.")] = None,
    json_output: JsonOption = False,
) -> None:
    """List registered models."""
    with target(ctx).client() as client:
        found = client.search_models(filter, limit=limit)
    if json_output:
        print_json(found)
        return
    print_table(
        None,
        ["name", "latest", "aliases", "owner", "tags", "updated"],
        [
            (
                m.name,
                m.latest_version,
                ", ".join(f"{a}→{v}" for a, v in m.aliases.items()),
                m.owner,
                ", ".join(f"{k}={v}" for k, v in m.tags.items()),
                short_time(m.updated_at),
            )
            for m in found
        ],
    )


def history(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Registered model name.")],
    limit: Annotated[int | None, typer.Option(help="At most this many.")] = None,
    json_output: JsonOption = False,
) -> None:
    """Who did what to a model, newest first."""
    with target(ctx).client() as client:
        events = client.events(name, limit=limit)
    if json_output:
        print_json(events)
        return
    print_table(
        name,
        ["when", "actor", "action", "version", "details"],
        [(short_time(e.at), e.actor, e.action, e.version, e.details or "") for e in events],
    )


@model_app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Registered model name.")],
    description: Annotated[str, typer.Option(help="What the model is for.")] = "",
    owner: Annotated[str | None, typer.Option(help="Owning person or team.")] = None,
    tag: Annotated[list[str] | None, typer.Option(help="KEY=VALUE, repeatable.")] = None,
) -> None:
    """Register a model name before its first push."""
    with target(ctx).client() as client:
        model = client.create_model(
            name, description=description, owner=owner, tags=parsing.key_values(tag, "--tag")
        )
    print(model.name)


@model_app.command("update")
def update(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Registered model name.")],
    description: Annotated[str | None, typer.Option(help="New description.")] = None,
    owner: Annotated[str | None, typer.Option(help="New owner.")] = None,
    tag: Annotated[list[str] | None, typer.Option(help="KEY=VALUE to set, repeatable.")] = None,
    untag: Annotated[list[str] | None, typer.Option(help="Tag KEY to remove, repeatable.")] = None,
) -> None:
    """Change a model's description, owner or tags."""
    with target(ctx).client() as client:
        client.update_model(
            name,
            description=description,
            owner=owner,
            set_tags=parsing.key_values(tag, "--tag"),
            delete_tags=untag or (),
        )
    print(name)


@model_app.command("rm")
def remove(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Registered model name.")],
    yes: Annotated[bool, typer.Option("--yes", help="Confirm deleting every version.")] = False,
) -> None:
    """Delete a model and all its versions (its history is kept)."""
    if not yes:
        raise typer.BadParameter("deleting a model removes every version; pass --yes to confirm")
    with target(ctx).client() as client:
        client.delete_model(name)
    print(f"deleted {name}")
