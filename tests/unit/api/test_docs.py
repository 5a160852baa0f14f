"""docs/http-api.md lists exactly the operations the app serves."""

import re
from pathlib import Path

from actionpool.api.app import create_app
from actionpool.api.settings import ApiSettings

DOC = Path(__file__).resolve().parents[3] / "docs" / "http-api.md"
OPERATION = re.compile(r"^\| `(GET|POST|PUT|PATCH|DELETE) (/[^`?]*)` \|", re.MULTILINE)


def test_documented_operations_match_the_openapi() -> None:
    # Given the app's OpenAPI (built without Redis) and the doc's operations table
    spec = create_app(ApiSettings()).openapi()
    served = {(method.upper(), path) for path, ops in spec["paths"].items() for method in ops}
    documented = set(OPERATION.findall(DOC.read_text()))
    # Then they are the same set
    assert documented == served


def test_every_documented_status_of_an_operation_is_in_the_openapi() -> None:
    spec = create_app(ApiSettings()).openapi()
    create = spec["paths"]["/v1/actions/{actionId}/runs"]["post"]["responses"]
    assert {"200", "202", "400", "404", "413", "422", "424", "503"} <= set(create)
    error = spec["components"]["schemas"]["ErrorBody"]
    assert set(error["required"]) == {"error", "request", "response"}
