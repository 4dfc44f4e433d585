"""Evaluations (with report files) and model cards, attached after the fact without touching the
version's files; on SQLite and PostgreSQL, through the SDK (embedded and HTTP), the API and CLI."""

import json

import pytest
from typer.testing import CliRunner

from modelreg import Client, InvalidArgumentError, NotFoundError, VersionNotFoundError
from modelreg.cli.main import app
from modelreg.service.evaluations import parse_front_matter
from tests.factories import write_model_dir

CARD = """---
license: apache-2.0
language: [en, de]
datasets:
  - credit-2026q1
release: 2026-03-01
metrics:
  auc: 0.91
---
# credit-risk

Gradient boosting on 2026-Q1 applications.
"""


@pytest.fixture
def version(client, tmp_path):
    return client.push("credit", write_model_dir(tmp_path / "model", {"m.bin": b"weights"}))


def test_evaluations_attach_after_the_fact_without_touching_files(client, version, tmp_path):
    report = tmp_path / "report.html"
    report.write_bytes(b"<h1>holdout</h1>" * 1000)
    first = client.add_evaluation(
        "credit", 1, dataset="s3://data/holdout-2026q2", metrics={"auc": 0.88, "f1": 0.7}
    )
    second = client.add_evaluation(
        "credit",
        1,
        dataset="fairness-suite",
        metrics={"gap": 0.02},
        description="demographic parity",
        report=report,
    )
    assert first.report is None
    assert (second.report.name, second.report.size) == ("report.html", report.stat().st_size)
    found = client.list_evaluations("credit", 1)
    assert [(e.dataset, dict(e.metrics), e.created_by) for e in found] == [
        ("s3://data/holdout-2026q2", {"auc": 0.88, "f1": 0.7}, "alice"),
        ("fairness-suite", {"gap": 0.02}, "alice"),
    ]
    assert found[1].description == "demographic parity"
    # The version itself is unchanged: same files, same metrics.
    after = client.get_version("credit", 1)
    assert (after.files, after.metrics) == (version.files, version.metrics)
    out = client.download_report(found[1], tmp_path / "out")
    assert out.read_bytes() == report.read_bytes()
    assert [e.action for e in client.audit(action="evaluation.*")] == ["evaluation.added"] * 2
    assert client.verify_audit().ok


def test_evaluations_are_checked(client, version):
    with pytest.raises(VersionNotFoundError):
        client.add_evaluation("credit", 7, dataset="d")
    with pytest.raises(InvalidArgumentError, match="dataset"):
        client.add_evaluation("credit", 1, dataset="  ")
    with pytest.raises(InvalidArgumentError, match="metric"):
        client.add_evaluation("credit", 1, dataset="d", metrics={"auc": float("nan")})
    assert client.list_evaluations("credit", 1) == []


def test_report_blobs_count_as_referenced(services, client, version, tmp_path):
    report = tmp_path / "r.txt"
    report.write_text("only in a report")
    evaluation = client.add_evaluation("credit", 1, dataset="d", report=report)
    with services.metadata.transaction() as tx:
        referenced = set(tx.referenced_digests())
    assert str(evaluation.report.digest) in referenced


def test_a_report_that_does_not_match_its_digest_is_refused(services, version):
    from modelreg.domain.errors import DigestMismatchError
    from modelreg.service.evaluations import ReportUpload
    from tests.factories import digest_of

    upload = ReportUpload("r.txt", 5, digest_of(b"hello"), [b"jello"])
    with pytest.raises(DigestMismatchError):
        services.evaluations.add_evaluation("credit", 1, dataset="d", actor="x", report=upload)
    assert services.evaluations.list_evaluations("credit", 1) == []


def test_model_card_with_front_matter_and_revisions(client, version):
    card = client.set_card("credit", 1, CARD)
    assert card.revision == 1
    assert card.metadata == {
        "license": "apache-2.0",
        "language": ["en", "de"],
        "datasets": ["credit-2026q1"],
        "release": "2026-03-01",
        "metrics": {"auc": 0.91},
    }
    assert client.get_card("credit", 1).content == CARD
    client.set_card("credit", 1, "# no front matter\n")
    latest = client.get_card("credit", 1)
    assert (latest.revision, latest.metadata) == (2, {})
    assert client.get_card("credit", 1, revision=1).content == CARD
    [first, second] = client.audit(action="card.set")
    assert first.before is None
    assert second.before["revision"] == 1
    assert second.after["metadata"] == {}


def test_model_card_errors(client, version):
    with pytest.raises(NotFoundError, match="has no model card"):
        client.get_card("credit", 1)
    with pytest.raises(InvalidArgumentError, match="front matter"):
        client.set_card("credit", 1, "---\nlicense: [unclosed\n---\nbody\n")
    with pytest.raises(InvalidArgumentError, match="mapping"):
        client.set_card("credit", 1, "---\n- a list\n---\n")
    with pytest.raises(VersionNotFoundError):
        client.set_card("credit", 9, "# card")


def test_front_matter_parsing():
    assert parse_front_matter("no front matter\n---\nx: 1\n---\n") == {}
    assert parse_front_matter("---\nx: 1\n...\nbody") == {"x": 1}
    assert parse_front_matter("---\r\nwhen: 2026-03-01 12:00:00\r\n---\r\n") == {
        "when": "2026-03-01T12:00:00"
    }
    with pytest.raises(InvalidArgumentError, match="non-finite"):
        parse_front_matter("---\nx: .nan\n---\n")


def test_has_model_card_for_policies(services, version):
    with services.metadata.transaction() as tx:
        assert tx.has_model_card("credit", 1) is False
    services.evaluations.set_card("credit", 1, "# card", actor="a")
    with services.metadata.transaction() as tx:
        assert tx.has_model_card("credit", 1) is True


def test_api_card_and_evaluation_routes(http, services):
    from tests.records import push

    push(services, "m")
    put = http.put("/api/v1/models/m/versions/1/card", json={"content": CARD})
    assert put.status_code == 200
    assert put.json()["metadata"]["license"] == "apache-2.0"
    assert http.get("/api/v1/models/m/versions/1/card").json()["revision"] == 1
    missing = http.get("/api/v1/models/m/versions/1/card", params={"revision": 5})
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "NOT_FOUND")
    created = http.post(
        "/api/v1/models/m/versions/1/evaluations", json={"dataset": "d", "metrics": {"a": 1}}
    )
    assert created.status_code == 201
    bad = http.post("/api/v1/models/m/versions/1/evaluations", json={"metrics": {}})
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "INVALID_ARGUMENT")
    listed = http.get("/api/v1/models/m/versions/1/evaluations").json()["items"]
    assert [e["dataset"] for e in listed] == ["d"]


def test_cli_card_and_eval(tmp_path):
    home = tmp_path / "home"
    with Client.local(home, user="alice", cache_dir=tmp_path / "cache") as sdk:
        sdk.push("credit", write_model_dir(tmp_path / "model", {"m.bin": b"w"}))
    card = tmp_path / "README.md"
    card.write_text(CARD)
    report = tmp_path / "report.txt"
    report.write_text("fine")
    runner = CliRunner()

    def run(*args):
        result = runner.invoke(app, ["--home", str(home), *args])
        assert result.exit_code == 0, result.output
        return result.output

    assert run("card", "set", "credit/1", str(card)).strip() == "credit/1 card revision 1"
    assert run("card", "show", "credit") == CARD
    assert json.loads(run("card", "show", "credit/1", "--json"))["metadata"]["license"]
    added = run(
        "eval",
        "add",
        "credit/1",
        "--dataset",
        "holdout",
        "--metric",
        "auc=0.9",
        "--report",
        str(report),
    )
    assert added.strip() == "credit/1 evaluation 1"
    listed = json.loads(run("eval", "ls", "credit/1", "--json"))
    assert [(e["dataset"], e["metrics"], e["report"]["name"]) for e in listed] == [
        ("holdout", {"auc": 0.9}, "report.txt")
    ]
    assert "holdout" in run("eval", "ls", "credit/1")
