"""The canonical manifest bytes: what a signature covers, independent of order and number form."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from modelreg.domain.digests import Digest
from modelreg.domain.entities import FileEntry, Lineage, ModelVersion, VersionStatus
from modelreg.domain.errors import InvalidArgumentError
from modelreg.domain.policy import AliasRule, Outcome, check_signed, merge_documents, parse_policy
from modelreg.domain.signing import (
    canonical_manifest,
    fingerprint,
    validate_fingerprint,
    validate_key_name,
)

A = Digest.parse("sha256:" + "a" * 64)
B = Digest.parse("sha256:" + "b" * 64)


def version(**changes: object) -> ModelVersion:
    fields: dict[str, object] = {
        "model_name": "fraud",
        "version": 3,
        "status": VersionStatus.READY,
        "description": "first",
        "params": {"lr": "0.1"},
        "metrics": {"auc": 0.9, "epochs": 3.0},
        "tags": {"team": "risk"},
        "lineage": Lineage(datasets=("s3://d",), run_id="r1"),
        "files": (FileEntry("b.bin", 2, B), FileEntry("a.bin", 1, A)),
        "created_by": "ann",
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
        "updated_at": datetime(2026, 1, 1, tzinfo=UTC),
    }
    fields.update(changes)
    return ModelVersion(**fields)  # type: ignore[arg-type]


def test_the_bytes_are_canonical_json_with_sorted_files() -> None:
    data = canonical_manifest(version())
    document = json.loads(data)
    assert document["format"] == "modelreg.manifest.v1"
    assert [f["path"] for f in document["files"]] == ["a.bin", "b.bin"]
    assert document["metrics"] == {"auc": 0.9, "epochs": 3}  # a whole float as an integer
    assert b" " not in data
    assert data == json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def test_file_order_and_mutable_fields_do_not_change_the_bytes() -> None:
    reordered = version(files=(FileEntry("a.bin", 1, A), FileEntry("b.bin", 2, B)))
    relabelled = version(description="changed", tags={}, aliases=("production",))
    assert canonical_manifest(reordered) == canonical_manifest(version())
    assert canonical_manifest(relabelled) == canonical_manifest(version())


@pytest.mark.parametrize(
    "change",
    [
        {"model_name": "other"},
        {"version": 4},
        {"files": (FileEntry("a.bin", 1, B), FileEntry("b.bin", 2, B))},
        {"files": (FileEntry("a.bin", 9, A), FileEntry("b.bin", 2, B))},
        {"metrics": {"auc": 0.91, "epochs": 3.0}},
        {"params": {"lr": "0.2"}},
        {"lineage": Lineage(datasets=("s3://e",), run_id="r1")},
    ],
)
def test_everything_immutable_is_covered(change: dict[str, object]) -> None:
    assert canonical_manifest(version(**change)) != canonical_manifest(version())


def test_names_and_fingerprints() -> None:
    assert fingerprint(b"\x01" * 32).startswith("ed25519:")
    assert validate_fingerprint(fingerprint(b"\x01" * 32))
    assert validate_key_name("release-2026.1") == "release-2026.1"
    for bad in ("", "-x", "a/b", "x" * 65, "a b"):
        with pytest.raises(InvalidArgumentError):
            validate_key_name(bad)
    with pytest.raises(InvalidArgumentError):
        validate_fingerprint("sha256:" + "0" * 64)


def test_the_signed_policy_rule() -> None:
    policy = parse_policy({"aliases": {"production": {"signed": True}}})
    rule = policy.aliases["production"]
    assert rule.signed
    assert check_signed("production", rule, False).outcome is Outcome.FAIL  # type: ignore[union-attr]
    assert check_signed("production", rule, True).outcome is Outcome.PASS  # type: ignore[union-attr]
    assert check_signed("staging", AliasRule(), False) is None
    with pytest.raises(
        InvalidArgumentError, match=r"aliases\.production\.signed must be true or false"
    ):
        parse_policy({"aliases": {"production": {"signed": "yes"}}})
    merged = merge_documents(
        {"aliases": {"production": {"signed": True}}}, {"aliases": {"production": {"approvals": 1}}}
    )
    assert merged["aliases"]["production"] == {"signed": True, "approvals": 1}
