"""MLflow's ``max_results`` gathered from modelreg pages (``server/mlflow/paging.py``)."""

from __future__ import annotations

import pytest

from modelreg.domain.entities import Page
from modelreg.server.mlflow.errors import MlflowError
from modelreg.server.mlflow.messages import Message
from modelreg.server.mlflow.paging import collect
from modelreg.service.pagination import MAX_PAGE_SIZE, decode_cursor, encode_cursor

ROWS = list(range(2_345))
QUERY = "rows"


class Rows:
    """An offset-paginated search over ``ROWS`` with the service's real cursors, recording the
    page sizes asked for."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def __call__(self, cursor: str | None, size: int) -> Page[int]:
        self.sizes.append(size)
        offset = decode_cursor(cursor, QUERY)
        items = tuple(ROWS[offset : offset + size])
        more = offset + size < len(ROWS)
        return Page(items, encode_cursor(offset + size, QUERY) if more else None)


def test_a_large_request_is_gathered_from_service_sized_pages():
    rows = Rows()
    found, token = collect(rows, Message({"max_results": 2_000}), (1_000, 50_000))
    assert found == ROWS[:2_000]
    assert rows.sizes == [MAX_PAGE_SIZE, 1_000]
    rest, last = collect(rows, Message({"max_results": "2000", "page_token": token}), (1, 50_000))
    assert rest == ROWS[2_000:]
    assert last is None


def test_the_default_and_small_pages_resume_exactly_after_their_last_row():
    rows = Rows()
    found, token = collect(rows, Message({}), (7, 100))
    assert found == ROWS[:7]
    seen = list(found)
    while token:
        page, token = collect(rows, Message({"page_token": token, "max_results": 100}), (7, 100))
        seen.extend(page)
    assert seen == ROWS
    assert max(rows.sizes) == 100


@pytest.mark.parametrize("bad", [-1, 50_001])
def test_max_results_out_of_range_is_invalid(bad: int):
    with pytest.raises(MlflowError) as excinfo:
        collect(Rows(), Message({"max_results": bad}), (1_000, 50_000))
    assert excinfo.value.code == "INVALID_PARAMETER_VALUE"
