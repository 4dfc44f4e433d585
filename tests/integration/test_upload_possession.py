"""Proof of possession in pushes, over HTTP with authentication on (docs/permissions.md).

Knowing the digest of a file held only by models the caller cannot read must not yield the file:
the push reports it missing, a commit without its bytes fails, and the blob stays hidden. Sending
the bytes proves possession (nothing new is stored); readers of a holding model, the model's own
pushers and registry admins keep deduplication. The same for chunks of a chunked push. Runs on
SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from modelreg import routes
from modelreg.domain.access import Role
from modelreg.domain.permissions import Subject, SubjectKind
from modelreg.server.app import create_app
from modelreg.service.evaluations import ReportUpload
from modelreg.settings import Settings
from modelreg.wiring import Services, open_services
from tests.factories import digest_of
from tests.integration.test_api import API, assert_error, commit, put_blob, start_upload
from tests.integration.test_chunk_api import PARTS, assemble_url, chunk_list, chunks_url, put_chunk

SECRET = b"alice's private weights " * 200
USERS = ("alice", "bob", "carol")


class Registry:
    """One server with authentication on; ``as_(user)`` makes the next requests that user's."""

    def __init__(self, http: TestClient, services: Services, tokens: dict[str, str]) -> None:
        self.http = http
        self.services = services
        self.tokens = tokens

    def as_(self, user: str) -> TestClient:
        self.http.headers["Authorization"] = f"Bearer {self.tokens[user]}"
        return self.http

    def stored(self) -> tuple[int, int]:
        """Objects and bytes the blob store holds."""
        usage = self.services.blobs.usage()
        return usage.objects, usage.bytes


@pytest.fixture
def registry(database_url: str, tmp_path: Path) -> Iterator[Registry]:
    settings = Settings(
        home=tmp_path / "home", database_url=database_url, auth=True, webhook_worker=False
    )
    services = open_services(settings)
    accounts = services.accounts
    for name in USERS:
        accounts.create_user(name, actor="setup")
    accounts.create_user("root", admin=True, actor="setup")
    accounts.create_team("readers", actor="setup")
    accounts.add_member("readers", "carol", actor="setup")
    tokens = {
        name: accounts.create_token(name, name="possession", actor="setup")[1]
        for name in (*USERS, "root")
    }
    app = create_app(settings, services=services)
    with TestClient(app, raise_server_exceptions=False) as http:
        yield Registry(http, services, tokens)
    services.close()


def push(http: TestClient, name: str, files: dict[str, bytes]) -> dict:
    """Push ``files`` sending whatever the registry asks for; returns the session as opened."""
    session = start_upload(http, name, files)
    by_digest = {str(digest_of(data)): data for data in files.values()}
    for digest in session["missing"]:
        assert put_blob(http, session["upload_id"], by_digest[digest]).status_code == 201
    response = commit(http, session["upload_id"])
    assert response.status_code == 201, response.text
    return session


def blob_url(data: bytes) -> str:
    return routes.url(routes.BLOB, digest=digest_of(data))


def test_a_known_digest_does_not_yield_the_blob(registry: Registry):
    push(registry.as_("alice"), "alice-private", {"model.bin": SECRET})

    bob = registry.as_("bob")
    session = start_upload(bob, "bob-model", {"stolen.bin": SECRET, "own.bin": b"bob's own"})
    assert str(digest_of(SECRET)) in session["missing"]  # stored, but not bob's to claim
    answer = commit(bob, session["upload_id"])
    error = assert_error(answer, 400, "MISSING_BLOBS")
    assert str(digest_of(SECRET)) in error["details"]["missing"]
    assert "stolen.bin" in error["message"]
    again = bob.get(routes.url(routes.UPLOAD, upload_id=session["upload_id"]))
    assert str(digest_of(SECRET)) in again.json()["missing"]
    assert_error(bob.get(blob_url(SECRET)), 404, "BLOB_NOT_FOUND")
    assert_error(bob.get(f"{API}/models/bob-model"), 404, "MODEL_NOT_FOUND")  # nothing committed


def test_sending_the_bytes_proves_possession_and_stores_nothing_new(registry: Registry):
    push(registry.as_("alice"), "alice-private", {"model.bin": SECRET})
    before = registry.stored()

    bob = registry.as_("bob")
    session = start_upload(bob, "bob-model", {"model.bin": SECRET})
    assert session["missing"] == [str(digest_of(SECRET))]
    wrong = b"x" * len(SECRET)
    assert_error(
        put_blob(bob, session["upload_id"], wrong, digest_of(SECRET)), 400, "DIGEST_MISMATCH"
    )
    assert_error(
        commit(bob, session["upload_id"]), 400, "MISSING_BLOBS"
    )  # a wrong try proves nothing
    assert put_blob(bob, session["upload_id"], SECRET).status_code == 201
    again = bob.get(routes.url(routes.UPLOAD, upload_id=session["upload_id"]))
    assert again.json()["missing"] == []
    assert commit(bob, session["upload_id"]).status_code == 201

    assert registry.stored() == before  # the blob is kept once
    assert bob.get(blob_url(SECRET)).content == SECRET  # bob's own model holds it now


def test_the_owner_and_its_model_keep_deduplication(registry: Registry):
    alice = registry.as_("alice")
    push(alice, "alice-private", {"model.bin": SECRET})
    before = registry.stored()

    again = push(alice, "alice-private", {"model.bin": SECRET, "config.json": b"{}"})
    assert again["missing"] == [str(digest_of(b"{}"))]  # the weights are not sent again
    elsewhere = push(alice, "alice-other", {"copy.bin": SECRET})
    assert elsewhere["missing"] == []  # alice may read a model holding it
    assert registry.stored()[0] == before[0] + 1  # only config.json


def test_a_team_reader_of_a_holding_model_gets_deduplication(registry: Registry):
    push(registry.as_("alice"), "alice-private", {"model.bin": SECRET})
    carol = registry.as_("carol")
    assert start_upload(carol, "carol-model", {"model.bin": SECRET})["missing"] != []

    registry.services.access.grant(
        "alice-private", Subject(SubjectKind.TEAM, "readers"), Role.READER, actor="alice"
    )
    session = start_upload(carol, "carol-model", {"model.bin": SECRET})
    assert session["missing"] == []
    assert commit(carol, session["upload_id"]).status_code == 201


def test_registry_admins_skip_the_check(registry: Registry):
    push(registry.as_("alice"), "alice-private", {"model.bin": SECRET})
    assert push(registry.as_("root"), "root-model", {"model.bin": SECRET})["missing"] == []


def test_an_evaluation_report_counts_for_readers_of_its_model(registry: Registry):
    push(registry.as_("alice"), "alice-private", {"model.bin": b"weights"})
    report = b"<html>evaluation of alice's model</html>" * 50
    upload = ReportUpload("report.html", len(report), digest_of(report), [report])
    registry.services.evaluations.add_evaluation(
        "alice-private", 1, dataset="holdout", actor="alice", report=upload
    )

    assert start_upload(registry.as_("bob"), "bob-model", {"r.html": report})["missing"] != []
    assert start_upload(registry.as_("alice"), "alice-2", {"r.html": report})["missing"] == []


# -- chunked pushes ------------------------------------------------------------------------------

DATA = b"".join(PARTS)


def chunked_push(http: TestClient, name: str, parts: list[bytes]) -> list[str]:
    """Push one file in chunks; returns the chunk digests the registry asked for."""
    data = b"".join(parts)
    session = start_upload(http, name, {"model.bin": data})
    upload_id = session["upload_id"]
    asked: list[str] = []
    if session["missing"]:
        answer = http.post(chunks_url(upload_id, data), json=chunk_list(parts))
        assert answer.status_code == 200, answer.text
        by_digest = {str(digest_of(part)): part for part in parts}
        for item in answer.json()["missing"]:
            asked.append(item["digest"])
            assert put_chunk(http, item["upload_url"], by_digest[item["digest"]]).status_code == 201
        assembled = http.post(assemble_url(upload_id, data), json=chunk_list(parts))
        assert assembled.status_code == 201, assembled.text
    response = commit(http, upload_id)
    assert response.status_code == 201, response.text
    return asked


def test_chunks_of_an_unreadable_blob_must_be_sent(registry: Registry):
    alice = registry.as_("alice")
    chunked_push(alice, "alice-private", PARTS)
    before = registry.stored()

    bob = registry.as_("bob")
    session = start_upload(bob, "bob-model", {"model.bin": DATA})
    upload_id = session["upload_id"]
    answer = bob.post(chunks_url(upload_id), json=chunk_list(PARTS))
    unique = list(dict.fromkeys(str(digest_of(part)) for part in PARTS))
    assert [item["digest"] for item in answer.json()["missing"]] == unique
    refused = bob.post(assemble_url(upload_id), json=chunk_list(PARTS))
    assert_error(refused, 400, "MISSING_BLOBS")
    assert_error(commit(bob, upload_id), 400, "MISSING_BLOBS")

    assert chunked_push(bob, "bob-model", PARTS) == unique  # with the bytes it works
    assert registry.stored() == before
    assert bob.get(blob_url(DATA)).content == DATA


def test_a_stored_chunk_of_someone_else_cannot_be_borrowed(registry: Registry):
    chunked_push(registry.as_("alice"), "alice-private", PARTS)
    # A blob of bob's own made of one of alice's chunks and one of his: the chunk he has not
    # sent is asked for even though the registry holds it.
    mine = [PARTS[1], b"d" * 4000]
    bob = registry.as_("bob")
    session = start_upload(bob, "bob-model", {"model.bin": b"".join(mine)})
    url = chunks_url(session["upload_id"], b"".join(mine))
    answer = bob.post(url, json=chunk_list(mine))
    assert [item["digest"] for item in answer.json()["missing"]] == [
        str(digest_of(part)) for part in mine
    ]


def test_a_new_version_sends_only_its_changed_chunks(registry: Registry):
    alice = registry.as_("alice")
    chunked_push(alice, "alice-private", PARTS)
    changed = [PARTS[0], PARTS[1], b"e" * 2500]

    assert chunked_push(alice, "alice-private", changed) == [str(digest_of(changed[2]))]
