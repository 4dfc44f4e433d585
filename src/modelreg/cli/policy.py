"""``modelreg policy set|show|history|check``: policies as data, versioned in the registry."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from modelreg.cli.context import target
from modelreg.cli.output import print_json, print_table, short_time
from modelreg.domain.errors import InvalidArgumentError, PolicyViolationError
from modelreg.domain.policy import PolicyReport, violations

policy_app = typer.Typer(
    help="Policies: naming, required metadata, protected aliases and their gates.",
    no_args_is_help=True,
)

ModelOption = Annotated[
    str | None, typer.Option("--model", "-m", help="A model's policy (default: the default).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def read_document(path: Path) -> dict[str, Any]:
    """A policy file, JSON or YAML (YAML is a superset of JSON, so one reader does both)."""
    try:
        text = path.read_text()
    except OSError as error:
        raise InvalidArgumentError(f"cannot read {path}: {error.strerror}") from error
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise InvalidArgumentError(f"{path} is neither JSON nor YAML: {error}") from error
    if not isinstance(document, dict):
        raise InvalidArgumentError(f"{path} must hold a mapping (keys naming, version, aliases)")
    return document


@policy_app.command("set")
def set_policy(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Policy file, JSON or YAML.")],
    model: ModelOption = None,
) -> None:
    """Store FILE as the next revision of the default policy (or of --model's)."""
    document = read_document(file)
    with target(ctx).client() as client:
        revision = client.set_policy(document, model=model)
    print(f"{revision.model_name or 'default'} policy revision {revision.revision}")


@policy_app.command("show")
def show(
    ctx: typer.Context,
    model: ModelOption = None,
    revision: Annotated[int | None, typer.Option(help="An older revision.")] = None,
    effective: Annotated[
        bool, typer.Option("--effective", help="The default merged with --model's policy.")
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Print a policy (YAML unless --json)."""
    with target(ctx).client() as client:
        if effective:
            if model is None:
                raise typer.BadParameter("--effective needs --model")
            document = client.effective_policy(model)
        else:
            document = dict(client.get_policy(model=model, revision=revision).document)
    if json_output:
        print_json(document)
    else:
        print(yaml.safe_dump(document, sort_keys=False).rstrip())


@policy_app.command("history")
def history(ctx: typer.Context, model: ModelOption = None, json_output: JsonOption = False) -> None:
    """Every revision of the default policy (or of --model's), newest first."""
    with target(ctx).client() as client:
        revisions = client.policy_history(model=model)
    if json_output:
        print_json(revisions)
        return
    print_table(
        f"{model or 'default'} policy",
        ["revision", "when", "by", "sections"],
        [
            (r.revision, short_time(r.created_at), r.created_by, ", ".join(r.document) or "(empty)")
            for r in revisions
        ],
    )


@policy_app.command("check")
def check(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="NAME, NAME/VERSION or NAME@ALIAS.")],
    alias: Annotated[
        str | None, typer.Option("--alias", "-a", help="Also check promotion to this alias.")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Explain rule by rule what passes and what fails; changes nothing. Exits 1 on a failure."""
    with target(ctx).client() as client:
        report = client.check_policy(ref, alias=alias)
    if json_output:
        print_json(
            {
                "model": report.model_name,
                "version": report.version,
                "alias": report.alias,
                "passed": report.passed,
                "results": [
                    {"rule": r.rule, "outcome": r.outcome.value, "detail": r.detail}
                    for r in report.results
                ],
            }
        )
    else:
        print(render_report(report))
    if not report.passed:
        # After the report on stdout, one line on stderr and exit 1, like every refusal.
        raise PolicyViolationError(
            f"{ref} fails {len(report.failures)} policy rule(s)",
            violations=violations(report.failures),
        )


def render_report(report: PolicyReport) -> str:
    subject = f"{report.model_name}/{report.version}"
    if report.alias:
        subject += f" -> {report.alias}"
    lines = [f"policy check {subject}"]
    if not report.results:
        lines.append("  no rules apply")
    for result in report.results:
        lines.append(f"  {result.outcome.value:<7} {result.rule}: {result.detail}")
    failed = len(report.failures)
    lines.append("passed" if report.passed else f"failed: {failed} rule(s)")
    return "\n".join(lines)
