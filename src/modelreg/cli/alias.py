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
