"""Port for signing keys and manifest signatures (part of ``MetadataTransaction``).

Same contract as ``store/base.py``: nothing commits on its own; missing things raise the
domain's ``NotFoundError`` subclasses, duplicates ``AlreadyExistsError``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from modelreg.domain.signing import ManifestSignature, SigningKey


class SignatureRepository(Protocol):
    def add_signing_key(
        self, name: str, public_key: str, fingerprint: str, *, actor: str, now: datetime
    ) -> SigningKey:
        """Register a key; ``AlreadyExistsError`` when its name or fingerprint is taken
        (revoked keys keep theirs)."""

    def get_signing_key(self, name: str) -> SigningKey:
        """``SigningKeyNotFoundError`` when no key has that name."""

    def find_signing_key(self, fingerprint: str) -> SigningKey | None: ...

    def list_signing_keys(self) -> list[SigningKey]:
        """Every key, revoked ones included, by name."""

    def revoke_signing_key(self, name: str, *, actor: str, now: datetime) -> SigningKey: ...

    def add_signature(
        self,
        model_name: str,
        version: int,
        *,
        key_fingerprint: str,
        signature: str,
        actor: str,
        now: datetime,
    ) -> ManifestSignature:
        """Store a signature of the version (replacing an earlier one by the same key)."""

    def list_signatures(self, model_name: str, version: int) -> list[ManifestSignature]:
        """The version's signatures, oldest first, with the names of registered keys."""
