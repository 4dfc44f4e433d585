"""Domain value rules: names, tags, params, metrics, file paths, limits, references, digests."""

import math
import re

import pytest

from modelreg.domain.digests import Digest
from modelreg.domain.entities import FileEntry, Lineage, VersionStatus
from modelreg.domain.errors import ConflictError, InvalidArgumentError, LimitExceededError
from modelreg.domain.rules import (
    Limits,
    ModelRef,
    check_transition,
    parse_ref,
    validate_alias_name,
    validate_description,
    validate_draft,
    validate_file_path,
    validate_files,
    validate_key,
    validate_lineage,
    validate_metrics,
    validate_model_name,
    validate_params,
    validate_tags,
)
from tests.factories import file_entry, make_draft

HEX = "ab" * 32

# -- model and alias names -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["m", "resnet-50", "credit.risk_v2", "7b", "latest", "v1"])
def test_model_name_accepts_letters_digits_dot_dash_underscore(name):
    assert validate_model_name(name) == name


@pytest.mark.parametrize(
    "name",
    ["", "-lead", ".hidden", "_x", "a b", "a/b", "a@b", "a\x00b", "é", "model\n", "x" * 129],
)
def test_model_name_rejects_invalid(name):
    with pytest.raises(InvalidArgumentError) as caught:
        validate_model_name(name)
    assert caught.value.details["field"] == "name"


def test_model_name_length_limit_is_configurable():
    assert validate_model_name("x" * 128) == "x" * 128
    with pytest.raises(InvalidArgumentError):
        validate_model_name("x" * 11, Limits(name_length=10))


@pytest.mark.parametrize("alias", ["prod", "production", "_staging", "champion-2", "v1a", "vx"])
def test_alias_name_accepts_valid(alias):
    assert validate_alias_name(alias) == alias


@pytest.mark.parametrize("alias", ["latest", "LATEST", "Latest", "v1", "v42", "V7"])
def test_alias_name_rejects_reserved(alias):
    with pytest.raises(InvalidArgumentError, match="reserved") as caught:
        validate_alias_name(alias)
    assert caught.value.details["field"] == "alias"


@pytest.mark.parametrize("alias", ["", "1prod", "-x", "a.b", "a b", "a/b", "prod\n", "p" * 65])
def test_alias_name_rejects_invalid(alias):
    with pytest.raises(InvalidArgumentError):
        validate_alias_name(alias)


# -- tags, params, metrics -------------------------------------------------------------------


def test_tags_accept_string_values():
    assert validate_tags({"team": "ml", "stage.name": "x", "a/b:c d": ""}) == {
        "team": "ml",
        "stage.name": "x",
        "a/b:c d": "",
    }


@pytest.mark.parametrize("key", ["", "-x", " lead", "a!b", "a\nb", "team\n", "k" * 251])
def test_tags_reject_invalid_keys(key):
    with pytest.raises(InvalidArgumentError):
        validate_tags({key: "v"})


@pytest.mark.parametrize("value", [1, 1.5, True, None, ["x"]])
def test_tags_reject_non_string_values(value):
    with pytest.raises(InvalidArgumentError, match="string"):
        validate_tags({"k": value})


def test_tag_value_over_limit_is_limit_exceeded():
    validate_tags({"k": "v" * 100_000})  # MLflow's registry limit
    with pytest.raises(LimitExceededError):
        validate_tags({"k": "v" * 100_001})


def test_params_are_stored_as_text():
    assert validate_params({"lr": 0.01, "epochs": 3, "shuffle": True, "opt": "adam"}) == {
        "lr": "0.01",
        "epochs": "3",
        "shuffle": "true",
        "opt": "adam",
    }


@pytest.mark.parametrize("value", [None, [1], {"a": 1}, b"x"])
def test_params_reject_non_scalar_values(value):
    with pytest.raises(InvalidArgumentError):
        validate_params({"p": value})


def test_param_value_over_limit_is_limit_exceeded():
    with pytest.raises(LimitExceededError):
        validate_params({"p": "x" * 6001})


def test_metrics_accept_ints_and_floats_as_floats():
    result = validate_metrics({"auc": 0.9, "epochs": 3, "loss": -1e-3})
    assert result == {"auc": 0.9, "epochs": 3.0, "loss": -0.001}
    assert all(type(value) is float for value in result.values())


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, float("nan")])
def test_metrics_reject_non_finite(value):
    with pytest.raises(InvalidArgumentError, match="finite") as caught:
        validate_metrics({"auc": value})
    assert caught.value.details["field"] == "metric"


@pytest.mark.parametrize("value", [True, False])
def test_metrics_reject_bools(value):
    with pytest.raises(InvalidArgumentError, match="number"):
        validate_metrics({"converged": value})


@pytest.mark.parametrize("value", ["0.9", None, [0.9]])
def test_metrics_reject_non_numbers(value):
    with pytest.raises(InvalidArgumentError):
        validate_metrics({"auc": value})


def test_metric_key_is_validated():
    with pytest.raises(InvalidArgumentError):
        validate_metrics({"bad key!": 1.0})


def test_validate_key_names_the_kind():
    with pytest.raises(InvalidArgumentError) as caught:
        validate_key("", "param")
    assert caught.value.details["field"] == "param"


# -- file paths ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["model.bin", "sub/dir/weights.safetensors", ".hidden", "a..b", "with space.txt"]
)
def test_file_path_accepts_relative_posix_paths(path):
    assert validate_file_path(path) == path


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("", "non-empty"),
        ("/etc/passwd", "absolute"),
        ("..", "'..'"),
        ("../escape", "'..'"),
        ("a/../../escape", "'..'"),
        ("a/..", "'..'"),
        ("a\x00b", "NUL"),
        ("a\\b", "backslash"),
        ("..\\escape", "backslash"),
        ("a//b", "empty"),
        ("a/", "empty"),
        ("./a", "'.'"),
        ("a/./b", "'.'"),
        ("C:/windows", "drive letter"),
        ("c:evil", "drive letter"),
        ("a\x01b", "control"),
        ("a\nb", "control"),
        ("a\tb", "control"),
        ("x" * 1025, "longer"),
    ],
)
def test_file_path_rejects_unsafe_paths(path, problem):
    with pytest.raises(InvalidArgumentError, match=re.escape(problem)) as caught:
        validate_file_path(path)
    assert caught.value.details["field"] == "path"


def test_files_are_returned_sorted_by_path():
    entries = [file_entry("b.bin", b"b"), file_entry("a/z.txt", b"z"), file_entry("a.txt", b"a")]
    assert [e.path for e in validate_files(entries)] == ["a.txt", "a/z.txt", "b.bin"]


def test_files_reject_empty_list():
    with pytest.raises(InvalidArgumentError, match="at least one file"):
        validate_files([])


def test_files_reject_duplicate_paths():
    with pytest.raises(InvalidArgumentError, match="twice"):
        validate_files([file_entry("a.bin", b"1"), file_entry("a.bin", b"2")])


@pytest.mark.parametrize(
    "paths",
    [("model", "model/weights.bin"), ("a/b", "a/b/c/d.bin"), ("deep/x/y.bin", "deep")],
)
def test_files_reject_a_file_that_is_also_a_folder(paths):
    with pytest.raises(InvalidArgumentError, match="also used as a folder"):
        validate_files([file_entry(path, path.encode()) for path in paths])


def test_files_allow_sibling_names_sharing_a_prefix():
    entries = validate_files([file_entry("model", b"1"), file_entry("model2/x", b"2")])
    assert len(entries) == 2


def test_files_reject_negative_size():
    with pytest.raises(InvalidArgumentError, match="negative"):
        validate_files([FileEntry("a.bin", -1, Digest("blake3", HEX))])


def test_files_reject_an_unsafe_path_among_valid_ones():
    with pytest.raises(InvalidArgumentError, match=re.escape("'..'")):
        validate_files([file_entry("ok.bin", b"1"), file_entry("../x", b"2")])


# -- limits ----------------------------------------------------------------------------------


def test_description_over_64_kib_is_limit_exceeded():
    assert validate_description("d" * 64 * 1024) == "d" * 64 * 1024
    with pytest.raises(LimitExceededError) as caught:
        validate_description("d" * (64 * 1024 + 1))
    assert caught.value.code == "LIMIT_EXCEEDED"
    assert caught.value.details["field"] == "description"


def test_limit_exceeded_is_an_invalid_argument():
    assert issubclass(LimitExceededError, InvalidArgumentError)


def test_too_many_tags_is_limit_exceeded():
    with pytest.raises(LimitExceededError, match="tag"):
        validate_tags({f"k{i}": "v" for i in range(3)}, Limits(entries_per_mapping=2))


def test_too_many_metrics_is_limit_exceeded():
    with pytest.raises(LimitExceededError, match="metric"):
        validate_metrics({f"m{i}": 1.0 for i in range(1001)})


def test_too_many_files_is_limit_exceeded():
    entries = [file_entry(f"f{i}", b"x") for i in range(3)]
    with pytest.raises(LimitExceededError, match="files"):
        validate_files(entries, Limits(files_per_version=2))


def test_path_length_limit_is_configurable():
    with pytest.raises(InvalidArgumentError, match="longer"):
        validate_file_path("abcdef", Limits(path_length=5))


def test_too_many_datasets_is_limit_exceeded():
    with pytest.raises(LimitExceededError):
        validate_lineage(Lineage(datasets=tuple(f"s3://d/{i}" for i in range(101))))


def test_lineage_rejects_non_positive_parent():
    with pytest.raises(InvalidArgumentError, match="parent_version"):
        validate_lineage(Lineage(parent_version=0))


def test_draft_validation_normalises_params_and_metrics():
    draft = validate_draft(make_draft(params={"lr": 0.1}, metrics={"epochs": 2}))
    assert draft.params == {"lr": "0.1"}
    assert draft.metrics == {"epochs": 2.0}


def test_draft_validation_rejects_non_finite_metric():
    with pytest.raises(InvalidArgumentError):
        validate_draft(make_draft(metrics={"auc": math.inf}))


def test_draft_validation_rejects_oversized_description():
    with pytest.raises(LimitExceededError):
        validate_draft(make_draft(description="x" * (64 * 1024 + 1)))


# -- references ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("resnet", ModelRef("resnet")),
        ("resnet/3", ModelRef("resnet", version=3)),
        ("resnet/12", ModelRef("resnet", version=12)),
        ("resnet@prod", ModelRef("resnet", alias="prod")),
        ("resnet@latest", ModelRef("resnet")),
    ],
)
def test_parse_ref(text, expected):
    assert parse_ref(text) == expected


@pytest.mark.parametrize("text", ["resnet", "resnet/3", "resnet@prod"])
def test_ref_round_trips_through_str(text):
    assert str(parse_ref(text)) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "resnet/0",
        "resnet/-1",
        "resnet/x",
        "resnet/",
        "resnet@",
        "resnet@v1",
        "resnet@1bad",
        "bad name/1",
        "/3",
        "@prod",
        "a/b/c",
    ],
)
def test_parse_ref_rejects_invalid(text):
    with pytest.raises(InvalidArgumentError):
        parse_ref(text)


# -- status transitions ----------------------------------------------------------------------


@pytest.mark.parametrize("target", [VersionStatus.READY, VersionStatus.FAILED])
def test_pending_version_may_become_ready_or_failed(target):
    check_transition(VersionStatus.PENDING, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (VersionStatus.READY, VersionStatus.PENDING),
        (VersionStatus.READY, VersionStatus.FAILED),
        (VersionStatus.READY, VersionStatus.READY),
        (VersionStatus.FAILED, VersionStatus.READY),
        (VersionStatus.FAILED, VersionStatus.PENDING),
        (VersionStatus.PENDING, VersionStatus.PENDING),
    ],
)
def test_other_transitions_are_conflicts(current, target):
    with pytest.raises(ConflictError):
        check_transition(current, target)


# -- digests ---------------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["blake3", "sha256"])
def test_digest_parse_and_str_round_trip(algorithm):
    text = f"{algorithm}:{HEX}"
    digest = Digest.parse(text)
    assert (digest.algorithm, digest.hex) == (algorithm, HEX)
    assert str(digest) == text


@pytest.mark.parametrize(
    "text",
    [
        HEX,
        "",
        "blake3:",
        "md5:" + "a" * 32,
        "blake3:" + "AB" * 32,
        "blake3:" + "a" * 63,
        "blake3:" + "a" * 65,
        "blake3:" + "g" * 64,
        "sha256:" + "a" * 63 + "\n",
        "blake3:" + "a" * 63 + "\n",
        "BLAKE3:" + HEX,
    ],
)
def test_digest_parse_rejects_invalid(text):
    with pytest.raises(InvalidArgumentError) as caught:
        Digest.parse(text)
    assert caught.value.details["field"] == "digest"


def test_digests_with_same_parts_are_equal_and_hashable():
    assert Digest.parse(f"blake3:{HEX}") == Digest("blake3", HEX)
    assert len({Digest("blake3", HEX), Digest.parse(f"blake3:{HEX}")}) == 1
    assert Digest("blake3", HEX) != Digest("sha256", HEX)
