"""How S3 storage is configured: the storage URL, and endpoint and region with their fallbacks
to the standard AWS variables."""

from __future__ import annotations

import pytest

from modelreg.settings import Settings


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("s3://bucket", ("bucket", "")),
        ("s3://bucket/", ("bucket", "")),
        ("s3://bucket/team/registry/", ("bucket", "team/registry")),
        ("/srv/blobs", None),
        (None, None),
    ],
)
def test_storage_url_names_bucket_and_prefix(url, expected):
    assert Settings(storage_url=url).s3_location() == expected


def test_storage_url_without_bucket_is_refused():
    with pytest.raises(ValueError, match="names no bucket"):
        Settings(storage_url="s3:///prefix").s3_location()


def test_endpoint_prefers_the_setting_then_the_s3_variable_then_the_general_one(monkeypatch):
    for name in ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "MODELREG_S3_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    assert Settings().resolved_s3_endpoint_url() is None
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://general:1")
    assert Settings().resolved_s3_endpoint_url() == "http://general:1"
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://s3-only:2")
    assert Settings().resolved_s3_endpoint_url() == "http://s3-only:2"
    monkeypatch.setenv("MODELREG_S3_ENDPOINT_URL", "http://explicit:3")
    assert Settings().resolved_s3_endpoint_url() == "http://explicit:3"


def test_region_prefers_the_setting_then_aws_region_then_the_default_region(monkeypatch):
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "MODELREG_S3_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    assert Settings().resolved_s3_region() == "eu-west-1"
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    assert Settings().resolved_s3_region() == "eu-central-1"
    assert Settings(s3_region="us-west-2").resolved_s3_region() == "us-west-2"


def test_direct_part_size_respects_the_s3_minimum():
    with pytest.raises(ValueError, match="greater than or equal"):
        Settings(direct_part_size=1024)
