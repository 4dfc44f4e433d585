"""The web UI's login in a real browser (headless Chromium, as ``test_ui_browser.py``) against
a live server that requires API tokens."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import ServerFactory, run_cli
from tests.e2e.test_ui_browser import browser, page  # noqa: F401 - fixtures used below

pytestmark = pytest.mark.e2e


def test_login_keeps_the_token_out_of_reach_of_scripts_and_logout_ends_it(
    server: ServerFactory,
    tmp_path: Path,
    page,  # noqa: F811 - the fixture imported above
):
    home = tmp_path / "home"
    run_cli("user", "create", "alice", "--home", home).ok()
    secret = run_cli("token", "create", "--name", "web", "--user", "alice", "--home", home).ok()
    token = secret.stdout.strip()
    running = server(home, extra_args=["--auth"])

    page.goto(f"{running.url}/compare")
    assert page.url.startswith(f"{running.url}/login?next=")
    page.fill("input[name=token]", "mrt_wrong")
    page.click("button[type=submit]")
    assert "not a valid modelreg token" in page.text_content("main")

    page.fill("input[name=token]", token)
    page.click("button[type=submit]")
    page.wait_for_url(f"{running.url}/compare")
    assert "alice" in page.text_content("header")

    session = next(c for c in page.context.cookies() if c["name"] == "modelreg_session")
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Strict"
    assert token not in session["value"]
    assert "modelreg_session" not in page.evaluate("document.cookie")

    page.click("header button:has-text('Log out')")
    page.wait_for_url(f"{running.url}/login")
    assert not [c for c in page.context.cookies() if c["name"] == "modelreg_session"]
    page.goto(f"{running.url}/")
    assert page.url.startswith(f"{running.url}/login")
    assert token not in running.log_text()
