"""``modelreg deploy record|ls|history``: what runs where."""

from __future__ import annotations

from typing import Annotated

import typer

from modelreg.cli.context import target
from modelreg.cli.lifecycle import JsonOption
from modelreg.cli.output import print_json, print_table, short_time
from modelreg.domain.records import Deployment, DeploymentStatus

deploy_app = typer.Typer(
    help="Record and list deployments of versions to environments.", no_args_is_help=True
)

STATUSES = ", ".join(status.value for status in DeploymentStatus)


@deploy_app.command("record")
def record(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Registered model name.")],
    version: Annotated[int, typer.Argument(help="Version number.")],
    env: Annotated[str, typer.Option("--env", "-e", help="Environment, e.g. production.")],
    status: Annotated[str, typer.Option(help=f"One of {STATUSES}.")] = "DEPLOYED",
    note: Annotated[str, typer.Option(help="Free text, e.g. the CI run URL.")] = "",
) -> None:
    """Record that VERSION of NAME is deployed (or deploying, failed, retired) in --env."""
    with target(ctx).client() as client:
        found = client.record_deployment(name, version, env, status=status, note=note)
    print(f"{found.model_name}/{found.version} {found.status} in {found.environment}")


def _rows(deployments: list[Deployment]) -> list[tuple[object, ...]]:
    return [
        (d.environment, d.model_name, d.version, d.status, short_time(d.at), d.recorded_by, d.note)
        for d in deployments
    ]


COLUMNS = ["environment", "model", "version", "status", "since", "by", "note"]


@deploy_app.command("ls")
def list_current(
    ctx: typer.Context,
    env: Annotated[str | None, typer.Option("--env", "-e", help="Only this environment.")] = None,
    model: Annotated[str | None, typer.Option(help="Only this model.")] = None,
    json_output: JsonOption = False,
) -> None:
    """What is deployed now, per environment and model."""
    with target(ctx).client() as client:
        found = client.list_deployments(environment=env, model=model)
    if json_output:
        print_json(found)
    else:
        print_table(None, COLUMNS, _rows(found))


@deploy_app.command("history")
def history(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Registered model name.")],
    env: Annotated[str | None, typer.Option("--env", "-e", help="Only this environment.")] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many.")] = None,
    json_output: JsonOption = False,
) -> None:
    """Every deployment record of NAME, newest first."""
    with target(ctx).client() as client:
        found = client.deployment_history(name, environment=env, limit=limit)
    if json_output:
        print_json(found)
    else:
        print_table(name, COLUMNS, _rows(found))
