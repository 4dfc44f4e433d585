"""How values read on the UI's pages: sizes, numbers, times, history lines, Markdown, charts."""

from datetime import UTC, datetime, timedelta

import pytest

from modelreg.domain.entities import Event
from modelreg.server.ui.charts import BAR_LEFT, BAR_RIGHT, MAX_METRICS, bar_charts
from modelreg.server.ui.markdown import first_line, render_markdown
from modelreg.server.ui.present import (
    ago,
    describe_event,
    human_size,
    is_web_link,
    number,
    parse_tags,
    short_digest,
)

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0 B"), (999, "999 B"), (1000, "1.0 kB"), (85_500, "85.5 kB"), (3 * 10**9, "3.0 GB")],
)
def test_human_size(size, text):
    assert human_size(size) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.91234567, "0.912346"), (6.0, "6"), (1234567.0, "1\u202f234\u202f567"), (1e-7, "1e-07")],
)
def test_number(value, text):
    assert number(value) == text


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=5), "just now"),
        (timedelta(minutes=5), "5 min ago"),
        (timedelta(hours=3), "3 h ago"),
        (timedelta(days=1), "1 day ago"),
        (timedelta(days=12), "12 days ago"),
        (timedelta(days=400), "2025-03-27"),
    ],
)
def test_ago(delta, text):
    assert ago(NOW - delta, NOW) == text


def test_digests_links_and_tags():
    assert short_digest("blake3:" + "ab" * 32, 6) == "blake3:ababab…"
    assert is_web_link("https://example.com/x")
    assert not is_web_link("javascript:alert(1)")
    assert not is_web_link(None)
    assert parse_tags("a=1\r\n\n b = two=2 \n") == {"a": "1", "b": "two=2"}
    with pytest.raises(ValueError, match="line 2"):
        parse_tags("a=1\nnope")


@pytest.mark.parametrize(
    ("action", "version", "details", "text"),
    [
        ("alias.set", 3, {"alias": "prod", "from": None, "to": 3}, "set alias prod → v3"),
        ("alias.set", 3, {"alias": "prod", "from": 2, "to": 3}, "moved alias prod from v2 to v3"),
        ("alias.deleted", 3, {"alias": "prod"}, "removed alias prod (was v3)"),
        ("version.created", 2, {"files": 3, "size": 2000}, "pushed version 2 (3 files, 2.0 kB)"),
        ("model.updated", None, {"owner": {}}, "edited the model: owner"),
        ("promotion.requested", 4, {"to": "prod"}, "promotion.requested version 4: to=prod"),
    ],
)
def test_history_lines(action, version, details, text):
    assert describe_event(Event("m", action, "ann", NOW, version, details)) == text


def test_markdown_is_safe():
    html = render_markdown("<script>x</script> [a](javascript:alert(1)) [b](https://e.com)")
    assert "<script>" not in html
    assert 'href="javascript' not in html
    assert 'href="https://e.com" rel="nofollow noopener noreferrer"' in html


def test_first_line_is_plain_text():
    assert first_line("\n\n# The *title*\n\nbody") == "The title"
    assert first_line("Uses `code` and **bold**\nover lines") == "Uses code and bold over lines"
    assert first_line("") == ""
    assert first_line("x" * 300, 10) == "x" * 9 + "…"


def test_bar_charts_scale_each_metric_from_zero():
    charts = bar_charts(["v1", "v2", "v3"], {"auc": [0.5, 1.0, None], "loss": [-2.0, 2.0, 1.0]})
    auc, loss = charts.panels
    assert [bar.width for bar in auc.bars[:2]] == [(BAR_RIGHT - BAR_LEFT) / 2, BAR_RIGHT - BAR_LEFT]
    assert auc.bars[2].missing
    assert auc.zero_x == BAR_LEFT
    assert loss.zero_x == (BAR_LEFT + BAR_RIGHT) / 2
    assert loss.bars[0].x == BAR_LEFT  # the negative bar grows left from zero
    assert charts.omitted == 0
    many = bar_charts(["v1"], {f"m{i}": [1.0] for i in range(MAX_METRICS + 3)})
    assert len(many.panels) == MAX_METRICS
    assert many.omitted == 3
