"""The MLflow webhook rules of ``domain/mlflow_webhooks.py``: event names, what is supported,
and a signature that MLflow's own code computes identically."""

from datetime import UTC, datetime

import pytest

from modelreg.domain.errors import InvalidArgumentError
from modelreg.domain.mlflow_webhooks import (
    EVENT_TYPES,
    MlflowWebhook,
    WebhookStatus,
    event_name,
    mlflow_event_of,
    sign,
    validate_description,
    validate_events,
    validate_name,
    verify,
)

MOMENT = datetime(2026, 11, 27, tzinfo=UTC)


def webhook(status: WebhookStatus, *events: str) -> MlflowWebhook:
    return MlflowWebhook(1, "n", "", "http://h/", events, status, True, MOMENT, MOMENT)


def test_wire_pairs_become_mlflow_event_names():
    assert event_name("MODEL_VERSION_ALIAS", "CREATED") == "model_version_alias.created"
    assert event_name(" registered_model ", "created") == "registered_model.created"


def test_supported_events_map_onto_modelreg_types():
    assert EVENT_TYPES == {
        "registered_model.created": "model.created",
        "model_version.created": "version.ready",
        "model_version_alias.created": "alias.moved",
    }
    both = ["model_version.created", "model_version.created", "registered_model.created"]
    assert validate_events(both) == ("model_version.created", "registered_model.created")


@pytest.mark.parametrize(
    ("events", "message"),
    [
        ([], "at least one"),
        (["model_version_tag.set"], "not supported by modelreg"),
        (["prompt_alias.deleted"], "not supported by modelreg"),
        (["model_version.exploded"], "Invalid webhook event"),
    ],
)
def test_other_events_are_refused(events, message):
    with pytest.raises(InvalidArgumentError, match=message):
        validate_events(events)


def test_a_disabled_webhook_is_subscribed_to_nothing():
    events = ("model_version.created", "model_version_alias.created")
    assert webhook(WebhookStatus.ACTIVE, *events).delivered_types == (
        "version.ready",
        "alias.moved",
    )
    assert webhook(WebhookStatus.DISABLED, *events).delivered_types == ()


def test_a_delivery_type_finds_its_mlflow_event():
    events = ("registered_model.created", "model_version_alias.created")
    assert mlflow_event_of("alias.moved", events) == "model_version_alias.created"
    assert mlflow_event_of("version.ready", events) is None


def test_names_and_descriptions_are_bounded():
    assert validate_name("  ci  ") == "ci"
    for bad in ("", "   ", "x" * 257):
        with pytest.raises(InvalidArgumentError):
            validate_name(bad)
    assert validate_description("") == ""
    with pytest.raises(InvalidArgumentError):
        validate_description("x" * 5000)


def test_the_signature_is_the_one_mlflow_computes():
    mlflow = pytest.importorskip("mlflow.webhooks.delivery")
    body = b'{"entity": "model_version", "action": "created"}'
    expected = mlflow._generate_hmac_signature("key", "d-1", "1764201600", body.decode())
    assert sign("key", "d-1", 1764201600, body) == expected
    assert verify("key", "d-1", "1764201600", body, expected)
    assert not verify("key", "d-1", "1764201601", body, expected)
    assert not verify("key", "d-1", "soon", body, expected)
