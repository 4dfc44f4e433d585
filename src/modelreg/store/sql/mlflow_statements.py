"""The statements of MLflow's reads (``mlflow_reads.py``), built once: a call only binds
parameters. Building a statement and deriving its cache key costs SQLAlchemy about as much as
SQLite takes to answer these reads, which are most of what an MLflow client asks.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    Integer,
    String,
    bindparam,
    cast,
    func,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased

from modelreg.domain.entities import VersionStatus
from modelreg.domain.filters import Query
from modelreg.domain.permissions import Visibility
from modelreg.domain.tracking import Stage
from modelreg.store.sql import search
from modelreg.store.sql.lists import IntegerList, TextList, member_of
from modelreg.store.sql.tables import (
    AliasRow,
    ModelTagRow,
    ModelVersionRow,
    RegisteredModelRow,
    VersionTagRow,
)
from modelreg.store.sql.tracking import VersionExtrasRow

_V, _M, _E = ModelVersionRow, RegisteredModelRow, VersionExtrasRow

# A version view's columns, in the order ``mlflow_reads._view`` reads them (the version id first).
VIEW_COLUMNS = (
    _V.id,
    _M.name,
    _V.version,
    _V.status,
    _V.description,
    _V.created_by,
    _V.created_at,
    _V.run_id,
    _E.version_id,
    _E.stage,
    _E.source,
    _E.run_link,
    _E.logged_model_id,
    _V.updated_at,
)
MODEL_COLUMNS = (_M.id, _M.name, _M.description, _M.owner, _M.created_at, _M.updated_at)

_VIEWS = (
    select(*VIEW_COLUMNS)
    .select_from(_V)
    .join(_M, _M.id == _V.model_id)
    .outerjoin(_E, _E.version_id == _V.id)
)


def _model_id() -> Any:
    model = aliased(RegisteredModelRow)
    return select(model.id).where(model.name == bindparam("name")).scalar_subquery()


def _by_number() -> Any:
    """The version ``(name, version)``: its id found through the unique ``(model_id, version)``
    index from the model's id, so the plan is primary-key lookups whatever the database knows
    of its tables (PostgreSQL, before it first analyzes a bulk-loaded table, otherwise joined
    all of a model's versions: 10 ms at 10,000)."""
    version = aliased(ModelVersionRow)
    found = (
        select(version.id)
        .where(version.model_id == _model_id(), version.version == bindparam("version"))
        .scalar_subquery()
    )
    return _VIEWS.where(_V.id == found)


def _by_alias() -> Any:
    """The version an alias of the model points at, by primary keys as in ``_by_number``."""
    found = (
        select(AliasRow.version_id)
        .where(AliasRow.model_id == _model_id(), AliasRow.name == bindparam("alias"))
        .scalar_subquery()
    )
    return _VIEWS.where(_V.id == found)


BY_NUMBER = _by_number()
BY_ALIAS = _by_alias()


def _latest() -> Any:
    """The view of the model's highest READY version that is not archived. The model id is an
    uncorrelated subquery so that the database walks the (model, version) index down from the
    top: PostgreSQL plans a join on the model's name for an average model and sorts all its
    versions instead (20 ms for 10,000)."""
    version = aliased(ModelVersionRow)
    top = (
        select(version.id)
        .where(
            version.model_id == _model_id(),
            version.status == VersionStatus.READY,
            version.archived_at.is_(None),
        )
        .order_by(version.version.desc())
        .limit(1)
        .scalar_subquery()
    )
    return _VIEWS.where(_V.id == top)


LATEST = _latest()
MODEL = select(*MODEL_COLUMNS).where(_M.name == bindparam("name"))
BY_IDS = _VIEWS.where(member_of(_V.id, bindparam("ids", type_=IntegerList())))


def _latest_by_stage() -> Any:
    """The views of each named model's highest version per stage, highest first.

    The highest version without a stage is found walking the model's versions down from the top
    (it is nearly always the top one). For the other stages the database picks between the
    stage index (the few versions ever given a stage, across models) and the model's versions.
    Grouping every version by stage, as ``latest_versions_by_stage`` does, reads them all.
    Both parts yield version ids, so the views are read by primary key."""
    names: BindParameter[Any] = bindparam("names", type_=TextList())
    named = aliased(RegisteredModelRow)
    walked, walked_extras = aliased(ModelVersionRow), aliased(VersionExtrasRow)
    unstaged = (
        select(walked.id)
        .outerjoin(walked_extras, walked_extras.version_id == walked.id)
        .where(
            walked.model_id == named.id,
            or_(walked_extras.stage.is_(None), walked_extras.stage == Stage.NONE),
        )
        .order_by(walked.version.desc())
        .limit(1)
        .correlate(named)
        .scalar_subquery()
    )
    staged_version, staged_extras = aliased(ModelVersionRow), aliased(VersionExtrasRow)
    staged_model = aliased(RegisteredModelRow)
    rank = func.row_number().over(
        partition_by=(staged_version.model_id, staged_extras.stage),
        order_by=staged_version.version.desc(),
    )
    ranked = (
        select(staged_version.id, rank.label("rank"))
        .join(staged_extras, staged_extras.version_id == staged_version.id)
        .join(staged_model, staged_model.id == staged_version.model_id)
        .where(
            staged_extras.stage.in_([stage for stage in Stage if stage is not Stage.NONE]),
            member_of(staged_model.name, names),
        )
        .subquery()
    )
    ids = union_all(
        select(unstaged).select_from(named).where(member_of(named.name, names)),
        select(ranked.c.id).where(ranked.c.rank == 1),
    )
    return _VIEWS.where(_V.id.in_(ids)).order_by(_V.version.desc())


LATEST_BY_STAGE = _latest_by_stage()


def _key_values() -> Any:
    """Tags and aliases of versions and of models, one row each: (kind, owner id, key, text
    value, number), ordered by kind, owner and key as the registry orders them."""
    version_ids: BindParameter[Any] = bindparam("version_ids", type_=IntegerList())
    model_ids: BindParameter[Any] = bindparam("model_ids", type_=IntegerList())
    aliased_version = aliased(ModelVersionRow)

    def kind(code: str) -> Any:
        return literal_column(f"'{code}'", String).label("kind")

    # Typed NULLs: PostgreSQL resolves a union's column types branch by branch, and two bare
    # NULLs become text, which then cannot meet the alias rows' version numbers.
    no_text, no_number = cast(null(), String), cast(null(), Integer)
    found = union_all(
        select(
            kind("vt"),
            VersionTagRow.version_id.label("owner"),
            VersionTagRow.key,
            VersionTagRow.value,
            no_number.label("number"),
        ).where(member_of(VersionTagRow.version_id, version_ids)),
        select(kind("va"), AliasRow.version_id, AliasRow.name, no_text, no_number).where(
            member_of(AliasRow.version_id, version_ids)
        ),
        select(
            kind("mt"), ModelTagRow.model_id, ModelTagRow.key, ModelTagRow.value, no_number
        ).where(member_of(ModelTagRow.model_id, model_ids)),
        select(kind("ma"), AliasRow.model_id, AliasRow.name, no_text, aliased_version.version)
        .join(aliased_version, aliased_version.id == AliasRow.version_id)
        .where(member_of(AliasRow.model_id, model_ids)),
    )
    columns = found.selected_columns
    return found.order_by(columns.kind, columns.owner, columns.key)


KEY_VALUES = _key_values()


@lru_cache(maxsize=256)
def search_statement(target: str, shown: str, query: Query, readable_by: Visibility | None) -> Any:
    """The registry's search statement for ``query`` (``search.py``: same filter, visibility and
    order) with ``offset`` and ``limit`` bound per call: the ids of a page of versions (read
    then with ``BY_IDS``, so only the page's rows are joined to their MLflow fields, not every
    row the database sorts), or the columns of a page of models.

    Built once per distinct search, since clients repeat theirs (a page after another, the same
    poll). ``shown`` is ``repr(query)``: it keeps apart queries that compare equal but bind
    differently (``1`` and ``1.0``)."""
    del shown  # only part of the cache key
    statement: Any
    if target == "versions":
        statement = search.version_statement(query, readable_by).with_only_columns(_V.id)
    else:
        statement = search.model_statement(query, readable_by).with_only_columns(*MODEL_COLUMNS)
    return statement.offset(bindparam("offset", type_=Integer)).limit(
        bindparam("limit", type_=Integer)
    )
