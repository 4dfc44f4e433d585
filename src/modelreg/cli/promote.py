"""``modelreg promote request|approve|reject|ls``: moving protected aliases."""

from __future__ import annotations

from typing import Annotated

import typer

from modelreg.cli.context import target
from modelreg.cli.output import print_json, print_table, short_time
from modelreg.domain.governance import PromotionRequest

promote_app = typer.Typer(
    help="Promotion requests: the way protected aliases such as 'production' move.",
    no_args_is_help=True,
)
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _summary(request: PromotionRequest) -> str:
    approvers = ", ".join(request.approvers) or "none"
    return (
        f"promotion {request.id}: {request.model_name}/{request.version} -> {request.alias} "
        f"{request.status.value} (approved by: {approvers})"
    )


@promote_app.command("request")
def request(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Registered model name.")],
    alias: Annotated[str, typer.Argument(help="Protected alias, e.g. production.")],
    version: Annotated[int, typer.Argument(help="Version to promote.")],
    reason: Annotated[str, typer.Option("--reason", "-r", help="Why (kept in the record).")],
    json_output: JsonOption = False,
) -> None:
    """Ask to point protected ALIAS of NAME at VERSION."""
    with target(ctx).client() as client:
        found = client.request_promotion(name, alias, version, reason)
    print_json(found) if json_output else print(_summary(found))


@promote_app.command("approve")
def approve(
    ctx: typer.Context,
    request_id: Annotated[int, typer.Argument(help="Promotion request id.")],
    reason: Annotated[str, typer.Option("--reason", "-r", help="Why.")] = "",
    json_output: JsonOption = False,
) -> None:
    """Approve a request (not your own); the alias moves with the last approval needed."""
    with target(ctx).client() as client:
        found = client.approve_promotion(request_id, reason=reason)
    print_json(found) if json_output else print(_summary(found))


@promote_app.command("reject")
def reject(
    ctx: typer.Context,
    request_id: Annotated[int, typer.Argument(help="Promotion request id.")],
    reason: Annotated[str, typer.Option("--reason", "-r", help="Why (required).")],
    json_output: JsonOption = False,
) -> None:
    """Reject a request; the alias stays where it is."""
    with target(ctx).client() as client:
        found = client.reject_promotion(request_id, reason=reason)
    print_json(found) if json_output else print(_summary(found))


@promote_app.command("ls")
def ls(
    ctx: typer.Context,
    model: Annotated[str | None, typer.Option("--model", "-m", help="Only this model.")] = None,
    status: Annotated[str | None, typer.Option(help="PENDING, APPROVED or REJECTED.")] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many.")] = None,
    json_output: JsonOption = False,
) -> None:
    """Promotion requests with their approvals and reasons, newest first."""
    with target(ctx).client() as client:
        found = client.list_promotions(
            model=model, status=status.upper() if status else None, limit=limit
        )
    if json_output:
        print_json(found)
        return
    print_table(
        None,
        [
            "id",
            "model",
            "version",
            "alias",
            "status",
            "requested by",
            "when",
            "approvals",
            "reason",
        ],
        [
            (
                r.id,
                r.model_name,
                r.version,
                r.alias,
                r.status.value,
                r.requested_by,
                short_time(r.requested_at),
                ", ".join(r.approvers),
                "; ".join(
                    [
                        r.reason,
                        *(
                            f"{d.actor} {d.decision.value.lower()}s: {d.reason}"
                            for d in r.decisions
                            if d.reason
                        ),
                    ]
                ),
            )
            for r in found
        ],
    )
