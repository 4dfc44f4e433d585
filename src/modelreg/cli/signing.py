"""``modelreg key generate|add|ls|remove``, ``modelreg sign`` and ``modelreg verify``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from modelreg.cli.context import target
from modelreg.cli.output import print_json, print_table, short_time
from modelreg.signing import generate_key_pair

key_app = typer.Typer(
    help="Ed25519 signing keys: make a key pair, and the keys the registry trusts.",
    no_args_is_help=True,
)
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
TrustedKeyOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--trusted-key",
        help="Repeatable: a public key file to trust instead of the registry's key list "
        "(default: $MODELREG_TRUSTED_KEYS, separated by ':').",
    ),
]


@key_app.command("generate")
def generate(
    out: Annotated[Path, typer.Option("--out", help="Private key file to create (mode 0600).")],
) -> None:
    """Create a key pair: OUT (private, PEM) and OUT.pub (public); prints the fingerprint."""
    public_path, public = generate_key_pair(out)
    print(f"private key: {out}\npublic key:  {public_path}\nfingerprint: {public.fingerprint}")


@key_app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Name to register the key under.")],
    public_key: Annotated[Path, typer.Argument(help="Public key file (PEM).", exists=True)],
) -> None:
    """Trust a public key in the registry: signatures by it can be attached and count."""
    with target(ctx).client() as client:
        key = client.add_signing_key(name, public_key)
    print(f"{key.name} {key.fingerprint}")


@key_app.command("ls")
def ls(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """Keys the registry knows, revoked ones included."""
    with target(ctx).client() as client:
        keys = client.signing_keys()
    if json_output:
        print_json(keys)
        return
    print_table(
        None,
        ["name", "fingerprint", "added by", "added", "revoked"],
        [
            (
                k.name,
                k.fingerprint,
                k.added_by,
                short_time(k.added_at),
                short_time(k.revoked_at) if k.revoked_at else "",
            )
            for k in keys
        ],
    )


@key_app.command("remove")
def remove(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="Registered key name.")]
) -> None:
    """Revoke a key: its signatures stop counting; the name stays reserved."""
    with target(ctx).client() as client:
        key = client.remove_signing_key(name)
    print(f"revoked {key.name} {key.fingerprint}")


def sign(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="NAME/VERSION or NAME@ALIAS.")],
    key: Annotated[Path, typer.Option("--key", help="Private key file (PEM, Ed25519).")],
) -> None:
    """Sign a version's manifest here and upload the signature."""
    with target(ctx).client() as client:
        signed = client.sign(ref, key)
    by = signed.key_name or signed.key_fingerprint
    print(f"signed {signed.model_name}/{signed.version} with {by}")


def verify(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="NAME/VERSION or NAME@ALIAS.")],
    trusted_key: TrustedKeyOption = None,
    directory: Annotated[
        Path | None,
        typer.Option("--dir", help="Check a pulled folder instead of the registry's copy."),
    ] = None,
) -> None:
    """Check a version's signature and re-hash every file; exit 1 naming what does not hold."""
    with target(ctx).client() as client:
        report = client.verify(ref, trusted_keys=trusted_key, directory=directory)
    signers = ", ".join(
        f"{n} ({f})" for n, f in zip(report.signers, report.fingerprints, strict=True)
    )
    print(
        f"verified {report.model_name}/{report.version}: {report.files_checked} file(s) match, "
        f"signed by {signers} (trusted: {report.trust} keys)"
    )
