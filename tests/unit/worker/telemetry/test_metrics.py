"""The metrics catalogue and rendering (no Redis)."""

from __future__ import annotations

import re
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from actionpool.worker.store.health import MemoryHealth
from actionpool.worker.telemetry.metrics import (
    BUCKET_BOUNDS_S,
    COUNTERS,
    HISTOGRAMS,
    LABEL_MARKER,
    LABEL_VALUE_MAX_BYTES,
    LABEL_VALUES_MAX,
    METRIC_FIELDS_MAX,
    OTHER_LABEL,
    PoolSnapshot,
    QueueGauge,
    allowlist_fields,
    clipped_label,
    cumulative,
    render,
)

LUA = Path(__file__).resolve().parents[4] / "worker" / "store" / "lua" / "_metrics.lua"


def test_the_lua_scripts_bucket_with_the_bounds_the_renderer_knows() -> None:
    # Given the bounds in the Lua library
    (listed,) = re.findall(r"local BOUNDS_S = \{([^}]*)\}", LUA.read_text())
    # Then they are the renderer's
    assert tuple(float(b) for b in listed.split(",")) == tuple(map(float, BUCKET_BOUNDS_S))


def lua_constant(name: str) -> str:
    (value,) = re.findall(rf"^local {name} = (.*)$", LUA.read_text(), flags=re.MULTILINE)
    return value.strip().strip("'")


def test_the_lua_scripts_bound_labels_as_the_renderer_says() -> None:
    # Given the label bounds of the Lua library / Then they are the renderer's
    assert int(lua_constant("METRIC_FIELDS_MAX")) == METRIC_FIELDS_MAX
    assert int(lua_constant("LABEL_VALUE_MAX_BYTES")) == LABEL_VALUE_MAX_BYTES
    assert int(lua_constant("TEMPLATE_LABEL_VALUES_MAX")) == LABEL_VALUES_MAX["template"]
    assert int(lua_constant("OWNER_LABEL_VALUES_MAX")) == LABEL_VALUES_MAX["owner"]
    assert lua_constant("OTHER_LABEL") == OTHER_LABEL
    assert lua_constant("LABEL_MARKER") == LABEL_MARKER


def test_templates_and_owners_sit_where_the_scripts_bound_them() -> None:
    # Given every metric of the catalogue, and the positions the Lua library bounds
    # (CAPPED_DIMENSIONS: 2 is the template, 3 the owner, counted from 1)
    metrics = {**COUNTERS, **HISTOGRAMS}
    # Then wherever a metric has a template or owner label, it is at that position
    for name, (_, labels) in metrics.items():
        assert "template" not in labels or labels.index("template") == 1, name
        assert "owner" not in labels or labels.index("owner") == 2, name


def test_a_label_value_is_clipped_at_a_character_boundary() -> None:
    # Given values longer than the bound, one whose cut would split a two-byte character
    ascii_value = "group:default/" + "x" * 500
    accented = "a" + "é" * 100  # 'a' then two bytes per character: byte 64 starts one
    # When clipped
    # Then each is cut to the bound, the split character left out, tabs made spaces
    assert clipped_label(ascii_value) == ascii_value[:LABEL_VALUE_MAX_BYTES]
    assert clipped_label(accented) == "a" + "é" * 31
    assert clipped_label("a\tb") == "a b"


def test_an_allowlist_admits_its_values_and_fills_the_count() -> None:
    # Given two owners allowed to label the metrics, one of them too long
    fields = allowlist_fields("owner", ["group:default/a", "g" * 100, ""])
    # Then each is admitted as the scripts would write it, and no other value has room
    assert fields == {
        "labels\towner\tgroup:default/a": "1",
        f"labels\towner\t{'g' * LABEL_VALUE_MAX_BYTES}": "1",
        "labels\towner": str(LABEL_VALUES_MAX["owner"]),
    }


def test_the_marker_fields_of_admitted_values_are_not_rendered() -> None:
    # Given a snapshot holding the marker fields of the admitted values
    snapshot = PoolSnapshot(
        fields={
            "runs_created\tdebug:log\tt\to": "1",
            "labels\towner\to": "1",
            "labels\towner": "1",
            "labels\ttemplate\tt": "1",
            "labels\ttemplate": "1",
        },
        open_runs=0,
        processing_runs=0,
        queues=[],
        memory=MemoryHealth("noeviction", 0),
    )
    # When rendered
    text = render(snapshot).decode()
    # Then only the metric is in it
    assert "labels" not in text
    assert 'actionpool_runs_created_total{action="debug:log",owner="o",template="t"} 1.0' in text


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
