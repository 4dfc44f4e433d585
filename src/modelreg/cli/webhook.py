"""``modelreg webhook add|ls|rm|deliveries``: signed event notifications."""

from __future__ import annotations

from typing import Annotated

import typer

from modelreg.cli.context import target
from modelreg.cli.output import print_json, print_table, short_time
from modelreg.domain.webhooks import EVENT_TYPES

webhook_app = typer.Typer(
    help="Webhooks: signed JSON POSTs on registry events.", no_args_is_help=True
)
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@webhook_app.command("add")
def add(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="Receiver URL (http or https).")],
    event: Annotated[
        list[str],
        typer.Option("--event", "-e", help=f"Repeatable: {', '.join(EVENT_TYPES)} or *."),
    ],
    secret: Annotated[
        str,
        typer.Option(envvar="MODELREG_WEBHOOK_SECRET", help="HMAC-SHA256 signing key."),
    ],
    json_output: JsonOption = False,
) -> None:
    """Subscribe URL to events; prints the subscription id."""
    with target(ctx).client() as client:
        found = client.add_webhook(url, events=event, secret=secret)
    print_json(found) if json_output else print(found.id)


@webhook_app.command("ls")
def ls(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """Subscriptions (secrets are never shown)."""
    with target(ctx).client() as client:
        found = client.list_webhooks()
    if json_output:
        print_json(found)
        return
    print_table(
        None,
        ["id", "url", "events", "by", "created"],
        [(w.id, w.url, ", ".join(w.events), w.created_by, short_time(w.created_at)) for w in found],
    )


@webhook_app.command("rm")
def rm(
    ctx: typer.Context,
    webhook_id: Annotated[int, typer.Argument(help="Subscription id.")],
) -> None:
    """Remove a subscription and its queued deliveries."""
    with target(ctx).client() as client:
        client.remove_webhook(webhook_id)
    print(f"removed webhook {webhook_id}")


@webhook_app.command("deliveries")
def deliveries(
    ctx: typer.Context,
    webhook_id: Annotated[int, typer.Argument(help="Subscription id.")],
    limit: Annotated[int | None, typer.Option(help="At most this many.")] = None,
    json_output: JsonOption = False,
) -> None:
    """The delivery log of a subscription, newest first."""
    with target(ctx).client() as client:
        found = client.webhook_deliveries(webhook_id, limit=limit)
    if json_output:
        print_json(found)
        return
    print_table(
        f"webhook {webhook_id}",
        ["id", "event", "status", "attempts", "last", "next attempt", "created"],
        [
            (
                d.id,
                d.event_type,
                d.status.value,
                d.attempts,
                d.last_error or (d.last_status_code or ""),
                short_time(d.next_attempt_at) if d.next_attempt_at else "",
                short_time(d.created_at),
            )
            for d in found
        ],
    )
