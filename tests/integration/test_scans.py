"""Scanning at commit, quarantine and re-scans, through the SDK (embedded and HTTP), the REST API
and the CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import json
import pickle
from collections.abc import Mapping
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from modelreg import Client
from modelreg.client.embedded import EmbeddedTransport
from modelreg.domain.errors import PolicyViolationError, QuarantinedError
from modelreg.domain.scans import Verdict
from modelreg.scanning.port import FileReport, Scanner
from modelreg.wiring import Services
from tests.cli_runner import Cli, local_cli

EVIL = b"cos\nsystem\n(S'echo pwned'\ntR."


@pytest.fixture
def evil_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "evil"
    folder.mkdir()
    (folder / "model.pkl").write_bytes(EVIL)
    (folder / "config.json").write_text('{"layers": 3}')
    return folder


@pytest.fixture
def good_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "good"
    folder.mkdir()
    (folder / "model.pkl").write_bytes(pickle.dumps({"weights": [0.5, 0.25], "bias": 1.0}))
    (folder / "README.md").write_text("# fine\n")
    return folder


def test_versions_are_scanned_at_commit_with_engine_names_and_versions(
    client: Client, evil_dir: Path, good_dir: Path
) -> None:
    client.push("fraud", good_dir)
    client.push("fraud", evil_dir)
    good, evil = client.scan("fraud/1"), client.scan("fraud/2")
    assert (good.verdict, good.quarantined) == (Verdict.CLEAN, False)
    assert (evil.verdict, evil.quarantined) == (Verdict.UNSAFE, True)
    files = {file.path: file for file in evil.files}
    assert files["config.json"].verdict is Verdict.CLEAN
    pickled = files["model.pkl"].scan
    assert pickled is not None
    assert pickled.file_format == "pickle"
    engines = {result.engine: result for result in pickled.results}
    assert set(engines) == {"modelreg-strict", "picklescan"}
    assert all(result.engine_version for result in pickled.results)
    assert all(result.verdict is Verdict.UNSAFE for result in pickled.results)
    assert "os.system" in engines["modelreg-strict"].findings[0].message


def test_a_quarantined_version_is_not_pulled_without_the_override(
    client: Client, evil_dir: Path, tmp_path: Path
) -> None:
    client.push("fraud", evil_dir)
    target = tmp_path / "out"
    with pytest.raises(QuarantinedError, match="quarantined"):
        client.pull("fraud/1", target)
    assert not target.exists() or not any(target.iterdir())  # nothing half-written
    pulled = client.pull("fraud/1", target, allow_unsafe=True)
    assert (pulled / "model.pkl").read_bytes() == EVIL


def test_the_api_refuses_quarantined_blobs_with_403(
    services: Services, http: TestClient, evil_dir: Path
) -> None:
    pusher = Client(transport=EmbeddedTransport(services, user="alice"))
    version = pusher.push("fraud", evil_dir)
    digest = next(f.digest for f in version.files if f.path == "model.pkl")
    for url in (f"/api/v1/blobs/{digest}", "/api/v1/models/fraud/versions/1/files/model.pkl"):
        refused = http.get(url)
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "QUARANTINED"
        assert http.get(url, headers={"X-Modelreg-Allow-Unsafe": "true"}).content == EVIL
        assert http.get(url, params={"allow_unsafe": "true"}).content == EVIL
    clean = http.get("/api/v1/models/fraud/versions/1/files/config.json")
    assert clean.status_code == 200
    answer = http.get("/api/v1/models/fraud/versions/1/scan").json()
    assert (answer["verdict"], answer["quarantined"]) == ("unsafe", True)
    assert {f["path"]: f["verdict"] for f in answer["files"]} == {
        "config.json": "clean",
        "model.pkl": "unsafe",
    }


def test_the_version_page_shows_the_verdict(
    services: Services, http: TestClient, evil_dir: Path
) -> None:
    Client(transport=EmbeddedTransport(services, user="alice")).push("fraud", evil_dir)
    page = http.get("/models/fraud/versions/1")
    assert page.status_code == 200
    assert 'id="scan"' in page.text
    assert "Quarantined" in page.text
    assert "imports os.system, which can run code" in page.text


def test_mlflow_artifact_downloads_follow_the_same_rule(http: TestClient) -> None:
    url = "/api/2.0/mlflow-artifacts/artifacts/0/run/artifacts/model/model.pkl"
    assert http.put(url, content=EVIL).status_code == 200
    refused = http.get(url)
    assert refused.status_code == 403
    assert "quarantined" in refused.json()["message"]
    assert http.get(url, params={"allow_unsafe": "true"}).content == EVIL
    fine = "/api/2.0/mlflow-artifacts/artifacts/0/run/artifacts/model/MLmodel"
    assert http.put(fine, content=b"flavors: {}\n").status_code == 200
    assert http.get(fine).status_code == 200


def test_without_enforcement_verdicts_are_kept_but_downloads_allowed(
    services: Services, client: Client, evil_dir: Path, tmp_path: Path
) -> None:
    client.push("fraud", evil_dir)
    services.scans.enforce = False
    found = client.scan("fraud/1")
    assert (found.verdict, found.quarantined, found.enforced) == (Verdict.UNSAFE, True, False)
    assert (client.pull("fraud/1", tmp_path / "out") / "model.pkl").read_bytes() == EVIL


def test_promotion_of_a_quarantined_version_is_refused_by_the_policy(
    client: Client, evil_dir: Path, good_dir: Path
) -> None:
    client.push("fraud", good_dir)
    client.push("fraud", evil_dir)
    client.set_policy({"aliases": {"production": {"scan": "clean"}}})
    with pytest.raises(PolicyViolationError, match=r"aliases\.production\.scan"):
        client.request_promotion("fraud", "production", 2, "ship it")
    done = client.request_promotion("fraud", "production", 1, "ship the clean one")
    assert client.get_model("fraud").aliases["production"] == done.version == 1
    report = client.check_policy("fraud/2", alias="production")
    assert [r.rule for r in report.failures] == ["aliases.production.scan"]


class UpgradedScanner:
    """The real scanner, reporting every engine one version newer (an upgrade in place)."""

    def __init__(self, inner: Scanner) -> None:
        self.inner = inner
        self.head_size = inner.head_size

    @property
    def engines(self) -> Mapping[str, str]:
        return {name: f"{version}.next" for name, version in self.inner.engines.items()}

    def _bump(self, report: FileReport) -> FileReport:
        results = tuple(
            dataclasses.replace(r, engine_version=f"{r.engine_version}.next")
            for r in report.results
        )
        return FileReport(report.file_format, results)

    def scan_head(self, head: bytes, name: str) -> FileReport | None:
        report = self.inner.scan_head(head, name)
        return None if report is None else self._bump(report)

    def scan_file(self, path: Path, name: str) -> FileReport:
        return self._bump(self.inner.scan_file(path, name))


def test_rescan_after_an_engine_upgrade_scans_stale_blobs_once(
    services: Services, client: Client, evil_dir: Path, good_dir: Path
) -> None:
    client.push("fraud", good_dir)
    client.push("fraud", evil_dir)
    assert client.rescan(stale_only=True).scanned == 0  # everything is current
    services.scans.scanner = UpgradedScanner(services.scans.scanner)
    report = client.rescan(stale_only=True)
    assert (report.scanned, report.skipped) == (4, 0)
    assert len(report.quarantined) == 1
    stored = client.scan("fraud/2")
    assert {r.engine_version.endswith(".next") for f in stored.files for r in f.scan.results} == {
        True
    }
    assert client.rescan(stale_only=True).scanned == 0
    assert client.rescan(stale_only=False).scanned == 4


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    return local_cli(tmp_path, monkeypatch, capsys, user="ann")


def test_cli_scan_show_and_pull(cli: Cli, evil_dir: Path, tmp_path: Path) -> None:
    assert cli("push", evil_dir, "-m", "fraud").ok().stdout.strip() == "fraud/1"
    shown = json.loads(cli("show", "fraud/1", "--json").ok().stdout)
    assert shown["scan"] == {"verdict": "unsafe", "quarantined": True, "released": False}
    assert "scan: unsafe (quarantined" in cli("show", "fraud/1").ok().stdout
    table = cli("scan", "fraud/1").ok().stdout
    assert "imports os.system" in table
    assert "picklescan" in table
    findings = json.loads(cli("scan", "fraud/1", "--json").ok().stdout)
    assert findings["files"][1]["engines"][0]["findings"][0]["severity"] == "unsafe"
    refused = cli("pull", "fraud/1", tmp_path / "out")
    assert refused.returncode == 1
    assert refused.stderr.startswith("error: ")
    assert refused.stderr.count("\n") == 1
    assert "quarantined" in refused.stderr
    pulled = cli("pull", "fraud/1", tmp_path / "out", "--allow-unsafe").ok()
    assert (Path(pulled.stdout.strip()) / "model.pkl").read_bytes() == EVIL
    assert "scanned 0 blob(s), skipped 2" in cli("scan", "--rescan", "--stale").ok().stdout
    assert "scanned 2 blob(s)" in cli("scan", "--rescan").ok().stdout
