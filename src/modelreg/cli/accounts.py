"""``modelreg user create|ls``, ``team create|ls|add|remove`` and ``token create|ls|revoke``
(``login.py`` has ``login``, ``logout`` and ``whoami``).

The first admin is made with local access to the registry's files (``--home``): whoever can
write them owns the registry (``docs/security.md``)::

    modelreg user create alice --admin --home DIR
    modelreg token create --name laptop --user alice --home DIR
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from modelreg.cli.context import target
from modelreg.cli.output import print_json, print_table, short_time
from modelreg.client.client import Client
from modelreg.domain.access import Scope
from modelreg.domain.accounts import TokenInfo, parse_duration

user_app = typer.Typer(help="Users and service accounts.", no_args_is_help=True)
team_app = typer.Typer(help="Teams of users.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
HomeOption = Annotated[
    Path | None, typer.Option("--home", help="Act on the registry in this folder (local access).")
]
RegistryOption = Annotated[str | None, typer.Option("--registry", help="Server URL.")]


def registry_client(ctx: typer.Context, home: Path | None, registry: str | None) -> Client:
    if home is not None:
        return Client.local(home)
    if registry:
        return Client(registry)
    return target(ctx).client()


# -- users and teams -----------------------------------------------------------------------------


@user_app.command("create")
def user_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="User name.")],
    admin: Annotated[bool, typer.Option("--admin", help="A registry admin.")] = False,
    service: Annotated[bool, typer.Option("--service", help="A service account.")] = False,
    home: HomeOption = None,
    registry: RegistryOption = None,
) -> None:
    """Create a user (or a service account)."""
    with registry_client(ctx, home, registry) as client:
        account = client.create_user(name, admin=admin, service=service)
    print(f"created {account.kind} {account.name}" + (" (admin)" if account.admin else ""))


@user_app.command("ls")
def user_ls(
    ctx: typer.Context,
    home: HomeOption = None,
    registry: RegistryOption = None,
    json_output: JsonOption = False,
) -> None:
    """Users and service accounts."""
    with registry_client(ctx, home, registry) as client:
        found = client.list_users()
    if json_output:
        print_json(found)
        return
    rows = [
        (a.name, a.kind, "yes" if a.admin else "", ", ".join(a.teams), short_time(a.created_at))
        for a in found
    ]
    print_table(None, ["name", "kind", "admin", "teams", "created"], rows)


@team_app.command("create")
def team_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Team name.")],
    home: HomeOption = None,
    registry: RegistryOption = None,
) -> None:
    """Create a team."""
    with registry_client(ctx, home, registry) as client:
        client.create_team(name)
    print(f"created team {name}")


@team_app.command("ls")
def team_ls(
    ctx: typer.Context,
    home: HomeOption = None,
    registry: RegistryOption = None,
    json_output: JsonOption = False,
) -> None:
    """Teams and their members."""
    with registry_client(ctx, home, registry) as client:
        found = client.list_teams()
    if json_output:
        print_json(found)
        return
    print_table(None, ["team", "members"], [(t.name, ", ".join(t.members)) for t in found])


@team_app.command("add")
def team_add(
    ctx: typer.Context,
    team: Annotated[str, typer.Argument(help="Team name.")],
    user: Annotated[str, typer.Argument(help="User name.")],
    home: HomeOption = None,
    registry: RegistryOption = None,
) -> None:
    """Add a user to a team."""
    with registry_client(ctx, home, registry) as client:
        client.add_team_member(team, user)
    print(f"{user} is in team {team}")


@team_app.command("remove")
def team_remove(
    ctx: typer.Context,
    team: Annotated[str, typer.Argument(help="Team name.")],
    user: Annotated[str, typer.Argument(help="User name.")],
    home: HomeOption = None,
    registry: RegistryOption = None,
) -> None:
    """Remove a user from a team."""
    with registry_client(ctx, home, registry) as client:
        client.remove_team_member(team, user)
    print(f"{user} is not in team {team}")


# -- tokens --------------------------------------------------------------------------------------


@token_app.command("create")
def token_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="What the token is for.")],
    user: Annotated[str | None, typer.Option("--user", help="Whose (default: yours).")] = None,
    scope: Annotated[
        list[Scope] | None, typer.Option("--scope", help="Repeatable; default: all scopes.")
    ] = None,
    expires: Annotated[
        str | None, typer.Option("--expires", help="Lifetime such as 12h, 30d or 8w.")
    ] = None,
    home: HomeOption = None,
    registry: RegistryOption = None,
    json_output: JsonOption = False,
) -> None:
    """Create a token and print its secret, once (on stdout; the rest goes to stderr)."""
    expires_at = datetime.now(UTC) + parse_duration(expires) if expires else None
    with registry_client(ctx, home, registry) as client:
        info, secret = client.create_token(
            name=name, user=user, scopes=scope or tuple(Scope), expires_at=expires_at
        )
    if json_output:
        print_json({"token": _token_json(info), "secret": secret})
        return
    print(secret)
    until = f", expires {short_time(info.expires_at)} UTC" if info.expires_at else ""
    scopes = ", ".join(sorted(info.scopes))
    print(f"token {info.id} for {info.user} (scopes: {scopes}{until})", file=sys.stderr)
    print("store it now: it is not shown again", file=sys.stderr)


@token_app.command("ls")
def token_ls(
    ctx: typer.Context,
    user: Annotated[str | None, typer.Option("--user", help="Only this user's.")] = None,
    home: HomeOption = None,
    registry: RegistryOption = None,
    json_output: JsonOption = False,
) -> None:
    """Tokens (never their secrets)."""
    with registry_client(ctx, home, registry) as client:
        found = client.list_tokens(user)
    if json_output:
        print_json([_token_json(t) for t in found])
        return
    now = datetime.now(UTC)
    columns = ["id", "user", "name", "scopes", "state", "expires", "last used"]
    rows = [
        (
            t.id,
            t.user,
            t.name,
            ", ".join(sorted(t.scopes)),
            _state(t, now),
            short_time(t.expires_at) if t.expires_at else "never",
            short_time(t.last_used_at) if t.last_used_at else "never",
        )
        for t in found
    ]
    print_table(None, columns, rows)


@token_app.command("revoke")
def token_revoke(
    ctx: typer.Context,
    token_id: Annotated[str, typer.Argument(help="Token id (from 'token ls').")],
    home: HomeOption = None,
    registry: RegistryOption = None,
) -> None:
    """Revoke a token: it stops working at once."""
    with registry_client(ctx, home, registry) as client:
        client.revoke_token(token_id)
    print(f"revoked token {token_id}")


def _state(token: TokenInfo, now: datetime) -> str:
    if token.revoked_at is not None:
        return "revoked"
    return "expired" if token.is_expired(now) else "active"


def _token_json(token: TokenInfo) -> dict[str, object]:
    # Scopes are a set: a sorted list in JSON.
    return {
        "id": token.id,
        "user": token.user,
        "name": token.name,
        "scopes": sorted(token.scopes),
        "created_at": token.created_at,
        "created_by": token.created_by,
        "expires_at": token.expires_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
    }
