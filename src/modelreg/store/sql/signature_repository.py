"""Signing keys and manifest signatures on the transaction's ``Session`` (a mixin of
``SqlTransaction``). ORM rows never leave this module."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select

from modelreg.domain.errors import (
    AlreadyExistsError,
    ModelNotFoundError,
    SigningKeyNotFoundError,
    VersionNotFoundError,
)
from modelreg.domain.signing import ManifestSignature, SigningKey
from modelreg.store.sql.signature_tables import ManifestSignatureRow, SigningKeyRow
from modelreg.store.sql.tables import ModelVersionRow, RegisteredModelRow
from modelreg.store.sql.unit import SqlUnit


class SignatureRepositorySql(SqlUnit):
    # -- keys --------------------------------------------------------------------------------

    def add_signing_key(
        self, name: str, public_key: str, fingerprint: str, *, actor: str, now: datetime
    ) -> SigningKey:
        for column, value, what in (
            (SigningKeyRow.name, name, f"a key named {name!r}"),
            (SigningKeyRow.fingerprint, fingerprint, f"the key {fingerprint}"),
        ):
            if self.session.scalar(select(SigningKeyRow.id).where(column == value)) is not None:
                raise AlreadyExistsError(f"{what} is already registered", key=name)
        row = SigningKeyRow(
            name=name, fingerprint=fingerprint, public_key=public_key, added_by=actor, added_at=now
        )
        self.session.add(row)
        self.session.flush()
        return _key(row)

    def _key_row(self, name: str) -> SigningKeyRow:
        row = self.session.scalars(
            select(SigningKeyRow).where(SigningKeyRow.name == name)
        ).one_or_none()
        if row is None:
            raise SigningKeyNotFoundError(f"no signing key is named {name!r}", key=name)
        return row

    def get_signing_key(self, name: str) -> SigningKey:
        return _key(self._key_row(name))

    def find_signing_key(self, fingerprint: str) -> SigningKey | None:
        row = self.session.scalars(
            select(SigningKeyRow).where(SigningKeyRow.fingerprint == fingerprint)
        ).one_or_none()
        return None if row is None else _key(row)

    def list_signing_keys(self) -> list[SigningKey]:
        rows = self.session.scalars(select(SigningKeyRow).order_by(SigningKeyRow.name))
        return [_key(row) for row in rows]

    def revoke_signing_key(self, name: str, *, actor: str, now: datetime) -> SigningKey:
        row = self._key_row(name)
        if row.revoked_at is None:
            row.revoked_at, row.revoked_by = now, actor
            self.session.flush()
        return _key(row)

    # -- signatures --------------------------------------------------------------------------

    def _version_id(self, model_name: str, version: int) -> int:
        found = self.session.scalar(
            select(ModelVersionRow.id)
            .join(RegisteredModelRow, RegisteredModelRow.id == ModelVersionRow.model_id)
            .where(RegisteredModelRow.name == model_name, ModelVersionRow.version == version)
        )
        if found is None:
            if (
                self.session.scalar(
                    select(RegisteredModelRow.id).where(RegisteredModelRow.name == model_name)
                )
                is None
            ):
                raise ModelNotFoundError(f"model {model_name!r} does not exist", model=model_name)
            raise VersionNotFoundError(
                f"version {version} of model {model_name!r} does not exist",
                model=model_name,
                version=version,
            )
        return found

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
        version_id = self._version_id(model_name, version)
        # Re-signing with the same key replaces the old signature (Ed25519 is deterministic,
        # so with an unchanged manifest it is the same bytes anyway).
        self.session.execute(
            delete(ManifestSignatureRow).where(
                ManifestSignatureRow.version_id == version_id,
                ManifestSignatureRow.key_fingerprint == key_fingerprint,
            )
        )
        row = ManifestSignatureRow(
            version_id=version_id,
            key_fingerprint=key_fingerprint,
            signature=signature,
            signed_by=actor,
            signed_at=now,
        )
        self.session.add(row)
        self.session.flush()
        key = self.find_signing_key(key_fingerprint)
        return _signature(row, model_name, version, None if key is None else key.name)

    def list_signatures(self, model_name: str, version: int) -> list[ManifestSignature]:
        version_id = self._version_id(model_name, version)
        rows = self.session.execute(
            select(ManifestSignatureRow, SigningKeyRow.name)
            .outerjoin(
                SigningKeyRow, SigningKeyRow.fingerprint == ManifestSignatureRow.key_fingerprint
            )
            .where(ManifestSignatureRow.version_id == version_id)
            .order_by(ManifestSignatureRow.id)
        )
        return [_signature(row, model_name, version, name) for row, name in rows]


def _key(row: SigningKeyRow) -> SigningKey:
    return SigningKey(
        name=row.name,
        fingerprint=row.fingerprint,
        public_key=row.public_key,
        added_by=row.added_by,
        added_at=row.added_at,
        revoked_by=row.revoked_by,
        revoked_at=row.revoked_at,
    )


def _signature(
    row: ManifestSignatureRow, model_name: str, version: int, key_name: str | None
) -> ManifestSignature:
    return ManifestSignature(
        model_name=model_name,
        version=version,
        key_fingerprint=row.key_fingerprint,
        signature=row.signature,
        signed_by=row.signed_by,
        signed_at=row.signed_at,
        key_name=key_name,
    )
