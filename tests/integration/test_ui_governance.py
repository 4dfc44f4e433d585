"""Governance in the web UI over the real app (``http`` fixture) on SQLite and PostgreSQL:
promotion requests with the policy explained rule by rule, approvals by distinct people,
archive / restore, model card editing, the audit log with its filters and chain status.
State is checked through the API or the services, never through the HTML alone."""

import logging
import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from modelreg.client.client import Client
from modelreg.client.embedded import EmbeddedTransport
from modelreg.server.app import create_app
from modelreg.server.ui.csrf import COOKIE
from modelreg.settings import Settings
from tests.factories import write_model_dir

API = "/api/v1"
MODEL = "fraud"
SHARED_UI_KEY = "one value for every server behind the balancer"
PUBLIC_HOST = "192.0.2.10"  # a documentation address: only compared, never bound
POLICY = {
    "aliases": {
        "production": {"approvals": 2, "gates": ["metrics.auc >= 0.9"]},
        "staging": {"approvals": 0},
    }
}


@pytest.fixture
def seeded(services, tmp_path):
    """fraud v1 (auc 0.91, alias production), v2 (auc 0.95), v3 (auc 0.5); the policy
    protects production (two approvals, auc >= 0.9) and staging (no approvals)."""
    sdk = Client(transport=EmbeddedTransport(services, user="alice"), cache_dir=tmp_path / "c")
    folder = write_model_dir(tmp_path / "m", {"weights.bin": b"w" * 100})
    for number, auc in enumerate((0.91, 0.95, 0.5), start=1):
        write_model_dir(folder, {"weights.bin": bytes([number]) * 100})
        sdk.push(MODEL, folder, metrics={"auc": auc}, alias="production" if number == 1 else None)
    services.policies.set_policy(POLICY, actor="admin", model=MODEL)


def as_user(http: TestClient, user: str) -> dict[str, str]:
    return {"X-Modelreg-User": user}


def token(http: TestClient, path: str = f"/models/{MODEL}/versions/2") -> str:
    page = http.get(path)
    assert page.status_code == 200, page.text
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, "the page has no form"
    return match.group(1)


def alias_target(http: TestClient, alias: str = "production") -> int | None:
    response = http.get(f"{API}/models/{MODEL}/aliases/{alias}")
    return int(response.json()["version"]) if response.status_code == 200 else None


def refused_text(html: str) -> str:
    match = re.search(r'<div class="refused" role="alert">(.*?)</div>', html, re.S)
    assert match, "the page shows no refusal"
    return unescape(re.sub(r"<[^>]+>", "", match.group(1)))


def promotions(services, **filters):
    return services.promotions.list_promotions(model=MODEL, **filters).items


# -- promotions ------------------------------------------------------------------------------


@pytest.mark.usefixtures("seeded")
def test_version_page_explains_the_policy_rule_by_rule(http):
    good = http.get(f"/models/{MODEL}/versions/2").text
    assert "Request a promotion of v2" in good
    assert re.search(
        r"PASS</span> <code[^>]*>aliases\.production\.gates metrics\.auc &gt;= 0\.9</code>", good
    )
    assert re.search(r"PENDING</span> <code[^>]*>aliases\.production\.approvals 2</code>", good)
    bad = http.get(f"/models/{MODEL}/versions/3").text
    assert re.search(
        r"FAIL</span> <code[^>]*>aliases\.production\.gates metrics\.auc &gt;= 0\.9</code>", bad
    )
    assert "blocked" in bad
    assert "Protected by the policy: production, staging" in bad


@pytest.mark.usefixtures("seeded")
def test_request_then_two_distinct_approvals_move_the_alias(http, services):
    csrf = token(http)
    response = http.post(
        f"/models/{MODEL}/versions/2/promotions",
        data={"alias": "production", "reason": "better auc", "csrf_token": csrf},
        headers=as_user(http, "alice"),
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert "done=promotion-requested" in response.headers["location"]
    [request] = promotions(services)
    assert (request.status, request.requested_by, request.version) == ("PENDING", "alice", 2)

    approve = f"/promotions/{request.id}/approve"
    own = http.post(
        approve,
        data={"csrf_token": csrf, "back": "version"},
        headers=as_user(http, "alice"),
    )
    assert own.status_code == 403
    assert "cannot approve" in refused_text(own.text)

    first = http.post(
        approve,
        data={"csrf_token": csrf, "back": "model", "reason": "looks good"},
        headers=as_user(http, "bob"),
        follow_redirects=False,
    )
    assert first.status_code == 303
    assert alias_target(http) == 1  # one approval of two
    again = http.post(
        approve, data={"csrf_token": csrf, "back": "inbox"}, headers=as_user(http, "bob")
    )
    assert again.status_code == 409
    assert "already approved" in refused_text(again.text)
    assert alias_target(http) == 1

    model_page = http.get(f"/models/{MODEL}").text
    assert f'id="promotion-{request.id}"' in model_page
    assert "1 of 2 approvals" in model_page

    second = http.post(
        approve,
        data={"csrf_token": csrf, "back": "version"},
        headers=as_user(http, "carol"),
        follow_redirects=False,
    )
    assert second.status_code == 303
    assert "done=promotion-completed" in second.headers["location"]
    assert alias_target(http) == 2
    done = services.promotions.get_promotion(request.id)
    assert done.status == "APPROVED"
    assert done.approvers == ("bob", "carol")
    page = http.get(second.headers["location"]).text
    assert "Promotion approved: the alias moved." in page


@pytest.mark.usefixtures("seeded")
def test_a_request_failing_a_gate_is_refused_with_the_rule(http, services):
    response = http.post(
        f"/models/{MODEL}/versions/3/promotions",
        data={"alias": "production", "reason": "try", "csrf_token": token(http)},
    )
    assert response.status_code == 422
    reason = refused_text(response.text)
    assert "aliases.production.gates" in reason
    assert "metrics.auc" in reason
    assert "try" in response.text  # the form keeps what was typed
    assert promotions(services) == ()
    assert alias_target(http) == 1


@pytest.mark.usefixtures("seeded")
def test_a_promotion_without_approvals_completes_at_once(http):
    response = http.post(
        f"/models/{MODEL}/versions/2/promotions",
        data={"alias": "staging", "reason": "qa", "csrf_token": token(http)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert "done=promotion-completed" in response.headers["location"]
    assert alias_target(http, "staging") == 2


@pytest.mark.usefixtures("seeded")
def test_protected_aliases_are_marked_and_refuse_the_plain_alias_form(http):
    model_page = http.get(f"/models/{MODEL}").text
    assert 'title="moves only through a promotion request">protected</span>' in model_page
    assert f"/models/{MODEL}/aliases/production/delete" not in model_page
    response = http.post(
        f"/models/{MODEL}/aliases",
        data={"alias": "production", "version": "2", "csrf_token": token(http)},
    )
    assert response.status_code == 409
    assert "protected by the policy" in refused_text(response.text)
    assert alias_target(http) == 1


@pytest.mark.usefixtures("seeded")
def test_reject_needs_a_reason_and_leaves_the_alias(http, services):
    csrf = token(http)
    made = services.promotions.request_promotion(MODEL, "production", 2, reason="r", actor="al")
    reject = f"/promotions/{made.id}/reject"
    empty = http.post(reject, data={"csrf_token": csrf, "back": "inbox"})
    assert empty.status_code == 400
    assert "give a reason" in refused_text(empty.text)
    assert "Promotion requests" in empty.text  # the inbox, re-rendered
    done = http.post(
        reject,
        data={"csrf_token": csrf, "back": "inbox", "reason": "not now"},
        headers=as_user(http, "bob"),
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert services.promotions.get_promotion(made.id).status == "REJECTED"
    assert alias_target(http) == 1
    inbox = http.get("/promotions?status=REJECTED").text
    assert "not now" in inbox
    assert "Reject</button>" not in inbox  # closed requests have no forms
    assert f'id="promotion-{made.id}"' not in http.get("/promotions").text  # pending only


@pytest.mark.usefixtures("seeded")
def test_every_governance_form_requires_the_csrf_token(http, services):
    made = services.promotions.request_promotion(MODEL, "production", 2, reason="r", actor="al")
    token(http)  # the browser holds a valid cookie; the forms below omit the field
    posts = {
        f"/models/{MODEL}/versions/2/promotions": {"alias": "production", "reason": "x"},
        f"/promotions/{made.id}/approve": {"back": "inbox"},
        f"/promotions/{made.id}/reject": {"back": "inbox", "reason": "no"},
        f"/models/{MODEL}/versions/3/archive": {},
        f"/models/{MODEL}/versions/3/card": {"content": "# card", "intent": "save"},
        "/audit/verify": {},
    }
    before = services.audit.list_entries(limit=1000).items
    for path, data in posts.items():
        response = http.post(path, data=data, headers=as_user(http, "bob"))
        assert response.status_code == 403, path
        assert "security token" in response.text
    assert services.audit.list_entries(limit=1000).items == before
    assert services.promotions.get_promotion(made.id).status == "PENDING"


# -- archive / restore -----------------------------------------------------------------------


@pytest.mark.usefixtures("seeded")
def test_archive_and_restore_a_version(http):
    csrf = token(http)
    response = http.post(
        f"/models/{MODEL}/versions/3/archive", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert response.status_code == 303
    assert http.get(f"{API}/models/{MODEL}/versions/3").json()["archived_at"] is not None
    listed = http.get(f"{API}/models/{MODEL}/versions").json()["items"]
    assert [v["version"] for v in listed] == [2, 1]
    page = http.get(response.headers["location"]).text
    assert "Version archived." in page
    assert 'title="hidden from lists, search and latest">archived</span>' in page
    assert "Restore version</button>" in page
    assert "An archived version cannot be promoted" in page

    restored = http.post(
        f"/models/{MODEL}/versions/3/restore", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert restored.status_code == 303
    assert http.get(f"{API}/models/{MODEL}/versions/3").json()["archived_at"] is None
    assert "Archive version</button>" in http.get(restored.headers["location"]).text


@pytest.mark.usefixtures("seeded")
def test_archiving_an_aliased_version_is_refused_in_words(http):
    response = http.post(f"/models/{MODEL}/versions/1/archive", data={"csrf_token": token(http)})
    assert response.status_code == 409
    assert "aliases must move first" in refused_text(response.text)
    assert http.get(f"{API}/models/{MODEL}/versions/1").json()["archived_at"] is None


# -- model cards -----------------------------------------------------------------------------


@pytest.mark.usefixtures("seeded")
def test_card_preview_saves_nothing_and_save_adds_revisions(http, services):
    path = f"/models/{MODEL}/versions/2/card"
    csrf = token(http, path)
    preview = http.post(
        path,
        data={"content": "# Fraud\n\n**bold** <b>raw</b>", "intent": "preview", "csrf_token": csrf},
    )
    assert preview.status_code == 200
    assert "<strong>bold</strong>" in preview.text
    assert "&lt;b&gt;raw&lt;/b&gt;" in preview.text
    assert http.get(f"{API}/models/{MODEL}/versions/2/card").status_code == 404

    for body in ("---\nlicense: mit\n---\n# One\n", "# Two\n"):
        saved = http.post(
            path,
            data={"content": body, "intent": "save", "csrf_token": csrf},
            headers=as_user(http, "bob"),
            follow_redirects=False,
        )
        assert saved.status_code == 303
    card = services.evaluations.get_card(MODEL, 2)
    assert (card.revision, card.content, card.created_by) == (2, "# Two\n", "bob")
    old = http.get(f"{path}?revision=1").text
    assert "license" in old
    assert "# One" in old  # the textarea starts from that revision
    assert "Model card" in http.get(f"/models/{MODEL}/versions/2").text


@pytest.mark.usefixtures("seeded")
def test_invalid_front_matter_is_refused_on_preview(http):
    path = f"/models/{MODEL}/versions/2/card"
    response = http.post(
        path,
        data={"content": "---\n[a\n---\nx", "intent": "preview", "csrf_token": token(http, path)},
    )
    assert response.status_code == 400
    assert "front matter is invalid" in refused_text(response.text)


# -- the audit log ---------------------------------------------------------------------------


def audit_rows(html: str) -> list[tuple[int, str, str]]:
    """(seq, actor, action) of each row shown."""
    rows = re.findall(
        r'data-label="#">(\d+)</td>.*?data-label="Actor">([^<]*)</td>.*?<code>([^<]+)</code>',
        html,
        re.S,
    )
    return [(int(seq), unescape(actor), action) for seq, actor, action in rows]


@pytest.mark.usefixtures("seeded")
def test_audit_page_filters_by_model_actor_type_and_time(http, services):
    everything = audit_rows(http.get("/audit").text)
    assert len(everything) == len(services.audit.list_entries(limit=1000).items)
    assert [seq for seq, _, _ in everything] == sorted((s for s, _, _ in everything), reverse=True)
    assert {actor for _, actor, _ in audit_rows(http.get("/audit?actor=admin").text)} == {"admin"}
    versions = audit_rows(http.get("/audit?action=version.*&model=fraud").text)
    assert [action for _, _, action in versions] == ["version.created"] * 3
    assert audit_rows(http.get("/audit?model=other").text) == []
    later = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    assert audit_rows(http.get(f"/audit?since={later}").text) == []
    assert len(audit_rows(http.get(f"/audit?until={later}").text)) == len(everything)
    wrong = http.get("/audit?since=yesterday")
    assert wrong.status_code == 400
    assert "write a time as" in refused_text(wrong.text)


def test_audit_page_pages_through_the_entries(http, services):
    for number in range(30):
        services.registry.create_model(f"m{number:02d}", actor="alice")
    first = http.get("/audit?limit=25").text
    shown = audit_rows(first)
    assert len(shown) == 25
    older = unescape(re.search(r'<a href="([^"]+)" rel="next">', first).group(1))
    rest = audit_rows(http.get(older).text)
    assert len(rest) == 5
    assert {seq for seq, _, _ in shown} | {seq for seq, _, _ in rest} == set(range(1, 31))


@pytest.mark.usefixtures("seeded")
def test_audit_page_shows_the_chain_status_and_the_first_broken_entry(http, services):
    page = http.get("/audit").text
    assert "Chain intact" in page
    with services.metadata.engine.begin() as connection:
        connection.execute(text("UPDATE events SET actor = 'mallory' WHERE seq = 2"))
    # The page shows its last walk of the chain (a full walk is too slow for every view);
    # "Verify now" walks it again at once.
    assert "Chain intact" in http.get("/audit").text
    answer = http.post("/audit/verify", data={"csrf_token": token(http)}, follow_redirects=False)
    assert answer.status_code == 303
    broken = http.get(answer.headers["location"]).text
    assert "Chain broken" in broken
    status = re.search(r'id="chain-status">(.*?)</div>', broken, re.S).group(1)
    assert "<code>#2</code>" in status
    assert "altered" in status


# -- the CSRF secret -------------------------------------------------------------------------


def test_servers_sharing_ui_secret_accept_each_others_tokens(services, caplog):
    shared = Settings(ui_secret=SHARED_UI_KEY, host=PUBLIC_HOST)
    with caplog.at_level(logging.WARNING, logger="modelreg.server.ui"):
        first = TestClient(create_app(shared, services=services))
        second = TestClient(create_app(shared, services=services))
        other = TestClient(create_app(Settings(host=PUBLIC_HOST), services=services))
    warnings = [r.getMessage() for r in caplog.records if "MODELREG_UI_SECRET" in r.getMessage()]
    assert len(warnings) == 1  # only the server without a secret on a public address
    first.get("/audit")
    cookie = first.cookies[COOKIE]
    assert second.app.state.ui.csrf.is_valid(cookie)
    assert not other.app.state.ui.csrf.is_valid(cookie)


def test_no_warning_on_loopback_without_a_secret(services, caplog):
    with caplog.at_level(logging.WARNING, logger="modelreg.server.ui"):
        create_app(Settings(host="127.0.0.1"), services=services)
    assert not [r for r in caplog.records if "MODELREG_UI_SECRET" in r.getMessage()]
