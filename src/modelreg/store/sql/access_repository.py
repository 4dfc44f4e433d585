"""Role grants on the transaction's ``Session`` (a mixin of ``SqlTransaction``). ORM rows never
leave this module."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, union

from modelreg.domain.access import Role
from modelreg.domain.errors import ModelNotFoundError
from modelreg.domain.permissions import Grant, Subject
from modelreg.store.sql.access_tables import GrantRow
from modelreg.store.sql.records_tables import EvaluationRow
from modelreg.store.sql.tables import ModelVersionRow, RegisteredModelRow, VersionFileRow
from modelreg.store.sql.unit import SqlUnit


class AccessSqlRepository(SqlUnit):
    def set_grant(
        self, model_name: str, subject: Subject, role: Role, *, granted_by: str, now: datetime
    ) -> Role | None:
        model_id = self._grant_model_id(model_name)
        row = self._grant_row(model_id, subject)
        if row is None:
            self.session.add(
                GrantRow(
                    model_id=model_id,
                    subject_kind=subject.kind,
                    subject_name=subject.name,
                    role=role,
                    granted_by=granted_by,
                    granted_at=now,
                )
            )
            self.session.flush()
            return None
        previous = row.role
        row.role, row.granted_by, row.granted_at = role, granted_by, now
        self.session.flush()
        return previous

    def delete_grant(self, model_name: str, subject: Subject) -> Role | None:
        row = self._grant_row(self._grant_model_id(model_name), subject)
        if row is None:
            return None
        previous = row.role
        self.session.delete(row)
        self.session.flush()
        return previous

    def list_grants(self, model_name: str) -> list[Grant]:
        model_id = self._grant_model_id(model_name)
        rows = self.session.scalars(
            select(GrantRow)
            .where(GrantRow.model_id == model_id)
            .order_by(GrantRow.subject_kind, GrantRow.subject_name)
        )
        return [
            Grant(
                model_name,
                Subject(row.subject_kind, row.subject_name),
                row.role,
                row.granted_by,
                row.granted_at,
            )
            for row in rows
        ]

    def models_holding(self, digest: str) -> list[str]:
        holders = union(
            select(VersionFileRow.version_id).where(VersionFileRow.digest == digest),
            select(EvaluationRow.version_id).where(EvaluationRow.report_digest == digest),
        ).subquery()
        names = self.session.scalars(
            select(RegisteredModelRow.name)
            .join(ModelVersionRow, ModelVersionRow.model_id == RegisteredModelRow.id)
            .where(ModelVersionRow.id.in_(select(holders.c.version_id)))
            .distinct()
            .order_by(RegisteredModelRow.name)
        )
        return list(names)

    def _grant_model_id(self, model_name: str) -> int:
        model_id = self.session.scalar(
            select(RegisteredModelRow.id).where(RegisteredModelRow.name == model_name)
        )
        if model_id is None:
            raise ModelNotFoundError(f"model {model_name!r} does not exist", model=model_name)
        return model_id

    def _grant_row(self, model_id: int, subject: Subject) -> GrantRow | None:
        return self.session.scalars(
            select(GrantRow).where(
                GrantRow.model_id == model_id,
                GrantRow.subject_kind == subject.kind,
                GrantRow.subject_name == subject.name,
            )
        ).one_or_none()
