"""Ed25519 keys and manifest signatures (the crypto half of ``domain/signing.py``).

Kept out of ``domain/`` because it imports ``cryptography``; the service layer (to check a
signature before storing it) and the SDK (to sign and verify) both use it.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

# ``cryptography`` is imported by the functions that use a key, not here: it adds ~7 MB to the
# resident size of every process that imports modelreg (the server included), and most never
# touch a signature. Server memory during transfers is a measured budget (docs/benchmarks.md).
if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

from modelreg.domain.entities import ModelVersion
from modelreg.domain.errors import InvalidArgumentError
from modelreg.domain.signing import MAX_KEY_PEM, MAX_SIGNATURE_TEXT, canonical_manifest, fingerprint


@dataclass(frozen=True, slots=True)
class PublicKey:
    key: Ed25519PublicKey
    pem: str
    fingerprint: str


def load_public_key(pem: str | bytes) -> PublicKey:
    """Parse a PEM public key; ``InvalidArgumentError`` unless it is an Ed25519 key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    data = pem.encode() if isinstance(pem, str) else pem
    if len(data) > MAX_KEY_PEM:
        raise InvalidArgumentError("the public key is too large for an Ed25519 key", field="key")
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as error:
        raise InvalidArgumentError(
            "not a PEM public key (expected '-----BEGIN PUBLIC KEY-----')", field="key"
        ) from error
    if not isinstance(key, Ed25519PublicKey):
        raise InvalidArgumentError("only Ed25519 public keys are supported", field="key")
    return _public(key)


def _public(key: Ed25519PublicKey) -> PublicKey:
    from cryptography.hazmat.primitives import serialization

    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    pem = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return PublicKey(key, pem, fingerprint(raw))


def load_private_key(path: Path) -> Ed25519PrivateKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        data = path.read_bytes()
    except OSError as error:
        raise InvalidArgumentError(f"cannot read the key {path}: {error.strerror}") from error
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as error:
        raise InvalidArgumentError(
            f"{path} is not an unencrypted PEM private key", field="key"
        ) from error
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidArgumentError(f"{path} is not an Ed25519 private key", field="key")
    return key


def public_key_of(private: Ed25519PrivateKey) -> PublicKey:
    return _public(private.public_key())


def generate_key_pair(out: Path) -> tuple[Path, PublicKey]:
    """Write a new private key to ``out`` (mode 0600, never overwriting) and its public key to
    ``out`` + ``.pub``; returns the public key's path and the key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = public_key_of(private)
    public_path = out.with_name(out.name + ".pub")
    # O_EXCL: never replace an existing key; the mode is set at creation, so the private key is
    # never readable by others, not even for an instant.
    try:
        descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as error:
        raise InvalidArgumentError(f"{out} already exists; refusing to overwrite a key") from error
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    public_path.write_text(public.pem)
    return public_path, public


def sign_manifest(private: Ed25519PrivateKey, version: ModelVersion) -> str:
    """The base64 Ed25519 signature of ``version``'s canonical manifest."""
    return base64.b64encode(private.sign(canonical_manifest(version))).decode()


def signature_matches(public: PublicKey, version: ModelVersion, signature: str) -> bool:
    """Does ``signature`` (base64) sign ``version``'s canonical manifest with ``public``?"""
    from cryptography.exceptions import InvalidSignature

    raw = decode_signature(signature)
    try:
        public.key.verify(raw, canonical_manifest(version))
    except InvalidSignature:
        return False
    return True


def decode_signature(signature: str) -> bytes:
    if not isinstance(signature, str) or len(signature) > MAX_SIGNATURE_TEXT:
        raise InvalidArgumentError("a signature must be base64 text", field="signature")
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError) as error:
        raise InvalidArgumentError("a signature must be base64 text", field="signature") from error
    if len(raw) != 64:
        raise InvalidArgumentError("an Ed25519 signature is 64 bytes", field="signature")
    return raw
