"""What a manifest signature covers, defined once: the canonical bytes of a model version.

A signature is an Ed25519 signature over ``canonical_manifest(version)``::

    {"format": "modelreg.manifest.v1",
     "model": NAME, "version": N,
     "files": [{"path", "size", "digest"}, ...],      # sorted by path
     "params": {...}, "metrics": {...},
     "lineage": {"source_commit", "source_url", "datasets", "parent_version",
                 "run_id", "experiment_id"}}

encoded as canonical JSON: sorted keys, no spaces, UTF-8, no NaN, a float holding a whole
number written as an integer (the same rules as the audit chain, ``domain/audit.py``).

Covered: everything about a version that can never change after it is committed (files,
params, metrics, lineage) plus the name and number, so a signature cannot be replayed onto
another version or model. Not covered: description, tags, aliases and archiving, which are
meant to change after the fact. The ``format`` field separates these bytes from anything else
the same key might sign.

The crypto itself lives in ``modelreg/signing.py`` (it needs ``cryptography``); this module is
pure so the server, the SDK and the tests agree on the bytes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from modelreg.domain.audit import canonical_json
from modelreg.domain.entities import ModelVersion
from modelreg.domain.errors import InvalidArgumentError

MANIFEST_FORMAT = "modelreg.manifest.v1"
FINGERPRINT_PREFIX = "ed25519:"
MAX_KEY_PEM = 4096
MAX_SIGNATURE_TEXT = 200  # base64 of 64 bytes is 88 characters
_KEY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_FINGERPRINT = re.compile(r"^ed25519:[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A public key the registry trusts under ``name``; revoked keys stay listed, unused."""

    name: str
    fingerprint: str
    public_key: str  # PEM, SubjectPublicKeyInfo
    added_by: str
    added_at: datetime
    revoked_by: str | None = None
    revoked_at: datetime | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass(frozen=True, slots=True)
class ManifestSignature:
    """One signature of one version; ``key_name`` is None when the key is not registered."""

    model_name: str
    version: int
    key_fingerprint: str
    signature: str  # base64
    signed_by: str
    signed_at: datetime
    key_name: str | None = None


def manifest_document(version: ModelVersion) -> dict[str, Any]:
    lineage = version.lineage
    return {
        "format": MANIFEST_FORMAT,
        "model": version.model_name,
        "version": version.version,
        "files": [
            {"path": entry.path, "size": entry.size, "digest": str(entry.digest)}
            for entry in sorted(version.files, key=lambda entry: entry.path)
        ],
        "params": dict(version.params),
        "metrics": dict(version.metrics),
        "lineage": {
            "source_commit": lineage.source_commit,
            "source_url": lineage.source_url,
            "datasets": list(lineage.datasets),
            "parent_version": lineage.parent_version,
            "run_id": lineage.run_id,
            "experiment_id": lineage.experiment_id,
        },
    }


def canonical_manifest(version: ModelVersion) -> bytes:
    """The bytes a signature of ``version`` signs (see the module docstring)."""
    return canonical_json(manifest_document(version))


def fingerprint(raw_public_key: bytes) -> str:
    """``ed25519:<sha256 hex of the 32 raw key bytes>``: short, stable, format-independent."""
    return FINGERPRINT_PREFIX + hashlib.sha256(raw_public_key).hexdigest()


def validate_key_name(name: str) -> str:
    if not isinstance(name, str) or not _KEY_NAME.fullmatch(name):
        raise InvalidArgumentError(
            f"invalid key name {str(name)[:80]!r}: use 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
            field="name",
        )
    return name


def validate_fingerprint(value: str) -> str:
    if not isinstance(value, str) or not _FINGERPRINT.fullmatch(value):
        raise InvalidArgumentError(
            f"invalid key fingerprint {str(value)[:80]!r}: expected 'ed25519:' and 64 hex digits",
            field="key_fingerprint",
        )
    return value
