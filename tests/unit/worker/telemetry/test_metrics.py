"""The metrics catalogue and rendering (no Redis)."""

from __future__ import annotations

import re
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from actionpool.worker.store.health import MemoryHealth
from actionpool.worker.telemetry.metrics import (
    BUCKET_BOUNDS_S,
    PoolSnapshot,
    QueueGauge,
    cumulative,
    render,
)

LUA = Path(__file__).resolve().parents[4] / "worker" / "store" / "lua" / "_metrics.lua"


def test_the_lua_scripts_bucket_with_the_bounds_the_renderer_knows() -> None:
    # Given the bounds in the Lua library
    (listed,) = re.findall(r"local BOUNDS_S = \{([^}]*)\}", LUA.read_text())
    # Then they are the renderer's
    assert tuple(float(b) for b in listed.split(",")) == tuple(map(float, BUCKET_BOUNDS_S))


def test_buckets_become_cumulative_with_inf_last() -> None:
    # Given observations counted per bucket as the scripts write them (le as Lua prints it)
    counts = {"0.05": 1.0, "1": 2.0, "2.5": 1.0, "+Inf": 3.0}
    # When made cumulative
    buckets = dict(cumulative(counts))
    # Then each bucket counts what is below it, and +Inf counts everything
    assert (buckets["0.05"], buckets["0.5"], buckets["1.0"], buckets["2.5"]) == (1, 1, 3, 4)
    assert buckets["3600.0"] == 4 and buckets["+Inf"] == 7


def test_a_snapshot_renders_as_prometheus_text() -> None:
    # Given counted fields and gauges
    snapshot = PoolSnapshot(
        fields={
            "runs_created\tdebug:log\ttemplate:default/t\tgroup:default/g": "2",
            "run_duration_seconds_bucket\tdebug:log\ttemplate:default/t\tcompleted\t1": "1",
            "run_duration_seconds_sum\tdebug:log\ttemplate:default/t\tcompleted": "0.7",
            "run_duration_seconds_count\tdebug:log\ttemplate:default/t\tcompleted": "1",
            "garbage": "1",
        },
        open_runs=3,
        processing_runs=1,
        queues=[QueueGauge("default", 2, 1.5)],
        memory=MemoryHealth("noeviction", 0),
    )
    # When rendered and parsed back
    families = {f.name: f for f in text_string_to_metric_families(render(snapshot).decode())}
    # Then every family is there with its samples
    created = families["actionpool_runs_created"].samples
    assert [(s.labels["template"], s.value) for s in created] == [("template:default/t", 2.0)]
    duration = {
        s.name: s.value
        for s in families["actionpool_run_duration_seconds"].samples
        if s.labels.get("le") in (None, "1.0")
    }
    assert duration == {
        "actionpool_run_duration_seconds_bucket": 1.0,
        "actionpool_run_duration_seconds_count": 1.0,
        "actionpool_run_duration_seconds_sum": 0.7,
    }
    assert families["actionpool_runs_in_flight"].samples[0].value == 1
    assert families["actionpool_queue_oldest_age_seconds"].samples[0].value == 1.5
    assert "actionpool_runs_failed" in families  # declared even before anything failed
