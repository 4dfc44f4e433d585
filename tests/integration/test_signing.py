"""Signing and verification through the SDK, embedded and over HTTP, on SQLite and PostgreSQL:
the round trip, and every way a signed version can be tampered with."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from modelreg.client.client import Client
from modelreg.domain.errors import (
    InvalidArgumentError,
    PolicyViolationError,
    SigningKeyNotFoundError,
    VerificationError,
)
from modelreg.signing import generate_key_pair, load_private_key, sign_manifest
from modelreg.wiring import Services


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    """Two key pairs: ``release`` (private) / ``release.pub`` and ``other`` / ``other.pub``."""
    folder = tmp_path / "keys"
    folder.mkdir()
    found = {}
    for name in ("release", "other"):
        public, _ = generate_key_pair(folder / name)
        found[name] = folder / name
        found[f"{name}.pub"] = public
    return found


@pytest.fixture
def signed(client: Client, model_dir: Path, keys: dict[str, Path]) -> str:
    client.push("fraud", model_dir, metrics={"auc": 0.9, "n": 3.0}, params={"lr": 0.1})
    client.add_signing_key("release", keys["release.pub"])
    client.sign("fraud/1", keys["release"])
    return "fraud/1"


def blob_file(home: Path, digest: str) -> Path:
    """The stored copy of ``digest`` in the local blob folder."""
    [path] = (home / "blobs").rglob(digest.split(":")[1])
    return path


def test_sign_and_verify_round_trip(client: Client, signed: str, keys: dict[str, Path]) -> None:
    report = client.verify(signed)
    assert (report.model_name, report.version, report.files_checked) == ("fraud", 1, 3)
    assert report.signers == ("release",)
    assert report.trust == "registry"
    [signature] = client.signatures(signed)
    assert signature.key_name == "release"
    assert signature.signed_by == "alice"
    assert report.fingerprints == (signature.key_fingerprint,)
    events = [e.action for e in client.events("fraud")]
    assert "version.signed" in events
    # Trusting only the local public key file gives the same answer.
    local = client.verify(signed, trusted_keys=[keys["release.pub"]])
    assert (local.signers, local.trust) == (("release",), "local")


def test_verify_a_pulled_directory(client: Client, signed: str, tmp_path: Path) -> None:
    pulled = client.pull(signed, tmp_path / "out")
    assert client.verify(signed, directory=pulled).files_checked == 3
    (pulled / "sub" / "tokenizer.txt").write_text("a b d\n")
    with pytest.raises(VerificationError, match=r"'sub/tokenizer\.txt' does not match"):
        client.verify(signed, directory=pulled)
    (pulled / "config.json").unlink()
    with pytest.raises(VerificationError, match=r"'config\.json' is missing"):
        client.verify(signed, directory=pulled)


def test_a_tampered_blob_fails_naming_the_file(client: Client, signed: str, tmp_path: Path) -> None:
    version = client.resolve(signed)
    weights = next(e for e in version.files if e.path == "weights.bin")
    stored = blob_file(tmp_path / "home", str(weights.digest))
    data = bytearray(stored.read_bytes())
    data[1000] ^= 0xFF  # one flipped byte, same length
    stored.write_bytes(bytes(data))
    with pytest.raises(VerificationError, match=r"file 'weights\.bin' does not match"):
        client.verify(signed)


def test_a_manifest_edited_in_the_database_breaks_the_signature(
    client: Client, signed: str, services: Services, tmp_path: Path
) -> None:
    version = client.resolve(signed)
    weights = next(e for e in version.files if e.path == "weights.bin")
    config = next(e for e in version.files if e.path == "config.json")
    with services.metadata.engine.begin() as connection:
        connection.execute(
            text("UPDATE version_files SET digest = :new, size = :size WHERE digest = :old"),
            {"new": str(weights.digest), "size": weights.size, "old": str(config.digest)},
        )
    with pytest.raises(VerificationError, match="does not match its manifest"):
        client.verify(signed)
    with pytest.raises(VerificationError, match="does not match its manifest"):
        client.pull(signed, tmp_path / "never-written")
    assert not (tmp_path / "never-written").exists()


def test_pull_refuses_a_signed_version_with_a_bad_signature(
    client: Client, signed: str, services: Services, tmp_path: Path
) -> None:
    forged = base64.b64encode(bytes(64)).decode()
    with services.metadata.engine.begin() as connection:
        connection.execute(text("UPDATE manifest_signatures SET signature = :s"), {"s": forged})
    dest = tmp_path / "out"
    with pytest.raises(VerificationError, match="'release' does not match"):
        client.pull(signed, dest)
    assert not dest.exists() or not any(dest.iterdir())
    # Skipping the check is explicit; the files are still checked against their digests.
    assert (client.pull(signed, dest, verify=False) / "weights.bin").is_file()


def test_an_unsigned_version_pulls_but_does_not_verify(
    client: Client, model_dir: Path, tmp_path: Path
) -> None:
    client.push("plain", model_dir)
    assert (client.pull("plain/1", tmp_path / "out") / "config.json").is_file()
    with pytest.raises(VerificationError, match=r"plain/1 is not signed"):
        client.verify("plain/1")


def test_only_registered_keys_can_attach_and_only_trusted_keys_count(
    client: Client, signed: str, keys: dict[str, Path]
) -> None:
    with pytest.raises(VerificationError, match="is not registered"):
        client.sign(signed, keys["other"])
    # A signature by one key presented as another's does not get in either.
    version = client.resolve(signed)
    registered = client.signing_keys()[0].fingerprint
    forged = sign_manifest(load_private_key(keys["other"]), version)
    with pytest.raises(VerificationError, match="does not match the manifest"):
        client.transport.attach_signature("fraud", 1, key_fingerprint=registered, signature=forged)
    # Trusting only another key, the release signature does not count.
    with pytest.raises(
        VerificationError, match=r"signed only by keys you do not trust \(release\)"
    ):
        client.verify(signed, trusted_keys=[keys["other.pub"]])
    assert len(client.signatures(signed)) == 1


def test_trusted_keys_from_the_environment(
    client: Client,
    signed: str,
    keys: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("MODELREG_TRUSTED_KEYS", str(keys["other.pub"]))
    with pytest.raises(VerificationError, match="do not trust"):
        client.pull(signed, tmp_path / "never-written")
    monkeypatch.setenv("MODELREG_TRUSTED_KEYS", f"{keys['other.pub']}:{keys['release.pub']}")
    assert client.verify(signed).trust == "local"


def test_a_revoked_key_no_longer_counts(client: Client, signed: str, keys: dict[str, Path]) -> None:
    revoked = client.remove_signing_key("release")
    assert revoked.revoked
    with pytest.raises(VerificationError, match="do not trust"):
        client.verify(signed)
    with pytest.raises(VerificationError, match="is revoked"):
        client.sign(signed, keys["release"])
    with pytest.raises(SigningKeyNotFoundError):
        client.remove_signing_key("nobody")


def test_key_registration_rules(client: Client, keys: dict[str, Path]) -> None:
    client.add_signing_key("release", keys["release.pub"])
    with pytest.raises(Exception, match="already registered") as found:
        client.add_signing_key("again", keys["release.pub"])
    assert found.value.code == "ALREADY_EXISTS"  # type: ignore[attr-defined]
    with pytest.raises(InvalidArgumentError, match="not a PEM public key"):
        client.add_signing_key("junk", "hello")
    with pytest.raises(InvalidArgumentError, match="invalid key name"):
        client.add_signing_key("../x", keys["other.pub"])
    assert [k.name for k in client.signing_keys()] == ["release"]


def test_promotion_requires_a_signature_when_the_policy_says_so(
    client: Client, model_dir: Path, keys: dict[str, Path]
) -> None:
    client.set_policy({"aliases": {"production": {"signed": True}}})
    client.push("fraud", model_dir)
    report = client.check_policy("fraud/1", alias="production")
    assert [r.rule for r in report.failures] == ["aliases.production.signed"]
    with pytest.raises(PolicyViolationError, match="no valid signature"):
        client.request_promotion("fraud", "production", 1, reason="ship it")
    client.add_signing_key("release", keys["release.pub"])
    client.sign("fraud/1", keys["release"])
    client.request_promotion("fraud", "production", 1, reason="ship it")
    assert client.get_model("fraud").aliases["production"] == 1
    # Revoking the key makes the signature stop counting for the next promotion.
    client.push("fraud", model_dir)
    client.sign("fraud/2", keys["release"])
    client.remove_signing_key("release")
    with pytest.raises(PolicyViolationError, match="no valid signature"):
        client.request_promotion("fraud", "production", 2, reason="next")


def test_the_version_page_shows_each_signature_and_its_state_now(
    client: Client, signed: str, services: Services, http: TestClient
) -> None:
    page = http.get("/models/fraud/versions/1").text
    assert 'id="signatures"' in page
    assert ">signed<" in page
    assert ">valid<" in page
    assert "release" in page

    version = client.resolve(signed)
    [weights, config] = sorted(
        (e for e in version.files if e.path in ("weights.bin", "config.json")),
        key=lambda e: e.path != "weights.bin",
    )
    with services.metadata.engine.begin() as connection:
        connection.execute(
            text("UPDATE version_files SET digest = :new, size = :size WHERE digest = :old"),
            {"new": str(weights.digest), "size": weights.size, "old": str(config.digest)},
        )
    edited = http.get("/models/fraud/versions/1").text
    assert ">does not match<" in edited
    assert ">no valid signature<" in edited

    client.remove_signing_key("release")
    assert ">revoked key<" in http.get("/models/fraud/versions/1").text


def test_an_unsigned_version_page_says_so(
    client: Client, model_dir: Path, http: TestClient
) -> None:
    client.push("plain", model_dir)
    page = http.get("/models/plain/versions/1").text
    assert 'id="signatures"' in page
    assert "unsigned" in page
