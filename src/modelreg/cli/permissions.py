"""``modelreg permission grant|revoke|ls MODEL``: who holds which role on a model."""

from __future__ import annotations

from typing import Annotated

import typer

from modelreg.cli.context import target
from modelreg.cli.output import print_json, print_table, short_time
from modelreg.domain.access import Role

permission_app = typer.Typer(
    help="Roles on a model: reader < writer < maintainer < admin (docs/permissions.md).",
    no_args_is_help=True,
)
ModelArg = Annotated[str, typer.Argument(help="Model name.")]
UserOption = Annotated[str | None, typer.Option("--user", "-u", help="A user or service account.")]
TeamOption = Annotated[str | None, typer.Option("--team", "-t", help="A team.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@permission_app.command("grant")
def grant(
    ctx: typer.Context,
    model: ModelArg,
    role: Annotated[Role, typer.Option("--role", "-r", help="The role to give.")],
    user: UserOption = None,
    team: TeamOption = None,
) -> None:
    """Give one user or team a role on MODEL (replacing the role it had there)."""
    with target(ctx).client() as client:
        found = client.grant(model, role, user=user, team=team)
    print(f"{found.subject} is now {found.role.value} of {model}")


@permission_app.command("revoke")
def revoke(
    ctx: typer.Context, model: ModelArg, user: UserOption = None, team: TeamOption = None
) -> None:
    """Take away the role a user or team holds on MODEL."""
    with target(ctx).client() as client:
        client.revoke(model, user=user, team=team)
    print(f"{'user:' + user if user else 'team:' + (team or '')} holds no role on {model}")


@permission_app.command("ls")
def ls(ctx: typer.Context, model: ModelArg, json_output: JsonOption = False) -> None:
    """The grants on MODEL. Registry admins hold every role without one."""
    with target(ctx).client() as client:
        found = client.permissions(model)
    if json_output:
        print_json(found)
        return
    print_table(
        model,
        ["kind", "name", "role", "granted by", "granted"],
        [
            (
                g.subject.kind.value,
                g.subject.name,
                g.role.value,
                g.granted_by,
                short_time(g.granted_at),
            )
            for g in found
        ],
    )
