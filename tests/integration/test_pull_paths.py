"""A registry whose manifest was altered to point outside the destination cannot make the SDK
write there: every path is checked again on the client's side before anything is written."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from modelreg.client.client import Client
from modelreg.domain.errors import InvalidArgumentError
from modelreg.wiring import Services


@pytest.mark.parametrize(
    ("evil", "problem"),
    [("../escaped.txt", "'..'"), ("/tmp/escaped.txt", "absolute"), ("sub/NUL", "device name")],
)
def test_pull_refuses_an_escaping_manifest_path(
    client: Client,
    services: Services,
    model_dir: Path,
    tmp_path: Path,
    evil: str,
    problem: str,
) -> None:
    client.push("fraud", model_dir)
    with services.metadata.engine.begin() as connection:
        connection.execute(
            text("UPDATE version_files SET path = :evil WHERE path = 'config.json'"),
            {"evil": evil},
        )
    dest = tmp_path / "pulled" / "inner"
    with pytest.raises(InvalidArgumentError, match=problem):
        client.pull("fraud/1", dest)
    assert not (tmp_path / "pulled" / "escaped.txt").exists()
    assert not Path("/tmp/escaped.txt").exists()
