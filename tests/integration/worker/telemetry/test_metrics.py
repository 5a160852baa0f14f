"""Pool metrics counted by the run scripts on the real Redis, read as Prometheus text."""

from __future__ import annotations

import threading

import pytest
from prometheus_client.parser import text_string_to_metric_families

from actionpool.worker.client import PoolClient, RunRequest
from actionpool.worker.clock import ms
from actionpool.worker.execution.executor import Executor
from actionpool.worker.store.records import RunContext
from actionpool.worker.store.store import RunStore
from actionpool.worker.telemetry import metrics
from tests.integration.conftest import Broker

pytestmark = pytest.mark.anyio

GOLDEN = RunContext(template_ref="template:default/golden", owner="group:default/platform")
LABELS = {"template": "template:default/golden", "owner": "group:default/platform"}


async def start(
    client: PoolClient, action_id: str, input: dict[str, object], key: str | None = None
) -> str:
    request = RunRequest(input=input, context=GOLDEN, secrets={}, body_key=key)
    return (await client.create_run(action_id, request)).run.id


def samples(text: bytes) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of the exposition by (sample name, labels)."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text.decode())
        for sample in family.samples
    }


def value(
    found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


async def test_the_run_scripts_count_every_change_of_a_run(
    client: PoolClient, executor: Executor, broker: Broker
) -> None:
    # Given runs that complete, fail for good, fail once then complete, are cancelled, replayed
    done = await start(client, "debug:log", {"message": "hi"}, key="k1")
    await start(client, "debug:log", {"message": "hi"}, key="k1")  # a replay
    broken = await start(client, "debug:fail", {"mode": "nonRetryable"})
    flaky = await start(client, "debug:fail", {"mode": "retryable", "failAttempts": 1})
    dropped = await start(client, "debug:sleep", {"seconds": 1})
    # When the attempts run (and the last run is cancelled before it starts)
    assert executor.run_attempt(done, 1, "default") == "completed"
    assert executor.run_attempt(broken, 1, "default") == "failed"
    assert executor.run_attempt(flaky, 1, "default") == "retrying"
    assert executor.run_attempt(flaky, 2, "default") == "completed"
    await client.cancel_run(dropped)
    found = samples(await client.metrics())
    # Then the counters say what happened, by action, template and owner
    log, fail, sleep = ({"action": a, **LABELS} for a in ("debug:log", "debug:fail", "debug:sleep"))
    assert value(found, "actionpool_runs_created_total", **log) == 1
    assert value(found, "actionpool_runs_created_total", **fail) == 2
    assert value(found, "actionpool_runs_started_total", **fail) == 2
    assert value(found, "actionpool_runs_completed_total", **log) == 1
    assert value(found, "actionpool_runs_completed_total", **fail) == 1
    assert value(found, "actionpool_runs_failed_total", **fail) == 1
    assert value(found, "actionpool_runs_retried_total", **fail) == 1
    assert value(found, "actionpool_runs_cancelled_total", **sleep) == 1
    assert value(found, "actionpool_idempotent_replays_total", action="debug:log") == 1
    # And the histograms counted each ended run and each started attempt
    duration = {"action": "debug:fail", "template": LABELS["template"], "status": "completed"}
    assert value(found, "actionpool_run_duration_seconds_count", **duration) == 1
    assert value(found, "actionpool_run_duration_seconds_bucket", **duration, le="+Inf") == 1
    assert (
        value(found, "actionpool_queue_wait_seconds_count", queue="default", action="debug:fail")
        == 3
    )
    # And the gauges show the moment: nothing running, every published message still listed
    assert value(found, "actionpool_runs_in_flight") == 0
    assert value(found, "actionpool_runs_open") == 0
    assert value(found, "actionpool_queue_depth", queue="default") == len(broker.messages())
    assert value(found, "actionpool_queue_oldest_age_seconds", queue="default") >= 0


async def test_the_oldest_waiting_message_gives_the_queue_its_age(
    client: PoolClient, store: RunStore
) -> None:
    # Given a run whose message has waited on the queue since 90 s ago
    run_id = await start(client, "debug:log", {"message": "hi"})
    store.redis.hset(store.keys.run(run_id), "readyMs", str(ms(store.now()) - 90_000))
    # When the pool is scraped
    found = samples(await client.metrics())
    # Then the queue's oldest age is those 90 s, and its depth the one message
    assert 90 <= value(found, "actionpool_queue_oldest_age_seconds", queue="default") < 100
    assert value(found, "actionpool_queue_depth", queue="default") == 1


async def test_a_new_label_set_past_the_cap_is_counted_as_other(
    client: PoolClient, store: RunStore
) -> None:
    # Given a metrics hash that is full
    pipe = store.redis.pipeline(transaction=False)
    for n in range(50_000):
        pipe.hset(store.keys.metrics, f"filler\t{n}", 1)
    pipe.execute()
    # When a run with a template never seen before is created
    await start(client, "debug:log", {"message": "hi"})
    found = samples(await client.metrics())
    # Then it is counted, with its template and owner bounded to "_other"
    other = {"action": "debug:log", "template": "_other", "owner": "_other"}
    assert value(found, "actionpool_runs_created_total", **other) == 1
    assert value(found, "actionpool_runs_created_total", action="debug:log", **LABELS) == 0


async def test_the_pool_says_whether_its_redis_may_evict(client: PoolClient) -> None:
    # Given the test Redis (noeviction, as the pool needs)
    found = samples(await client.metrics())
    # Then the pool's metrics show its policy and that nothing was evicted
    assert value(found, "actionpool_redis_evicting", policy="noeviction") == 0
    assert value(found, "actionpool_redis_evicted_keys_total") == 0


async def test_the_rendering_runs_off_the_event_loop(
    client: PoolClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a renderer that notes the thread it renders in
    threads: list[int] = []
    real_render = metrics.render

    def noting_render(snapshot: metrics.PoolSnapshot) -> bytes:
        threads.append(threading.get_ident())
        return real_render(snapshot)

    monkeypatch.setattr(metrics, "render", noting_render)
    await start(client, "debug:log", {"message": "hi"})
    # When the pool's metrics are rendered from the event loop
    text = await metrics.render_pool_metrics(client.store, client.registry.queues())
    # Then they were rendered once, in another thread
    assert len(threads) == 1 and threads[0] != threading.get_ident()
    assert value(samples(text), "actionpool_runs_created_total", action="debug:log", **LABELS) == 1
