"""The pure parts of storage management: the duration syntax and the retention rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from modelreg.domain.errors import InvalidArgumentError
from modelreg.domain.retention import (
    RetentionAction,
    RetentionPolicy,
    VersionFacts,
    decide,
    effective_policy,
)
from modelreg.domain.storage import Freed, StorageReport, format_duration, parse_duration

NOW = datetime(2026, 6, 1, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", timedelta(0)),
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("1h", timedelta(hours=1)),
        (" 30d ", timedelta(days=30)),
        ("2w", timedelta(weeks=2)),
    ],
)
def test_durations_parse(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "1y", "-1h", "1.5h", "30 days", "h", "1h30m"])
def test_bad_durations_name_the_option(text):
    with pytest.raises(InvalidArgumentError, match="invalid --grace"):
        parse_duration(text, option="--grace")


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (timedelta(0), "0s"),
        (timedelta(seconds=90), "90s"),
        (timedelta(hours=36), "36h"),
        (timedelta(days=14), "2w"),
    ],
)
def test_durations_format_round_trip(span, text):
    assert format_duration(span) == text
    assert parse_duration(text) == span


def test_freed_and_dedup_ratio():
    assert Freed(1, 10) + Freed(2, 5) == Freed(3, 15)
    assert StorageReport(300, 2, 100, 3).dedup_ratio == 3
    assert StorageReport(0, 0, 0, 0).dedup_ratio is None


def test_protections_win_over_acting_rules():
    policy = RetentionPolicy("", keep_last=1, archive_after=DAY, delete_archived_after=DAY)
    facts = [
        VersionFacts(1, NOW - 50 * DAY, NOW - 10 * DAY, aliases=("prod",)),
        VersionFacts(2, NOW - 40 * DAY, NOW - 10 * DAY, deployed_to=("eu", "us")),
        VersionFacts(3, NOW - 30 * DAY, NOW - 10 * DAY),
        VersionFacts(4, NOW - 20 * DAY),
        VersionFacts(5, NOW - 10 * DAY),
    ]
    decisions = decide(policy, facts, NOW)
    assert [(d.version, d.action) for d in decisions] == [
        (5, RetentionAction.KEEP),
        (4, RetentionAction.ARCHIVE),
        (3, RetentionAction.DELETE),
        (2, RetentionAction.KEEP),
        (1, RetentionAction.KEEP),
    ]
    assert [d.reason for d in decisions] == [
        "keep-last: newest #1 of the last 1",
        "archive-after: created 20d ago (>= 1d)",
        "delete-archived-after: archived 10d ago (>= 1d)",
        "deployment: deployed to eu, us",
        "alias: alias prod",
    ]


def test_no_policy_keeps_everything():
    (decision,) = decide(None, [VersionFacts(1, NOW - 900 * DAY)], NOW)
    assert decision.action is RetentionAction.KEEP
    assert decision.reason == "no rule applies"


def test_a_model_policy_replaces_the_registry_wide_one():
    registry = RetentionPolicy("", archive_after=DAY)
    model = RetentionPolicy("m", delete_archived_after=DAY)
    assert effective_policy(model, registry) is model
    assert effective_policy(None, registry) is registry
