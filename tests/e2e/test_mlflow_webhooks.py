"""MLflow 3's webhooks API through the unmodified ``mlflow`` client against a live
``modelreg server`` process, with a receiver on 127.0.0.1 that checks each delivery's
MLflow-shaped body and ``X-MLflow-Signature`` the way MLflow documents it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

pytest.importorskip("mlflow")

from tests.e2e.mlflow_target import MLFLOW_ENV, modelreg_server, too_old

_unsupported = too_old("3.3", "the webhooks API (MlflowClient.create_webhook)")
if _unsupported:
    pytest.skip(_unsupported, allow_module_level=True)

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from mlflow import MlflowClient
    from mlflow.entities.webhook import WebhookStatus
    from mlflow.exceptions import MlflowException

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore")]

WAIT = 30.0
SECRET = "receiver-shared-secret"  # noqa: S105 - the test receiver's key
SERVER_ENV = {
    # Loopback targets are refused unless allow-listed; the receiver lives on 127.0.0.1.
    "MODELREG_WEBHOOK_ALLOWED_HOSTS": '["127.0.0.1"]',
    "MODELREG_WEBHOOK_POLL_INTERVAL": "0.2",
    "MODELREG_WEBHOOK_RETRY_BASE": "0.2",
}


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes

    @property
    def document(self) -> dict[str, object]:
        return json.loads(self.body)

    @property
    def event(self) -> str:
        return f"{self.document['entity']}.{self.document['action']}"


@dataclass
class Receiver:
    """A webhook endpoint on 127.0.0.1 that keeps every request it gets."""

    received: list[Delivery] = field(default_factory=list)
    _httpd: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/hook"

    def start(self) -> None:
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                received.append(Delivery(dict(self.headers.items()), body))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *_args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    def of(self, event: str) -> list[Delivery]:
        return [delivery for delivery in self.received if delivery.event == event]


def mlflow_signature(secret: str, delivery: Delivery) -> str:
    """What MLflow's documentation tells a receiver to compute."""
    signed = (
        f"{delivery.headers['X-MLflow-Delivery-Id']}.{delivery.headers['X-MLflow-Timestamp']}."
    ).encode() + delivery.body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with modelreg_server(tmp_path_factory.mktemp("mlflow-webhooks"), **SERVER_ENV) as url:
        yield url


@pytest.fixture
def client(server_url: str, monkeypatch: pytest.MonkeyPatch) -> MlflowClient:
    for key, value in MLFLOW_ENV.items():
        monkeypatch.setenv(key, value)
    return MlflowClient(tracking_uri=server_url, registry_uri=server_url)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver()
    started.start()
    yield started
    started.stop()


@pytest.fixture
def source(client: MlflowClient, tmp_path: Path) -> str:
    run = client.create_run(client.create_experiment(f"e-{uuid.uuid4().hex[:10]}"))
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"w" * 1000)
    client.log_artifact(run.info.run_id, str(weights), "model")
    client.set_terminated(run.info.run_id)
    return f"runs:/{run.info.run_id}/model"


def test_create_get_list_update_delete(client: MlflowClient, receiver: Receiver):
    created = client.create_webhook(
        name="ci-hook",
        url=receiver.url,
        events=["registered_model.created", "model_version.created"],
        description="tell CI",
        secret=SECRET,
    )
    assert created.name == "ci-hook"
    assert created.url == receiver.url
    assert created.description == "tell CI"
    assert created.status == WebhookStatus.ACTIVE
    assert sorted(str(e) for e in created.events) == [
        "model_version.created",
        "registered_model.created",
    ]
    assert created.creation_timestamp > 0

    fetched = client.get_webhook(created.webhook_id)
    assert (fetched.name, fetched.url) == ("ci-hook", receiver.url)
    listed = client.list_webhooks()
    assert created.webhook_id in [hook.webhook_id for hook in listed]

    updated = client.update_webhook(
        created.webhook_id,
        name="ci-hook-2",
        events=["model_version_alias.created"],
        status=WebhookStatus.DISABLED,
    )
    assert updated.name == "ci-hook-2"
    assert [str(e) for e in updated.events] == ["model_version_alias.created"]
    assert updated.status == WebhookStatus.DISABLED
    assert updated.description == "tell CI"  # untouched
    assert client.get_webhook(created.webhook_id).status == WebhookStatus.DISABLED

    client.delete_webhook(created.webhook_id)
    with pytest.raises(MlflowException) as missing:
        client.get_webhook(created.webhook_id)
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_events_without_a_modelreg_counterpart_are_refused(client: MlflowClient, receiver):
    for event in ("model_version_tag.set", "prompt.created"):
        with pytest.raises(MlflowException) as refused:
            client.create_webhook(name="x", url=receiver.url, events=[event])
        assert refused.value.error_code == "INVALID_PARAMETER_VALUE"
        assert "not supported" in refused.value.message
    assert "x" not in [hook.name for hook in client.list_webhooks()]


def test_a_target_outside_the_allow_list_is_refused(client: MlflowClient):
    with pytest.raises(MlflowException) as refused:
        client.create_webhook(
            name="outside", url="http://192.0.2.1/hook", events=["model_version.created"]
        )
    assert refused.value.error_code == "INVALID_PARAMETER_VALUE"


def test_test_sends_a_signed_example(client: MlflowClient, receiver: Receiver):
    hook = client.create_webhook(
        name="probe", url=receiver.url, events=["model_version.created"], secret=SECRET
    )
    try:
        result = client.test_webhook(hook.webhook_id)
        assert result.success
        assert result.response_status == 200
        assert result.response_body == "ok"
        [probe] = receiver.received
        assert probe.event == "model_version.created"
        assert probe.document["data"]["name"] == "example_model"
        assert probe.headers["X-MLflow-Signature"] == mlflow_signature(SECRET, probe)
    finally:
        client.delete_webhook(hook.webhook_id)


def test_model_version_created_through_mlflow_is_delivered_signed(
    client: MlflowClient, receiver: Receiver, source: str
):
    name = f"m-{uuid.uuid4().hex[:10]}"
    hook = client.create_webhook(
        name="deliveries",
        url=receiver.url,
        events=["registered_model.created", "model_version.created"],
        secret=SECRET,
    )
    unsigned = client.create_webhook(
        name="no-secret", url=receiver.url, events=["model_version_alias.created"]
    )
    try:
        client.create_registered_model(name, description="fraud scores")
        version = client.create_model_version(name, source, tags={"team": "risk"})
        client.set_registered_model_alias(name, "champion", version.version)
        wait_for(lambda: len(receiver.received) >= 3, "three deliveries")

        [model] = receiver.of("registered_model.created")
        assert model.document["data"] == {"name": name, "tags": {}, "description": "fraud scores"}
        [created] = receiver.of("model_version.created")
        data = created.document["data"]
        assert (data["name"], data["version"], data["tags"]) == (name, "1", {"team": "risk"})
        assert data["source"] == source
        for delivery in (model, created):
            assert delivery.headers["X-MLflow-Signature"] == mlflow_signature(SECRET, delivery)
            assert abs(int(delivery.headers["X-MLflow-Timestamp"]) - time.time()) < 600
            uuid.UUID(delivery.headers["X-MLflow-Delivery-Id"])
        [alias] = receiver.of("model_version_alias.created")
        assert alias.document["data"] == {"name": name, "alias": "champion", "version": "1"}
        assert "X-MLflow-Signature" not in alias.headers  # created without a secret
    finally:
        client.delete_webhook(hook.webhook_id)
        client.delete_webhook(unsigned.webhook_id)


def deliveries(server_url: str, webhook_id: str) -> list[dict[str, object]]:
    """The subscription's delivery log through modelreg's own API (the same subscription)."""
    response = httpx.get(f"{server_url}/api/v1/webhooks/{webhook_id}/deliveries")
    assert response.status_code == 200, response.text
    items: list[dict[str, object]] = response.json()["items"]
    return items


def test_a_disabled_webhook_gets_nothing(client: MlflowClient, receiver: Receiver, server_url: str):
    hook = client.create_webhook(
        name="off",
        url=receiver.url,
        events=["registered_model.created"],
        status=WebhookStatus.DISABLED,
    )
    watcher = client.create_webhook(
        name="on", url=receiver.url.replace("/hook", "/on"), events=["registered_model.created"]
    )
    try:
        client.create_registered_model(f"m-{uuid.uuid4().hex[:10]}")
        # Deliveries are queued in the transaction of the change: once the call returned, the
        # outbox holds all there will ever be for it.
        assert deliveries(server_url, hook.webhook_id) == []
        assert len(deliveries(server_url, watcher.webhook_id)) == 1
        wait_for(lambda: len(receiver.received) == 1, "the active webhook's delivery")
        assert receiver.received[0].event == "registered_model.created"
        client.update_webhook(hook.webhook_id, status=WebhookStatus.ACTIVE)
        client.create_registered_model(f"m-{uuid.uuid4().hex[:10]}")
        assert len(deliveries(server_url, hook.webhook_id)) == 1
    finally:
        client.delete_webhook(hook.webhook_id)
        client.delete_webhook(watcher.webhook_id)
