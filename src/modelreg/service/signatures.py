"""Signing keys the registry trusts, and signatures of version manifests.

The registry never signs anything itself: a publisher signs on its own machine
(``modelreg sign``) and uploads the signature, which is checked against the version's canonical
manifest and a registered, unrevoked key before it is stored. Clients that do not want to trust
the registry's key list verify against keys of their own (``modelreg verify --trusted-key``).
"""

from __future__ import annotations

from modelreg.domain.entities import Event
from modelreg.domain.errors import VerificationError
from modelreg.domain.rules import validate_model_name
from modelreg.domain.signing import (
    ManifestSignature,
    SigningKey,
    validate_fingerprint,
    validate_key_name,
)
from modelreg.service.clock import Clock, utcnow
from modelreg.signing import decode_signature, load_public_key, signature_matches
from modelreg.store.base import MetadataStore, MetadataTransaction


def _key_record(key: SigningKey) -> dict[str, str]:
    return {"name": key.name, "fingerprint": key.fingerprint}


def valid_signers(tx: MetadataTransaction, model_name: str, version: int) -> list[str]:
    """Names of the registered, unrevoked keys whose signature matches the version's manifest
    as the database holds it now (so a manifest edited after signing has no valid signer)."""
    candidate = tx.get_version(model_name, version)
    signers = []
    for signature in tx.list_signatures(model_name, version):
        key = tx.find_signing_key(signature.key_fingerprint)
        if key is None or key.revoked:
            continue
        if signature_matches(load_public_key(key.public_key), candidate, signature.signature):
            signers.append(key.name)
    return signers


def store_signatures(tx: MetadataTransaction, model_name: str, version: int) -> bool:
    """The policy's lookup: does the version carry at least one valid signature?"""
    return bool(valid_signers(tx, model_name, version))


class Signatures:
    def __init__(self, store: MetadataStore, *, clock: Clock = utcnow) -> None:
        self.store = store
        self.clock = clock

    # -- keys --------------------------------------------------------------------------------

    def add_key(self, name: str, public_key: str, *, actor: str) -> SigningKey:
        """Trust ``public_key`` (PEM, Ed25519) under ``name``."""
        validate_key_name(name)
        parsed = load_public_key(public_key)
        now = self.clock()
        with self.store.transaction(write=True) as tx:
            key = tx.add_signing_key(name, parsed.pem, parsed.fingerprint, actor=actor, now=now)
            tx.add_event(
                Event(
                    "",  # registry-wide: keys are not tied to a model
                    "signing_key.added",
                    actor,
                    now,
                    target=f"signing_key:{name}",
                    after=_key_record(key),
                )
            )
        return key

    def list_keys(self) -> list[SigningKey]:
        with self.store.transaction() as tx:
            return tx.list_signing_keys()

    def get_key(self, name: str) -> SigningKey:
        validate_key_name(name)
        with self.store.transaction() as tx:
            return tx.get_signing_key(name)

    def remove_key(self, name: str, *, actor: str) -> SigningKey:
        """Revoke a key: its signatures stop counting; its name and fingerprint stay taken so
        the same key cannot quietly come back under another name."""
        validate_key_name(name)
        now = self.clock()
        with self.store.transaction(write=True) as tx:
            before = tx.get_signing_key(name)
            key = tx.revoke_signing_key(name, actor=actor, now=now)
            if not before.revoked:
                tx.add_event(
                    Event(
                        "",
                        "signing_key.revoked",
                        actor,
                        now,
                        target=f"signing_key:{name}",
                        before=_key_record(before),
                    )
                )
        return key

    # -- signatures --------------------------------------------------------------------------

    def attach_signature(
        self, name: str, version: int, *, key_fingerprint: str, signature: str, actor: str
    ) -> ManifestSignature:
        """Store a signature of ``name``/``version`` after checking it against the manifest
        and the registered key; ``VerificationError`` when either does not hold."""
        validate_model_name(name)
        validate_fingerprint(key_fingerprint)
        decode_signature(signature)
        now = self.clock()
        with self.store.transaction(write=True) as tx:
            candidate = tx.get_version(name, version)
            key = tx.find_signing_key(key_fingerprint)
            if key is None:
                raise VerificationError(
                    f"key {key_fingerprint} is not registered; an administrator adds it with "
                    "'modelreg key add NAME PUBLIC_KEY.pem'",
                    key_fingerprint=key_fingerprint,
                )
            if key.revoked:
                raise VerificationError(
                    f"key {key.name!r} ({key_fingerprint}) is revoked", key=key.name
                )
            if not signature_matches(load_public_key(key.public_key), candidate, signature):
                raise VerificationError(
                    f"the signature does not match the manifest of {name}/{version} "
                    f"with key {key.name!r}",
                    key=key.name,
                )
            stored = tx.add_signature(
                name,
                version,
                key_fingerprint=key_fingerprint,
                signature=signature,
                actor=actor,
                now=now,
            )
            tx.add_event(
                Event(
                    name,
                    "version.signed",
                    actor,
                    now,
                    version,
                    {"key": key.name, "fingerprint": key_fingerprint},
                    after={"key": key.name, "fingerprint": key_fingerprint},
                )
            )
        return stored

    def list_signatures(self, name: str, version: int) -> list[ManifestSignature]:
        validate_model_name(name)
        with self.store.transaction() as tx:
            return tx.list_signatures(name, version)

    def signature_status(self, name: str, version: int) -> list[tuple[ManifestSignature, str]]:
        """Each stored signature with its state now: ``valid``, ``revoked key``, ``unknown key``
        or ``does not match`` (the manifest changed after signing), as the policy sees it."""
        validate_model_name(name)
        with self.store.transaction() as tx:
            candidate = tx.get_version(name, version)
            found = []
            for signature in tx.list_signatures(name, version):
                key = tx.find_signing_key(signature.key_fingerprint)
                if key is None:
                    state = "unknown key"
                elif key.revoked:
                    state = "revoked key"
                elif signature_matches(
                    load_public_key(key.public_key), candidate, signature.signature
                ):
                    state = "valid"
                else:
                    state = "does not match"
                found.append((signature, state))
        return found
