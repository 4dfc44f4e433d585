"""MLflow search filters translate to modelreg's search language; MLflow source URIs and stages
parse as MLflow clients send them."""

import pytest

from modelreg.domain.errors import InvalidArgumentError
from modelreg.domain.filters import Target, parse_query
from modelreg.domain.tracking import Stage, canonical_stage, parse_source
from modelreg.server.mlflow.errors import MlflowError
from modelreg.server.mlflow.filters import Clause, model_search, parse_filter, version_search


@pytest.mark.parametrize(
    ("mlflow", "modelreg"),
    [
        (None, "ORDER BY name ASC"),
        ("", "ORDER BY name ASC"),
        ("name = 'a'", "name = 'a' ORDER BY name ASC"),
        ("name='it''s'", "name = 'it''s' ORDER BY name ASC"),
        ('name = "double"', "name = 'double' ORDER BY name ASC"),
        ("name LIKE 'a\\%'", "name LIKE 'a\\\\%' ORDER BY name ASC"),
        ("name ilike '%X%'", "name ILIKE '%X%' ORDER BY name ASC"),
        ("name IN ('a','b')", "name IN ('a', 'b') ORDER BY name ASC"),
        ("name NOT IN ('a')", "name NOT IN ('a') ORDER BY name ASC"),
        ("tags.team = 'x'", "tags.`team` = 'x' ORDER BY name ASC"),
        ("tag.\"my key\" != 'x'", "tags.`my key` != 'x' ORDER BY name ASC"),
        ("`name` = 'a'", "name = 'a' ORDER BY name ASC"),
        (
            "name LIKE 'a%' AND tag.`mlflow.prompt.is_prompt` != 'true'",
            "name LIKE 'a%' AND (tags.`mlflow.prompt.is_prompt` IS NULL OR "
            "tags.`mlflow.prompt.is_prompt` != 'true') ORDER BY name ASC",
        ),
    ],
)
def test_model_filters_translate_and_parse(mlflow, modelreg):
    assert model_search(mlflow, []) == modelreg
    parse_query(modelreg, Target.MODELS)


@pytest.mark.parametrize(
    ("mlflow", "order_by", "modelreg"),
    [
        ("", [], "ORDER BY created_at DESC, name ASC, version DESC"),
        (
            "version_number > 2",
            ["version_number DESC"],
            "version > 2 ORDER BY version DESC, name ASC",
        ),
        (
            "run_id IN ('r1', 'r2')",
            ["name"],
            "run_id IN ('r1', 'r2') ORDER BY name ASC, version DESC",
        ),
        (
            "source_path LIKE 'runs:/r1/%'",
            [],
            "mlflow_source LIKE 'runs:/r1/%' ORDER BY created_at DESC, name ASC, version DESC",
        ),
        (
            "name = 'm' AND version_number = 3",
            [],
            "name = 'm' AND version = 3 ORDER BY created_at DESC, name ASC, version DESC",
        ),
    ],
)
def test_version_filters_translate_and_parse(mlflow, order_by, modelreg):
    assert version_search(mlflow, order_by) == modelreg
    parse_query(modelreg, Target.VERSIONS)


def test_model_ordering_maps_mlflow_keys():
    assert model_search("", ["last_updated_timestamp DESC"]) == (
        "ORDER BY updated_at DESC, name ASC"
    )
    assert model_search("", ["name DESC", "creation_timestamp"]) == (
        "ORDER BY name DESC, created_at ASC"
    )


@pytest.mark.parametrize(
    "bad",
    [
        "name = 'a' OR name = 'b'",
        "name = ",
        "owner = 'x'",
        "name",
        "tags.x IN ('a')",
        "version_number = 'x'",
        "version_number = 2.5",  # not truncated to 2
        "tags.x IS NULL",  # run searches only
        "source_path < 'runs:/x'",
        "name IN 'a'",
        "name = 'unterminated",
    ],
)
def test_unsupported_filters_are_invalid_parameter_values(bad):
    with pytest.raises(MlflowError) as excinfo:
        version_search(bad, [])
    assert excinfo.value.code == "INVALID_PARAMETER_VALUE"


@pytest.mark.parametrize("order_by", [["size"], ["name SIDEWAYS"], ["name", "name DESC"]])
def test_bad_order_by_is_invalid(order_by):
    with pytest.raises(MlflowError):
        model_search("", order_by)


def test_parse_filter_reads_clauses():
    assert parse_filter("name != 'a' AND tags.`k.x` LIKE 'v%' AND version_number >= 2") == [
        Clause("attribute", "name", "!=", "a"),
        Clause("tag", "k.x", "LIKE", "v%"),
        Clause("attribute", "version_number", ">=", 2),
    ]


def test_parse_filter_reads_numbers_and_presence():
    assert parse_filter("a > 0.5 AND b < -1e-3 AND c = 7 AND d IS NULL AND e is not null") == [
        Clause("attribute", "a", ">", 0.5),
        Clause("attribute", "b", "<", -0.001),
        Clause("attribute", "c", "=", 7),
        Clause("attribute", "d", "IS NULL", None),
        Clause("attribute", "e", "IS NOT NULL", None),
    ]


@pytest.mark.parametrize(
    ("source", "kind", "details"),
    [
        ("mlflow-artifacts:/1/abc/artifacts/model", "artifacts", {"path": "1/abc/artifacts/model"}),
        ("mlflow-artifacts://host:5000/1/x", "artifacts", {"path": "1/x"}),
        ("runs:/abc/model", "run", {"run_id": "abc", "path": "model"}),
        ("runs:/abc", "run", {"run_id": "abc", "path": ""}),
        ("models:/m-0123", "logged_model", {"model_id": "m-0123"}),
        ("models:/name/3", "version", {"model_name": "name", "version": 3}),
        ("models:/name/latest", "version", {"model_name": "name", "version": None}),
        ("models:/name@champion", "version", {"model_name": "name", "alias": "champion"}),
    ],
)
def test_sources_parse(source, kind, details):
    ref = parse_source(source)
    assert ref.kind == kind
    for key, value in details.items():
        assert getattr(ref, key) == value


@pytest.mark.parametrize(
    "source",
    ["", "s3://b/k", "/tmp/model", "file:///tmp/m", "runs:/", "models:/a/b/c", "runs:/r/../x"],
)
def test_sources_without_stored_files_are_refused(source):
    with pytest.raises(InvalidArgumentError):
        parse_source(source)


def test_stages_are_case_insensitive_and_closed():
    assert canonical_stage("production") is Stage.PRODUCTION
    assert canonical_stage(" None ") is Stage.NONE
    with pytest.raises(InvalidArgumentError):
        canonical_stage("Retired")
