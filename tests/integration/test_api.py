"""The REST API driven with raw HTTP: stable error answers, nothing stored on bad input, and
downloads with Range. Runs on SQLite and PostgreSQL (the ``http`` fixture)."""

import json

import pytest

from tests.factories import ZERO_DIGEST, digest_of, draft_json

API = "/api/v1"
DATA = bytes(range(256)) * 4  # 1024 bytes


# -- helpers ---------------------------------------------------------------------------------


def assert_error(response, status: int, code: str) -> dict:
    """The response is the stable error JSON with ``status`` and ``code``; returns the error."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == code
    assert isinstance(error["message"], str)
    assert error["message"]
    assert isinstance(error["details"], dict)
    return error


def model_names(http) -> list[str]:
    response = http.get(f"{API}/models")
    assert response.status_code == 200
    return [m["name"] for m in response.json()["items"]]


def version_numbers(http, name: str) -> list[int]:
    response = http.get(f"{API}/models/{name}/versions")
    assert response.status_code == 200
    return [v["version"] for v in response.json()["items"]]


def start_upload(http, name: str, files: dict[str, bytes], **extra) -> dict:
    response = http.post(f"{API}/models/{name}/uploads", json=draft_json(files, **extra))
    assert response.status_code == 201, response.text
    return response.json()


def put_blob(http, upload_id: str, data: bytes, digest=None):
    return http.put(
        f"{API}/uploads/{upload_id}/blobs/{digest or digest_of(data)}",
        content=data,
        headers={"Content-Type": "application/octet-stream"},
    )


def commit(http, upload_id: str):
    return http.post(f"{API}/uploads/{upload_id}/commit")


def push(http, name: str, files: dict[str, bytes]) -> dict:
    session = start_upload(http, name, files)
    by_digest = {str(digest_of(data)): data for data in files.values()}
    for digest in session["missing"]:
        assert put_blob(http, session["upload_id"], by_digest[digest]).status_code == 201
    response = commit(http, session["upload_id"])
    assert response.status_code == 201, response.text
    return response.json()


def create_model(http, name: str = "m") -> None:
    assert http.post(f"{API}/models", json={"name": name}).status_code == 201


def nothing_uploaded(services) -> bool:
    return list(services.blobs.list_digests()) == [] and list(services.blobs.list_uploads()) == []


# -- not found and conflicts -----------------------------------------------------------------


def test_unknown_model_is_404_model_not_found(http):
    error = assert_error(http.get(f"{API}/models/ghost"), 404, "MODEL_NOT_FOUND")
    assert "ghost" in error["message"]
    assert_error(http.get(f"{API}/models/ghost/versions"), 404, "MODEL_NOT_FOUND")
    assert_error(http.get(f"{API}/models/ghost/versions/1"), 404, "MODEL_NOT_FOUND")
    assert_error(http.patch(f"{API}/models/ghost", json={}), 404, "MODEL_NOT_FOUND")
    assert_error(http.delete(f"{API}/models/ghost"), 404, "MODEL_NOT_FOUND")
    assert model_names(http) == []


def test_unknown_version_is_404_version_not_found(http):
    push(http, "m", {"a.bin": b"a"})
    error = assert_error(http.get(f"{API}/models/m/versions/2"), 404, "VERSION_NOT_FOUND")
    assert error["details"]["version"] == 2
    assert_error(http.delete(f"{API}/models/m/versions/2"), 404, "VERSION_NOT_FOUND")
    assert_error(
        http.put(f"{API}/models/m/aliases/prod", json={"version": 2}), 404, "VERSION_NOT_FOUND"
    )
    assert http.get(f"{API}/models/m").json()["aliases"] == {}


def test_unknown_alias_is_404_alias_not_found(http):
    push(http, "m", {"a.bin": b"a"})
    assert_error(http.get(f"{API}/models/m/aliases/prod"), 404, "ALIAS_NOT_FOUND")
    assert_error(http.get(f"{API}/resolve", params={"ref": "m@prod"}), 404, "ALIAS_NOT_FOUND")


def test_duplicate_model_name_is_409_already_exists(http):
    create_model(http, "m")
    response = http.post(f"{API}/models", json={"name": "m", "description": "again"})
    assert_error(response, 409, "ALREADY_EXISTS")
    assert model_names(http) == ["m"]
    assert http.get(f"{API}/models/m").json()["description"] == ""


@pytest.mark.parametrize(
    "name", ["", "bad name", "-lead", ".hidden", "a@b", "x" * 129, "bad\n", "caf\u00e9"]
)
def test_invalid_model_name_is_400_and_stores_nothing(http, name):
    assert_error(http.post(f"{API}/models", json={"name": name}), 400, "INVALID_ARGUMENT")
    assert model_names(http) == []


@pytest.mark.parametrize("name", ["bad%20name", "-lead", "a@b"])
def test_upload_to_invalid_model_name_is_400(http, services, name):
    response = http.post(f"{API}/models/{name}/uploads", json=draft_json())
    assert_error(response, 400, "INVALID_ARGUMENT")
    assert model_names(http) == []


@pytest.mark.parametrize("alias", ["latest", "v1", "1bad"])
def test_reserved_or_invalid_alias_is_400(http, alias):
    push(http, "m", {"a.bin": b"a"})
    response = http.put(f"{API}/models/m/aliases/{alias}", json={"version": 1})
    assert_error(response, 400, "INVALID_ARGUMENT")
    assert http.get(f"{API}/models/m").json()["aliases"] == {}


# -- invalid metadata ------------------------------------------------------------------------


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_metric_is_400_and_stores_nothing(http, services, literal):
    body = json.dumps(draft_json(metrics={"auc": "PLACEHOLDER"}))
    raw = body.replace('"PLACEHOLDER"', literal)
    assert literal in raw
    response = http.post(
        f"{API}/models/m/uploads", content=raw, headers={"Content-Type": "application/json"}
    )
    error = assert_error(response, 400, "INVALID_ARGUMENT")
    assert error["details"].get("field") == "metric"
    assert model_names(http) == []
    assert nothing_uploaded(services)


@pytest.mark.parametrize("metric", ["true", '"0.9"', "null", "[1]"])
def test_non_numeric_metric_is_400(http, metric):
    raw = json.dumps(draft_json(metrics={"auc": 0})).replace('"auc": 0', f'"auc": {metric}')
    response = http.post(
        f"{API}/models/m/uploads", content=raw, headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, "INVALID_ARGUMENT")
    assert model_names(http) == []


@pytest.mark.parametrize(
    ("tags", "status", "code"),
    [({"bad key!": "v"}, 400, "INVALID_ARGUMENT"), ({"k": "v" * 100_001}, 413, "LIMIT_EXCEEDED")],
)
def test_invalid_tags_are_refused(http, tags, status, code):
    assert_error(http.post(f"{API}/models", json={"name": "m", "tags": tags}), status, code)
    assert model_names(http) == []


def test_description_over_64_kib_is_413_limit_exceeded(http):
    big = "d" * (64 * 1024 + 1)
    error = assert_error(
        http.post(f"{API}/models", json={"name": "m", "description": big}), 413, "LIMIT_EXCEEDED"
    )
    assert error["details"]["field"] == "description"
    assert model_names(http) == []

    create_model(http, "m")
    assert_error(http.patch(f"{API}/models/m", json={"description": big}), 413, "LIMIT_EXCEEDED")
    assert http.get(f"{API}/models/m").json()["description"] == ""

    response = http.post(f"{API}/models/m/uploads", json=draft_json(description=big))
    assert_error(response, 413, "LIMIT_EXCEEDED")
    assert version_numbers(http, "m") == []


def test_version_description_over_64_kib_is_413(http):
    push(http, "m", {"a.bin": b"a"})
    big = "d" * (64 * 1024 + 1)
    response = http.patch(f"{API}/models/m/versions/1", json={"description": big})
    assert_error(response, 413, "LIMIT_EXCEEDED")
    assert http.get(f"{API}/models/m/versions/1").json()["description"] == ""


def test_body_over_16_mib_is_413(http):
    body = json.dumps({"name": "m", "description": "d" * (16 * 1024 * 1024)}).encode()
    response = http.post(
        f"{API}/models", content=body, headers={"Content-Type": "application/json"}
    )
    assert_error(response, 413, "LIMIT_EXCEEDED")
    assert model_names(http) == []


def test_streamed_body_over_16_mib_is_413(http):
    def chunks():
        yield b'{"name": "m", "description": "'
        for _ in range(17):
            yield b"d" * (1024 * 1024)
        yield b'"}'

    response = http.post(
        f"{API}/models", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert_error(response, 413, "LIMIT_EXCEEDED")
    assert model_names(http) == []


@pytest.mark.parametrize(
    "path",
    ["/etc/passwd", "../escape", "a/../../escape", "..", "a\x00b", "a\\b", "a//b", "C:/x"],
)
def test_unsafe_file_path_at_upload_start_is_400(http, services, path):
    response = http.post(f"{API}/models/m/uploads", json=draft_json({path: b"evil"}))
    error = assert_error(response, 400, "INVALID_ARGUMENT")
    assert error["details"]["field"] == "path"
    assert model_names(http) == []
    assert nothing_uploaded(services)


def test_duplicate_and_clashing_file_paths_are_400(http):
    body = draft_json({"a": b"1"})
    body["files"] = [*body["files"], *body["files"]]
    assert_error(http.post(f"{API}/models/m/uploads", json=body), 400, "INVALID_ARGUMENT")
    response = http.post(f"{API}/models/m/uploads", json=draft_json({"a": b"1", "a/b": b"2"}))
    assert_error(response, 400, "INVALID_ARGUMENT")


def test_invalid_declared_digest_is_400(http):
    body = draft_json()
    body["files"][0]["digest"] = "md5:abc"
    assert_error(http.post(f"{API}/models/m/uploads", json=body), 400, "INVALID_ARGUMENT")
    body["files"][0]["digest"] = "blake3:" + "A" * 64
    assert_error(http.post(f"{API}/models/m/uploads", json=body), 400, "INVALID_ARGUMENT")


def test_negative_declared_size_is_400(http):
    body = draft_json()
    body["files"][0]["size"] = -1
    assert_error(http.post(f"{API}/models/m/uploads", json=body), 400, "INVALID_ARGUMENT")


# -- the upload protocol ---------------------------------------------------------------------


def test_commit_without_the_blob_is_400_missing_blobs(http, services):
    create_model(http, "m")
    session = start_upload(http, "m", {"a.bin": b"never sent"})
    assert session["missing"] == [str(digest_of(b"never sent"))]
    error = assert_error(commit(http, session["upload_id"]), 400, "MISSING_BLOBS")
    assert error["details"]["missing"] == [str(digest_of(b"never sent"))]
    assert "a.bin" in error["message"]
    assert version_numbers(http, "m") == []
    assert http.get(f"{API}/models/m").json()["latest_version"] is None


def test_commit_without_the_blob_does_not_create_the_model(http):
    session = start_upload(http, "fresh", {"a.bin": b"never sent"})
    assert_error(commit(http, session["upload_id"]), 400, "MISSING_BLOBS")
    assert model_names(http) == []


def test_blob_not_matching_its_digest_is_400_digest_mismatch(http, services):
    create_model(http, "m")
    session = start_upload(http, "m", {"a.bin": b"hello"})
    declared = digest_of(b"hello")
    response = put_blob(http, session["upload_id"], b"hellp", digest=declared)
    error = assert_error(response, 400, "DIGEST_MISMATCH")
    assert error["details"]["expected"] == str(declared)
    assert error["details"]["actual"] == str(digest_of(b"hellp"))
    assert not services.blobs.exists(declared)
    assert not services.blobs.exists(digest_of(b"hellp"))
    assert nothing_uploaded(services)
    assert_error(commit(http, session["upload_id"]), 400, "MISSING_BLOBS")
    assert version_numbers(http, "m") == []


def test_session_survives_a_bad_blob_and_commits_with_the_right_one(http):
    session = start_upload(http, "m", {"a.bin": b"hello"})
    declared = digest_of(b"hello")
    assert put_blob(http, session["upload_id"], b"hellp", digest=declared).status_code == 400
    assert put_blob(http, session["upload_id"], b"hello").status_code == 201
    assert commit(http, session["upload_id"]).json()["version"] == 1


def test_blob_larger_than_declared_is_refused(http, services):
    create_model(http, "m")
    session = start_upload(http, "m", {"a.bin": b"hello"})
    response = put_blob(http, session["upload_id"], b"hello, world", digest=digest_of(b"hello"))
    assert response.status_code == 400
    assert response.json()["error"]["code"] in {"INVALID_ARGUMENT", "DIGEST_MISMATCH"}
    assert_error(response, 400, response.json()["error"]["code"])
    assert nothing_uploaded(services)
    assert_error(commit(http, session["upload_id"]), 400, "MISSING_BLOBS")
    assert version_numbers(http, "m") == []


def test_blob_smaller_than_declared_is_400_digest_mismatch(http, services):
    session = start_upload(http, "m", {"a.bin": b"hello"})
    response = put_blob(http, session["upload_id"], b"hell", digest=digest_of(b"hello"))
    assert_error(response, 400, "DIGEST_MISMATCH")
    assert nothing_uploaded(services)


def test_blob_not_part_of_the_session_is_400(http, services):
    session = start_upload(http, "m", {"a.bin": b"hello"})
    response = put_blob(http, session["upload_id"], b"intruder")
    error = assert_error(response, 400, "INVALID_ARGUMENT")
    assert error["details"]["digest"] == str(digest_of(b"intruder"))
    assert nothing_uploaded(services)


def test_blob_for_unknown_upload_is_404(http, services):
    assert_error(put_blob(http, "no-such-upload", b"x"), 404, "UPLOAD_NOT_FOUND")
    assert_error(commit(http, "no-such-upload"), 404, "UPLOAD_NOT_FOUND")
    assert nothing_uploaded(services)


def test_blob_with_malformed_digest_is_400(http):
    session = start_upload(http, "m", {"a.bin": b"hello"})
    response = put_blob(http, session["upload_id"], b"hello", digest="blake3:xyz")
    assert_error(response, 400, "INVALID_ARGUMENT")


def test_commit_twice_creates_one_version(http):
    session = start_upload(http, "m", {"a.bin": b"hello"})
    put_blob(http, session["upload_id"], b"hello")
    assert commit(http, session["upload_id"]).status_code == 201
    assert_error(commit(http, session["upload_id"]), 404, "UPLOAD_NOT_FOUND")
    assert version_numbers(http, "m") == [1]


def test_cancelled_upload_cannot_be_committed(http):
    session = start_upload(http, "m", {"a.bin": b"hello"})
    put_blob(http, session["upload_id"], b"hello")
    assert http.delete(f"{API}/uploads/{session['upload_id']}").status_code == 204
    assert http.delete(f"{API}/uploads/{session['upload_id']}").status_code == 204
    assert_error(commit(http, session["upload_id"]), 404, "UPLOAD_NOT_FOUND")
    assert model_names(http) == []


def test_known_content_is_not_reported_missing(http):
    push(http, "m", {"a.bin": b"hello"})
    assert start_upload(http, "other", {"copy.bin": b"hello"})["missing"] == []


# -- malformed requests ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", [b'{"name": ', b"not json", b"[]", b'{"name": 5}', b'{"name": "m", "extra": 1}']
)
def test_malformed_json_is_400_invalid_argument(http, raw):
    response = http.post(f"{API}/models", content=raw, headers={"Content-Type": "application/json"})
    assert_error(response, 400, "INVALID_ARGUMENT")
    assert model_names(http) == []


def test_malformed_upload_body_is_400(http, services):
    response = http.post(
        f"{API}/models/m/uploads",
        content=b'{"files": [',
        headers={"Content-Type": "application/json"},
    )
    assert_error(response, 400, "INVALID_ARGUMENT")
    assert_error(http.post(f"{API}/models/m/uploads", json={}), 400, "INVALID_ARGUMENT")
    assert model_names(http) == []


@pytest.mark.parametrize(
    ("route", "text", "named"),
    [
        ("models", "nme = 'x'", "nme"),
        ("versions", "metrics.auc > 'high'", "metrics.auc"),
        ("versions", "name = 'x' AND", "end"),
        ("models", "ORDER BY alias", "alias"),
        ("versions", "tags.team = 'ml' LIMIT 0", "LIMIT"),
    ],
)
def test_invalid_filter_is_400_invalid_filter_naming_the_problem(http, route, text, named):
    error = assert_error(http.get(f"{API}/{route}", params={"filter": text}), 400, "INVALID_FILTER")
    assert named.lower() in error["message"].lower()
    assert isinstance(error["details"]["position"], int)
    assert error["details"]["filter"] == text


@pytest.mark.parametrize("cursor", ["garbage!", "eyJvIjogLTF9", "e30"])
def test_invalid_cursor_is_400(http, cursor):
    error = assert_error(
        http.get(f"{API}/versions", params={"cursor": cursor}), 400, "INVALID_ARGUMENT"
    )
    assert error["details"]["field"] == "cursor"


def test_cursor_of_another_query_is_400(http):
    for name in ("a", "b", "c"):
        create_model(http, name)
    page = http.get(f"{API}/models", params={"limit": 1}).json()
    assert page["next_cursor"]
    response = http.get(f"{API}/versions", params={"cursor": page["next_cursor"]})
    assert_error(response, 400, "INVALID_ARGUMENT")
    response = http.get(
        f"{API}/models", params={"cursor": page["next_cursor"], "filter": "name = 'c'"}
    )
    assert_error(response, 400, "INVALID_ARGUMENT")


@pytest.mark.parametrize("limit", ["0", "-1", "1001", "many"])
def test_invalid_page_size_is_400(http, limit):
    assert_error(http.get(f"{API}/models", params={"limit": limit}), 400, "INVALID_ARGUMENT")


def test_unknown_route_is_404_with_error_json(http):
    assert_error(http.get(f"{API}/nothing-here"), 404, "NOT_FOUND")


# -- downloads -------------------------------------------------------------------------------


@pytest.fixture
def stored(http) -> str:
    """A version m/1 with DATA at weights.bin and a nested file; returns DATA's digest."""
    push(http, "m", {"weights.bin": DATA, "sub/tok.txt": b"a b c\n"})
    return str(digest_of(DATA))


def test_blob_get_returns_the_content(http, stored):
    response = http.get(f"{API}/blobs/{stored}")
    assert response.status_code == 200
    assert response.content == DATA
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["content-length"] == str(len(DATA))


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=2-5", 2, 5),
        ("bytes=0-0", 0, 0),
        ("bytes=1000-", 1000, 1023),
        ("bytes=1000-5000", 1000, 1023),
        ("bytes=-3", 1021, 1023),
        ("bytes=-5000", 0, 1023),
    ],
)
def test_blob_range_request_is_206_with_content_range(http, stored, header, start, end):
    response = http.get(f"{API}/blobs/{stored}", headers={"Range": header})
    assert response.status_code == 206
    assert response.headers["content-range"] == f"bytes {start}-{end}/{len(DATA)}"
    assert response.content == DATA[start : end + 1]
    assert response.headers["content-length"] == str(end - start + 1)


@pytest.mark.parametrize("header", ["bytes=1024-", "bytes=5000-6000", "bytes=-0"])
def test_unsatisfiable_range_is_416(http, stored, header):
    response = http.get(f"{API}/blobs/{stored}", headers={"Range": header})
    assert_error(response, 416, "RANGE_NOT_SATISFIABLE")


@pytest.mark.parametrize("header", ["items=0-1", "bytes=abc", "bytes=0-1,4-5"])
def test_unparseable_range_is_ignored(http, stored, header):
    response = http.get(f"{API}/blobs/{stored}", headers={"Range": header})
    assert response.status_code == 200
    assert response.content == DATA


def test_blob_head_reports_size_without_body(http, stored):
    response = http.head(f"{API}/blobs/{stored}")
    assert response.status_code == 200
    assert response.headers["content-length"] == str(len(DATA))
    assert response.headers["x-modelreg-digest"] == stored
    assert response.content == b""


def test_unknown_blob_is_404(http):
    assert_error(http.get(f"{API}/blobs/{ZERO_DIGEST}"), 404, "BLOB_NOT_FOUND")
    assert http.head(f"{API}/blobs/{ZERO_DIGEST}").status_code == 404


def test_malformed_blob_digest_is_400(http):
    assert_error(http.get(f"{API}/blobs/sha1:abc"), 400, "INVALID_ARGUMENT")


def test_version_file_is_returned_by_path(http, stored):
    response = http.get(f"{API}/models/m/versions/1/files/sub/tok.txt")
    assert response.status_code == 200
    assert response.content == b"a b c\n"
    ranged = http.get(f"{API}/models/m/versions/1/files/weights.bin", headers={"Range": "bytes=-2"})
    assert ranged.status_code == 206
    assert ranged.content == DATA[-2:]


def test_missing_version_file_is_404(http, stored):
    assert_error(http.get(f"{API}/models/m/versions/1/files/nope.bin"), 404, "NOT_FOUND")
    assert_error(http.get(f"{API}/models/m/versions/9/files/weights.bin"), 404, "VERSION_NOT_FOUND")


# -- service endpoints -----------------------------------------------------------------------


def test_healthz(http):
    response = http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_openapi_schema_lists_the_api(http):
    response = http.get("/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert f"{API}/models" in paths
    assert f"{API}/blobs/{{digest}}" in paths


def test_docs_page(http):
    response = http.get("/docs")
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]


def test_info_names_the_database(http, database_url):
    response = http.get(f"{API}/info")
    assert response.status_code == 200
    expected = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    assert response.json()["database"] == expected
