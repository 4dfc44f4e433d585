"""The transport half of signing: keys and signatures over HTTP or in-process.

``Transport`` includes ``SignatureTransport``; ``HttpTransport`` and ``EmbeddedTransport`` get
these methods from the mixins here (the embedded one in ``signing_embedded.py``, so importing
the HTTP client never loads the service layer).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from modelreg import routes
from modelreg.domain.signing import ManifestSignature, SigningKey


class SignatureTransport(Protocol):
    def add_signing_key(self, name: str, public_key: str) -> SigningKey: ...

    def list_signing_keys(self) -> list[SigningKey]: ...

    def revoke_signing_key(self, name: str) -> SigningKey: ...

    def attach_signature(
        self, name: str, version: int, *, key_fingerprint: str, signature: str
    ) -> ManifestSignature: ...

    def list_signatures(self, name: str, version: int) -> list[ManifestSignature]: ...


class HttpSignatures:
    """Mixin of ``HttpTransport`` (which provides ``_json``)."""

    _json: Callable[..., Any]

    def add_signing_key(self, name: str, public_key: str) -> SigningKey:
        body = {"name": name, "public_key": public_key}
        return key_from_json(self._json("POST", routes.SIGNING_KEYS, json=body))

    def list_signing_keys(self) -> list[SigningKey]:
        return [key_from_json(k) for k in self._json("GET", routes.SIGNING_KEYS)["items"]]

    def revoke_signing_key(self, name: str) -> SigningKey:
        return key_from_json(self._json("DELETE", routes.url(routes.SIGNING_KEY, key_name=name)))

    def attach_signature(
        self, name: str, version: int, *, key_fingerprint: str, signature: str
    ) -> ManifestSignature:
        path = routes.url(routes.VERSION_SIGNATURES, name=name, version=version)
        body = {"key_fingerprint": key_fingerprint, "signature": signature}
        return signature_from_json(self._json("POST", path, json=body))

    def list_signatures(self, name: str, version: int) -> list[ManifestSignature]:
        path = routes.url(routes.VERSION_SIGNATURES, name=name, version=version)
        return [signature_from_json(s) for s in self._json("GET", path)["items"]]


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


def key_from_json(data: dict[str, Any]) -> SigningKey:
    added_at = _time(data["added_at"])
    assert added_at is not None  # noqa: S101 - the schema makes it required
    return SigningKey(
        name=data["name"],
        fingerprint=data["fingerprint"],
        public_key=data["public_key"],
        added_by=data["added_by"],
        added_at=added_at,
        revoked_by=data.get("revoked_by"),
        revoked_at=_time(data.get("revoked_at")),
    )


def signature_from_json(data: dict[str, Any]) -> ManifestSignature:
    signed_at = _time(data["signed_at"])
    assert signed_at is not None  # noqa: S101 - the schema makes it required
    return ManifestSignature(
        model_name=data["model"],
        version=data["version"],
        key_fingerprint=data["key_fingerprint"],
        signature=data["signature"],
        signed_by=data["signed_by"],
        signed_at=signed_at,
        key_name=data.get("key_name"),
    )
