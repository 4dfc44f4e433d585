"""``modelreg card set|show`` and ``modelreg eval add|ls``: what is known about a version after
it was pushed. Neither changes the version's files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from modelreg.cli import parsing
from modelreg.cli.context import target
from modelreg.cli.lifecycle import JsonOption
from modelreg.cli.output import console, print_json, print_table, short_time

card_app = typer.Typer(help="Markdown model cards of versions.", no_args_is_help=True)
eval_app = typer.Typer(help="Evaluation results attached to versions.", no_args_is_help=True)

RefArgument = Annotated[str, typer.Argument(help="NAME/VERSION, NAME@ALIAS or NAME (latest).")]


@card_app.command("set")
def set_card(
    ctx: typer.Context,
    ref: RefArgument,
    file: Annotated[Path, typer.Argument(help="Markdown file; YAML front matter allowed.")],
) -> None:
    """Store FILE as the model card of REF (a new revision; earlier ones are kept)."""
    content = file.read_text(encoding="utf-8")
    with target(ctx).client() as client:
        version = client.resolve(ref)
        card = client.set_card(version.model_name, version.version, content)
    print(f"{card.model_name}/{card.version} card revision {card.revision}")


@card_app.command("show")
def show_card(
    ctx: typer.Context,
    ref: RefArgument,
    revision: Annotated[int | None, typer.Option(help="An earlier revision.")] = None,
    json_output: JsonOption = False,
) -> None:
    """Print the model card of REF."""
    with target(ctx).client() as client:
        version = client.resolve(ref)
        card = client.get_card(version.model_name, version.version, revision=revision)
    if json_output:
        print_json(card)
    else:
        print(card.content, end="" if card.content.endswith("\n") else "\n")


@eval_app.command("add")
def add_evaluation(
    ctx: typer.Context,
    ref: RefArgument,
    dataset: Annotated[str, typer.Option(help="The data set evaluated on (a reference).")],
    metric: Annotated[list[str] | None, typer.Option(help="KEY=NUMBER, repeatable.")] = None,
    report: Annotated[Path | None, typer.Option(help="A report file to store with it.")] = None,
    description: Annotated[str, typer.Option(help="What this evaluation is.")] = "",
) -> None:
    """Attach evaluation results to an existing version."""
    values = parsing.metrics(metric)
    with target(ctx).client() as client:
        version = client.resolve(ref)
        found = client.add_evaluation(
            version.model_name,
            version.version,
            dataset=dataset,
            metrics=values,
            description=description,
            report=report,
        )
    print(f"{found.model_name}/{found.version} evaluation {found.id}")


@eval_app.command("ls")
def list_evaluations(ctx: typer.Context, ref: RefArgument, json_output: JsonOption = False) -> None:
    """Evaluations of REF, oldest first."""
    with target(ctx).client() as client:
        version = client.resolve(ref)
        found = client.list_evaluations(version.model_name, version.version)
    if json_output:
        print_json(found)
        return
    if not found:
        console.print(f"{version.ref} has no evaluations")
        return
    print_table(
        version.ref,
        ["id", "dataset", "metrics", "report", "by", "when"],
        [
            (
                e.id,
                e.dataset,
                ", ".join(f"{k}={v:g}" for k, v in e.metrics.items()),
                "" if e.report is None else f"{e.report.name} ({e.report.digest})",
                e.created_by,
                short_time(e.created_at),
            )
            for e in found
        ],
    )
