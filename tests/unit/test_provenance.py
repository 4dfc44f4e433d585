"""What a run came from (``domain/provenance.py``): dataset references, locations, and the part
of a run a version's lineage takes."""

from __future__ import annotations

from modelreg.domain.provenance import (
    GIT_COMMIT_TAG,
    GIT_REPO_URL_TAG,
    Dataset,
    DatasetInput,
    lineage_references,
    provenance_of,
)


def data(name: str, digest: str = "d1", source: str = "{}") -> DatasetInput:
    return DatasetInput(Dataset(name, digest, "s3", source))


def test_a_dataset_is_located_by_its_source_document_when_it_says():
    assert data("a", source='{"uri": "s3://bank/a.parquet"}').dataset.location == (
        "s3://bank/a.parquet"
    )
    assert data("a", source='{"path": "/data/a.csv"}').dataset.location == "/data/a.csv"
    for unknown in ('{"tags": {}}', "s3://not-json", '["uri"]', '{"uri": ""}'):
        assert data("a", source=unknown).dataset.location is None


def test_lineage_names_each_dataset_once_in_logged_order_within_the_limit():
    logged = [data("train"), data("eval", "e1"), data("train"), data("test", "t1")]
    logged = [item.dataset.reference for item in logged]
    assert lineage_references(logged, 10) == ("train@d1", "eval@e1", "test@t1")
    assert lineage_references(logged, 2) == ("train@d1", "eval@e1")


def test_provenance_keeps_what_a_lineage_can_hold():
    tags = {GIT_COMMIT_TAG: "abc123", GIT_REPO_URL_TAG: "x" * 2049, "other": "ignored"}
    found = provenance_of(tags, [data("train").dataset.reference], 100)
    assert (found.datasets, found.source_commit, found.source_url) == (
        ("train@d1",),
        "abc123",
        None,
    )
