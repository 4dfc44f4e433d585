"""The ``modelreg`` command: Typer app assembly and the one place errors become exit codes."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from modelreg.cli import accounts as account_commands
from modelreg.cli import admin, alias, audit, card, deploy, lifecycle, models, scan, versions
from modelreg.cli import login as login_commands
from modelreg.cli.context import Target
from modelreg.cli.importer import import_app
from modelreg.cli.permissions import permission_app
from modelreg.cli.policy import policy_app
from modelreg.cli.promote import promote_app
from modelreg.cli.signing import key_app, sign, verify
from modelreg.cli.storage import gc, retention_app, storage
from modelreg.cli.webhook import webhook_app
from modelreg.domain.errors import ModelregError

app = typer.Typer(
    help="modelreg: a model registry. Embedded in MODELREG_HOME unless --registry is given.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def configure(
    ctx: typer.Context,
    registry: Annotated[
        str | None,
        typer.Option(envvar="MODELREG_URL", help="Server URL, e.g. http://127.0.0.1:8080."),
    ] = None,
    home: Annotated[
        Path | None,
        typer.Option(
            envvar="MODELREG_HOME", help="Embedded registry folder (default ./modelreg-data)."
        ),
    ] = None,
) -> None:
    ctx.obj = Target(registry, home)


app.command()(versions.push)
app.command()(versions.pull)
app.command()(versions.show)
app.command()(scan.scan)  # docs/scanning.md
app.command()(versions.versions)
app.command()(versions.search)
app.command()(models.models)
app.command()(models.history)
app.command()(admin.server)
app.add_typer(models.model_app, name="model")
app.add_typer(alias.alias_app, name="alias")
app.add_typer(admin.db_app, name="db")
app.add_typer(admin.cache_app, name="cache")
app.command()(lifecycle.resolve)
app.command()(lifecycle.archive)
app.command()(lifecycle.restore)
app.add_typer(audit.audit_app, name="audit")
app.add_typer(deploy.deploy_app, name="deploy")
app.add_typer(card.card_app, name="card")
app.add_typer(card.eval_app, name="eval")
app.add_typer(policy_app, name="policy")
app.add_typer(promote_app, name="promote")
app.add_typer(webhook_app, name="webhook")
app.add_typer(permission_app, name="permission")  # docs/permissions.md
app.add_typer(import_app, name="import")
app.command()(login_commands.login)
app.command()(login_commands.logout)
app.command()(login_commands.whoami)
app.add_typer(account_commands.user_app, name="user")
app.add_typer(account_commands.team_app, name="team")
app.add_typer(account_commands.token_app, name="token")
app.add_typer(key_app, name="key")
app.command()(sign)
app.command()(verify)
app.command()(gc)  # docs/storage.md
app.command()(storage)
app.add_typer(retention_app, name="retention")


def _fail(message: str, code: int) -> None:
    # Plain stderr, never wrapped: one readable line that scripts can grep.
    print(f"error: {' '.join(message.split())}", file=sys.stderr)
    sys.exit(code)


def main() -> None:
    try:
        # Without standalone mode, Click returns a command's ``typer.Exit`` code instead of
        # exiting with it: pass it on, or `audit verify` on a broken chain would exit 0.
        code = app(standalone_mode=False)
        if isinstance(code, int) and code != 0:
            sys.exit(code)
    except ModelregError as error:
        _fail(error.message, 1)
    except typer.Abort:
        _fail("aborted", 130)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except Exception as error:
        # Usage errors from Typer's bundled Click: duck-typed, as the class moved between versions.
        describe = getattr(error, "format_message", None)
        exit_code = getattr(error, "exit_code", None)
        if callable(describe) and isinstance(exit_code, int):
            _fail(describe(), exit_code)
        if os.environ.get("MODELREG_DEBUG"):
            raise
        _fail(
            f"unexpected {type(error).__name__}: {error} (MODELREG_DEBUG=1 shows the traceback)", 1
        )
