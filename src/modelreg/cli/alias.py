"""``modelreg alias set|rm``: move the named pointers such as ``production``."""

from __future__ import annotations

from typing import Annotated

import typer

from modelreg.cli.context import target

alias_app = typer.Typer(
    help="Point aliases such as 'production' at versions.", no_args_is_help=True
)


@alias_app.command("set")
def set_alias(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Registered model name.")],
    alias: Annotated[str, typer.Argument(help="Alias, e.g. production.")],
    version: Annotated[int, typer.Argument(help="Version number.")],
) -> None:
    """Point ALIAS of NAME at VERSION."""
    with target(ctx).client() as client:
        found = client.set_alias(name, alias, version)
    print(f"{found.model_name}@{found.name} -> {found.version}")


@alias_app.command("rm")
def remove_alias(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Registered model name.")],
    alias: Annotated[str, typer.Argument(help="Alias to remove.")],
) -> None:
    """Remove ALIAS from NAME."""
    with target(ctx).client() as client:
        client.delete_alias(name, alias)
    print(f"removed {name}@{alias}")


@alias_app.command("history")
def alias_history(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Registered model name.")],
    alias: Annotated[str, typer.Argument(help="Alias, e.g. production.")],
    limit: Annotated[int | None, typer.Option(help="At most this many.")] = None,
) -> None:
    """Every set, move and removal of ALIAS of NAME, newest first."""
    from modelreg.cli.output import print_table, short_time

    with target(ctx).client() as client:
        changes = client.alias_history(name, alias, limit=limit)
    print_table(
        f"{name}@{alias}",
        ["when", "version", "by"],
        [
            (short_time(c.at), "removed" if c.version is None else c.version, c.actor)
            for c in changes
        ],
    )
