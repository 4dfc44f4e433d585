"""The web UI's server-rendered pages and forms, driven in-process over the real app (the
``http`` fixture) on SQLite and PostgreSQL. State is checked through the API, never the HTML
alone."""

import ast
import re
from html import escape, unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import modelreg.server.ui
from modelreg.client.client import Client
from modelreg.client.embedded import EmbeddedTransport
from modelreg.domain.entities import Lineage
from modelreg.domain.provenance import CONTEXT_TAG, Dataset, DatasetInput
from modelreg.server.mlflow.deps import MlflowServices
from modelreg.server.ui.csrf import COOKIE, CsrfGuard
from tests.factories import write_model_dir

API = "/api/v1"
MODEL = "fraud-detector"
CARD = "# Fraud card\n\nTrained on **2025** data.\n\n| split | rows |\n|---|---|\n| train | 10 |\n"
EVIL = (
    "Hello <script>alert('x')</script> <img src=x onerror=alert(1)> "
    "[click](javascript:alert(1)) **bold**"
)


@pytest.fixture
def sdk(services, tmp_path):
    return Client(transport=EmbeddedTransport(services, user="alice"), cache_dir=tmp_path / "cache")


@pytest.fixture
def seeded(sdk, tmp_path):
    """Two versions of fraud-detector (differing in ``lr``), one of credit-scoring."""
    sdk.create_model(
        MODEL,
        description="Scores *card* transactions.",
        owner="risk-team",
        tags={"team": "risk"},
    )
    folder = write_model_dir(
        tmp_path / "m1", {"weights.bin": b"w" * 2000, "README.md": CARD.encode()}
    )
    sdk.push(
        MODEL,
        folder,
        params={"lr": 0.1, "depth": 6},
        metrics={"auc": 0.91, "f1": 0.8},
        tags={"stage": "candidate"},
        description="first cut",
        lineage=Lineage(
            source_commit="abc1234",
            source_url="https://git.example.com/fraud/commit/abc1234",
            datasets=("https://data.example.com/tx-2025", "s3://labels/v3"),
            run_id="run-17",
        ),
    )
    write_model_dir(folder, {"weights.bin": b"v" * 3000})
    sdk.push(
        MODEL,
        folder,
        params={"lr": 0.05, "depth": 6},
        metrics={"auc": 0.93, "f1": 0.82},
        lineage=Lineage(parent_version=1),
        alias="production",
    )
    other = write_model_dir(tmp_path / "m2", {"model.bin": b"credit"})
    sdk.create_model("credit-scoring", owner="lending-team", tags={"team": "lending"})
    sdk.push("credit-scoring", other, metrics={"auc": 0.7})


def token_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


def alias_version(http: TestClient, alias: str = "production") -> int:
    response = http.get(f"{API}/models/{MODEL}/aliases/{alias}")
    assert response.status_code == 200, response.text
    return int(response.json()["version"])


def event_count(http: TestClient) -> int:
    return len(http.get(f"{API}/models/{MODEL}/events").json()["items"])


def link(html: str, rel: str) -> str:
    match = re.search(rf'<a href="([^"]+)" rel="{rel}"', html)
    assert match, f"no {rel} link"
    return unescape(match.group(1))


def row_of(html: str, param: str) -> str:
    match = re.search(rf'<tr class="(\w+)" data-param="{param}">(.*?)</tr>', html, re.S)
    assert match, f"no row for param {param}"
    return match.group(0)


# -- pages -----------------------------------------------------------------------------------


@pytest.mark.usefixtures("seeded")
def test_catalog_lists_every_model_with_latest_version_aliases_and_owner(http):
    response = http.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert f'href="/models/{MODEL}"' in html
    assert 'href="/models/credit-scoring"' in html
    assert f'href="/models/{MODEL}/versions/2">v2</a>' in html
    assert "production<span" in html
    assert "risk-team" in html
    assert "Scores card transactions." in html  # the description's first line, as plain text


@pytest.mark.usefixtures("seeded")
def test_catalog_search_uses_the_filter_grammar(http):
    html = http.get("/", params={"q": "tags.team = 'lending' AND latest_version >= 1"}).text
    assert 'href="/models/credit-scoring"' in html
    assert f'href="/models/{MODEL}"' not in html


@pytest.mark.usefixtures("seeded")
def test_catalog_filters_by_owner_tag_and_alias(http):
    by_owner = http.get("/", params={"owner": "lending-team"}).text
    assert 'href="/models/credit-scoring"' in by_owner
    assert f'href="/models/{MODEL}"' not in by_owner
    by_tag = http.get("/", params={"tag": "team=risk"}).text
    assert f'href="/models/{MODEL}"' in by_tag
    assert 'href="/models/credit-scoring"' not in by_tag
    by_alias = http.get("/", params={"alias": "production", "q": "name LIKE '%-%'"}).text
    assert f'href="/models/{MODEL}"' in by_alias
    assert 'href="/models/credit-scoring"' not in by_alias


@pytest.mark.usefixtures("seeded")
def test_catalog_sorts(http):
    html = http.get("/", params={"sort": "-name"}).text
    assert html.index(f'href="/models/{MODEL}"') < html.index('href="/models/credit-scoring"')
    html = http.get("/").text
    assert html.index('href="/models/credit-scoring"') < html.index(f'href="/models/{MODEL}"')


@pytest.mark.usefixtures("seeded")
def test_catalog_single_word_searches_names_and_descriptions(http):
    html = http.get("/", params={"q": "fraud"}).text
    assert f'href="/models/{MODEL}"' in html
    assert 'href="/models/credit-scoring"' not in html
    assert "contains “fraud”" in html


@pytest.mark.usefixtures("seeded")
def test_invalid_filter_shows_the_error_and_where(http):
    response = http.get("/", params={"q": "metrics.auc > 0.9"})
    assert response.status_code == 400
    html = unescape(response.text)
    assert "Invalid filter:" in html
    assert "position 0" in html
    assert 'id="filter-error"' in response.text
    assert f'href="/models/{MODEL}"' not in html  # no results under an error


def test_catalog_pages_forward_and_back(http, services):
    for index in range(30):
        services.registry.create_model(f"m-{index:02d}", actor="alice")
    first = http.get("/", params={"per": "25"}).text
    assert 'href="/models/m-24"' in first
    assert 'href="/models/m-25"' not in first
    second = http.get(link(first, "next")).text
    assert 'href="/models/m-25"' in second
    assert 'href="/models/m-24"' not in second
    assert "Showing 26\u201330" in second
    assert 'href="/models/m-00"' in http.get(link(second, "prev")).text


def test_a_broken_page_link_is_refused_in_words(http):
    response = http.get("/", params={"cursor": "garbage"})
    assert response.status_code == 400
    assert "Refused:</strong> invalid page cursor" in response.text


def test_empty_registry_explains_how_to_start(http):
    response = http.get("/")
    assert response.status_code == 200
    assert "No models yet" in response.text


@pytest.mark.usefixtures("seeded")
def test_model_page_shows_description_card_aliases_versions_and_history(http):
    response = http.get(f"/models/{MODEL}")
    assert response.status_code == 200
    html = response.text
    assert "Scores <em>card</em> transactions." in html  # Markdown rendered
    assert "<h1>Fraud card</h1>" in html  # the model card from README.md
    assert "<table>" in html  # ... with its table
    assert "risk-team" in html
    assert f'href="/models/{MODEL}/versions/1">v1</a>' in html
    assert '<th scope="col" class="num">auc</th>' in html  # metric columns
    assert '<th scope="col" class="num">f1</th>' in html
    assert "0.93" in html
    assert "set alias production → v2" in html  # history in words
    assert "pushed version 2" in html
    assert 'name="v" value="fraud-detector/2"' in html  # compare picker


@pytest.mark.usefixtures("seeded")
def test_a_registered_model_card_wins_over_a_readme(http, services):
    card = "---\nlicense: mit\nlanguage: en\n---\n# Registered card\n\nReviewed <b>x</b>.\n"
    services.evaluations.set_card(MODEL, 2, card, actor="alice")
    html = http.get(f"/models/{MODEL}").text
    assert "<h1>Registered card</h1>" in html
    assert "registered card, revision 1" in html
    assert ">license</th>" in html  # front matter as a table, not as Markdown
    assert "&lt;b&gt;x&lt;/b&gt;" in html
    assert "Fraud card" not in html
    assert "<h1>Fraud card</h1>" in http.get(f"/models/{MODEL}/versions/1").text  # README.md


@pytest.mark.usefixtures("seeded")
def test_model_page_metric_columns_are_chosen_in_the_url(http):
    html = http.get(f"/models/{MODEL}", params={"metric": "f1"}).text
    assert '<th scope="col" class="num">f1</th>' in html
    assert '<th scope="col" class="num">auc</th>' not in html


@pytest.mark.usefixtures("seeded")
def test_version_page_shows_files_params_metrics_lineage_and_pull_commands(http):
    response = http.get(f"/models/{MODEL}/versions/1")
    assert response.status_code == 200
    html = unescape(response.text)
    assert "weights.bin" in html
    assert "2.0 kB" in html  # size
    assert re.search(r'title="blake3:[0-9a-f]{64}"', html)  # full digest
    assert f'href="/api/v1/models/{MODEL}/versions/1/files/weights.bin"' in html
    assert ">lr</th>" in html
    assert "0.1<" in html
    assert ">auc</th>" in html
    assert "stage<span" in html  # tag chip
    assert 'href="https://git.example.com/fraud/commit/abc1234"' in html  # code commit link
    assert 'href="https://data.example.com/tx-2025"' in html  # data set link
    assert "s3://labels/v3" in html
    assert f'href="/models/{MODEL}/versions/2">v2</a>' in html  # derived version
    assert f"modelreg --registry http://testserver pull {MODEL}/1" in html
    assert f'Client("http://testserver").pull("{MODEL}/1"' in html
    assert f"models:/{MODEL}/1" in html


@pytest.mark.usefixtures("seeded")
def test_a_long_tag_value_shows_its_start_in_chips(http, services):
    long_value = "<b>" + "x" * 99_990 + "</b>"  # 100,000 characters, markup included
    services.registry.update_version(MODEL, 1, actor="alice", set_tags={"schema": long_value})
    services.registry.update_model(MODEL, actor="alice", set_tags={"schema": long_value})
    for page in (f"/models/{MODEL}/versions/1", "/"):
        html = http.get(page).text
        chip = re.search(
            r'<(?:span|a) class="chip tag"([^>]*)>schema<span class="eq">=</span>([^<]*)<', html
        )
        assert chip, page
        assert unescape(chip.group(2)) == "<b>" + "x" * 76 + "…"
        assert f'title="{escape(long_value[:1000])}…"' in chip.group(1)
        assert "href=" not in chip.group(1)  # too long for a catalog link
        # In full only in the edit form, where it can be changed.
        outside = re.sub(r"<textarea.*?</textarea>", "", html, flags=re.S)
        at = outside.find("x" * 2000)
        assert at < 0, (page, outside[max(0, at - 600) : at])
        assert "<b>xxx" not in html  # escaped wherever it shows


@pytest.mark.usefixtures("seeded")
def test_a_pushed_version_shows_no_mlflow_fields(http):
    html = http.get(f"/models/{MODEL}/versions/1").text
    assert "MLflow source" not in html
    assert "MLflow stage" not in html


@pytest.mark.usefixtures("seeded")
def test_version_page_shows_when_it_was_last_changed(http, services):
    assert "<dt>Updated</dt>" not in http.get(f"/models/{MODEL}/versions/1").text
    services.registry.update_version(MODEL, 1, actor="alice", description="second thoughts")
    html = http.get(f"/models/{MODEL}/versions/1").text
    assert "<dt>Updated</dt>" in html
    assert "second thoughts" in html


@pytest.mark.usefixtures("seeded")
def test_version_page_links_the_parent_and_alias_pull_commands(http):
    html = unescape(http.get(f"/models/{MODEL}/versions/2").text)
    assert f'href="/models/{MODEL}/versions/1">{MODEL}/1</a>' in html
    assert f"models:/{MODEL}@production" in html


@pytest.mark.usefixtures("seeded")
def test_compare_highlights_differing_params_and_charts_metrics(http):
    response = http.get("/compare", params=[("v", f"{MODEL}/1"), ("v", f"{MODEL}/2")])
    assert response.status_code == 200
    html = response.text
    lr = row_of(html, "lr")
    assert 'class="differs"' in lr
    assert 'class="mono changed">0.05</td>' in lr
    assert 'class="same"' in row_of(html, "depth")
    assert "1 of 2 differ" in html
    assert "<svg" in html
    assert html.count('<rect class="series-') == 4  # 2 metrics x 2 versions
    only = http.get(
        "/compare", params=[("v", f"{MODEL}/1"), ("v", f"{MODEL}/2"), ("only_diff", "1")]
    ).text
    assert 'data-param="lr"' in only
    assert 'data-param="depth"' not in only


@pytest.mark.usefixtures("seeded")
def test_compare_keeps_the_given_order_unless_asked_for_push_order(http):
    given = [("v", f"{MODEL}/2"), ("v", f"{MODEL}/1")]
    html = http.get("/compare", params=given).text
    assert 'class="mono changed">0.1</td>' in row_of(html, "lr")  # v2 is the baseline
    html = http.get("/compare", params=[*given, ("order", "oldest")]).text
    assert 'class="mono changed">0.05</td>' in row_of(html, "lr")  # v1 is the baseline


@pytest.mark.usefixtures("seeded")
def test_compare_across_models_and_by_alias(http):
    response = http.get("/compare", params=[("v", f"{MODEL}@production"), ("v", "credit-scoring")])
    assert response.status_code == 200
    assert f"{MODEL}/2" in response.text
    assert "credit-scoring/1" in response.text


@pytest.mark.usefixtures("seeded")
def test_compare_needs_two_to_ten_known_versions(http):
    one = http.get("/compare", params={"v": f"{MODEL}/1"})
    assert one.status_code == 200
    assert "Pick between 2 and 10 versions" in one.text
    many = http.get("/compare", params=[("v", f"{MODEL}/{n}") for n in range(1, 12)])
    assert many.status_code == 400
    assert "at most 10" in many.text
    unknown = http.get("/compare", params=[("v", f"{MODEL}/1"), ("v", f"{MODEL}/9")])
    assert unknown.status_code == 404
    assert "version 9" in unescape(unknown.text)


@pytest.mark.usefixtures("seeded")
def test_history_page(http):
    response = http.get(f"/models/{MODEL}/history")
    assert response.status_code == 200
    assert "created the model" in response.text


def test_unknown_model_and_version_are_html_404s(http):
    response = http.get("/models/nope")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "does not exist" in unescape(response.text)
    assert http.get("/models/nope/versions/1").status_code == 404
    not_a_number = http.get("/models/nope/versions/one")
    assert not_a_number.status_code == 404
    assert "there is no page at /models/nope/versions/one" in not_a_number.text


def test_markdown_is_rendered_and_raw_html_is_escaped(http, services):
    services.registry.create_model("evil", actor="mallory", description=EVIL)
    html = http.get("/models/evil").text
    assert "<strong>bold</strong>" in html
    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html
    assert "<img src=x" not in html
    assert 'href="javascript:' not in html
    catalog = http.get("/").text
    assert "<script>alert" not in catalog


def test_names_with_markup_in_tags_are_escaped(http, services):
    services.registry.create_model(
        "tagged", actor="alice", owner="<b>o</b>", tags={"k": "<script>x</script>"}
    )
    for page in ("/", "/models/tagged"):
        html = http.get(page).text
        assert "<script>x</script>" not in html
        assert "<b>o</b>" not in html


# -- security --------------------------------------------------------------------------------


@pytest.mark.usefixtures("seeded")
def test_pages_carry_safe_headers_and_a_strict_cookie(http):
    response = http.get(f"/models/{MODEL}")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "<script>" not in response.text  # no inline script: only <script src=...>


@pytest.mark.usefixtures("seeded")
def test_post_without_or_with_a_wrong_token_is_refused_and_changes_nothing(http):
    page = http.get(f"/models/{MODEL}").text
    token = token_of(page)
    before = event_count(http)
    attempts = [
        {"alias": "production", "version": "1"},  # no token
        {"alias": "production", "version": "1", "csrf_token": "x.y"},  # wrong token
        {"alias": "production", "version": "1", "csrf_token": token + "A"},
    ]
    for form in attempts:
        response = http.post(f"/models/{MODEL}/aliases", data=form)
        assert response.status_code == 403, form
        assert "Action refused" in response.text
        assert "token" in response.text
    cross_site = http.post(
        f"/models/{MODEL}/aliases",
        data={"alias": "production", "version": "1", "csrf_token": token},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert cross_site.status_code == 403
    assert alias_version(http) == 2
    assert event_count(http) == before


@pytest.mark.usefixtures("seeded")
def test_a_token_the_server_did_not_sign_is_refused(http):
    forged = CsrfGuard(b"attacker's own secret").issue()
    http.cookies.clear()
    response = http.post(
        f"/models/{MODEL}/aliases",
        data={"alias": "production", "version": "1", "csrf_token": forged},
        headers={"Cookie": f"{COOKIE}={forged}"},
    )
    assert response.status_code == 403
    assert alias_version(http) == 2


@pytest.mark.usefixtures("seeded")
def test_the_right_token_moves_the_alias(http):
    token = token_of(http.get(f"/models/{MODEL}").text)
    response = http.post(
        f"/models/{MODEL}/aliases",
        data={"alias": "production", "version": "1", "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/models/{MODEL}?done=alias-set"
    assert alias_version(http) == 1
    page = http.get(response.headers["location"]).text
    assert "Alias saved." in page
    assert "moved alias production from v2 to v1" in page


@pytest.mark.usefixtures("seeded")
def test_alias_set_from_the_version_page_returns_there(http):
    token = token_of(http.get(f"/models/{MODEL}/versions/1").text)
    response = http.post(
        f"/models/{MODEL}/aliases",
        data={"alias": "staging", "version": "1", "from_version": "1", "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/models/{MODEL}/versions/1?done=alias-set"
    assert alias_version(http, "staging") == 1


@pytest.mark.usefixtures("seeded")
def test_remove_an_alias(http):
    token = token_of(http.get(f"/models/{MODEL}").text)
    response = http.post(f"/models/{MODEL}/aliases/production/delete", data={"csrf_token": token})
    assert response.status_code == 200  # after the redirect
    assert "Alias removed." in response.text
    assert http.get(f"{API}/models/{MODEL}/aliases/production").status_code == 404


@pytest.mark.usefixtures("seeded")
def test_refused_actions_say_why_and_change_nothing(http):
    token = token_of(http.get(f"/models/{MODEL}").text)
    missing = http.post(
        f"/models/{MODEL}/aliases",
        data={"alias": "production", "version": "9", "csrf_token": token},
    )
    assert missing.status_code == 404
    assert "Refused:" in missing.text
    assert "version 9" in unescape(missing.text)
    reserved = http.post(
        f"/models/{MODEL}/aliases", data={"alias": "latest", "version": "1", "csrf_token": token}
    )
    assert reserved.status_code == 400
    assert "reserved" in reserved.text
    not_a_number = http.post(
        f"/models/{MODEL}/aliases", data={"alias": "qa", "version": "two", "csrf_token": token}
    )
    assert not_a_number.status_code == 400
    assert "choose a version number" in unescape(not_a_number.text)
    bad_tags = http.post(
        f"/models/{MODEL}/edit",
        data={"description": "kept?", "owner": "x", "tags": "no equals sign", "csrf_token": token},
    )
    assert bad_tags.status_code == 400
    assert "line 1" in bad_tags.text
    assert "kept?" in bad_tags.text  # the form keeps what was typed
    assert alias_version(http) == 2
    assert http.get(f"{API}/models/{MODEL}").json()["description"] == "Scores *card* transactions."


@pytest.mark.usefixtures("seeded")
def test_edit_model_description_owner_and_tags(http):
    token = token_of(http.get(f"/models/{MODEL}").text)
    response = http.post(
        f"/models/{MODEL}/edit",
        data={
            "description": "New **text**\r\nline two",
            "owner": "fraud-team",
            "tags": "tier=gold\r\n\r\nregion = eu",
            "csrf_token": token,
        },
    )
    assert response.status_code == 200
    assert "Model saved." in response.text
    model = http.get(f"{API}/models/{MODEL}").json()
    assert model["description"] == "New **text**\nline two"
    assert model["owner"] == "fraud-team"
    assert model["tags"] == {"region": "eu", "tier": "gold"}  # team removed


@pytest.mark.usefixtures("seeded")
def test_edit_version_description_and_tags(http):
    token = token_of(http.get(f"/models/{MODEL}/versions/1").text)
    response = http.post(
        f"/models/{MODEL}/versions/1/edit",
        data={"description": "Checked by QA", "tags": "stage=approved", "csrf_token": token},
    )
    assert response.status_code == 200
    assert "Version saved." in response.text
    version = http.get(f"{API}/models/{MODEL}/versions/1").json()
    assert version["description"] == "Checked by QA"
    assert version["tags"] == {"stage": "approved"}


# -- static files and the rest of the server -----------------------------------------------


def test_static_files_are_served_with_long_caching_when_stamped(http):
    page = http.get("/").text
    css = re.search(r'href="(/static/ui\.css\?v=\w+)"', page)
    assert css
    response = http.get(css.group(1))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert "immutable" in response.headers["cache-control"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert http.get("/static/ui.js").headers["cache-control"] == "no-cache"
    assert http.get("/static/../app.py").status_code == 404
    assert http.get("/static/nope.css").status_code == 404


def test_the_api_docs_and_health_still_answer(http):
    assert http.get("/healthz").json() == {"status": "ok"}
    assert http.get(f"{API}/models").json() == {"items": [], "next_cursor": None}
    assert http.get("/docs").status_code == 200
    schema = http.get("/openapi.json")
    assert schema.status_code == 200, schema.text
    paths = schema.json()["paths"]
    assert f"{API}/models" in paths
    assert "/" not in paths
    assert not any(path.startswith(("/models", "/compare", "/static")) for path in paths)


def test_the_ui_reaches_data_only_through_the_service_layer():
    """No UI module imports SQLAlchemy or the SQL store: pages call ``Registry`` like the API."""
    root = Path(modelreg.server.ui.__file__).parent
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                assert not name.startswith(("sqlalchemy", "modelreg.store.sql")), (path, name)


def test_version_page_says_what_each_dataset_of_its_run_was_for_and_where_it_is(http, services):
    ms = MlflowServices.over(services)
    run = ms.tracking.create_run(ms.tracking.create_experiment("credit").id, user_id="alice")
    root = run.info.artifact_uri.removeprefix("mlflow-artifacts:/")
    ms.artifacts.upload(f"{root}/model/MLmodel", [b"flavors: {}\n"])
    located = Dataset("credit-train", "a1b2c3d4", "s3", '{"uri": "s3://bank/train.parquet"}')
    bare = Dataset("holdout", "e5f6a7b8", "code", '{"tags": {}}')
    ms.tracking.log_inputs(
        run.info.id,
        [DatasetInput(located, {CONTEXT_TAG: "training"}), DatasetInput(bare)],
    )
    ms.registry.create_model("credit", actor="alice")
    ms.sources.register("credit", f"runs:/{run.info.id}/model", actor="alice", run_id=run.info.id)
    html = unescape(http.get("/models/credit/versions/1").text)
    assert f'<dt>MLflow source</dt><dd class="mono">runs:/{run.info.id}/model</dd>' in html
    assert "MLflow stage" not in html  # None, as every new version
    ms.stages.transition("credit", 1, "Production", archive_existing=False, actor="alice")
    assert "<dt>MLflow stage</dt><dd>Production</dd>" in http.get("/models/credit/versions/1").text
    assert 'credit-train@a1b2c3d4</span> <span class="muted">(training, <span' in html
    assert "s3://bank/train.parquet" in html
    assert "holdout@e5f6a7b8</span></dd>" in html  # nothing known beyond its reference
