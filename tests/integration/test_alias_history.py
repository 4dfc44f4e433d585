"""Point-in-time answers from the alias history, at the boundary times, on SQLite and PostgreSQL,
through the service, the SDK (embedded and HTTP), the API and the CLI."""

from datetime import timedelta

import pytest
from typer.testing import CliRunner

from modelreg import AliasNotFoundError, Client, InvalidArgumentError, VersionNotFoundError
from modelreg.cli.main import app
from tests.records import START, FakeClock, push, use_clock

TICK = timedelta(microseconds=1)
T_SET = START + timedelta(hours=1)
T_MOVE = START + timedelta(hours=2)
T_REMOVE = START + timedelta(hours=3)


@pytest.fixture
def history(services):
    """credit@production: absent until T_SET, 1 from T_SET, 2 from T_MOVE, removed at T_REMOVE."""
    clock = use_clock(services, FakeClock())
    push(services, "credit", "1")
    push(services, "credit", "2")
    clock.set(T_SET)
    services.registry.set_alias("credit", "production", 1, actor="bob")
    clock.set(T_MOVE)
    services.registry.set_alias("credit", "production", 2, actor="carol")
    clock.set(T_REMOVE)
    services.registry.delete_alias("credit", "production", actor="dave")
    clock.advance(hours=1)
    return clock


def at(services, moment, ref="credit@production"):
    return services.registry.resolve(ref, at=moment).version


@pytest.mark.usefixtures("history")
def test_answers_at_the_boundaries(services):
    assert at(services, T_SET) == 1  # a change takes effect at its own timestamp
    assert at(services, T_SET + TICK) == 1
    assert at(services, T_MOVE - TICK) == 1
    assert at(services, T_MOVE) == 2
    assert at(services, T_MOVE + TICK) == 2
    assert at(services, T_REMOVE - TICK) == 2


@pytest.mark.usefixtures("history")
def test_before_the_alias_existed_and_after_its_removal_there_is_no_answer(services):
    for moment in (START, T_SET - TICK):
        with pytest.raises(AliasNotFoundError, match="had no alias 'production'"):
            at(services, moment)
    for moment in (T_REMOVE, T_REMOVE + timedelta(days=30)):
        with pytest.raises(AliasNotFoundError, match="had been removed"):
            at(services, moment)


def test_an_alias_set_again_answers_again(services, history):
    history.set(T_REMOVE + timedelta(hours=5))
    services.registry.set_alias("credit", "production", 1, actor="erin")
    assert at(services, T_REMOVE + timedelta(hours=5)) == 1
    with pytest.raises(AliasNotFoundError):
        at(services, T_REMOVE + timedelta(hours=4))


@pytest.mark.usefixtures("history")
def test_history_lists_every_change_newest_first(services):
    changes = services.alias_history.list_changes("credit", "production").items
    assert [(c.version, c.at, c.actor) for c in changes] == [
        (None, T_REMOVE, "dave"),
        (2, T_MOVE, "carol"),
        (1, T_SET, "bob"),
    ]


def test_deleting_the_version_ends_the_alias_and_is_reported(services):
    clock = use_clock(services, FakeClock())
    push(services, "m", "1")
    push(services, "m", "2")
    clock.set(T_SET)
    services.registry.set_alias("m", "prod", 2, actor="a")
    clock.set(T_MOVE)
    services.registry.delete_version("m", 2, actor="b")
    with pytest.raises(AliasNotFoundError, match="removed"):
        at(services, T_MOVE, "m@prod")
    with pytest.raises(VersionNotFoundError, match="has since been deleted"):
        at(services, T_MOVE - TICK, "m@prod")


def test_a_model_deleted_and_created_again_starts_a_new_history(services):
    clock = use_clock(services, FakeClock())
    push(services, "m", "old")
    clock.set(T_SET)
    services.registry.set_alias("m", "prod", 1, actor="a")
    clock.set(T_MOVE)
    services.registry.delete_model("m", actor="a")
    clock.set(T_REMOVE)
    push(services, "m", "new")
    with pytest.raises(AliasNotFoundError):
        at(services, T_SET + TICK, "m@prod")
    assert services.alias_history.list_changes("m").items == ()


def test_versions_and_latest_at_a_moment(services):
    clock = use_clock(services, FakeClock())
    push(services, "m", "1")
    clock.set(T_SET)
    push(services, "m", "2")
    assert at(services, T_SET - TICK, "m") == 1
    assert at(services, T_SET, "m") == 2
    assert at(services, T_SET, "m/1") == 1
    with pytest.raises(VersionNotFoundError, match="did not exist yet"):
        at(services, T_SET - TICK, "m/2")
    with pytest.raises(VersionNotFoundError, match="no versions"):
        at(services, START - TICK, "m")


def test_a_moment_without_a_time_zone_is_refused(services):
    push(services, "m")
    with pytest.raises(InvalidArgumentError, match="time zone"):
        services.registry.resolve("m", at=T_SET.replace(tzinfo=None))


@pytest.mark.usefixtures("history")
def test_sdk_resolves_at_a_moment_on_both_transports(client):
    assert client.resolve("credit@production", at=T_MOVE - TICK).version == 1
    assert client.resolve("credit@production", at=T_MOVE).version == 2
    with pytest.raises(AliasNotFoundError):
        client.resolve("credit@production", at=T_SET - TICK)
    assert [c.version for c in client.alias_history("credit", "production")] == [None, 2, 1]


@pytest.mark.usefixtures("history")
def test_api_resolve_at(http):
    def version(moment):
        response = http.get("/api/v1/resolve", params={"ref": "credit@production", "at": moment})
        return response.status_code, response.json()

    status, body = version("2026-03-01T14:00:00Z")
    assert (status, body["version"]) == (200, 2)
    assert version("2026-03-01T13:59:59.999999+00:00")[1]["version"] == 1
    status, body = version("2026-03-01T12:30:00Z")
    assert (status, body["error"]["code"]) == (404, "ALIAS_NOT_FOUND")
    status, body = version("2026-03-01T13:00:00")
    assert (status, body["error"]["code"]) == (400, "INVALID_ARGUMENT")


def test_cli_resolve_at(tmp_path):
    home = tmp_path / "home"
    with Client.local(home, user="alice", cache_dir=tmp_path / "cache") as sdk:
        clock = use_clock(sdk.transport.services, FakeClock())
        model = tmp_path / "model.bin"
        model.write_bytes(b"one")
        sdk.push("m", model)
        model.write_bytes(b"two")
        sdk.push("m", model)
        clock.set(T_SET)
        sdk.set_alias("m", "production", 1)
        clock.set(T_MOVE)
        sdk.set_alias("m", "production", 2)
    runner = CliRunner()

    def resolve(*args):
        return runner.invoke(app, ["--home", str(home), "resolve", "m@production", *args])

    assert resolve("--at", "2026-03-01T14:00:00Z").output.strip() == "m/2"
    assert resolve("--at", "2026-03-01T13:59:59Z").output.strip() == "m/1"
    assert resolve("--at", "2026-03-01T13:00:00").output.strip() == "m/1"  # no zone: UTC
    assert resolve().output.strip() == "m/2"
    missing = resolve("--at", "2026-03-01T12:00:00Z")
    assert missing.exit_code != 0
    assert isinstance(missing.exception, AliasNotFoundError)
