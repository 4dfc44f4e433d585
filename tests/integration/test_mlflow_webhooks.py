"""MLflow's webhooks API over modelreg's subscriptions, in-process on SQLite and PostgreSQL:
the MLflow view is stored with the subscription, deliveries take MLflow's shape and signature,
and a disabled or deleted webhook queues nothing. (The real ``mlflow`` client and a real
receiver: ``tests/e2e/test_mlflow_webhooks.py``.)"""

import json

import pytest
from fastapi.testclient import TestClient

from modelreg.client.client import Client
from modelreg.client.embedded import EmbeddedTransport
from modelreg.domain import mlflow_webhooks
from modelreg.server.app import create_app
from modelreg.settings import Settings
from modelreg.wiring import open_services
from tests.factories import write_model_dir

API = "/api/2.0/mlflow/webhooks"
TARGET = "http://192.0.2.10/hook"  # an address literal: allow-listed below, never contacted
KEY = "integration-key"
NATIVE_KEY = "native-subscription-key"


@pytest.fixture
def services(tmp_path, database_url):
    settings = Settings(
        home=tmp_path / "home", database_url=database_url, webhook_allowed_hosts=["192.0.2.10"]
    )
    opened = open_services(settings)
    yield opened
    opened.close()


@pytest.fixture
def http(services):
    app = create_app(Settings(webhook_worker=False), services=services)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def create(http, **fields):
    body = {
        "name": "hook",
        "url": TARGET,
        "events": [{"entity": "MODEL_VERSION", "action": "CREATED"}],
        **fields,
    }
    response = http.post(API, json=body)
    assert response.status_code == 200, response.text
    return response.json()["webhook"]


def sent(services):
    """Run one worker round with a recording poster; the requests it would have sent."""
    requests = []

    def post(url, body, headers):
        requests.append((url, body, dict(headers)))
        return 200

    services.webhooks.deliver_due(post, worker="test")
    return requests


def test_the_mlflow_view_round_trips_and_maps_onto_a_subscription(http, services):
    hook = create(http, description="ci", secret=KEY)
    assert hook["events"] == [{"entity": "MODEL_VERSION", "action": "CREATED"}]
    assert (hook["name"], hook["description"], hook["status"]) == ("hook", "ci", "ACTIVE")
    [subscription] = services.webhooks.list_subscriptions()
    assert (str(subscription.id), subscription.url) == (hook["webhook_id"], TARGET)
    assert subscription.events == ("version.ready",)

    patched = http.patch(f"{API}/{hook['webhook_id']}", json={"status": "DISABLED"}).json()
    assert patched["webhook"]["status"] == "DISABLED"
    assert services.webhooks.get_subscription(subscription.id).events == ()
    assert http.get(API).json()["webhooks"][0]["status"] == "DISABLED"

    assert http.delete(f"{API}/{hook['webhook_id']}").status_code == 200
    assert services.webhooks.list_subscriptions() == []
    missing = http.get(f"{API}/{hook['webhook_id']}")
    assert (missing.status_code, missing.json()["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")


def test_unsupported_and_unknown_events_are_invalid_parameter_values(http, services):
    for entity, action in (("MODEL_VERSION_TAG", "SET"), ("MODEL_VERSION", "EXPLODED")):
        response = http.post(
            API,
            json={"name": "x", "url": TARGET, "events": [{"entity": entity, "action": action}]},
        )
        assert response.status_code == 400
        assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert services.webhooks.list_subscriptions() == []


def test_deliveries_take_mlflow_shape_and_signature(http, services, tmp_path):
    create(http, secret=KEY)
    native = services.webhooks.add_subscription(
        TARGET, events=["version.ready"], secret=NATIVE_KEY, actor="admin"
    )
    sdk = Client(transport=EmbeddedTransport(services, user="alice"), cache_dir=tmp_path / "c")
    folder = write_model_dir(tmp_path / "m", {"weights.bin": b"w" * 10})
    sdk.push("fraud", folder, tags={"team": "risk"}, description="first")
    requests = sent(services)
    assert len(requests) == 2
    [(url, body, headers)] = [r for r in requests if "X-MLflow-Signature" in r[2]]
    assert url == TARGET
    document = json.loads(body)
    assert (document["entity"], document["action"]) == ("model_version", "created")
    assert document["data"] == {
        "name": "fraud",
        "version": "1",
        "source": "models:/fraud/1",
        "run_id": None,
        "tags": {"team": "risk"},
        "description": "first",
    }
    assert mlflow_webhooks.verify(
        KEY,
        headers["X-MLflow-Delivery-Id"],
        headers["X-MLflow-Timestamp"],
        body,
        headers["X-MLflow-Signature"],
    )
    [(_, native_body, native_headers)] = [r for r in requests if "X-MLflow-Signature" not in r[2]]
    assert native_headers["X-Modelreg-Delivery"]
    assert json.loads(native_body)["type"] == "version.ready"
    assert native.id != int(json.loads(http.get(API).text)["webhooks"][0]["webhook_id"])


def test_a_disabled_webhook_queues_nothing(http, services):
    hook = create(
        http, status="DISABLED", events=[{"entity": "REGISTERED_MODEL", "action": "CREATED"}]
    )
    services.registry.create_model("quiet", actor="alice")
    assert services.webhooks.list_deliveries(int(hook["webhook_id"])).items == ()
    http.patch(f"{API}/{hook['webhook_id']}", json={"status": "ACTIVE"})
    services.registry.create_model("loud", actor="alice")
    assert len(services.webhooks.list_deliveries(int(hook["webhook_id"])).items) == 1
