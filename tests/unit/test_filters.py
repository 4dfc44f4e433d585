import pytest

from modelreg.domain.errors import InvalidFilterError
from modelreg.domain.filters import (
    FIELD_HELP,
    BoolOp,
    Comparison,
    Field,
    OrderItem,
    Query,
    Target,
    parse_query,
)

MODELS = Target.MODELS
VERSIONS = Target.VERSIONS


def where(text: str, target: Target = VERSIONS):
    return parse_query(text, target).where


def attr(key: str) -> Field:
    return Field("attr", key)


def error(text: str, target: Target = VERSIONS, **kwargs) -> InvalidFilterError:
    with pytest.raises(InvalidFilterError) as info:
        parse_query(text, target, **kwargs)
    return info.value


# -- valid queries ---------------------------------------------------------------------------


def test_full_example_parses_to_ast():
    query = parse_query(
        "name = 'credit-risk' AND metrics.auc > 0.9 ORDER BY metrics.auc DESC LIMIT 10", VERSIONS
    )
    assert query == Query(
        where=BoolOp(
            "AND",
            (
                Comparison(attr("name"), "=", "credit-risk"),
                Comparison(Field("metric", "auc"), ">", 0.9),
            ),
        ),
        order_by=(OrderItem(Field("metric", "auc"), descending=True),),
        limit=10,
    )


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_blank_filter_means_no_filter(text):
    assert parse_query(text, MODELS) == Query(where=None, order_by=(), limit=None)


def test_filter_may_be_only_order_by_and_limit():
    assert parse_query("order by name asc, created_at desc limit 3", MODELS) == Query(
        where=None,
        order_by=(OrderItem(attr("name"), False), OrderItem(attr("created_at"), True)),
        limit=3,
    )
    assert parse_query("LIMIT 7", MODELS) == Query(limit=7)


def test_keywords_and_field_names_are_case_insensitive():
    assert where("NAME = 'a' and Version >= 2 Or STATUS in ('ready')") == BoolOp(
        "OR",
        (
            BoolOp(
                "AND",
                (Comparison(attr("name"), "=", "a"), Comparison(attr("version"), ">=", 2)),
            ),
            Comparison(attr("status"), "IN", ("READY",)),
        ),
    )


def test_and_binds_tighter_than_or_and_parentheses_group():
    a, b, c = (Comparison(attr("name"), "=", v) for v in "abc")
    assert where("name='a' OR name='b' AND name='c'") == BoolOp("OR", (a, BoolOp("AND", (b, c))))
    assert where("(name='a' OR name='b') AND name='c'") == BoolOp("AND", (BoolOp("OR", (a, b)), c))


@pytest.mark.parametrize(
    ("text", "op"),
    [
        ("version = 1", "="),
        ("version == 1", "="),
        ("version != 1", "!="),
        ("version <> 1", "!="),
        ("version < 1", "<"),
        ("version <= 1", "<="),
        ("version > 1", ">"),
        ("version >= 1", ">="),
        ("version>=1", ">="),
    ],
)
def test_symbolic_operators_are_normalised(text, op):
    assert where(text) == Comparison(attr("version"), op, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("description like 'a%'", Comparison(attr("description"), "LIKE", "a%")),
        ("description NOT LIKE 'a%'", Comparison(attr("description"), "NOT LIKE", "a%")),
        ("description ilike 'A%'", Comparison(attr("description"), "ILIKE", "A%")),
        ("description not ilike 'A%'", Comparison(attr("description"), "NOT ILIKE", "A%")),
        ("run_id IS NULL", Comparison(attr("run_id"), "IS NULL", None)),
        ("run_id is not null", Comparison(attr("run_id"), "IS NOT NULL", None)),
        ("version in (1, 2,3)", Comparison(attr("version"), "IN", (1, 2, 3))),
        ("created_by NOT IN ('a','b')", Comparison(attr("created_by"), "NOT IN", ("a", "b"))),
    ],
)
def test_word_operators(text, expected):
    assert where(text) == expected


def test_keys_may_contain_dots():
    assert where("metrics.val.auc > 0.5") == Comparison(Field("metric", "val.auc"), ">", 0.5)
    assert where("tags.a-b/c:d_e = 'x'") == Comparison(Field("tag", "a-b/c:d_e"), "=", "x")


def test_quoted_keys():
    assert where("tags.`mlflow.prompt.is_prompt` != 'true'") == Comparison(
        Field("tag", "mlflow.prompt.is_prompt"), "!=", "true"
    )
    assert where("params.\"batch size\" = '32'") == Comparison(
        Field("param", "batch size"), "=", "32"
    )
    assert where("tags.`a``b` = 'x'") == Comparison(Field("tag", "a`b"), "=", "x")


def test_mlflow_prompt_filter_parses_for_models():
    assert where("tags.`mlflow.prompt.is_prompt` != 'true'", MODELS) == Comparison(
        Field("tag", "mlflow.prompt.is_prompt"), "!=", "true"
    )


def test_singular_prefixes_are_synonyms():
    assert where("tag.k = 'v' AND param.p = 'q' AND metric.m = 1") == where(
        "tags.k = 'v' AND params.p = 'q' AND metrics.m = 1"
    )


def test_doubled_quote_escapes_a_quote():
    assert where("description = 'it''s ''quoted'''") == Comparison(
        attr("description"), "=", "it's 'quoted'"
    )
    assert where("description = ''") == Comparison(attr("description"), "=", "")


@pytest.mark.parametrize(
    ("literal", "value"),
    [("1", 1), ("-3", -3), ("+4", 4), ("0.5", 0.5), (".5", 0.5), ("-1.5e-3", -0.0015),
     ("2E3", 2000.0), ("1e+2", 100.0), ("7.", 7.0)],
)  # fmt: skip
def test_numbers(literal, value):
    comparison = where(f"metrics.m > {literal}")
    assert isinstance(comparison, Comparison)
    assert comparison.value == value
    assert type(comparison.value) is type(value)


def test_bare_number_for_string_field_keeps_its_text():
    assert where("params.lr = 0.01") == Comparison(Field("param", "lr"), "=", "0.01")
    assert where("tags.n IN (1e-3, 2)") == Comparison(Field("tag", "n"), "IN", ("1e-3", "2"))


def test_timestamps_are_normalised_to_utc():
    assert where("created_at > '2024-05-01T12:00:00Z'") == Comparison(
        attr("created_at"), ">", "2024-05-01T12:00:00+00:00"
    )
    assert where("created_at < '2024-05-01T14:30:00+02:00'") == Comparison(
        attr("created_at"), "<", "2024-05-01T12:30:00+00:00"
    )
    assert where("updated_at >= '2024-05-01'", MODELS) == Comparison(
        attr("updated_at"), ">=", "2024-05-01T00:00:00+00:00"
    )


def test_status_values_are_upper_cased():
    assert where("status = 'ready'") == Comparison(attr("status"), "=", "READY")


def test_tags_and_metrics_can_be_ordered_by():
    query = parse_query("ORDER BY tags.team, metrics.auc DESC, version", VERSIONS)
    assert query.order_by == (
        OrderItem(Field("tag", "team")),
        OrderItem(Field("metric", "auc"), descending=True),
        OrderItem(attr("version")),
    )


def test_metric_is_null_is_allowed():
    assert where("metrics.auc IS NULL") == Comparison(Field("metric", "auc"), "IS NULL", None)


def test_field_str_round_trips():
    assert str(Field("tag", "mlflow.x")) == "tags.mlflow.x"
    assert str(Field("tag", "a b")) == "tags.`a b`"
    assert str(attr("name")) == "name"


def test_field_help_lists_fields_per_target():
    assert "latest_version" in FIELD_HELP[MODELS]
    assert "metrics.<key>" not in FIELD_HELP[MODELS]
    assert "metrics.<key>" in FIELD_HELP[VERSIONS]


# -- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "target", "message", "position"),
    [
        ("foo = 1", VERSIONS, "unknown field 'foo' at position 0; expected one of: name,", 0),
        ("name = 'a' AND bar = 1", VERSIONS, "unknown field 'bar' at position 15", 15),
        ("metrics.auc > 1", MODELS, "unknown field 'metrics.auc' at position 0", 0),
        ("version = 1", MODELS, "unknown field 'version'", 0),
        ("owner = 'a'", VERSIONS, "unknown field 'owner'", 0),
        ("foo.bar = 'x'", VERSIONS, "unknown field 'foo.bar'", 0),
        ("tags. = 'x'", VERSIONS, "missing key after 'tags.' at position 0", 0),
        ("tags.`` = 'x'", VERSIONS, "empty key at position 5", 5),
        ("tags.`abc = 'x'", VERSIONS, "unterminated quoted key starting at position 5", 5),
        ("metrics.auc > ", VERSIONS, "expected a value after '>' at the end of the filter", 14),
        ("metrics.auc > AND", VERSIONS, "expected a value after '>' at position 14", 14),
        ("name = 'abc", VERSIONS, "unterminated string starting at position 7", 7),
        ("name = 'it''s", VERSIONS, "unterminated string starting at position 7", 7),
        ('name = "x"', VERSIONS, "string values use single quotes", 7),
        ("name", VERSIONS, "expected an operator after 'name' at the end", 4),
        ("name 'x'", VERSIONS, "expected an operator after 'name' at position 5", 5),
        ("name IS 'x'", VERSIONS, "expected NULL after IS at position 8", 8),
        ("name IS NOT 'x'", VERSIONS, "expected NULL after IS NOT", 12),
        ("name NOT = 'x'", VERSIONS, "expected LIKE, ILIKE or IN after NOT at position 9", 9),
        ("= 'x'", VERSIONS, "expected a field name at position 0", 0),
        ("name = 'a' AND", VERSIONS, "expected a field name at the end of the filter", 14),
        ("metrics.auc > 'high'", VERSIONS, "'metrics.auc' compares with numbers only", 14),
        ("version = '3'", VERSIONS, "'version' compares with numbers only", 10),
        ("parent_version IN (1, '2')", VERSIONS, "'parent_version' compares with numbers", 22),
        ("latest_version > 'x'", MODELS, "'latest_version' compares with numbers only", 17),
        ("created_at > 5", VERSIONS, "compares with a quoted ISO-8601 timestamp", 13),
        ("created_at > 'yesterday'", VERSIONS, "invalid timestamp 'yesterday' at position 13", 13),
        (
            "metrics.auc LIKE '1%'",
            VERSIONS,
            "operator 'LIKE' is not supported for 'metrics.auc'",
            12,
        ),
        ("version ILIKE '1'", VERSIONS, "operator 'ILIKE' is not supported for 'version'", 8),
        ("created_at LIKE '2024%'", VERSIONS, "operator 'LIKE' is not supported", 11),
        ("alias > 'a'", VERSIONS, "operator '>' is not supported for 'alias'", 6),
        ("alias LIKE 'a%'", MODELS, "operator 'LIKE' is not supported for 'alias'", 6),
        ("alias IS NULL", VERSIONS, "operator 'IS NULL' is not supported for 'alias'", 6),
        ("status < 'READY'", VERSIONS, "operator '<' is not supported for 'status'", 7),
        ("status = 'DONE'", VERSIONS, "invalid status 'DONE' at position 9; expected one of", 9),
        ("status IN ('READY', 1)", VERSIONS, "invalid status 1 at position 20", 20),
        ("name IN ()", VERSIONS, "empty IN list at position 8", 8),
        ("name NOT IN ( )", VERSIONS, "empty NOT IN list at position 12", 12),
        ("name IN 'a'", VERSIONS, "expected '(' after IN at position 8", 8),
        ("name IN ('a' 'b')", VERSIONS, "expected ',' or ')' in the IN list at position 13", 13),
        ("name IN ('a',", VERSIONS, "expected a value after 'IN' at the end", 13),
        ("(name = 'a'", VERSIONS, "expected ')' to close the '(' at position 0", 11),
        ("name = 'a')", VERSIONS, "unexpected ')' at position 10", 10),
        ("name = 'a' junk", VERSIONS, "unexpected 'junk' at position 11", 11),
        ("name = 'a' 'b'", VERSIONS, 'unexpected "\'" at position 11', 11),
        ("ORDER BY name junk", VERSIONS, "unexpected 'junk' at position 14", 14),
        ("LIMIT 5 junk", VERSIONS, "unexpected 'junk' at position 8; expected the end", 8),
        ("ORDER name", VERSIONS, "expected BY after ORDER at position 6", 6),
        ("ORDER BY alias", VERSIONS, "alias cannot be used in ORDER BY (position 9)", 9),
        ("ORDER BY name, alias DESC", MODELS, "alias cannot be used in ORDER BY", 15),
        ("ORDER BY", VERSIONS, "expected a field name at the end of the filter", 8),
        ("ORDER BY nope", VERSIONS, "unknown field 'nope' at position 9", 9),
        ("LIMIT 0", VERSIONS, "LIMIT must be a positive integer, found '0' at position 6", 6),
        ("LIMIT -2", VERSIONS, "LIMIT must be a positive integer, found '-2'", 6),
        ("LIMIT 2.5", VERSIONS, "LIMIT must be a positive integer, found '2.5'", 6),
        ("LIMIT ten", VERSIONS, "LIMIT must be a positive integer, found 'ten'", 6),
        ("LIMIT", VERSIONS, "LIMIT must be a positive integer, found nothing at position 5", 5),
        ("LIMIT 10001", VERSIONS, "LIMIT 10001 at position 6 exceeds the maximum of 10000", 6),
        ("metrics.auc > 1abc", VERSIONS, "invalid number '1abc' at position 14", 14),
        ("metrics.auc > 1e999", VERSIONS, "number 1e999 at position 14 is out of range", 14),
        ("name LIKE 'a\\'", VERSIONS, "ends with a lone escape character", 10),
        ("(" * 70 + "name = 'a'" + ")" * 70, VERSIONS, "parentheses nested deeper than 64", 64),
    ],
)
def test_errors_name_the_problem_and_position(text, target, message, position):
    raised = error(text, target)
    assert message in raised.message
    assert raised.details["position"] == position
    assert raised.code == "INVALID_FILTER"


def test_limit_respects_custom_maximum():
    assert parse_query("LIMIT 50", VERSIONS, max_limit=50).limit == 50
    assert "exceeds the maximum of 50" in error("LIMIT 51", max_limit=50).message


def test_escaped_backslash_at_end_of_like_pattern_is_fine():
    assert where("name LIKE 'a\\\\'") == Comparison(attr("name"), "LIKE", "a\\\\")


def test_target_accepts_plain_string():
    assert parse_query("name = 'a'", "models").where == Comparison(attr("name"), "=", "a")  # type: ignore[arg-type]
