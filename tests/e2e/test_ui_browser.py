"""The web UI in a real browser: headless Chromium (Debian's package) driven by Playwright
against a live ``modelreg server`` process, seeded through the SDK over HTTP.

Locally the tests skip when Playwright or Chromium is missing; under CI (``CI`` set) that is a
failure, as ``.ci/run`` installs both.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import httpx
import pytest

from modelreg import Client, Lineage
from tests.e2e.conftest import ENTRY, STARTUP_TIMEOUT, STOP_TIMEOUT, clean_env, free_port
from tests.factories import write_model_dir

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 15_000
MODEL = "fraud-detector"


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"the browser tests must run in CI but {reason}", pytrace=False)
    pytest.skip(reason)


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


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One real server for this module (tests that change data restore nothing but only
    compare before with after), holding two versions of fraud-detector that differ in ``lr``
    and two other models, pushed through the SDK. Yields the server's URL."""
    home = tmp_path_factory.mktemp("ui-home")
    port = free_port()
    log = (home.parent / f"ui-server-{port}.log").open("wb")
    command = [*ENTRY, "server", "--host", "127.0.0.1", "--port", str(port), "--home", str(home)]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=clean_env())
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_health(url, process)
        _seed(url, tmp_path_factory.mktemp("ui-seed"))
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)
        log.close()


def _wait_for_health(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode} before answering")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"the server did not answer /healthz within {STARTUP_TIMEOUT:.0f} s")


def _seed(url: str, work: Path) -> None:
    with Client(url, user="alice", cache_dir=work / "cache") as sdk:
        folder = write_model_dir(work / "fraud", {"weights.bin": b"a" * 5000})
        sdk.push(MODEL, folder, params={"lr": 0.1, "depth": 6}, metrics={"auc": 0.91})
        write_model_dir(folder, {"weights.bin": b"b" * 6000})
        sdk.push(
            MODEL,
            folder,
            params={"lr": 0.05, "depth": 6},
            metrics={"auc": 0.93},
            lineage=Lineage(parent_version=1),
            alias="production",
        )
        for name in ("credit-scoring", "churn-predictor"):
            other = write_model_dir(work / name, {"model.bin": name.encode()})
            sdk.push(name, other, params={"lr": 0.01})


def production(url: str) -> int:
    response = httpx.get(f"{url}/api/v1/models/{MODEL}/aliases/production")
    response.raise_for_status()
    return int(response.json()["version"])


def test_find_a_model_by_search_and_open_a_version(live, page):
    page.goto(live + "/")
    page.fill("#q", "name LIKE 'fraud%'")
    page.click("button:has-text('Search')")
    page.wait_for_url("**/?q=*")
    rows = page.locator("table.catalog tbody tr")
    assert rows.count() == 1
    page.click(f"a.model-name:has-text('{MODEL}')")
    page.wait_for_url(f"**/models/{MODEL}")
    page.click("table.versions a.version-link:has-text('v1')")
    page.wait_for_url(f"**/models/{MODEL}/versions/1")
    assert page.locator("h1").inner_text().startswith(MODEL)
    assert "weights.bin" in page.locator("table.files").inner_text()
    commands = page.locator("pre.command").all_inner_texts()
    assert f"models:/{MODEL}/1" in commands
    assert page.locator("button.copy").count() == len(commands)  # the script added copy buttons


def test_an_invalid_filter_is_explained(live, page):
    page.goto(live + "/")
    page.fill("#q", "name = ")
    page.press("#q", "Enter")
    assert "Invalid filter" in page.locator("#filter-error").inner_text()


def test_compare_two_versions_highlights_the_differing_param(live, page):
    page.goto(f"{live}/models/{MODEL}")
    compare = page.locator("form[data-compare] button[type=submit]")
    assert compare.is_disabled()  # the script waits for two ticks
    page.check(f"input[name=v][value='{MODEL}/1']")
    page.check(f"input[name=v][value='{MODEL}/2']")
    assert compare.is_enabled()
    compare.click()
    page.wait_for_url("**/compare?*")
    lr = page.locator("tr[data-param='lr']")
    assert "differs" in (lr.get_attribute("class") or "")
    changed = lr.locator("td.changed")
    assert changed.count() == 1
    assert changed.inner_text() == "0.05"
    # The highlight is visible, not only a class: the changed cell has its own background.
    colours = changed.evaluate("cell => getComputedStyle(cell).backgroundColor")
    plain = page.locator("tr[data-param='depth'] td").first
    assert colours != plain.evaluate("cell => getComputedStyle(cell).backgroundColor")
    assert "differs" not in (page.locator("tr[data-param='depth']").get_attribute("class") or "")
    assert page.locator("svg.chart rect").count() == 2


def test_move_an_alias_through_the_form_and_see_it_in_the_api(live, page):
    before = production(live)
    target = 1 if before == 2 else 2
    page.goto(f"{live}/models/{MODEL}")
    form = page.locator("#alias-form")
    form.locator("input[name=alias]").fill("production")
    form.locator("input[name=version]").fill(str(target))
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"**/models/{MODEL}?done=alias-set")
    assert "Alias saved." in page.locator(".notice").inner_text()
    assert production(live) == target
    moved = f"moved alias production from v{before} to v{target}"
    assert moved in page.locator("ol.events").inner_text()


def test_a_form_replayed_without_the_cookie_is_refused(live, page):
    before = production(live)
    page.goto(f"{live}/models/{MODEL}")
    page.context.clear_cookies()
    form = page.locator("#alias-form")
    form.locator("input[name=alias]").fill("production")
    form.locator("input[name=version]").fill("1" if before == 2 else "2")
    form.locator("button[type=submit]").click()
    assert "Action refused" in page.locator("h1").inner_text()
    assert production(live) == before


def test_pages_load_without_console_errors_or_csp_violations(live, page):
    problems: list[str] = []
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    for path in (
        "/",
        f"/models/{MODEL}",
        f"/models/{MODEL}/versions/2",
        f"/compare?v={MODEL}/1&v={MODEL}/2",
    ):
        page.goto(live + path)
        page.wait_for_load_state("networkidle")
    assert problems == []


def test_narrow_window_keeps_the_catalog_readable(live, page):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live + "/")
    assert page.locator("table.catalog thead").is_hidden()  # rows become labelled cards
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing forces sideways scrolling
