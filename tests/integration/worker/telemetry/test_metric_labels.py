"""The bounds the run scripts put on metric labels (worker/store/lua/_metrics.lua), on the
real Redis: value length, distinct templates and owners, allowlists."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from actionpool.worker.client import PoolClient
from actionpool.worker.store.records import RunContext
from actionpool.worker.store.store import RunStore
from actionpool.worker.telemetry.metrics import (
    LABEL_VALUE_MAX_BYTES,
    LABEL_VALUES_MAX,
    OTHER_LABEL,
    allowlist_fields,
    clipped_label,
    render_pool_metrics,
)
from tests.integration.conftest import MakeRun

pytestmark = pytest.mark.anyio

Created = dict[tuple[str, str], float]


async def runs_created(client: PoolClient) -> Created:
    """runs_created by (template, owner), from the rendered exposition."""
    text = await render_pool_metrics(client.store, ["default"])
    (family,) = (
        f for f in text_string_to_metric_families(text.decode()) if f.name.endswith("runs_created")
    )
    return {(s.labels["template"], s.labels["owner"]): s.value for s in family.samples}


def run_of(make_run: MakeRun, template: str | None, owner: str | None) -> str:
    return make_run(
        "debug:log", {"message": "hi"}, context=RunContext(template_ref=template, owner=owner)
    )


async def test_long_label_values_are_cut_to_the_bound(
    client: PoolClient, make_run: MakeRun
) -> None:
    # Given a run whose 500-character template has two-byte characters and a tab, and whose
    # owner is 500 characters of ASCII
    template = "template:default/a\t" + "é" * 481  # 19 bytes, then two per character
    owner = "group:default/" + "o" * 486
    run_of(make_run, template, owner)
    # When the pool is scraped
    found = await runs_created(client)
    # Then the run is counted under both values cut to the bound, as the renderer's mirror cuts
    assert found == {(clipped_label(template), owner[:LABEL_VALUE_MAX_BYTES]): 1}
    assert clipped_label(template).startswith("template:default/a é")
    assert len(clipped_label(template).encode()) == LABEL_VALUE_MAX_BYTES - 1


async def test_owners_past_the_bound_count_as_other_and_known_ones_keep_their_label(
    client: PoolClient, make_run: MakeRun
) -> None:
    # Given as many distinct owners (and templates) as may label the metrics, each with a run
    bound = LABEL_VALUES_MAX["owner"]
    assert LABEL_VALUES_MAX["template"] == bound
    for n in range(bound):
        run_of(make_run, f"template:default/t{n}", f"group:default/o{n}")
    # When a run of a new owner and template, and one more of the first owner, are created
    run_of(make_run, "template:default/new", "group:default/new")
    run_of(make_run, "template:default/t0", "group:default/o0")
    found = await runs_created(client)
    # Then the newcomer is counted as _other, and the known owner under its own name
    assert found[(OTHER_LABEL, OTHER_LABEL)] == 1
    assert found[("template:default/t0", "group:default/o0")] == 2
    assert len(found) == bound + 1


async def test_runs_without_template_or_owner_take_no_room(
    client: PoolClient, make_run: MakeRun, store: RunStore
) -> None:
    # Given runs without a template or owner
    run_of(make_run, None, None)
    run_of(make_run, None, None)
    # When the pool is scraped
    found = await runs_created(client)
    # Then they are counted under empty labels, and no value was admitted for them
    assert found == {("", ""): 2}
    assert store.redis.hget(store.keys.metrics, "labels\towner") is None


async def test_an_allowlist_of_owners_is_the_only_owners_that_label(
    client: PoolClient, make_run: MakeRun, store: RunStore
) -> None:
    # Given a metrics hash where only one owner may label the metrics
    store.redis.hset(store.keys.metrics, mapping=allowlist_fields("owner", ["group:default/a"]))
    # When runs of that owner and of another are created
    run_of(make_run, "template:default/t", "group:default/a")
    run_of(make_run, "template:default/t", "group:default/b")
    found = await runs_created(client)
    # Then the other owner is counted as _other
    assert found == {
        ("template:default/t", "group:default/a"): 1,
        ("template:default/t", OTHER_LABEL): 1,
    }


async def test_labels_counted_outside_the_run_scripts_are_cut_too(
    client: PoolClient, store: RunStore
) -> None:
    # Given an authorization decision counted with an overlong reason
    store.count("authz_decisions", ["deny", "r" * 500, "runs:create"])
    # When the pool is scraped
    text = (await render_pool_metrics(client.store, ["default"])).decode()
    # Then its reason is cut to the bound
    family = next(
        f for f in text_string_to_metric_families(text) if f.name.endswith("authz_decisions")
    )
    assert [s.labels["reason"] for s in family.samples] == ["r" * LABEL_VALUE_MAX_BYTES]
