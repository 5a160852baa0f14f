"""docs/ tells what the app serves: the operations, the examples, the statuses and errors, the
links between the pages."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from actionpool.actions import errors
from actionpool.actions.registry import build_registry
from actionpool.api.app import create_app
from actionpool.api.errors import status_for
from actionpool.api.schemas import ActionView
from actionpool.api.settings import ApiSettings

ROOT = Path(__file__).resolve().parents[3]
DOC = ROOT / "docs" / "http-api.md"
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
OPERATION = re.compile(r"^\| `(GET|POST|PUT|PATCH|DELETE) (/[^`?]*)` \|", re.MULTILINE)
LINK = re.compile(r"\]\(([^)\s]*)\)")
ERROR_ROW = re.compile(r"^\| (\d{3}) \| `(\w+Error)`", re.MULTILINE)
TIME = re.compile(r'"(\w+At)": "([^"…]+)"')
START_A_RUN = "/v1/actions/{actionId}/runs"
"""Served as one operation per action (`api.openapi`), documented once."""


def spec() -> dict[str, Any]:
    app = create_app(ApiSettings(auth_disabled=True))  # built without Redis
    openapi: dict[str, Any] = app.openapi()
    return openapi


def documented_path(path: str) -> str:
    """A served path as the doc lists it: `/v1/actions/debug:log/runs` is `START_A_RUN`."""
    return START_A_RUN if re.fullmatch(r"/v1/actions/[^/{}]+/runs", path) else path


def section(text: str, heading: str) -> str:
    """The text under a heading, up to the next heading of any level."""
    start = text.index(f"\n{heading}\n") + len(heading) + 2
    end = text.find("\n#", start)
    return text[start : end if end != -1 else None]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.DOTALL)
    return {slug(line.lstrip("#")) for line in text.splitlines() if line.startswith("#")}


def test_documented_operations_match_the_openapi() -> None:
    # Given the app's OpenAPI and the doc's operations table
    served = {
        (method.upper(), documented_path(path))
        for path, ops in spec()["paths"].items()
        for method in ops
    }
    documented = set(OPERATION.findall(DOC.read_text()))
    # Then they are the same set
    assert documented == served


def test_starting_a_run_is_served_once_per_action() -> None:
    # Given the registered actions and the served operations that start a run
    served = {path for path in spec()["paths"] if documented_path(path) == START_A_RUN}
    # Then there is one per action, and no generic one
    assert served == {f"/v1/actions/{action.id}/runs" for action in build_registry()}


def test_the_statuses_of_starting_a_run_are_the_served_ones() -> None:
    paths = spec()["paths"]
    answers = section(DOC.read_text(), f"### `POST {START_A_RUN}`")
    documented = set(re.findall(r"`(\d{3})[ `]", answers.split("Answers:", 1)[1]))
    for action in build_registry():
        assert documented == set(paths[f"/v1/actions/{action.id}/runs"]["post"]["responses"])


def test_the_actions_example_is_what_is_served() -> None:
    # Given the doc's example entry of GET /v1/actions
    example = section(DOC.read_text(), "### `GET /v1/actions`")
    documented = json.loads(example.split("```json\n", 1)[1].split("```", 1)[0])
    # Then it is the served entry of that action, field for field
    served = ActionView.of(build_registry().get(documented["id"]))
    assert documented == served.model_dump(mode="json", by_alias=True)


def test_every_answer_with_a_run_documents_its_location() -> None:
    missing = [
        f"{method.upper()} {path} {status}"
        for path, operations in spec()["paths"].items()
        for method, operation in operations.items()
        for status, response in operation["responses"].items()
        if "RunView" in json.dumps(response.get("content", {}))
        and "Location" not in response.get("headers", {})
    ]
    assert missing == []


ERROR_ARGS: dict[type, tuple[str, ...]] = {
    errors.RunEndedUnsuccessfullyError: ("Name", "message", "run-id", "failed"),
    errors.RunStillProcessingError: ("message", "run-id"),
}


def test_the_error_table_says_what_the_error_table_of_the_code_does() -> None:
    rows = ERROR_ROW.findall(section(DOC.read_text(), "## Errors"))
    assert rows
    for status, name in rows:
        cls = getattr(errors, name, None)
        if cls is None:  # FastAPI's own (NotFoundError, MethodNotAllowedError)
            continue
        error = cls(*ERROR_ARGS.get(cls, ("x",)))
        assert status_for(error) == int(status), name


def test_the_doc_shows_times_as_they_are_served() -> None:
    found = TIME.findall(DOC.read_text())
    assert found
    for field, value in found:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", value), (field, value)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_link_between_the_pages_points_somewhere(page: Path) -> None:
    broken = []
    for target in LINK.findall(page.read_text()):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if (
            not linked.exists()
            or anchor
            and linked.suffix == ".md"
            and anchor not in anchors(linked)
        ):
            broken.append(target)
    assert broken == []
