"""How a command finds its registry: ``--registry``/``MODELREG_URL`` or the embedded home."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import typer

from modelreg.client.client import Client


@dataclass
class Target:
    registry: str | None
    home: Path | None

    def client(self) -> Client:
        if self.registry:
            return Client(self.registry)
        return Client.local(self.home)


def target(ctx: typer.Context) -> Target:
    found = ctx.find_object(Target)
    if found is None:
        return Target(None, None)
    return found
