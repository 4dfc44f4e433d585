"""Quarantine releases after review (docs/scanning.md), over the REST API (authentication on),
the SDK, the CLI and the version page, on SQLite and PostgreSQL. The override, who may use it
and its audit: test_quarantine_override.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from modelreg import Client
from modelreg.client.embedded import EmbeddedTransport
from modelreg.domain.access import Role
from modelreg.domain.errors import QuarantinedError
from modelreg.domain.permissions import Subject, SubjectKind
from modelreg.domain.scans import Verdict
from modelreg.server.app import create_app
from modelreg.settings import Settings
from modelreg.wiring import Services, open_services
from tests.integration import test_scans
from tests.integration.test_scans import EVIL, Cli, UpgradedScanner

# The fixtures of the scanning tests, shared rather than copied.
evil_dir = test_scans.evil_dir
cli = test_scans.cli

API = "/api/v1"


class Auth:
    """A registry with authentication on: ``owner`` pushes; the others hold one role each, and
    ``root`` is a registry admin."""

    def __init__(self, services: Services, http: TestClient) -> None:
        self.services = services
        self.http = http
        self.tokens: dict[str, str] = {}
        for name in ("owner", "maint", "maint_b", "writer", "reader_a", "reader_b", "root"):
            services.accounts.create_user(name, admin=name == "root", actor="setup")
            self.tokens[name] = services.accounts.create_token(name, name="t", actor="setup")[1]
        self.owner = Client(transport=EmbeddedTransport(services, user="owner"))

    def as_(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def grant(self, model: str, user: str, role: Role) -> None:
        self.services.access.grant(model, Subject(SubjectKind.USER, user), role, actor="owner")


@pytest.fixture
def auth(tmp_path: Path, database_url: str) -> Iterator[Auth]:
    settings = Settings(
        home=tmp_path / "auth", database_url=database_url, auth=True, webhook_worker=False
    )
    services = open_services(settings)
    with TestClient(create_app(settings, services=services)) as http:
        yield Auth(services, http)
    services.close()


def _release(auth: Auth, user: str, ref: str, reason: object) -> dict[str, object]:
    name, version = ref.split("/")
    url = f"{API}/models/{name}/versions/{version}/scan/release"
    response = auth.http.post(url, json={"reason": reason}, headers=auth.as_(user))
    return {"status": response.status_code, **response.json()}


def _code(answer: dict[str, object]) -> object:
    error = answer.get("error")
    return error["code"] if isinstance(error, dict) else None


def test_release_needs_the_maintainer_role_and_a_reason(auth: Auth, evil_dir: Path) -> None:
    auth.owner.push("fraud", evil_dir)
    auth.grant("fraud", "maint", Role.MAINTAINER)
    auth.grant("fraud", "writer", Role.WRITER)
    denied = _release(auth, "writer", "fraud/1", "looks fine")
    assert (denied["status"], _code(denied)) == (403, "PERMISSION_DENIED")
    hidden = _release(auth, "reader_a", "fraud/1", "looks fine")
    assert (hidden["status"], _code(hidden)) == (404, "MODEL_NOT_FOUND")
    for blank in ("", "   \n ", "nul \x00 byte", "x" * 2001):
        refused = _release(auth, "maint", "fraud/1", blank)
        assert (refused["status"], _code(refused)) == (400, "INVALID_ARGUMENT")
    assert auth.services.scans.version_scan("fraud/1").quarantined  # nothing half-done

    done = _release(auth, "maint", "fraud/1", "pyfunc reviewed by risk team, ticket R-12")
    assert done["status"] == 200
    assert (done["verdict"], done["quarantined"], done["released"]) == ("unsafe", False, True)
    release = done["release"]
    assert isinstance(release, dict)
    assert (release["released_by"], release["reason"]) == (
        "maint",
        "pyfunc reviewed by risk team, ticket R-12",
    )
    assert [f["verdict"] for f in release["files"]] == ["unsafe"]  # only the flagged file
    assert set(release["files"][0]["engines"]) == {"modelreg-strict", "picklescan"}
    again = _release(auth, "maint", "fraud/1", "twice")
    assert (again["status"], _code(again)) == (409, "CONFLICT")


def test_a_clean_version_has_nothing_to_release(client: Client, tmp_path: Path) -> None:
    folder = tmp_path / "clean"
    folder.mkdir()
    (folder / "weights.bin").write_bytes(b"\x00" * 64)
    client.push("fraud", folder)
    with pytest.raises(Exception, match="not quarantined: nothing to release") as error:
        client.release_quarantine("fraud/1", reason="why not")
    assert getattr(error.value, "code", None) == "CONFLICT"


def test_a_released_version_downloads_without_the_override_until_revoked(
    services: Services, http: TestClient, client: Client, evil_dir: Path, tmp_path: Path
) -> None:
    version = client.push("fraud", evil_dir)
    digest = next(f.digest for f in version.files if f.path == "model.pkl")
    urls = (f"{API}/blobs/{digest}", f"{API}/models/fraud/versions/1/files/model.pkl")
    assert {http.get(url).status_code for url in urls} == {403}

    found = client.release_quarantine("fraud/1", reason="reviewed")
    assert (found.verdict, found.quarantined, found.released) == (Verdict.UNSAFE, False, True)
    assert {f.path for f in found.files if f.released} == {"model.pkl"}
    assert [http.get(url).content for url in urls] == [EVIL, EVIL]
    pulled = client.pull("fraud/1", tmp_path / "out")  # no allow_unsafe
    assert (pulled / "model.pkl").read_bytes() == EVIL
    assert client.scan("fraud/1").release is not None

    client.revoke_quarantine_release("fraud/1", reason="the reviewer left")
    assert {http.get(url).status_code for url in urls} == {403}
    with pytest.raises(QuarantinedError):
        client.pull("fraud/1", tmp_path / "again")
    with pytest.raises(Exception, match="no quarantine release to revoke"):
        client.revoke_quarantine_release("fraud/1")


def test_the_same_blob_is_let_through_for_callers_who_may_read_a_release(
    auth: Auth, evil_dir: Path
) -> None:
    """Rule: the server guards blobs by digest, so a blob passes when a release the caller may
    read covers its current scan, whatever route names it. Each version's own state (its scan,
    ``pull``, the policy) stays per version: an unreleased copy still shows quarantined."""
    version = auth.owner.push("alpha", evil_dir)
    auth.owner.push("alpha", evil_dir)  # alpha/2: the same bytes, not released
    auth.owner.push("beta", evil_dir)  # another model holding the same blob
    digest = next(f.digest for f in version.files if f.path == "model.pkl")
    auth.grant("alpha", "reader_a", Role.READER)
    auth.grant("beta", "reader_b", Role.READER)
    auth.owner.release_quarantine("alpha/1", reason="reviewed alpha/1")

    blob = f"{API}/blobs/{digest}"
    assert auth.http.get(blob, headers=auth.as_("reader_a")).content == EVIL
    alpha2 = f"{API}/models/alpha/versions/2/files/model.pkl"
    assert auth.http.get(alpha2, headers=auth.as_("reader_a")).content == EVIL
    # reader_b cannot read alpha: for them nothing covers the blob.
    for url in (blob, f"{API}/models/beta/versions/1/files/model.pkl"):
        refused = auth.http.get(url, headers=auth.as_("reader_b"))
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "QUARANTINED")
    assert auth.owner.scan("alpha/2").quarantined
    assert auth.owner.scan("beta/1").quarantined
    with pytest.raises(QuarantinedError):
        auth.owner.pull("alpha/2", Path(evil_dir.parent / "alpha2"))


def test_a_refusal_names_the_versions_the_caller_may_read_and_how_to_release_them(
    auth: Auth, evil_dir: Path
) -> None:
    """Rule: a client that only shows the message (MLflow's) learns which version to have
    reviewed, and the command; models the caller may not read are never named."""
    version = auth.owner.push("alpha", evil_dir)
    auth.owner.push("beta", evil_dir)  # the same blob, in a model reader_a may not read
    digest = next(f.digest for f in version.files if f.path == "model.pkl")
    auth.grant("alpha", "reader_a", Role.READER)

    refused = auth.http.get(f"{API}/blobs/{digest}", headers=auth.as_("reader_a"))

    message = refused.json()["error"]["message"]
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "QUARANTINED")
    assert "it is a file of alpha/1. A maintainer" in message
    assert 'modelreg scan release alpha/1 --reason "..."' in message
    assert "beta" not in message
    owner = auth.http.get(f"{API}/blobs/{digest}", headers=auth.as_("owner"))
    assert "it is a file of alpha/1, beta/1." in owner.json()["error"]["message"]


def test_a_rescan_that_changes_the_findings_voids_the_release(
    services: Services, http: TestClient, client: Client, evil_dir: Path
) -> None:
    client.push("fraud", evil_dir)
    client.release_quarantine("fraud/1", reason="reviewed")
    url = f"{API}/models/fraud/versions/1/files/model.pkl"
    assert client.rescan(stale_only=False).scanned == 2  # the same engines: same findings
    assert client.scan("fraud/1").released
    assert http.get(url).status_code == 200

    services.scans.scanner = UpgradedScanner(services.scans.scanner)
    client.rescan(stale_only=True)
    found = client.scan("fraud/1")
    assert (found.quarantined, found.released, found.release_void) == (True, False, True)
    refused = http.get(url)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "QUARANTINED")
    with pytest.raises(QuarantinedError, match="release no longer applies"):
        client.pull("fraud/1", evil_dir.parent / "out")
    again = client.release_quarantine("fraud/1", reason="re-reviewed with the new engines")
    assert again.released
    assert not again.release_void
    assert http.get(url).status_code == 200


def test_a_stale_scan_is_rescanned_on_download_and_voids_the_release(
    services: Services, http: TestClient, client: Client, evil_dir: Path
) -> None:
    """No re-scan was run after the upgrade: the download itself re-scans and decides."""
    client.push("fraud", evil_dir)
    client.release_quarantine("fraud/1", reason="reviewed")
    services.scans.scanner = UpgradedScanner(services.scans.scanner)
    assert http.get(f"{API}/models/fraud/versions/1/files/model.pkl").status_code == 403


def test_release_and_revocation_are_in_the_history_and_the_audit_trail(
    client: Client, evil_dir: Path
) -> None:
    version = client.push("fraud", evil_dir)
    digest = str(next(f.digest for f in version.files if f.path == "model.pkl"))
    client.release_quarantine("fraud/1", reason="reviewed R-12")
    client.revoke_quarantine_release("fraud/1", reason="revisit")
    history = {e.action: e for e in client.events("fraud")}
    released, revoked = history["scan.released"], history["scan.release_revoked"]
    assert (released.version, released.details["reason"]) == (1, "reviewed R-12")
    assert released.details["digests"] == [digest]
    assert released.details["files"][0]["path"] == "model.pkl"
    assert len(released.details["files"][0]["fingerprint"]) == 64
    assert (revoked.details["reason"], revoked.details["release_reason"]) == (
        "revisit",
        "reviewed R-12",
    )
    trail = client.audit(model="fraud", action="scan.*")
    assert [e.action for e in trail] == ["scan.released", "scan.release_revoked"]


def test_the_policy_counts_a_released_version_as_clean_with_an_exception(
    client: Client, evil_dir: Path
) -> None:
    client.push("fraud", evil_dir)
    client.set_policy({"aliases": {"production": {"scan": "clean"}}})
    assert client.check_policy("fraud/1", alias="production").failures
    client.release_quarantine("fraud/1", reason="reviewed R-12")
    report = client.check_policy("fraud/1", alias="production")
    assert not report.failures
    rule = next(r for r in report.results if r.rule == "aliases.production.scan")
    assert "clean with an exception" in rule.detail
    assert "reviewed R-12" in rule.detail
    done = client.request_promotion("fraud", "production", 1, "ship the reviewed one")
    assert done.version == 1


def test_the_version_page_shows_the_release(
    services: Services, http: TestClient, evil_dir: Path
) -> None:
    owner = Client(transport=EmbeddedTransport(services, user="alice"))
    owner.push("fraud", evil_dir)
    assert "modelreg scan release fraud/1" in http.get("/models/fraud/versions/1").text
    owner.release_quarantine("fraud/1", reason="reviewed <R-12>")
    page = http.get("/models/fraud/versions/1").text
    assert "Released after review" in page
    assert "reviewed &lt;R-12&gt;" in page  # escaped
    assert "(released)" in page


def test_cli_release_show_and_revoke(cli: Cli, evil_dir: Path, tmp_path: Path) -> None:
    cli("push", evil_dir, "-m", "fraud").ok()
    for argv in (
        ("scan", "release", "fraud/1"),
        ("scan", "release", "fraud/1", "--reason", "  "),
        ("scan", "release", "nosuch/1", "--reason", "x"),
        ("scan", "revoke", "fraud/1"),
        ("scan", "fraud/1", "fraud/2"),
    ):
        failed = cli(*argv)
        assert failed.returncode != 0, argv
        assert failed.stderr.startswith("error: "), argv
        assert failed.stderr.count("\n") == 1, argv
    assert "needs --reason" in cli("scan", "release", "fraud/1").stderr

    done = cli("scan", "release", "fraud/1", "--reason", "reviewed R-12").ok()
    assert done.stdout.strip() == "fraud/1: released (model.pkl)"
    twice = cli("scan", "release", "fraud/1", "--reason", "x")
    assert twice.returncode == 1
    assert "already released" in twice.stderr
    table = cli("scan", "fraud/1").ok().stdout
    assert "fraud/1: unsafe (released after review)" in table
    assert "released by ann" in table
    assert "reviewed R-12" in table
    assert "scan: unsafe (released by ann: reviewed R-12)" in cli("show", "fraud/1").ok().stdout
    shown = json.loads(cli("show", "fraud/1", "--json").ok().stdout)
    assert shown["scan"] == {"verdict": "unsafe", "quarantined": False, "released": True}
    assert json.loads(cli("scan", "fraud/1", "--json").ok().stdout)["released"] is True
    pulled = cli("pull", "fraud/1", tmp_path / "out").ok()
    assert (Path(pulled.stdout.strip()) / "model.pkl").read_bytes() == EVIL

    cli("scan", "revoke", "fraud/1", "--reason", "revisit").ok()
    assert "scan: unsafe (quarantined" in cli("show", "fraud/1").ok().stdout
    refused = cli("pull", "fraud/1", tmp_path / "again")
    assert refused.returncode == 1
    assert "modelreg scan release fraud/1" in refused.stderr
