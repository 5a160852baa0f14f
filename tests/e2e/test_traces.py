"""One trace per run, across real processes: spans exported by the API and the workers over
OTLP/HTTP to a real receiver, decoded from protobuf."""

from __future__ import annotations

import json
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from tests.conftest import delete_prefix
from tests.e2e.conftest import Pool, pool_env
from tests.e2e.otlp import STATUS_ERROR, GrpcReceiver, ReceivedSpan, Receiver
from tests.e2e.pools import FaultPool, install_plugin, own_pool
from tests.e2e.processes import start_api

SERVER_SPAN = "POST /v1/actions/{actionId}/runs"
SECRET = "tok-SECRET-4242"
CONTEXT = {
    "templateRef": "template:default/create-service",
    "owner": "group:default/platform",
    "taskId": "task-of-the-module",
    "stepId": "publish",
    "userRef": "user:default/ada",
}
RUN_ATTRIBUTES = {
    "cicd.pipeline.name": CONTEXT["templateRef"],
    "backstage.template.ref": CONTEXT["templateRef"],
    "backstage.owner.ref": CONTEXT["owner"],
    "cicd.pipeline.run.id": CONTEXT["taskId"],
    "backstage.user.ref": CONTEXT["userRef"],
    "cicd.pipeline.task.name": "fault:traced",
    "actionpool.queue": "default",
    "actionpool.dry_run": False,
}
WORKER_ATTRIBUTES = {"actionpool.attempt", "cicd.worker.id", "host.name"}


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="module")
def traced(
    redis_url: str, receiver: Receiver, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FaultPool]:
    """An API and two workers exporting their spans to the receiver."""
    logs = tmp_path_factory.mktemp("traced")
    env = pool_env(
        redis_url,
        f"aptrace:{uuid.uuid4().hex[:8]}:",
        PYTHONPATH=str(install_plugin(logs / "site")),
        OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
        OTEL_BSP_SCHEDULE_DELAY="100",
    )
    pool = FaultPool(env, start_api(env, logs), logs)
    pool.add_worker()
    pool.add_worker()
    yield pool
    pool.http.close()
    for service in [pool.api, *pool.workers]:
        service.stop()
    delete_prefix(redis.Redis.from_url(redis_url), pool.prefix)


def trace_of(spans: list[ReceivedSpan], run_id: str) -> list[ReceivedSpan]:
    """The spans of the trace the run was created in (reads of the run are traces of their
    own, also tagged with the run)."""
    trace_ids = {
        s.trace_id
        for s in spans
        if s.name == SERVER_SPAN and s.attributes.get("cicd.pipeline.task.run.id") == run_id
    }
    return [s for s in spans if s.trace_id in trace_ids]


def named(spans: list[ReceivedSpan], name: str, attempt: int | None = None) -> list[ReceivedSpan]:
    return [
        s
        for s in spans
        if s.name == name and (attempt is None or s.attributes.get("actionpool.attempt") == attempt)
    ]


def has_action_span(attempt: int, run_id: str) -> object:
    def found(spans: list[ReceivedSpan]) -> bool:
        mine = trace_of(spans, run_id)
        ended = named(mine, f"fault:traced attempt {attempt}")  # ends after its children
        return bool(ended and named(mine, "sub-operation", attempt) and named(mine, SERVER_SPAN))

    return found


def chain_to_server(span: ReceivedSpan, spans: list[ReceivedSpan]) -> list[str]:
    """The names from `span` up to the HTTP server span; fails on a missing parent."""
    by_id = {s.span_id: s for s in spans}
    names = [span.name]
    while span.name != SERVER_SPAN:
        assert span.parent_id in by_id, f"{span.name}'s parent never arrived: chain {names}"
        span = by_id[span.parent_id]
        names.append(span.name)
    return names


def start_traced(pool: FaultPool, headers: dict[str, str] | None = None, **input: object) -> str:
    """Start a `fault:traced` run (a new step of the task each time: its own idempotency key)."""
    context = {**CONTEXT, "stepId": f"{CONTEXT['stepId']}-{uuid.uuid4().hex[:6]}"}
    response = pool.http.post(
        "/v1/actions/fault:traced/runs",
        json={"input": input, "context": context, "secrets": {"token": SECRET}},
        headers=headers or {},
    )
    assert response.status_code == 202, response.text
    run_id: str = response.json()["id"]
    return run_id


def test_a_retried_run_is_one_trace_from_the_request_to_the_action(
    traced: FaultPool, receiver: Receiver
) -> None:
    # Given a caller's trace context in the traceparent header
    caller_trace, caller_span = uuid.uuid4().hex, uuid.uuid4().hex[:16]
    header = {"traceparent": f"00-{caller_trace}-{caller_span}-01"}
    # When a run that fails once (with its secret in the message) then succeeds is started
    run_id = start_traced(traced, header, failAttempts=1, url=f"{receiver.endpoint}/ping")
    assert traced.wait_run(run_id)["status"] == "completed"
    spans = trace_of(receiver.wait_for(has_action_span(2, run_id)), run_id)
    # Then every span of the run is in the caller's trace, below the caller's span
    assert {s.trace_id for s in spans} == {caller_trace}
    (server,) = named(spans, SERVER_SPAN)
    assert server.parent_id == caller_span and server.kind == "server"
    # And there is one span per attempt, the first recorded as a failure
    (first,) = named(spans, "fault:traced attempt 1")
    (second,) = named(spans, "fault:traced attempt 2")
    assert first.status_code == STATUS_ERROR
    assert first.attributes["cicd.pipeline.task.run.result"] == "failure"
    assert [name for name, _ in first.events] == ["exception"]
    assert second.attributes["cicd.pipeline.task.run.result"] == "success"
    # And the action's span of the retry reaches the HTTP span through both attempts
    (action_span,) = named(spans, "sub-operation", attempt=2)
    assert chain_to_server(action_span, spans) == [
        "sub-operation",
        "fault:traced attempt 2",
        "process default",
        "publish default",
        "fault:traced attempt 1",
        "process default",
        "publish default",
        SERVER_SPAN,
    ]
    # And the checkpoint and the action's HTTP call are child spans of the attempts
    assert named(spans, "checkpoint prepared", attempt=1)
    assert [s for s in spans if s.kind == "client" and s.attributes.get("actionpool.attempt") == 2]
    # And every span carries the run's attributes; worker spans also the attempt and worker
    for span in spans:
        assert RUN_ATTRIBUTES.items() <= span.attributes.items(), span.name
        assert span.attributes["backstage.step.id"].startswith(CONTEXT["stepId"]), span.name
        assert span.attributes["cicd.pipeline.task.run.id"] == run_id, span.name
        if span.service == "actionpool-worker":
            assert span.attributes.keys() >= WORKER_ATTRIBUTES, span.name
    # And the secret is in no span (message, stack trace, URL attributes), masked instead
    assert SECRET not in repr(spans)
    assert "token ***" in first.status_message
    (client,) = [s for s in spans if s.kind == "client" and s.attributes["actionpool.attempt"] == 2]
    assert "access_token=***" in str(
        client.attributes.get("url.full", client.attributes.get("http.url"))
    )
    assert action_span.attributes["vcs.repository.url.full"].startswith(
        "https://x-access-token:***@"
    )


def test_worker_logs_are_json_lines_with_the_trace_and_the_run(traced: FaultPool) -> None:
    # Given a caller's trace
    caller_trace = uuid.uuid4().hex
    header = {"traceparent": f"00-{caller_trace}-{uuid.uuid4().hex[:16]}-01"}
    # When a run whose action logs a line with its secret completes
    run_id = start_traced(traced, header)
    assert traced.wait_run(run_id)["status"] == "completed"
    # Then the workers' logs hold that line as JSON, with the trace and the run, masked
    lines = [
        json.loads(line)
        for w in traced.workers
        for line in w.log().splitlines()
        if line.startswith("{")
    ]
    (line,) = [
        x for x in lines if x.get("run_id") == run_id and x["logger"].startswith("actionpool.run")
    ]
    assert line["message"] == "calling out with token ***"
    assert line["trace_id"] == caller_trace and len(line["span_id"]) == 16
    assert (line["action_id"], line["owner"]) == ("fault:traced", CONTEXT["owner"])
    assert all(SECRET not in w.log() for w in traced.workers)


def test_a_traceparent_in_the_body_becomes_the_parent(
    traced: FaultPool, receiver: Receiver
) -> None:
    # Given no traceparent header, but one in the body's context (the Backstage proxy way)
    caller_trace, caller_span = uuid.uuid4().hex, uuid.uuid4().hex[:16]
    context = {**CONTEXT, "stepId": "body", "traceparent": f"00-{caller_trace}-{caller_span}-01"}
    # When a run is started
    response = traced.http.post(
        "/v1/actions/fault:traced/runs", json={"input": {}, "context": context}
    )
    assert response.status_code == 202, response.text
    run_id = response.json()["id"]
    spans = trace_of(receiver.wait_for(has_action_span(1, run_id)), run_id)
    # Then the server span continues the caller's trace, and so does the whole run
    (server,) = named(spans, SERVER_SPAN)
    assert (server.trace_id, server.parent_id) == (caller_trace, caller_span)
    assert {s.trace_id for s in spans} == {caller_trace}


def test_an_attempt_recovered_after_its_worker_is_killed_joins_the_trace(
    traced: FaultPool, receiver: Receiver, tmp_path: Path
) -> None:
    # Given a run holding on one of two workers
    run_id = start_traced(traced, hold_s=20)
    worker = wait_for_holder(traced, run_id)
    # When that worker is killed (its spans of attempt 1 die with it)
    victim = next(s for s in traced.workers if traced.names.get(s.name) == worker)
    victim.signal_group(signal.SIGKILL)
    victim.process.wait(10)
    # Then the other worker recovers the run and its attempt 2 is in the same trace
    run = traced.wait_run(run_id, wait_s=50)
    assert (run["status"], run["attempt"]) == ("completed", 2), run
    spans = trace_of(receiver.wait_for(has_action_span(2, run_id)), run_id)
    (server,) = named(spans, SERVER_SPAN)
    assert {s.trace_id for s in spans} == {server.trace_id}
    (action_span,) = named(spans, "sub-operation", attempt=2)
    chain = chain_to_server(action_span, spans)
    assert chain[:3] == ["sub-operation", "fault:traced attempt 2", "process default"]
    traced.add_worker()  # leave two workers for whoever comes next


def wait_for_holder(pool: FaultPool, run_id: str) -> str:
    """The worker name recorded on the run's first attempt once it is processing."""
    for _ in range(100):
        run = pool.http.get(f"/v1/runs/{run_id}").json()
        if run["status"] == "processing" and run["attempts"]:
            holder: str = run["attempts"][0]["worker"]
            return holder
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} never started")


def has_span(name: str, run_id: str) -> Callable[[list[ReceivedSpan]], bool]:
    """True once a span of that name of the run has arrived."""
    return lambda got: any(
        s.name == name and s.attributes.get("cicd.pipeline.task.run.id") == run_id for s in got
    )


def test_a_worker_child_flushes_its_spans_when_it_exits(
    redis_url: str, receiver: Receiver, tmp_path: Path
) -> None:
    # Given a worker whose span batches would wait a minute before going out
    slow = {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "60000"}
    with own_pool(redis_url, tmp_path, **slow) as pool:
        run_id = pool.start_run("debug:log", {"message": "hi"}).json()["id"]
        assert pool.wait_run(run_id)["status"] == "completed"
        attempt = "debug:log attempt 1"
        assert not has_span(attempt, run_id)(list(receiver.spans))
        # When the worker stops (SIGTERM: its children exit)
        pool.workers[0].stop()
        # Then the children exported their spans on the way out
        receiver.wait_for(has_span(attempt, run_id))


def test_spans_go_over_otlp_grpc_as_well(redis_url: str, tmp_path: Path) -> None:
    # Given a pool exporting with the gRPC protocol to a gRPC receiver
    receiver = GrpcReceiver().start()
    grpc_env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
        "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
        "OTEL_BSP_SCHEDULE_DELAY": "100",
    }
    try:
        with own_pool(redis_url, tmp_path, **grpc_env) as pool:
            # When a run completes
            run_id = pool.start_run("debug:log", {"message": "hi"}).json()["id"]
            assert pool.wait_run(run_id)["status"] == "completed"
            attempt, server = (has_span(n, run_id) for n in ("debug:log attempt 1", SERVER_SPAN))
            got = receiver.wait_for(lambda got: attempt(got) and server(got))
            spans = trace_of(got, run_id)
        # Then the API's and the worker's spans of the run arrived, in one trace
        assert {s.service for s in spans} == {"actionpool-api", "actionpool-worker"}
        assert len({s.trace_id for s in spans}) == 1
    finally:
        receiver.stop()


def test_with_tracing_off_the_callers_trace_still_reaches_the_worker_logs(pool: Pool) -> None:
    # Given a pool with no OTEL_* settings (tracing off) and a caller's trace context
    caller_trace, caller_span = uuid.uuid4().hex, uuid.uuid4().hex[:16]
    header = {"traceparent": f"00-{caller_trace}-{caller_span}-01"}
    # When a run is started with it and completes
    response = pool.http.post(
        "/v1/actions/debug:log/runs", json={"input": {"message": "hi"}}, headers=header
    )
    run_id = response.json()["id"]
    assert pool.wait_run(run_id)["status"] == "completed"
    # Then the action's log line in the worker's log carries the caller's trace
    lines = [json.loads(x) for x in pool.worker.log().splitlines() if x.startswith("{")]
    (line,) = [x for x in lines if x.get("run_id") == run_id and x["message"] == "hi"]
    assert (line["trace_id"], line["span_id"]) == (caller_trace, caller_span)


def test_a_cancelled_attempt_is_recorded_as_a_cancellation(
    traced: FaultPool, receiver: Receiver
) -> None:
    # Given a running run
    response = traced.http.post("/v1/actions/debug:sleep/runs", json={"input": {"seconds": 5}})
    run_id = response.json()["id"]
    wait_for_holder(traced, run_id)
    # When it is cancelled
    traced.http.post(f"/v1/runs/{run_id}/cancel")
    assert traced.wait_run(run_id, failOnError="false")["status"] == "cancelled"
    # Then its attempt span says so
    name = "debug:sleep attempt 1"
    spans = trace_of(
        receiver.wait_for(lambda got: bool(named(trace_of(got, run_id), name))), run_id
    )
    (attempt,) = named(spans, name)
    assert attempt.attributes["cicd.pipeline.task.run.result"] == "cancellation"
    assert attempt.attributes["actionpool.outcome"] == "cancelled"
