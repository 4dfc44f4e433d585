"""Signing and verifying versions from the SDK (``Client.sign``, ``Client.verify``, and the
check ``Client.pull`` makes before writing a signed version).

Everything is checked on the client's side: the signature against the manifest as the client
received it, with keys the client chose to trust (its own files, or the registry's list), and
every file's bytes against the manifest's digests. A registry that serves altered bytes, an
altered manifest or a signature by another key is caught here, whatever it claims.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from modelreg.client.files import read_file
from modelreg.client.transport import Transport
from modelreg.domain.entities import FileEntry, ModelVersion
from modelreg.domain.errors import InvalidArgumentError, NotFoundError, VerificationError
from modelreg.domain.signing import ManifestSignature, SigningKey
from modelreg.hashing import DigestHasher
from modelreg.signing import (
    PublicKey,
    load_private_key,
    load_public_key,
    public_key_of,
    sign_manifest,
    signature_matches,
)

TRUSTED_KEYS_ENV = "MODELREG_TRUSTED_KEYS"
"""Public key files (PEM) separated by ``os.pathsep``; when set, the registry's key list is not
consulted."""


@dataclass(frozen=True, slots=True)
class TrustedKey:
    name: str
    public: PublicKey


@dataclass(frozen=True, slots=True)
class VerificationReport:
    model_name: str
    version: int
    signers: tuple[str, ...]
    """Names of the trusted keys whose signatures match (file stems for local keys)."""
    fingerprints: tuple[str, ...]
    files_checked: int
    trust: str
    """``"local"`` (keys given by the caller) or ``"registry"`` (the registry's key list)."""


def load_trusted_keys(paths: Iterable[str | Path]) -> list[TrustedKey]:
    keys = []
    for path in map(Path, paths):
        try:
            text = path.read_bytes()
        except OSError as error:
            raise InvalidArgumentError(
                f"cannot read the trusted key {path}: {error.strerror}"
            ) from error
        keys.append(
            TrustedKey(path.name.removesuffix(".pub").removesuffix(".pem"), load_public_key(text))
        )
    return keys


def trusted_keys_from_env() -> list[TrustedKey] | None:
    configured = os.environ.get(TRUSTED_KEYS_ENV, "").strip()
    if not configured:
        return None
    return load_trusted_keys(p for p in configured.split(os.pathsep) if p)


def registry_trust(keys: Iterable[SigningKey]) -> list[TrustedKey]:
    return [TrustedKey(k.name, load_public_key(k.public_key)) for k in keys if not k.revoked]


def check_signatures(
    version: ModelVersion, signatures: Sequence[ManifestSignature], trusted: Sequence[TrustedKey]
) -> list[TrustedKey]:
    """The trusted keys whose signature matches ``version``; ``VerificationError`` when none."""
    ref = version.ref
    if not signatures:
        raise VerificationError(f"{ref} is not signed", model=version.model_name)
    by_fingerprint = {key.public.fingerprint: key for key in trusted}
    matched, mismatched = [], []
    for signature in signatures:
        key = by_fingerprint.get(signature.key_fingerprint)
        if key is None:
            continue
        if signature_matches(key.public, version, signature.signature):
            matched.append(key)
        else:
            mismatched.append(key.name)
    if matched:
        return matched
    if mismatched:
        raise VerificationError(
            f"the signature of {ref} by key {mismatched[0]!r} does not match its manifest: "
            "the manifest or the signature was altered",
            model=version.model_name,
            key=mismatched[0],
        )
    names = ", ".join(s.key_name or s.key_fingerprint for s in signatures)
    raise VerificationError(
        f"{ref} is signed only by keys you do not trust ({names})", model=version.model_name
    )


def check_file(entry: FileEntry, chunks: Iterable[bytes]) -> None:
    hasher = DigestHasher(entry.digest.algorithm)
    for chunk in chunks:
        hasher.update(chunk)
    if hasher.digest() != entry.digest or hasher.size != entry.size:
        raise VerificationError(
            f"file {entry.path!r} does not match the manifest (expected {entry.digest}, "
            f"{entry.size} bytes; got {hasher.digest()}, {hasher.size} bytes)",
            path=entry.path,
        )


def directory_reader(root: Path) -> Callable[[FileEntry], Iterable[bytes]]:
    def read(entry: FileEntry) -> Iterable[bytes]:
        local = root.joinpath(*entry.path.split("/"))
        if not local.is_file():
            raise VerificationError(f"file {entry.path!r} is missing from {root}", path=entry.path)
        return read_file(local)

    return read


class SigningClient:
    """Mixin of ``Client``: keys, ``sign`` and ``verify``."""

    transport: Transport
    resolve: Callable[..., ModelVersion]

    def add_signing_key(self, name: str, public_key: str | Path) -> SigningKey:
        """Trust a public key (PEM text or a file) under ``name`` in the registry."""
        text = public_key.read_text() if isinstance(public_key, Path) else public_key
        return self.transport.add_signing_key(name, text)

    def signing_keys(self) -> list[SigningKey]:
        return self.transport.list_signing_keys()

    def remove_signing_key(self, name: str) -> SigningKey:
        """Revoke a key: signatures by it no longer count."""
        return self.transport.revoke_signing_key(name)

    def signatures(self, ref: str) -> list[ManifestSignature]:
        version = self.resolve(ref)
        return self.transport.list_signatures(version.model_name, version.version)

    def sign(self, ref: str, key: str | Path) -> ManifestSignature:
        """Sign ``ref``'s manifest with the private key file ``key`` and upload the signature
        (computed here: the private key never leaves this machine)."""
        private = load_private_key(Path(key))
        version = self.resolve(ref)
        return self.transport.attach_signature(
            version.model_name,
            version.version,
            key_fingerprint=public_key_of(private).fingerprint,
            signature=sign_manifest(private, version),
        )

    def verify(
        self,
        ref: str,
        *,
        trusted_keys: Sequence[str | Path] | None = None,
        directory: str | Path | None = None,
    ) -> VerificationReport:
        """Check ``ref``'s signature and every file's bytes; ``VerificationError`` names the
        file or the signature that does not hold. Files are read from the registry, or from
        ``directory`` (a pulled copy) when given."""
        version = self.resolve(ref)
        trusted, trust = self._trust(trusted_keys)
        signatures = self.transport.list_signatures(version.model_name, version.version)
        matched = check_signatures(version, signatures, trusted)
        read = directory_reader(Path(directory)) if directory is not None else self._read_entry
        for entry in version.files:
            check_file(entry, read(entry))
        return VerificationReport(
            model_name=version.model_name,
            version=version.version,
            signers=tuple(key.name for key in matched),
            fingerprints=tuple(key.public.fingerprint for key in matched),
            files_checked=len(version.files),
            trust=trust,
        )

    def _read_entry(self, entry: FileEntry) -> Iterable[bytes]:
        # Straight from the registry, never the local cache: verification re-reads the bytes.
        return self.transport.read_blob(entry.digest)

    def _trust(self, paths: Sequence[str | Path] | None) -> tuple[list[TrustedKey], str]:
        if paths:
            return load_trusted_keys(paths), "local"
        local = trusted_keys_from_env()
        if local is not None:
            return local, "local"
        return registry_trust(self.transport.list_signing_keys()), "registry"

    def _check_before_pull(
        self, version: ModelVersion, trusted_keys: Sequence[str | Path] | None
    ) -> None:
        """Pull's check: a signed version must carry a signature by a trusted key that matches
        the manifest the files are about to be checked against. Unsigned versions pass."""
        try:
            signatures = self.transport.list_signatures(version.model_name, version.version)
        except NotFoundError as error:
            if error.code != NotFoundError.code:
                raise
            return  # a registry older than signing has no such route: nothing is signed there
        if signatures:
            check_signatures(version, signatures, self._trust(trusted_keys)[0])
