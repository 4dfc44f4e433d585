"""The tamper-evident audit trail on SQLite and PostgreSQL: what is recorded, the hash chain, and
verification catching rows edited, deleted or inserted behind the registry's back."""

import io
import json
import sqlite3
import sys
import threading
from datetime import datetime, timedelta
from itertools import pairwise

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from modelreg import Client
from modelreg.cli.main import app, main
from modelreg.domain.audit import GENESIS, AuditQuery, ProblemKind, chain_entry, entry_hash
from modelreg.domain.entities import Event
from modelreg.settings import Settings
from modelreg.store.sql import migrate
from modelreg.store.sql.engine import make_engine
from modelreg.wiring import Services, open_services
from tests.records import FakeClock, push, use_clock


def entries(services: Services):
    return list(services.audit.iter_entries())


def execute(services: Services, sql: str, **params) -> None:
    with services.metadata.engine.begin() as connection:
        connection.execute(text(sql), params)


def scenario(services: Services) -> None:
    """Six entries: model and two versions created, an alias set and moved, a tag changed."""
    push(services, "credit", "1")
    push(services, "credit", "2")
    services.registry.set_alias("credit", "production", 1, actor="bob")
    services.registry.set_alias("credit", "production", 2, actor="carol")
    services.registry.update_model("credit", actor="dave", set_tags={"team": "risk"})


# -- what is recorded ------------------------------------------------------------------------


def test_every_change_is_recorded_with_actor_target_and_before_after(services):
    clock = use_clock(services, FakeClock())
    scenario(services)
    clock.advance(seconds=1)
    services.registry.delete_alias("credit", "production", actor="erin")

    found = entries(services)
    assert [e.seq for e in found] == list(range(1, 8))
    assert [e.action for e in found] == [
        "model.created",
        "version.created",
        "version.created",
        "alias.set",
        "alias.set",
        "model.updated",
        "alias.deleted",
    ]
    move = found[4]
    assert (move.actor, move.target, move.model_name, move.version) == (
        "carol",
        "alias:credit@production",
        "credit",
        2,
    )
    assert (move.before, move.after) == ({"version": 1}, {"version": 2})
    assert (found[3].before, found[3].after) == (None, {"version": 1})
    assert found[5].before == {"tags.team": None}
    assert found[5].after == {"tags.team": "risk"}
    assert (found[6].before, found[6].after, found[6].at) == ({"version": 2}, None, clock.now)
    # Each entry links to the one before it.
    assert found[0].prev_hash == GENESIS
    assert all(later.prev_hash == earlier.hash for earlier, later in pairwise(found))
    report = services.audit.verify()
    assert report.ok
    assert (report.entries, report.head.seq, report.head.hash) == (7, 7, found[-1].hash)


def test_deleting_a_version_records_the_cascaded_alias_removal_before_the_deletion(services):
    push(services, "m")
    services.registry.set_alias("m", "prod", 1, actor="a")
    services.registry.delete_version("m", 1, actor="b")
    tail = [(e.action, e.target) for e in entries(services)][-2:]
    assert tail == [("alias.deleted", "alias:m@prod"), ("version.deleted", "version:m/1")]
    assert services.audit.verify().ok


def test_registry_wide_entries_have_no_model(services):
    clock = FakeClock()
    with services.metadata.transaction(write=True) as tx:
        tx.add_event(
            Event("", "permission.granted", "root", clock(), target="registry", after={"x": 1.0})
        )
    [entry] = entries(services)
    assert entry.model_name is None
    assert entry.after == {"x": 1.0}
    assert services.audit.list_entries(AuditQuery(model="credit")).items == ()
    assert services.audit.verify().ok


def test_a_failed_use_case_appends_nothing(services):
    push(services, "m")
    before = entries(services)
    with pytest.raises(Exception, match="reserved"):
        services.registry.set_alias("m", "latest", 1, actor="x")
    with pytest.raises(Exception, match="does not exist"):
        services.registry.set_alias("m", "prod", 9, actor="x")
    assert entries(services) == before


def test_concurrent_writers_keep_one_unbroken_chain(services):
    errors: list[BaseException] = []

    def writer(worker: int) -> None:
        try:
            for i in range(6):
                services.registry.create_model(f"w{worker}-{i}", actor=f"worker{worker}")
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    found = entries(services)
    assert [e.seq for e in found] == list(range(1, 25))
    assert services.audit.verify().ok


def test_schema_matches_the_migrations(services):
    assert migrate.schema_drift(services.metadata.engine) == []


# -- tampering -------------------------------------------------------------------------------


def test_an_edited_row_is_detected_and_named(services):
    scenario(services)
    target = entries(services)[2]
    execute(services, "UPDATE events SET actor = 'mallory' WHERE seq = 3")
    report = services.audit.verify()
    assert not report.ok
    assert report.problem.kind is ProblemKind.ALTERED
    assert (report.problem.seq, report.problem.entry_id) == (3, target.id)
    assert "#3 version.created" in report.problem.message
    assert "mallory" in report.problem.message


def test_an_edited_json_value_is_detected(services):
    scenario(services)
    execute(services, "UPDATE events SET target = 'alias:credit@staging' WHERE seq = 5")
    problem = services.audit.verify().problem
    assert (problem.kind, problem.seq) == (ProblemKind.ALTERED, 5)


def test_an_edited_and_rehashed_row_is_detected_at_the_next_link(services):
    scenario(services)
    original = entries(services)[1]
    forged = chain_entry(
        Event("credit", "version.created", "mallory", original.at, 1, original.details),
        seq=2,
        prev_hash=original.prev_hash,
    )
    execute(
        services,
        "UPDATE events SET actor = 'mallory', hash = :hash WHERE seq = 2",
        hash=forged.hash,
    )
    problem = services.audit.verify().problem
    assert (problem.kind, problem.seq) == (ProblemKind.ALTERED, 2)
    assert "re-hashed" in problem.message


def test_a_deleted_row_is_detected_and_named(services):
    scenario(services)
    execute(services, "DELETE FROM events WHERE seq = 3")
    problem = services.audit.verify().problem
    assert (problem.kind, problem.seq) == (ProblemKind.DELETED, 3)
    assert "#3 was deleted" in problem.message


def test_deleting_the_last_row_is_detected_by_the_chain_head(services):
    scenario(services)
    execute(services, "DELETE FROM events WHERE seq = 6")
    problem = services.audit.verify().problem
    assert (problem.kind, problem.seq) == (ProblemKind.DELETED, 6)


def test_an_inserted_row_is_detected_even_with_a_correct_hash(services):
    scenario(services)
    last = entries(services)[-1]
    forged = chain_entry(
        Event("credit", "alias.set", "mallory", last.at + timedelta(seconds=1), 1),
        seq=7,
        prev_hash=last.hash,
    )
    execute(
        services,
        "INSERT INTO events (seq, model_name, version, action, actor, at, details, target, "
        "prev_hash, hash) VALUES (7, 'credit', 1, 'alias.set', 'mallory', :at, '{}', :target, "
        ":prev, :hash)",
        at=forged.at,
        target=forged.target,
        prev=forged.prev_hash,
        hash=forged.hash,
    )
    [inserted] = [e for e in entries(services) if e.seq == 7]
    assert inserted.computed_hash() == inserted.hash  # a well-forged entry on its own
    problem = services.audit.verify().problem
    assert problem.kind is ProblemKind.INSERTED
    assert (problem.seq, problem.entry_id) == (7, inserted.id)
    assert "mallory" in problem.message


def test_an_inserted_row_with_a_made_up_hash_is_detected(services):
    scenario(services)
    last = entries(services)[-1]
    execute(
        services,
        "INSERT INTO events (seq, model_name, version, action, actor, at, details, target, "
        "prev_hash, hash) VALUES (7, 'credit', NULL, 'model.deleted', 'mallory', :at, '{}', "
        "'model:credit', :prev, :hash)",
        at=last.at,
        prev=last.hash,
        hash="f" * 64,
    )
    problem = services.audit.verify().problem
    assert (problem.kind, problem.seq) == (ProblemKind.INSERTED, 7)


def test_a_verified_chain_keeps_growing_after_the_check(services):
    scenario(services)
    assert services.audit.verify().ok
    services.registry.create_model("other", actor="x")
    report = services.audit.verify()
    assert (report.ok, report.entries) == (True, 7)


# -- the API, the SDK and the CLI ---------------------------------------------------------------


def test_api_lists_with_filters_and_cursor_pages(services, http):
    clock = use_clock(services, FakeClock())
    scenario(services)
    start = clock.now
    clock.advance(hours=1)
    services.registry.create_model("other", actor="bob")

    page = http.get("/api/v1/audit", params={"limit": 4}).json()
    assert [e["seq"] for e in page["items"]] == [1, 2, 3, 4]
    rest = http.get("/api/v1/audit", params={"limit": 4, "cursor": page["next_cursor"]}).json()
    assert [e["seq"] for e in rest["items"]] == [5, 6, 7]
    assert rest["next_cursor"] is None

    def seqs(**params):
        response = http.get("/api/v1/audit", params=params)
        assert response.status_code == 200, response.text
        return [e["seq"] for e in response.json()["items"]]

    assert seqs(model="other") == [7]
    assert seqs(actor="bob") == [4, 7]
    assert seqs(action="alias.*") == [4, 5]
    assert seqs(action="alias") == []
    assert seqs(since=(start + timedelta(minutes=1)).isoformat()) == [7]
    assert seqs(until=(start + timedelta(minutes=1)).isoformat()) == [1, 2, 3, 4, 5, 6]
    assert seqs(order="desc", limit=2) == [7, 6]
    bad = http.get("/api/v1/audit", params={"since": "2026-03-01T12:00:00"})
    assert bad.status_code == 400


def test_api_cannot_change_the_audit_trail(http, services):
    scenario(services)
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        assert http.request(method, "/api/v1/audit").status_code == 405
    assert http.delete("/api/v1/audit/verify").status_code == 405
    assert services.audit.verify().ok


def test_api_verify_reports_the_problem(services, http):
    scenario(services)
    assert http.get("/api/v1/audit/verify").json()["ok"] is True
    execute(services, "DELETE FROM events WHERE seq = 2")
    body = http.get("/api/v1/audit/verify").json()
    assert body["ok"] is False
    assert body["problem"]["kind"] == "deleted"
    assert body["problem"]["seq"] == 2


def test_sdk_reads_verifies_and_exports_the_same_trail(client, services, tmp_path):
    client.create_model("m", description="first")
    client.update_model("m", description="second")
    found = client.audit(model="m")
    assert [(e.action, e.actor) for e in found] == [
        ("model.created", "alice"),
        ("model.updated", "alice"),
    ]
    assert found[1].before == {"description": "first"}
    assert client.verify_audit().ok
    out = io.StringIO()
    assert client.export_audit(out) == 2
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    # The export carries everything needed to re-check the chain without the registry.
    previous = GENESIS
    for line in lines:
        content = {key: line[key] for key in ("seq", "actor", "action", "model", "version")}
        content |= {k: line[k] for k in ("target", "before", "after", "details")}
        content["at"] = datetime.fromisoformat(line["at"])
        assert line["prev_hash"] == previous
        assert entry_hash(content, previous) == line["hash"]
        previous = line["hash"]


def test_events_history_shows_the_new_fields(client):
    client.create_model("m")
    client.update_model("m", owner="team-a")
    [latest, _] = client.events("m")
    assert (latest.target, latest.before, latest.after) == (
        "model:m",
        {"owner": None},
        {"owner": "team-a"},
    )


def test_cli_verify_export_and_ls(tmp_path, monkeypatch):
    home = tmp_path / "home"
    with Client.local(home, user="alice", cache_dir=tmp_path / "cache") as sdk:
        sdk.create_model("m")
        sdk.create_model("n")
    runner = CliRunner()
    ok = runner.invoke(app, ["--home", str(home), "audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "intact: 2 entries" in ok.output
    target = tmp_path / "audit.jsonl"
    exported = runner.invoke(app, ["--home", str(home), "audit", "export", "--output", target])
    assert exported.exit_code == 0, exported.output
    assert [json.loads(line)["target"] for line in target.read_text().splitlines()] == [
        "model:m",
        "model:n",
    ]
    listed = runner.invoke(app, ["--home", str(home), "audit", "ls", "--model", "n", "--json"])
    assert [e["seq"] for e in json.loads(listed.output)] == [2]

    with sqlite3.connect(home / "registry.db") as db:
        db.execute("UPDATE events SET actor = 'mallory' WHERE seq = 1")
    broken = runner.invoke(app, ["--home", str(home), "audit", "verify"])
    assert broken.exit_code == 1
    assert "#1 model.created" in broken.output
    # The installed `modelreg` command too (its entry point runs Click without standalone
    # mode, which returns the exit code instead of exiting with it).
    monkeypatch.setattr(sys, "argv", ["modelreg", "--home", str(home), "audit", "verify"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 1


def test_migration_chains_events_written_before_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine, "0002")
    with engine.begin() as connection:
        for n, action in enumerate(("model.created", "model.updated"), start=1):
            connection.execute(
                text(
                    "INSERT INTO events (model_name, version, action, actor, at, details) "
                    "VALUES ('old', NULL, :action, 'a', :at, '{\"n\": 1.0}')"
                ),
                {"action": action, "at": f"2025-01-0{n} 00:00:00.000000"},
            )
    engine.dispose()
    services = open_services(Settings(home=tmp_path / "home", database_url=url))
    try:
        assert [e.target for e in services.audit.iter_entries()] == ["model:old", "model:old"]
        services.registry.create_model("new", actor="b")
        report = services.audit.verify()
        assert (report.ok, report.entries) == (True, 3)
    finally:
        services.close()
