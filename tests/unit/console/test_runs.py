"""`runs ls` pages: it follows `nextCursor` itself, through pages the scan budget left short."""

from __future__ import annotations

import httpx

from actionpool.console.http import Pool
from actionpool.console.runs import collect

PAGES = {
    None: {"items": [], "nextCursor": "c1"},  # the scan budget found none of these
    "c1": {"items": [{"id": "a"}, {"id": "b"}], "nextCursor": "c2"},
    "c2": {"items": [{"id": "c"}], "nextCursor": None},
}


def listing(asked: list[httpx.QueryParams]) -> Pool:
    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.params)
        return httpx.Response(200, json=PAGES[request.url.params.get("cursor")])

    return Pool("http://pool", "t", transport=httpx.MockTransport(answer))


def test_every_page_is_read_to_the_end() -> None:
    asked: list[httpx.QueryParams] = []
    page = collect(listing(asked), [("status", "failed")], None)
    assert page == {"items": [{"id": "a"}, {"id": "b"}, {"id": "c"}], "nextCursor": None}
    assert [q.get_list("status") for q in asked] == [["failed"]] * 3
    assert {q["limit"] for q in asked} == {"500"}


def test_it_stops_at_the_limit_and_names_the_cursor_left() -> None:
    asked: list[httpx.QueryParams] = []
    page = collect(listing(asked), [], 2)
    assert page == {"items": [{"id": "a"}, {"id": "b"}], "nextCursor": "c2"}
    assert [q["limit"] for q in asked] == ["2", "2"]
