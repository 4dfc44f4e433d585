"""``modelreg login|logout|whoami``: keep an API token for a server, and check who you are."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from modelreg.cli.accounts import HomeOption, JsonOption, RegistryOption, registry_client
from modelreg.cli.context import target
from modelreg.cli.output import print_json
from modelreg.client.client import Client
from modelreg.client.credentials import forget_token, store_token
from modelreg.domain.errors import InvalidArgumentError


def login(
    ctx: typer.Context,
    url: Annotated[
        str | None, typer.Option("--url", help="Server URL (default: --registry).")
    ] = None,
    token_stdin: Annotated[
        bool, typer.Option("--token-stdin", help="Read the token from standard input.")
    ] = False,
) -> None:
    """Check an API token against a server and save it for later commands."""
    server = _server_url(ctx, url)
    if token_stdin:
        token = sys.stdin.readline().strip()
    else:
        token = typer.prompt("API token", hide_input=True).strip()
    if not token:
        raise InvalidArgumentError("no token given")
    with Client(server, token=token) as client:
        principal = client.whoami()
    path = store_token(server, token, user=principal.name)
    print(f"logged in to {server} as {principal.name}; token saved in {path}")
    if principal.open_mode:
        print("note: this server does not require authentication", file=sys.stderr)


def logout(
    ctx: typer.Context,
    url: Annotated[
        str | None, typer.Option("--url", help="Server URL (default: --registry).")
    ] = None,
) -> None:
    """Forget the token saved for a server."""
    server = _server_url(ctx, url)
    if forget_token(server):
        print(f"logged out of {server}")
    else:
        print(f"no saved token for {server}")


def whoami(
    ctx: typer.Context,
    home: HomeOption = None,
    registry: RegistryOption = None,
    json_output: JsonOption = False,
) -> None:
    """Who the registry takes you for."""
    with registry_client(ctx, home, registry) as client:
        principal = client.whoami()
    if json_output:
        print_json(
            {
                "name": principal.name,
                "kind": principal.kind,
                "admin": principal.admin,
                "teams": sorted(principal.teams),
                "scopes": sorted(principal.scopes),
                "open_mode": principal.open_mode,
            }
        )
        return
    teams = ", ".join(sorted(principal.teams)) or "-"
    scopes = ", ".join(sorted(principal.scopes))
    role = "admin" if principal.admin else principal.kind
    mode = " (registry runs without authentication)" if principal.open_mode else ""
    print(f"{principal.name} [{role}] teams: {teams} scopes: {scopes}{mode}")


def _server_url(ctx: typer.Context, url: str | None) -> str:
    found = url or target(ctx).registry
    if not found:
        raise InvalidArgumentError("give the server with --url (or --registry / MODELREG_URL)")
    return found
