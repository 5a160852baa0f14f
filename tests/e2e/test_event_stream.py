"""Live run events over Server-Sent Events, through the real API, worker and Redis."""

from __future__ import annotations

import dataclasses
import json
import queue
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import redis

from actionpool.devstack import embedded_redis, free_port
from actionpool.worker.settings import PoolSettings
from actionpool.worker.store.store import RunStore
from tests.e2e.conftest import Pool, pool_env, report
from tests.e2e.processes import start_api
from tests.e2e.test_cancel import wait_for_status
from tests.e2e.test_http_errors import assert_backstage_error
from tests.identity import ADMIN_HEADERS
from tests.secrets_keys import SECRETS_KEYS

SSE = {"Accept": "text/event-stream"}
STREAM_TIMEOUT = httpx.Timeout(5, read=20)
"""A stream that stops sending (no event, no keep-alive) for 20 s fails the test."""


@dataclasses.dataclass
class Frame:
    """One SSE frame: its fields (`id`, `event`, `data`) or its comment lines."""

    fields: dict[str, str]
    comments: list[str]
    received_s: float

    @property
    def data(self) -> dict[str, Any]:
        body: dict[str, Any] = json.loads(self.fields["data"])
        return body


def read_frames(response: httpx.Response) -> Iterator[Frame]:
    """The frames of an event stream as they arrive (a blank line ends each)."""
    fields: dict[str, str] = {}
    comments: list[str] = []
    for line in response.iter_lines():
        if line == "":
            if fields or comments:
                yield Frame(fields, comments, time.monotonic())
            fields, comments = {}, []
        elif line.startswith(":"):
            comments.append(line[1:].strip())
        else:
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            fields[name] = f"{fields[name]}\n{value}" if name in fields else value


def events_of(frames: list[Frame]) -> list[Frame]:
    return [f for f in frames if f.fields]


def stream(http: httpx.Client, run_id: str, **kwargs: Any) -> Any:
    headers = {**SSE, **kwargs.pop("headers", {})}
    url = f"/v1/runs/{run_id}/events"
    return http.stream("GET", url, headers=headers, timeout=STREAM_TIMEOUT, **kwargs)


def finished_run(pool: Pool) -> tuple[str, list[dict[str, Any]]]:
    """A completed debug:log run and its events (JSON list): log, log, completion."""
    run_id = pool.start_run("debug:log", {"message": "done"}).json()["id"]
    assert pool.wait_run(run_id)["status"] == "completed"
    events: list[dict[str, Any]] = pool.http.get(f"/v1/runs/{run_id}/events").json()
    assert [e["type"] for e in events] == ["log", "log", "completion"]
    return run_id, events


def test_stream_sends_events_while_the_run_runs_then_completion_and_closes(pool: Pool) -> None:
    # Given a run that sleeps 2 s, logging once a second
    run_id = pool.start_run("debug:sleep", {"seconds": 2}).json()["id"]
    # When its event stream is read to the end
    frames: list[Frame] = []
    status_at_first_sleep_log = None
    with stream(pool.http, run_id) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["x-accel-buffering"] == "no"
        for frame in read_frames(response):
            frames.append(frame)
            if status_at_first_sleep_log is None and "slept" in str(frame.fields.get("data")):
                status_at_first_sleep_log = pool.http.get(f"/v1/runs/{run_id}").json()["status"]
    # Then log events arrived while the run was still running
    assert status_at_first_sleep_log == "processing"
    # And every frame is `id`, `event` (its type), `data` (the event as the JSON list has it)
    events = events_of(frames)
    listed = pool.http.get(f"/v1/runs/{run_id}/events").json()
    assert [f.data for f in events] == listed
    assert [f.fields["event"] for f in events] == [e["type"] for e in listed]
    assert [int(f.fields["id"]) for f in events] == [e["id"] for e in listed]
    # And ids increase, and the last frame is the completion, after which the stream closed
    ids = [e["id"] for e in listed]
    assert ids == sorted(set(ids))
    assert frames[-1].fields["event"] == "completion"
    assert frames[-1].data["body"]["status"] == "completed"


def test_last_event_id_resumes_after_that_event_and_wins_over_after(pool: Pool) -> None:
    # Given a completed run with events 1 (log), 2 (log), 3 (completion)
    run_id, listed = finished_run(pool)
    # When the stream is resumed with Last-Event-ID: 1 (and a smaller ?after=)
    with stream(pool.http, run_id, headers={"Last-Event-ID": "1"}, params={"after": 0}) as r:
        frames = list(read_frames(r))
    # Then only the later events come, and the stream closes after the completion
    assert [f.data for f in events_of(frames)] == listed[1:]


def test_after_resumes_the_stream_like_last_event_id(pool: Pool) -> None:
    run_id, listed = finished_run(pool)
    with stream(pool.http, run_id, params={"after": 2}) as response:
        frames = list(read_frames(response))
    assert [f.data for f in events_of(frames)] == listed[2:]


def test_resuming_after_the_terminal_event_closes_at_once(pool: Pool) -> None:
    # Given a completed run whose last event is its completion
    run_id, listed = finished_run(pool)
    # When the stream is resumed after that completion
    with stream(pool.http, run_id, headers={"Last-Event-ID": str(listed[-1]["id"])}) as r:
        assert r.status_code == 200
        frames = list(read_frames(r))
    # Then it closes with nothing to send: not even a keep-alive (one would come after 15 s,
    # and a stream that stayed open would fail the read after 20 s)
    assert frames == []


def test_unknown_run_is_a_json_404_before_any_stream(pool: Pool) -> None:
    for run_id in ("0b5ad6ad-52de-4a1b-9bd6-3e6fb4b1f2a7", "not-a-uuid"):
        response = pool.http.get(f"/v1/runs/{run_id}/events", headers=SSE)
        assert response.headers["content-type"] == "application/json"
        assert_backstage_error(response, 404, "RunNotFoundError")


def test_invalid_last_event_id_is_a_400(pool: Pool) -> None:
    run_id, _ = finished_run(pool)
    for value in ("abc", "-1", "1.5", "9" * 20):
        headers = {**SSE, "Last-Event-ID": value}
        response = pool.http.get(f"/v1/runs/{run_id}/events", headers=headers)
        body = assert_backstage_error(response, 400, "MalformedRequestError")
        assert "Last-Event-ID" in body["error"]["message"]


def test_without_the_accept_header_the_answer_is_the_json_list(pool: Pool) -> None:
    run_id, listed = finished_run(pool)
    response = pool.http.get(f"/v1/runs/{run_id}/events", headers={"Last-Event-ID": "2"})
    assert response.headers["content-type"] == "application/json"
    assert response.json() == listed


def test_keepalive_comments_flow_while_no_event_does(pool: Pool, log_dir: Path) -> None:
    # Given a second API on the same pool, with a 0.2 s keep-alive
    port = str(free_port())
    env = {**pool.env, "ACTIONPOOL_API_PORT": port, "ACTIONPOOL_SSE_KEEPALIVE_S": "0.2"}
    api = start_api(env, log_dir, name="api-keepalive")
    try:
        run_id = pool.start_run("debug:sleep", {"seconds": 1.5}).json()["id"]
        # When a run's stream is read through it
        with (
            httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=ADMIN_HEADERS) as http,
            stream(http, run_id) as r,
        ):
            frames = list(read_frames(r))
    finally:
        api.stop()
    # Then keep-alive comments came between the events, and the stream still ends as usual
    keepalives = [f for f in frames if f.comments == ["keep-alive"] and not f.fields]
    assert len(keepalives) >= 3, frames
    assert frames[-1].fields["event"] == "completion"


def test_redis_going_away_ends_open_streams_cleanly_and_new_ones_get_a_503(
    log_dir: Path,
) -> None:
    with embedded_redis(log_dir / "redis") as redis_url:
        # Given an API on a Redis of its own, streaming the events of a run no worker takes
        env = pool_env(redis_url, "apsse:", ACTIONPOOL_REDIS_SOCKET_TIMEOUT_S="1")
        api = start_api(env, log_dir, name="api-outage")
        http = httpx.Client(
            base_url=f"http://127.0.0.1:{env['ACTIONPOOL_API_PORT']}", headers=ADMIN_HEADERS
        )
        try:
            created = http.post("/v1/actions/debug:log/runs", json={"input": {"message": "x"}})
            assert created.status_code == 202, created.text
            run_id = created.json()["id"]
            with stream(http, run_id, params={"after": 0}) as response:
                assert response.status_code == 200
                # When Redis goes away while the stream waits for events
                redis.Redis.from_url(redis_url).shutdown(nosave=True)
                frames = list(read_frames(response))
            # Then the stream ends (the client would reconnect), and a new one is refused
            assert events_of(frames) == []
            refused = http.get(f"/v1/runs/{run_id}/events", headers=SSE)
            assert_backstage_error(refused, 503, "StoreUnavailableError")
            assert refused.headers["Retry-After"] == "5"
        finally:
            http.close()
            api.stop()
    # And the API logged why the stream ended, without a traceback
    assert f"stopped following the events of run {run_id}: Redis failed" in api.log()
    assert "Traceback" not in api.log()


def test_each_written_event_reaches_an_open_stream(pool: Pool) -> None:
    # Given a processing run, its event stream open and read on another thread
    run_id = pool.start_run("debug:sleep", {"seconds": 10}).json()["id"]
    wait_for_status(pool, run_id, "processing")
    received: queue.Queue[Frame | None] = queue.Queue()
    reader = threading.Thread(target=read_into, args=(pool, run_id, received), daemon=True)
    reader.start()
    settings = PoolSettings(
        redis_url=pool.env["ACTIONPOOL_REDIS_URL"],
        key_prefix=pool.env["ACTIONPOOL_KEY_PREFIX"],
        secrets_keys=SECRETS_KEYS,
    )
    store = RunStore.from_settings(settings)
    wait_for_frame(received, lambda f: f.fields.get("event") == "log")  # the stream is live
    # When 20 log events are written to the run, one after the other is received
    latencies_s = []
    for n in range(20):
        written_s = time.monotonic()
        event_id = store.append_event(run_id, 1, "log", {"message": f"probe {n}"})
        frame = wait_for_frame(received, lambda f, i=event_id: f.fields.get("id") == str(i))
        latencies_s.append(frame.received_s - written_s)
    # Then each came, in order (how fast is a figure: docs/observability.md)
    pool.http.post(f"/v1/runs/{run_id}/cancel")
    wait_for_frame(received, lambda f: f.fields.get("event") in ("cancelled", "completion"))
    reader.join(10)
    store.close()
    p50_ms = statistics.median(latencies_s) * 1000
    max_ms = max(latencies_s) * 1000
    report(f"SSE write->receive latency over 20 events: p50 {p50_ms:.1f} ms, max {max_ms:.1f} ms")


def read_into(pool: Pool, run_id: str, received: queue.Queue[Frame | None]) -> None:
    """Put each frame of the run's stream in `received` as it arrives; None once it closed."""
    try:
        with (
            httpx.Client(base_url=pool.url, headers=ADMIN_HEADERS) as http,
            stream(http, run_id) as response,
        ):
            for frame in read_frames(response):
                received.put(frame)
    finally:
        received.put(None)


def wait_for_frame(
    received: queue.Queue[Frame | None], wanted: Any, timeout_s: float = 10
) -> Frame:
    deadline = time.monotonic() + timeout_s
    while (remaining_s := deadline - time.monotonic()) > 0:
        frame = received.get(timeout=remaining_s)
        assert frame is not None, "the stream closed early"
        if wanted(frame):
            return frame
    raise AssertionError("no such frame in time")
