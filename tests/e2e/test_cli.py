"""The ``modelreg`` command, run as a user runs it: a fresh process per command, once on an
embedded registry (``--home``) and once against a live server (``--registry URL``)."""

from __future__ import annotations

import http.server
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from modelreg.hashing import digest_file
from tests.e2e.conftest import (
    CliResult,
    ServerFactory,
    clean_env,
    free_port,
    run_cli,
    tree_bytes,
)
from tests.factories import opaque_bytes

pytestmark = pytest.mark.e2e

USER = "e2e-user"


@dataclass
class Cli:
    """``modelreg`` bound to one registry (embedded home or server URL)."""

    mode: str
    target: list[str]
    env: dict[str, str]
    cwd: Path

    def __call__(self, *args: str | os.PathLike[str]) -> CliResult:
        return run_cli(*self.target, *args, env=self.env, cwd=self.cwd)

    def json(self, *args: str | os.PathLike[str]) -> Any:
        result = self(*args, "--json").ok()
        return json.loads(result.stdout)


@pytest.fixture(params=["embedded", "remote"])
def cli(request: pytest.FixtureRequest, tmp_path: Path, server: ServerFactory) -> Cli:
    env = clean_env(MODELREG_CACHE=str(tmp_path / "cache"), MODELREG_USER=USER)
    if request.param == "embedded":
        target = ["--home", str(tmp_path / "home")]
    else:
        target = ["--registry", server().url]
    return Cli(request.param, target, env, tmp_path)


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "model"
    (folder / "sub").mkdir(parents=True)
    (folder / "weights.bin").write_bytes(opaque_bytes(150_000))
    (folder / "config.json").write_text('{"layers": 3}')
    (folder / "sub" / "tokenizer.txt").write_text("a b c\n")
    return folder


def assert_one_line_error(result: CliResult, *fragments: str) -> str:
    """A failed command: non-zero exit, exactly one ``error: ...`` line on stderr, no traceback,
    nothing on stdout; returns the line."""
    assert result.returncode != 0, f"expected a failure, got exit 0: {result.stdout!r}"
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{result.stderr}"
    line = lines[0]
    assert line.startswith("error: "), line
    assert len(line) > len("error: ") + 5, line
    for fragment in fragments:
        assert fragment in line, f"{fragment!r} not in {line!r}"
    assert result.stdout == "", result.stdout
    return line


def local_manifest(folder: Path) -> dict[str, tuple[int, str]]:
    """(size, digest text) of every file under ``folder`` by manifest path."""
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest, size = digest_file(path)
            found[path.relative_to(folder).as_posix()] = (size, str(digest))
    return found


# -- the happy path ------------------------------------------------------------------------------


def test_push_list_show_search_alias_pull_history(
    cli: Cli, model_dir: Path, tmp_path: Path
) -> None:
    first = cli(
        "push",
        model_dir,
        "--model",
        "churn",
        "--param",
        "lr=0.1",
        "--metric",
        "auc=0.91",
        "--tag",
        "team=risk",
        "--description",
        "first cut",
    ).ok()
    assert first.stdout.strip() == "churn/1"

    single = tmp_path / "v2.bin"
    single.write_bytes(opaque_bytes(70_000))
    second = cli(
        "push", single, "--model", "churn", "--metric", "auc=0.95", "--alias", "candidate"
    ).ok()
    assert second.stdout.strip() == "churn/2"
    assert cli("push", single, "--model", "other", "--metric", "auc=0.5").ok().stdout.strip() == (
        "other/1"
    )

    # versions: newest first, with everything the push declared
    versions = cli.json("versions", "churn")
    assert [v["version"] for v in versions] == [2, 1]
    v2, v1 = versions
    assert {v["status"] for v in versions} == {"READY"}
    assert {v["model_name"] for v in versions} == {"churn"}
    assert v1["params"] == {"lr": "0.1"}
    assert v1["metrics"] == {"auc": 0.91}
    assert v1["tags"] == {"team": "risk"}
    assert v1["description"] == "first cut"
    assert v1["created_by"] == USER
    assert v1["aliases"] == []
    expected = local_manifest(model_dir)
    assert [f["path"] for f in v1["files"]] == sorted(expected)
    assert {f["path"]: f["size"] for f in v1["files"]} == {p: s for p, (s, _) in expected.items()}
    assert v2["metrics"] == {"auc": 0.95}
    assert v2["aliases"] == ["candidate"]
    assert [(f["path"], f["size"]) for f in v2["files"]] == [("v2.bin", 70_000)]

    # models
    models = {m["name"]: m for m in cli.json("models")}
    assert set(models) == {"churn", "other"}
    assert models["churn"]["latest_version"] == 2
    assert models["churn"]["aliases"] == {"candidate": 2}
    assert models["other"]["latest_version"] == 1
    assert "churn" in cli("models").ok().stdout  # the table for people

    # show: by number, by alias, and NAME alone for the latest
    assert cli.json("show", "churn/1")["version"] == 1
    assert cli.json("show", "churn@candidate")["version"] == 2
    assert cli.json("show", "churn")["version"] == 2

    # search across models
    found = cli.json("search", "metrics.auc > 0.9 ORDER BY metrics.auc DESC")
    assert [(v["model_name"], v["version"]) for v in found] == [("churn", 2), ("churn", 1)]
    found = cli.json("search", "tags.team = 'risk'")
    assert [(v["model_name"], v["version"]) for v in found] == [("churn", 1)]
    assert cli.json("search", "name = 'nobody'") == []

    # aliases
    assert cli("alias", "set", "churn", "production", "1").ok().stdout.strip() == (
        "churn@production -> 1"
    )
    shown = cli.json("show", "churn@production")
    assert shown["version"] == 1
    assert shown["aliases"] == ["production"]

    # pull writes byte-identical files
    dest = tmp_path / "pulled-v1"
    pulled = cli("pull", "churn@production", dest).ok()
    assert Path(pulled.stdout.strip()) == dest
    assert tree_bytes(dest) == tree_bytes(model_dir)
    dest2 = tmp_path / "pulled-v2"
    cli("pull", "churn/2", dest2).ok()
    assert tree_bytes(dest2) == {"v2.bin": single.read_bytes()}

    assert cli("alias", "rm", "churn", "production").ok().stdout.strip() == (
        "removed churn@production"
    )
    assert_one_line_error(cli("show", "churn@production"), "production")
    assert cli.json("show", "churn/1")["aliases"] == []

    # history, newest first
    events = cli.json("history", "churn")
    assert [(e["action"], e["version"]) for e in events] == [
        ("alias.deleted", 1),
        ("alias.set", 1),
        ("alias.set", 2),
        ("version.created", 2),
        ("version.created", 1),
        ("model.created", None),
    ]
    assert {e["actor"] for e in events} == {USER}
    assert events[1]["details"]["alias"] == "production"


def test_json_output_names_digests_as_text(cli: Cli, model_dir: Path) -> None:
    """``--json`` shows a file's digest as ``blake3:<hex>``, the form the API, the docs and every
    other command use, so scripts can compare it with a locally computed digest."""
    cli("push", model_dir, "--model", "churn").ok()
    expected = {path: digest for path, (_, digest) in local_manifest(model_dir).items()}

    shown = cli.json("show", "churn/1")
    assert {f["path"]: f["digest"] for f in shown["files"]} == expected
    listed = cli.json("versions", "churn")
    assert {f["path"]: f["digest"] for f in listed[0]["files"]} == expected


def test_environment_variables_choose_the_registry(cli: Cli, model_dir: Path) -> None:
    """MODELREG_URL / MODELREG_HOME work like --registry / --home."""
    flag, value = cli.target
    variable = "MODELREG_URL" if flag == "--registry" else "MODELREG_HOME"
    env = {**cli.env, variable: value}
    pushed = run_cli("push", model_dir, "--model", "envmodel", env=env, cwd=cli.cwd).ok()
    assert pushed.stdout.strip() == "envmodel/1"
    assert [m["name"] for m in cli.json("models")] == ["envmodel"]


# -- failures: one readable line, non-zero exit --------------------------------------------------


def test_unknown_model_is_one_line_error(cli: Cli, tmp_path: Path) -> None:
    assert_one_line_error(cli("versions", "ghost"), "ghost")
    assert_one_line_error(cli("show", "ghost/1"), "ghost")
    assert_one_line_error(cli("history", "ghost"), "ghost")
    assert_one_line_error(cli("pull", "ghost", tmp_path / "out"), "ghost")
    assert not (tmp_path / "out").exists()


def test_bad_filter_is_one_line_error(cli: Cli) -> None:
    assert_one_line_error(cli("search", "metrics.auc >>> 3"), "position")
    assert_one_line_error(cli("search", "nonsense_field = 1"), "nonsense_field")
    assert_one_line_error(cli("models", "--filter", "name = "))


def test_bad_metric_is_one_line_error_and_pushes_nothing(cli: Cli, model_dir: Path) -> None:
    line = assert_one_line_error(
        cli("push", model_dir, "--model", "churn", "--metric", "x=abc"), "--metric"
    )
    assert "abc" in line
    assert_one_line_error(cli("push", model_dir, "--model", "churn", "--param", "novalue"))
    assert cli.json("models") == []


def test_pull_of_missing_alias_is_one_line_error(cli: Cli, model_dir: Path, tmp_path: Path) -> None:
    cli("push", model_dir, "--model", "churn").ok()
    dest = tmp_path / "out"
    assert_one_line_error(cli("pull", "churn@missing-alias", dest), "missing-alias")
    assert not dest.exists()
    assert_one_line_error(cli("alias", "rm", "churn", "missing-alias"), "missing-alias")
    assert_one_line_error(cli("alias", "set", "churn", "prod", "7"), "7")


def test_unreachable_registry_is_one_line_error(tmp_path: Path, model_dir: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    env = clean_env(MODELREG_CACHE=str(tmp_path / "cache"))
    for args in (
        ["--registry", closed, "models"],
        ["--registry", closed, "versions", "churn", "--json"],
        ["--registry", closed, "push", str(model_dir), "--model", "churn"],
        ["--registry", closed, "pull", "churn", str(tmp_path / "out")],
    ):
        assert_one_line_error(run_cli(*args, env=env, cwd=tmp_path), "cannot reach")
    by_env = run_cli("models", env={**env, "MODELREG_URL": closed}, cwd=tmp_path)
    assert_one_line_error(by_env, "cannot reach", closed)
    assert not (tmp_path / "out").exists()


class _NotARegistry(http.server.BaseHTTPRequestHandler):
    """A web server that is not a registry: an HTML page, with the status it is told."""

    status = 200
    body = b"<!DOCTYPE html>\n<html>\n  <body>\n    <h1>Sign in</h1>\n  </body>\n</html>\n"

    def _answer(self) -> None:
        self.send_response(self.status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(params=[200, 404])
def html_site(request: pytest.FixtureRequest) -> Iterator[str]:
    handler = type("Handler", (_NotARegistry,), {"status": request.param})
    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{site.server_address[1]}"
    site.shutdown()
    site.server_close()
    thread.join(10)


def test_url_that_is_not_a_registry_is_one_line_error(
    html_site: str, tmp_path: Path, model_dir: Path
) -> None:
    """A typo'd --registry that reaches some other web site (a login page, a proxy's error page)
    still ends in one readable line, never a traceback or an HTML page on the terminal."""
    env = clean_env(MODELREG_CACHE=str(tmp_path / "cache"))
    for args in (
        ["models"],
        ["versions", "churn"],
        ["push", str(model_dir), "--model", "churn"],
    ):
        assert_one_line_error(run_cli("--registry", html_site, *args, env=env, cwd=tmp_path))
