"""Wire schemas of signing keys and manifest signatures (beside ``schemas.py``, owned by the
signing feature)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from modelreg.domain.signing import MAX_KEY_PEM, MAX_SIGNATURE_TEXT, ManifestSignature, SigningKey
from modelreg.server.schemas import Schema


class SigningKeyCreate(Schema):
    name: str = Field(max_length=64)
    public_key: str = Field(max_length=MAX_KEY_PEM, description="PEM, Ed25519")


class SigningKeyOut(Schema):
    name: str
    fingerprint: str
    public_key: str
    added_by: str
    added_at: datetime
    revoked_by: str | None
    revoked_at: datetime | None

    @classmethod
    def from_entity(cls, key: SigningKey) -> SigningKeyOut:
        return cls(
            name=key.name,
            fingerprint=key.fingerprint,
            public_key=key.public_key,
            added_by=key.added_by,
            added_at=key.added_at,
            revoked_by=key.revoked_by,
            revoked_at=key.revoked_at,
        )


class SigningKeyList(Schema):
    items: list[SigningKeyOut]


class SignatureCreate(Schema):
    key_fingerprint: str = Field(max_length=80, description="ed25519:<sha256 hex of the key>")
    signature: str = Field(max_length=MAX_SIGNATURE_TEXT, description="base64 Ed25519 signature")


class SignatureOut(Schema):
    model: str
    version: int
    key_fingerprint: str
    key_name: str | None
    signature: str
    signed_by: str
    signed_at: datetime

    @classmethod
    def from_entity(cls, signature: ManifestSignature) -> SignatureOut:
        return cls(
            model=signature.model_name,
            version=signature.version,
            key_fingerprint=signature.key_fingerprint,
            key_name=signature.key_name,
            signature=signature.signature,
            signed_by=signature.signed_by,
            signed_at=signature.signed_at,
        )


class SignatureList(Schema):
    items: list[SignatureOut]
