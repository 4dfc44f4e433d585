"""What a version can take from numbers its run logged after it was registered."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from modelreg.domain.entities import Lineage, ModelVersion, VersionStatus
from modelreg.domain.rules import Limits
from modelreg.service.late_numbers import missing_numbers

AT = datetime(2026, 11, 28, tzinfo=UTC)


def version_with(params: dict[str, str], metrics: dict[str, float]) -> ModelVersion:
    return ModelVersion(
        model_name="m",
        version=1,
        status=VersionStatus.READY,
        description="",
        params=params,
        metrics=metrics,
        tags={},
        lineage=Lineage(),
        files=(),
        created_by="alice",
        created_at=AT,
        updated_at=AT,
        aliases=(),
        archived_at=None,
    )


def test_only_keys_the_version_lacks_are_added():
    version = version_with({"lr": "0.1"}, {"auc": 0.8})
    params, metrics = missing_numbers(
        version, {"lr": "0.5", "epochs": "3"}, {"auc": 0.9, "loss": 2}, limits=Limits()
    )
    assert params == {"epochs": "3"}
    assert metrics == {"loss": 2.0}
    assert isinstance(metrics["loss"], float)


def test_what_the_version_cannot_hold_stays_with_the_run():
    version = version_with({}, {"a": 1.0, "b": 2.0})
    params, metrics = missing_numbers(
        version,
        {"p": "x" * 11, "bad key!": "1"},
        {"a": 5.0, "c": 3.0, "d": math.nan, "e": 4.0},
        limits=Limits(entries_per_mapping=3, param_value_length=10),
    )
    assert params == {}  # too long, and a key modelreg does not accept
    assert metrics == {"c": 3.0}  # "a" is held, NaN is refused, and "e" would be a fourth
