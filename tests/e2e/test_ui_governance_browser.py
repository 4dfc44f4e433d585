"""Governance in the web UI in a real browser: headless Chromium (Debian's package) driven by
Playwright against a live ``modelreg server`` process. Two browser contexts act as two people
(``X-Modelreg-User``): one requests a promotion through the form, the other approves it, and
the alias moves in the API; a version is archived through its form.

Locally the tests skip when Playwright or Chromium is missing; under CI (``CI`` set) that is a
failure, as ``.ci/run`` installs both.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from modelreg import Client
from tests.e2e.conftest import ENTRY, STOP_TIMEOUT, clean_env, free_port
from tests.e2e.test_ui_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    TIMEOUT_MS,
    _unavailable,
    _wait_for_health,
)
from tests.factories import write_model_dir

pytestmark = pytest.mark.e2e

MODEL = "fraud-detector"
POLICY = {"aliases": {"production": {"approvals": 1, "gates": ["metrics.auc >= 0.9"]}}}


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install -e '.[test]')")
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real server holding fraud-detector v1 (auc 0.91, production), v2 (auc 0.95) and v3
    (auc 0.5), with production protected (one approval, auc >= 0.9)."""
    home = tmp_path_factory.mktemp("ui-gov-home")
    port = free_port()
    log = (home.parent / f"ui-gov-server-{port}.log").open("wb")
    command = [*ENTRY, "server", "--host", "127.0.0.1", "--port", str(port), "--home", str(home)]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=clean_env())
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_health(url, process)
        work = tmp_path_factory.mktemp("ui-gov-seed")
        with Client(url, user="alice", cache_dir=work / "cache") as sdk:
            folder = write_model_dir(work / "m", {"weights.bin": b"a" * 100})
            for number, auc in enumerate((0.91, 0.95, 0.5), start=1):
                write_model_dir(folder, {"weights.bin": bytes([number]) * 100})
                alias = "production" if number == 1 else None
                sdk.push(MODEL, folder, metrics={"auc": auc}, alias=alias)
            sdk.set_policy(POLICY, model=MODEL)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)
        log.close()


def person(browser, user: str):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, extra_http_headers={"X-Modelreg-User": user}
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context


@pytest.fixture
def alice(browser):
    context = person(browser, "alice")
    yield context.new_page()
    context.close()


@pytest.fixture
def bob(browser):
    context = person(browser, "bob")
    yield context.new_page()
    context.close()


def api(url: str, path: str) -> dict[str, object]:
    response = httpx.get(f"{url}/api/v1/models/{MODEL}{path}")
    response.raise_for_status()
    document: dict[str, object] = response.json()
    return document


def test_request_and_approve_a_promotion_through_the_forms(live, alice, bob):
    problems: list[str] = []
    for page in (alice, bob):
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
    assert api(live, "/aliases/production")["version"] == 1

    alice.goto(f"{live}/models/{MODEL}/versions/2")
    assert "ready" in alice.locator("section[aria-labelledby=promote]").inner_text().lower()
    form = alice.locator("#promote-form")
    form.locator("select[name=alias]").select_option("production")
    form.locator("textarea[name=reason]").fill("auc 0.95 beats 0.91")
    form.locator("button[type=submit]").click()
    alice.wait_for_url("**/versions/2?done=promotion-requested")
    assert "Promotion requested." in alice.locator(".notice").inner_text()

    # The requester cannot approve: the page says why and nothing moves.
    alice.locator("form.decide button:has-text('Approve')").click()
    assert "cannot approve" in alice.locator(".refused").inner_text()
    assert api(live, "/aliases/production")["version"] == 1

    bob.goto(f"{live}/promotions")
    request = bob.locator("article.promotion").filter(has_text="auc 0.95 beats 0.91")
    request.locator("textarea[name=reason]").fill("checked the eval")
    request.locator("button:has-text('Approve')").click()
    bob.wait_for_url("**/promotions?done=promotion-completed")
    assert api(live, "/aliases/production")["version"] == 2
    bob.goto(f"{live}/models/{MODEL}")
    assert "protected" in bob.locator("section[aria-labelledby=aliases]").inner_text().lower()
    # The refused self-approval answered 403, which the browser reports; nothing else may.
    refused = [text for text in problems if "status of 403" in text]
    assert len(refused) == 1
    assert [text for text in problems if text not in refused] == []


def test_a_refused_request_shows_the_failing_rule(live, alice):
    alice.goto(f"{live}/models/{MODEL}/versions/3")
    assert "blocked" in alice.locator("section[aria-labelledby=promote]").inner_text().lower()
    form = alice.locator("#promote-form")
    form.locator("textarea[name=reason]").fill("try anyway")
    form.locator("button[type=submit]").click()
    refusal = alice.locator(".refused").inner_text()
    assert "metrics.auc >= 0.9" in refusal
    assert form.locator("textarea[name=reason]").input_value() == "try anyway"


def test_archive_and_restore_a_version_through_the_forms(live, alice):
    alice.goto(f"{live}/models/{MODEL}/versions/3")
    alice.locator("section[aria-labelledby=lifecycle] button:has-text('Archive version')").click()
    alice.wait_for_url("**/versions/3?done=version-archived")
    assert "archived" in alice.locator("h1").inner_text().lower()
    assert api(live, "/versions/3")["archived_at"] is not None
    listed = api(live, "/versions")["items"]
    assert 3 not in [item["version"] for item in listed]  # type: ignore[index,union-attr]
    alice.locator("section[aria-labelledby=lifecycle] button:has-text('Restore version')").click()
    alice.wait_for_url("**/versions/3?done=version-restored")
    assert api(live, "/versions/3")["archived_at"] is None


def test_governance_pages_fit_a_narrow_window(live, alice):
    alice.set_viewport_size({"width": 390, "height": 844})
    alice.goto(f"{live}/audit")
    assert "Chain intact" in alice.locator("#chain-status").inner_text()
    alice.fill("#audit-filters input[name=action]", "version.*")
    alice.locator("#audit-filters button[type=submit]").click()
    alice.wait_for_url("**/audit?*action=version.*")
    actions = alice.locator("table.audit td[data-label=Event]").all_inner_texts()
    assert actions
    assert all(action.startswith("version.") for action in actions)
    assert alice.evaluate("document.documentElement.scrollWidth") <= 390
    for path in ("/promotions", f"/models/{MODEL}/versions/2/card"):
        alice.goto(live + path)
        assert alice.evaluate("document.documentElement.scrollWidth") <= 390, path
    # The version page holds other features' panels too; the governance ones must fit.
    alice.goto(f"{live}/models/{MODEL}/versions/2")
    mine = "section[aria-labelledby=promote], section[aria-labelledby=lifecycle]"
    edges = alice.locator(f"{mine}, :is({mine}) *").evaluate_all(
        "nodes => nodes.map(node => node.getBoundingClientRect().right)"
    )
    assert edges
    assert max(edges) <= 390
