"""The in-process half of ``client/signing.py``: a mixin of ``EmbeddedTransport``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from modelreg.domain.signing import ManifestSignature, SigningKey

if TYPE_CHECKING:
    from modelreg.wiring import Services


class EmbeddedSignatures:
    services: Services
    user: str

    def add_signing_key(self, name: str, public_key: str) -> SigningKey:
        return self.services.signatures.add_key(name, public_key, actor=self.user)

    def list_signing_keys(self) -> list[SigningKey]:
        return self.services.signatures.list_keys()

    def revoke_signing_key(self, name: str) -> SigningKey:
        return self.services.signatures.remove_key(name, actor=self.user)

    def attach_signature(
        self, name: str, version: int, *, key_fingerprint: str, signature: str
    ) -> ManifestSignature:
        return self.services.signatures.attach_signature(
            name, version, key_fingerprint=key_fingerprint, signature=signature, actor=self.user
        )

    def list_signatures(self, name: str, version: int) -> list[ManifestSignature]:
        return self.services.signatures.list_signatures(name, version)
