"""The catalog's search: parsed filters written back as text, and the form's controls."""

import pytest

from modelreg.domain.errors import InvalidArgumentError, InvalidFilterError
from modelreg.domain.filters import Target, parse_query
from modelreg.server.ui.query import CatalogSearch, compile_search, format_query

ROUND_TRIPS = [
    "",
    "name = 'credit-risk'",
    "description = 'it''s new'",
    "tags.team = 'risk' AND (alias = 'production' OR alias = 'staging')",
    "name LIKE 'credit-%' AND created_at >= '2026-01-01' ORDER BY created_at DESC LIMIT 20",
    "tags.`odd key` IS NULL OR owner IS NOT NULL",
    "alias NOT IN ('a', 'b') ORDER BY latest_version DESC, name",
    "latest_version > 1.5 AND latest_version <= -2 AND latest_version != 1e-05",
    "name ILIKE '50\\%%' AND owner NOT LIKE 'bot-%'",
    "ORDER BY updated_at",
    "LIMIT 5",
]


@pytest.mark.parametrize("text", ROUND_TRIPS)
def test_format_query_round_trips(text):
    parsed = parse_query(text, Target.MODELS)
    assert parse_query(format_query(parsed), Target.MODELS) == parsed


def test_versions_filters_round_trip_too():
    text = "params.lr IN ('0.01', '0.001') AND metrics.auc > 0.9 AND status = 'READY'"
    parsed = parse_query(text, Target.VERSIONS)
    assert parse_query(format_query(parsed), Target.VERSIONS) == parsed


def test_controls_are_and_ed_with_the_box():
    compiled = compile_search(
        CatalogSearch(text="name LIKE 'a%' OR name LIKE 'b%'", owner="ann", tag="team=risk")
    )
    assert compiled.filter == (
        "(name LIKE 'a%' OR name LIKE 'b%') AND owner = 'ann' AND tags.team = 'risk'"
    )


def test_a_bare_tag_key_means_the_tag_exists():
    assert compile_search(CatalogSearch(tag="gpu")).filter == "tags.gpu IS NOT NULL"


def test_control_values_are_quoted_not_pasted():
    compiled = compile_search(CatalogSearch(owner="x' OR name != '", alias="prod"))
    assert compiled.filter == "owner = 'x'' OR name != ''' AND alias = 'prod'"


def test_sort_menu_overrides_the_filters_order_but_default_keeps_it():
    kept = compile_search(CatalogSearch(text="ORDER BY created_at DESC"))
    assert kept.filter == "ORDER BY created_at DESC"
    chosen = compile_search(CatalogSearch(text="ORDER BY created_at DESC", sort="-name"))
    assert chosen.filter == "ORDER BY name DESC"
    assert compile_search(CatalogSearch(sort="nonsense")).filter == ""


def test_a_single_word_searches_names_and_descriptions():
    compiled = compile_search(CatalogSearch(text="fraud_v2"))
    assert compiled.filter == ("name ILIKE '%fraud\\_v2%' OR description ILIKE '%fraud\\_v2%'")
    assert compiled.note is not None


def test_an_invalid_filter_keeps_its_position():
    with pytest.raises(InvalidFilterError) as caught:
        compile_search(CatalogSearch(text="name = 'x' AND"))
    assert caught.value.details["position"] == 14


def test_a_control_that_cannot_be_a_filter_is_refused():
    with pytest.raises(InvalidArgumentError, match="owner, tag or alias"):
        compile_search(CatalogSearch(tag="=value"))
