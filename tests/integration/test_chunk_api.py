"""The chunked-push routes driven with raw HTTP: missing chunks with their upload URLs, chunks
checked against their digests, assembly checked end to end, stable errors, nothing visible on
bad input. Runs on SQLite and PostgreSQL (the ``http`` fixture)."""

from __future__ import annotations

import pytest

from modelreg import routes
from modelreg.blobs.recipes import chunk_key
from modelreg.domain.chunking import DEFAULT_CHUNK_LIMITS
from tests.factories import digest_of
from tests.integration.test_api import API, assert_error, commit, start_upload

PARTS = [b"a" * 3000, b"b" * 5000, b"c" * 2000, b"a" * 3000]  # the first chunk repeats
DATA = b"".join(PARTS)


def chunk_list(parts: list[bytes]) -> dict:
    return {"chunks": [{"digest": str(digest_of(part)), "size": len(part)} for part in parts]}


def chunks_url(upload_id: str, data: bytes = DATA) -> str:
    return routes.url(routes.UPLOAD_BLOB_CHUNKS, upload_id=upload_id, digest=digest_of(data))


def assemble_url(upload_id: str, data: bytes = DATA) -> str:
    return routes.url(routes.UPLOAD_BLOB_ASSEMBLE, upload_id=upload_id, digest=digest_of(data))


def put_chunk(http, url: str, data: bytes):
    return http.put(url, content=data, headers={"Content-Type": "application/octet-stream"})


def send_missing(http, upload_id: str, parts: list[bytes]) -> list[str]:
    answer = http.post(chunks_url(upload_id), json=chunk_list(parts))
    assert answer.status_code == 200, answer.text
    by_digest = {str(digest_of(part)): part for part in parts}
    for item in answer.json()["missing"]:
        assert put_chunk(http, item["upload_url"], by_digest[item["digest"]]).status_code == 201
    return [item["digest"] for item in answer.json()["missing"]]


def test_chunking_is_advertised(http):
    answer = http.get(routes.CHUNKING)

    assert answer.status_code == 200
    body = answer.json()
    assert body["chunker"] == "fastcdc-2020"
    assert body["min_size"] < body["avg_size"] < body["max_size"] <= body["max_chunk_size"]
    assert body["threshold"] > body["max_size"]


def test_push_in_chunks_then_commit_and_read_back(http, services):
    upload = start_upload(http, "m", {"model.bin": DATA})

    sent = send_missing(http, upload["upload_id"], PARTS)
    assert sent == [str(digest_of(part)) for part in PARTS[:3]]  # the repeat is asked once
    assert http.post(assemble_url(upload["upload_id"]), json=chunk_list(PARTS)).status_code == 201
    version = commit(http, upload["upload_id"])

    assert version.status_code == 201, version.text
    blob = http.get(f"{API}/blobs/{digest_of(DATA)}")
    assert blob.content == DATA
    ranged = http.get(f"{API}/blobs/{digest_of(DATA)}", headers={"Range": "bytes=2990-8009"})
    assert ranged.status_code == 206
    assert ranged.content == DATA[2990:8010]


def test_second_push_asks_only_for_new_chunks(http):
    first = start_upload(http, "m", {"model.bin": DATA})
    send_missing(http, first["upload_id"], PARTS)
    http.post(assemble_url(first["upload_id"]), json=chunk_list(PARTS))
    assert commit(http, first["upload_id"]).status_code == 201

    edited = [PARTS[0], b"B" * 5000, PARTS[2], PARTS[3]]
    data = b"".join(edited)
    second = start_upload(http, "m", {"model.bin": data})
    answer = http.post(chunks_url(second["upload_id"], data), json=chunk_list(edited))

    assert [item["digest"] for item in answer.json()["missing"]] == [str(digest_of(b"B" * 5000))]


def test_tampered_chunk_is_refused(http, services):
    upload = start_upload(http, "m", {"model.bin": DATA})
    url = routes.url(
        routes.UPLOAD_BLOB_CHUNK,
        upload_id=upload["upload_id"],
        digest=digest_of(DATA),
        chunk_digest=digest_of(PARTS[0]),
    )

    assert_error(put_chunk(http, url, b"x" * 3000), 400, "DIGEST_MISMATCH")
    assert services.blobs.backend.stat(chunk_key(digest_of(PARTS[0]))) is None
    error = assert_error(
        http.post(assemble_url(upload["upload_id"]), json=chunk_list(PARTS)), 400, "MISSING_BLOBS"
    )
    assert str(digest_of(PARTS[0])) in error["details"]["missing"]
    assert not services.blobs.exists(digest_of(DATA))


def test_chunks_that_do_not_add_up_to_the_blob_are_refused(http, services):
    upload = start_upload(http, "m", {"model.bin": DATA})
    other = [b"a" * 3000, b"b" * 5000, b"c" * 2000, b"d" * 3000]  # same sizes, other bytes
    send_missing(http, upload["upload_id"], other)

    error = assert_error(
        http.post(assemble_url(upload["upload_id"]), json=chunk_list(other)), 400, "DIGEST_MISMATCH"
    )

    assert str(digest_of(DATA)) in error["message"]
    assert not services.blobs.exists(digest_of(DATA))
    assert_error(commit(http, upload["upload_id"]), 400, "MISSING_BLOBS")


def test_chunk_damaged_in_storage_is_dropped_at_assembly(http, services):
    upload = start_upload(http, "m", {"model.bin": DATA})
    send_missing(http, upload["upload_id"], PARTS)
    damaged = chunk_key(digest_of(PARTS[1]))
    writer = services.blobs.backend.create_writer(damaged)
    writer.write(b"z" * 5000)  # bit rot: same size, other bytes
    writer.commit()

    assert_error(
        http.post(assemble_url(upload["upload_id"]), json=chunk_list(PARTS)), 400, "DIGEST_MISMATCH"
    )
    assert services.blobs.backend.stat(damaged) is None
    assert send_missing(http, upload["upload_id"], PARTS) == [str(digest_of(PARTS[1]))]
    assert http.post(assemble_url(upload["upload_id"]), json=chunk_list(PARTS)).status_code == 201


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"chunks": []}, 400, "INVALID_ARGUMENT"),
        ({"chunks": [{"digest": "md5:00", "size": 1}]}, 400, "INVALID_ARGUMENT"),
        ({"chunks": [{"digest": str(digest_of(b"x")), "size": 0}]}, 400, "INVALID_ARGUMENT"),
        ({"chunks": "nope"}, 400, "INVALID_ARGUMENT"),
        (chunk_list(PARTS[:2]), 400, "INVALID_ARGUMENT"),  # adds up to less than the blob
    ],
)
def test_bad_chunk_lists_are_refused(http, body, status, code):
    upload = start_upload(http, "m", {"model.bin": DATA})

    assert_error(http.post(chunks_url(upload["upload_id"]), json=body), status, code)
    assert_error(http.post(assemble_url(upload["upload_id"]), json=body), status, code)


def test_chunk_list_of_an_undeclared_blob_is_refused(http):
    upload = start_upload(http, "m", {"model.bin": DATA})
    other = b"not declared"
    url = chunks_url(upload["upload_id"], other)

    assert_error(http.post(url, json=chunk_list([other])), 400, "INVALID_ARGUMENT")


def test_unknown_upload_is_not_found(http):
    assert_error(http.post(chunks_url("0" * 32), json=chunk_list(PARTS)), 404, "UPLOAD_NOT_FOUND")


def test_oversized_bodies_are_refused(http, monkeypatch):
    upload = start_upload(http, "m", {"model.bin": DATA})
    limit = DEFAULT_CHUNK_LIMITS.max_chunk_size
    big = routes.url(
        routes.UPLOAD_BLOB_CHUNK,
        upload_id=upload["upload_id"],
        digest=digest_of(DATA),
        chunk_digest=digest_of(b"big"),
    )
    assert_error(put_chunk(http, big, b"\0" * (limit + 1)), 413, "LIMIT_EXCEEDED")

    monkeypatch.setattr("modelreg.server.api.chunks.MAX_CHUNK_LIST_BYTES", 1000)
    assert_error(
        http.post(chunks_url(upload["upload_id"]), json=chunk_list(PARTS * 10)),
        413,
        "LIMIT_EXCEEDED",
    )
