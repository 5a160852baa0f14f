"""Property-based fuzzing of the served OpenAPI (schemathesis): every operation that a real
API process serves in `/openapi.json` (none is listed here, so an endpoint added later is
fuzzed too) gets generated requests, valid and invalid, sent to that API with a real worker
on the real Redis. No answer may be a 5xx, and each must be what the document says of it:
a documented status, content type and headers, and a body that matches the schema.

Long waits: `?wait=` (0-55 s) holds a request until its run ends. The pool fuzzed here (its
own API and worker) gives every action it serves short limits (`FUZZ_LIMITS`: 1 s soft, 2 s
hard, 2 attempts), so any run ends within seconds whatever its input, and every `wait` the
fuzzer generates is sent as generated: no parameter, operation or status is left out.

Reaching real runs: the ids the fuzzer makes up name no run, so by themselves they would
only ever get 404s. The schema's `flatmap_case` hook therefore draws, as likely as the
generated case itself, a copy of it that names a run seeded before fuzzing (completed,
failed, cancelled), or, for starting a run (served as one operation per action, its body's
`input` that action's input schema), a copy with one of that action's served examples as
body, and for a distributed action's invoke, a copy naming a listed action with an example's
input (one whose run completes, or, as likely, one whose run does not): the 200, 202 and
409 answers and their bodies are fuzzed too, and a 424 whenever a generated `wait` meets a
failed run. The hook goes by the path parameter's name (`runId`) and the paths that start a
run, never by operation. What each operation answered is shown in the "openapi fuzz:
measured" summary.

A request generated valid against the document is never refused for its form (a 400, 413,
415, or a 422 about the request itself): the document says every rule the API enforces on
a request's form (but for `FORM_NOT_DESCRIBED`). An input model's own validators are rules
of meaning, not of form (a URL's host on the operator's allowlist, a skeleton the library
holds): a 422 whose every detail is one of those is not a refusal for the form. A 422 for an
idempotency key already used with another payload is about the pool's state, not the
request's form.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    is_unexpected_http_status_case,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from actionpool.actions.registry import build_registry
from actionpool.api.distributed import name_of
from tests import measurements
from tests.e2e.conftest import Pool
from tests.e2e.pools import own_pool
from tests.identity import ADMIN_HEADERS


@schemathesis.check
def no_server_fault(ctx: Any, response: Any, case: schemathesis.Case) -> bool | None:
    """No 5xx, but for the documented `504 RunStillProcessingError`: a run that did not end
    within a wait that needed its end (`requireEnd=true`, an invoke) is an answer about the
    run, which goes on in the pool, not a fault of the server."""
    if response.status_code == 504 and still_processing(response):
        return None
    return not_a_server_error(ctx, response, case)  # type: ignore[no-any-return]


def still_processing(response: Any) -> bool:
    try:
        return bool(response.json()["error"]["name"] == "RunStillProcessingError")
    except (ValueError, KeyError, TypeError):
        return False


CHECKS = [
    no_server_fault,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
FUZZ_LIMITS = {
    "soft_timeout_s": 1,
    "timeout_s": 2,
    "max_attempts": 2,
    "initial_delay_s": 0.05,
    "max_delay_s": 0.1,
}
"""Given to every served action: any run ends within seconds, whatever it was asked to do."""
EXAMPLES_PER_OPERATION = 50
REQUEST_TIMEOUT_S = (
    70  # far above any run here (FUZZ_LIMITS): a bound against hanging, not a figure
)
ERROR_BODY = "#/components/schemas/ErrorBody"
START_A_RUN = re.compile(r"/v1/actions/([^/{}]+)/runs")
INVOKE = "/.backstage/actions/v1/actions/{actionId}/invoke"
FORM_REFUSALS = {400, 413, 415}
FORM_422S = {"InputValidationError", "DryRunNotSupportedError"}
FORM_NOT_DESCRIBED = {"GET /v1/stats"}
"""Operations whose document does not say all of a request's form yet: `since` is an ISO
8601 time or a duration (`7d`), not in the future, which its schema (a string) does not say."""
VALIDATOR_REFUSAL = "Value error, "


@dataclass
class Seeds:
    """Real things for generated cases to name: the served actions and runs that exist."""

    bodies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Action id -> the request bodies of its served examples."""
    run_ids: list[str] = field(default_factory=list)
    completed: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    """(action id, body) of the examples whose seeded run completed under FUZZ_LIMITS."""

    def invokes(self, completing: bool) -> list[tuple[str, dict[str, Any]]]:
        """The examples as a distributed action's invoke (its listed id and its input): those
        whose run completed (an invoke answers 200), or the others (a 424, or a 422)."""
        return [
            (f"actionpool:{name_of(action_id)}", body["input"])
            for action_id, bodies in self.bodies.items()
            for body in bodies
            if ((action_id, body) in self.completed) == completing
        ]


@dataclass
class Answers:
    """The statuses each operation answered while fuzzed."""

    by_operation: defaultdict[str, Counter[int]] = field(
        default_factory=lambda: defaultdict(Counter)
    )

    def report(self) -> None:
        for label, statuses in sorted(self.by_operation.items()):
            counts = " ".join(f"{status}x{n}" for status, n in sorted(statuses.items()))
            measurements.report("openapi fuzz", f"{label}: {counts}")


@pytest.fixture(scope="module")
def fuzz_pool(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pool]:
    overrides = {action.id: FUZZ_LIMITS for action in build_registry()}
    log_dir = tmp_path_factory.mktemp("fuzz-pool")
    with own_pool(redis_url, log_dir, ACTIONPOOL_ACTION_OVERRIDES=json.dumps(overrides)) as pool:
        yield pool


@pytest.fixture(scope="module")
def seeds(fuzz_pool: Pool) -> Seeds:
    """Each served example of each served action run twice, once to its end and once
    cancelled at once; every one of those runs has ended when fuzzing starts."""
    seeds = Seeds()
    examples: list[tuple[str, dict[str, Any], str, bool]] = []
    for action in fuzz_pool.http.get("/v1/actions").raise_for_status().json():
        seeds.bodies[action["id"]] = bodies = request_bodies(action["examples"])
        for body in bodies:
            for cancel in (False, True):
                response = fuzz_pool.http.post(f"/v1/actions/{action['id']}/runs", json=body)
                if response.status_code not in (200, 202):
                    continue  # an example the action refuses: still offered to the fuzz
                run_id = response.json()["id"]
                if cancel:
                    fuzz_pool.http.post(f"/v1/runs/{run_id}/cancel")
                seeds.run_ids.append(run_id)
                examples.append((action["id"], body, run_id, cancel))
    for action_id, body, run_id, cancel in examples:
        run = fuzz_pool.wait_run(run_id, wait_s=30, failOnError="false")
        assert run["status"] in ("completed", "failed", "cancelled"), run
        if run["status"] == "completed" and not cancel:
            seeds.completed.append((action_id, body))
    return seeds


def request_bodies(examples: list[dict[str, str]]) -> list[dict[str, Any]]:
    """The examples that are request bodies (`{"input": ...}`, in JSON or YAML)."""
    parsed = [yaml.safe_load(example["example"]) for example in examples]
    return [body for body in parsed if isinstance(body, dict) and "input" in body]


@pytest.fixture(scope="module")
def answers() -> Iterator[Answers]:
    answers = Answers()
    yield answers
    answers.report()


@pytest.fixture
def served_schema(fuzz_pool: Pool, seeds: Seeds) -> schemathesis.BaseSchema:
    served = schemathesis.openapi.from_url(f"{fuzz_pool.url}/openapi.json", headers=ADMIN_HEADERS)

    @served.hook
    def flatmap_case(context: Any, case: schemathesis.Case) -> st.SearchStrategy[Any]:
        return toward_real_resources(case, seeds)

    return served


def toward_real_resources(case: schemathesis.Case, seeds: Seeds) -> st.SearchStrategy[Any]:
    """The case as generated or, as likely, a copy of it that names a real run, or that
    starts a run with one of its action's served examples as body."""
    groups: list[list[Any]] = []
    if "runId" in (case.path_parameters or {}):
        groups.append([named(case, runId=run_id) for run_id in seeds.run_ids])
    started = START_A_RUN.fullmatch(case.path)
    if started:
        groups.append([named(case, body) for body in seeds.bodies.get(started.group(1), [])])
    if case.path == INVOKE:
        for completing in (True, False):
            invokes = seeds.invokes(completing)
            groups.append([named(case, body, actionId=id_) for id_, body in invokes])
    return st.one_of(st.just(case), *(st.sampled_from(group) for group in groups if group))


def named(case: schemathesis.Case, body: Any = None, **path_parameters: str) -> Any:
    """A copy of the case with these path parameters (and this body, if one is given)."""
    copy = case.derive(keep_auth=True)
    copy.path_parameters.update(path_parameters)
    if body is not None:
        copy.body = body
        copy.media_type = "application/json"
    return copy


schema = schemathesis.pytest.from_fixture("served_schema")


@pytest.mark.timeout(180)  # a bound against hanging: the fuzz itself takes about 20 s
@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_served_operation_answers_as_documented(
    case: schemathesis.Case, answers: Answers
) -> None:
    # Given a request generated from the served document (valid or not), for any operation
    # When it is sent to the real API
    response = case.call(timeout=REQUEST_TIMEOUT_S, headers=ADMIN_HEADERS)
    answers.by_operation[case.operation.label][response.status_code] += 1
    # Then it is no 5xx, and its status, content type, headers and body are as documented
    case.validate_response(response, checks=CHECKS)
    # And a request valid against the document is not refused for its form
    if generated_valid(case) and case.operation.label not in FORM_NOT_DESCRIBED:
        assert not refused_for_its_form(response), (case.as_curl_command(), response.text)


def generated_valid(case: schemathesis.Case) -> bool:
    """A case generated valid in every part (not one of the positive cases that carry a
    mutation, nor a probe of the request's shape)."""
    meta = case.meta
    if meta is None or is_unexpected_http_status_case(case):
        return False
    modes = [meta.generation.mode, *(c.mode for c in meta.components.values())]
    return all(m.is_positive for m in modes) and not getattr(meta.phase.data, "mutations", ())


def refused_for_its_form(response: Any) -> bool:
    if response.status_code in FORM_REFUSALS:
        return True
    if response.status_code != 422:
        return False
    error = response.json()["error"]
    if error["name"] not in FORM_422S:
        return False
    return not all(is_check_of_meaning(d["message"]) for d in error.get("details", ()))


def is_check_of_meaning(message: str) -> bool:
    """A refusal by an input model's own validator (pydantic's `Value error, ...`): a rule of
    meaning no JSON Schema states, such as the operator's host allowlist (git:publish,
    http:request) or what a skeleton library holds (golden-path:create-repository)."""
    return message.startswith(VALIDATOR_REFUSAL)


def test_the_fuzz_got_a_success_from_every_operation(fuzz_pool: Pool, answers: Answers) -> None:
    """Guards the fuzz above (tests run in file order) against passing on 4xx alone, as it
    would if the hook that names real runs and actions stopped being applied."""
    # Given the operations the API serves, and what the fuzz above got from each
    if not answers.by_operation:
        pytest.skip("the fuzz did not run (deselected)")
    spec = fuzz_pool.http.get("/openapi.json").json()
    served = {f"{m.upper()} {path}" for path, ops in spec["paths"].items() for m in ops}
    # Then each answered at least one request with a 2xx: the fuzz reached past the 4xx
    succeeded = {
        label for label, n in answers.by_operation.items() if any(200 <= s < 300 for s in n)
    }
    assert served <= succeeded, answers.by_operation


def test_every_error_status_is_documented_with_the_backstage_error_body(
    fuzz_pool: Pool,
) -> None:
    # Given the served document
    spec = fuzz_pool.http.get("/openapi.json").json()
    # When its 4xx and 5xx answers are listed, for every operation
    errors = {
        (f"{method.upper()} {path}", status): response
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        for status, response in op["responses"].items()
        if status[0] in "45"
    }
    # Then each is the Backstage error body (never FastAPI's own `HTTPValidationError`)
    schemas = {key: r["content"]["application/json"]["schema"] for key, r in errors.items()}
    assert {key: s for key, s in schemas.items() if s.get("$ref") != ERROR_BODY} == {}
    assert "HTTPValidationError" not in spec["components"]["schemas"]
