"""The JSON bytes of MLflow answers (``server/mlflow/wire.py``)."""

from __future__ import annotations

import json

from modelreg.server.mlflow import wire


def test_answers_are_compact_json_that_reads_back_the_same():
    document = {
        "model_version": {"name": "fraud", "version": "3", "tags": [{"key": "é", "value": "ü"}]},
        "metrics": [{"value": 0.1 + 0.2}, {"value": wire.number(float("nan"))}],
    }
    encoded = wire.encode(document)
    assert json.loads(encoded) == document
    assert b", " not in encoded  # compact, unlike json.dumps's default


def test_what_orjson_refuses_is_still_answered():
    huge = {"step": 2**70, "ids": {1: "integer keys"}}
    assert json.loads(wire.encode(huge)) == {"step": 2**70, "ids": {"1": "integer keys"}}
