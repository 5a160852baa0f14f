"""The label-cardinality attack against a real API and worker: 2,000 runs with random
500-character `owner` and `templateRef` leave `/metrics` and `/v1/stats` within the sizes
docs/observability.md#label-bounds documents, and a normal owner's counts intact."""

from __future__ import annotations

import random
import string
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from actionpool.worker.telemetry.metrics import LABEL_VALUE_MAX_BYTES, LABEL_VALUES_MAX
from actionpool.worker.telemetry.stats import GROUPS_MAX, OTHER_GROUP
from tests.e2e.conftest import report
from tests.e2e.pools import FaultPool, own_pool

HOSTILE_RUNS = 2_000
HOSTILE_CHARS = 500  # under RunContext's 512
METRICS_MAX_BYTES = 1024 * 1024
"""docs/observability.md: `/metrics` after the attack stays under 1 MiB."""
STATS_MAX_BYTES = 64 * 1024
"""docs/observability.md: `/v1/stats?groupBy=owner` after the attack stays under 64 KiB."""
TEMPLATE, OWNER = "template:default/golden", "group:default/platform"
ALPHABET = string.ascii_letters + string.digits + "é/:-\t"


def post_run(pool: FaultPool, template: str, owner: str) -> None:
    context = {"templateRef": template, "owner": owner}
    response = pool.start_run("debug:log", {"message": "x"}, context=context)
    assert response.status_code == 202, response.text


def attack(pool: FaultPool, runs: int) -> None:
    """`runs` runs with random 500-character templates and owners, 8 requests at a time."""
    rng = random.Random(9)
    values = [
        ("".join(rng.choices(ALPHABET, k=HOSTILE_CHARS)) for _ in range(2)) for _ in range(runs)
    ]
    with ThreadPoolExecutor(max_workers=8) as requests:
        list(requests.map(lambda pair: post_run(pool, *pair), values))


def runs_created(text: str) -> dict[tuple[str, str], float]:
    (family,) = (
        f for f in text_string_to_metric_families(text) if f.name == "actionpool_runs_created"
    )
    return {(s.labels["template"], s.labels["owner"]): s.value for s in family.samples}


def test_random_templates_and_owners_leave_metrics_and_stats_bounded(
    redis_url: str, tmp_path: Path
) -> None:
    with own_pool(redis_url, tmp_path) as pool:
        # Given a normal owner's runs of a normal template
        for _ in range(3):
            post_run(pool, TEMPLATE, OWNER)
        # When 2,000 runs with random 500-character templates and owners are created, then
        # two more of the normal owner
        attack(pool, HOSTILE_RUNS)
        for _ in range(2):
            post_run(pool, TEMPLATE, OWNER)
        metrics = pool.http.get("/metrics")
        stats = pool.http.get("/v1/stats", params={"groupBy": "owner"})
    report(
        f"after {HOSTILE_RUNS:,} runs of random 500-character templates and owners: "
        f"/metrics {len(metrics.content):,} bytes, /v1/stats?groupBy=owner "
        f"{len(stats.content):,} bytes"
    )
    # Then /metrics stays under its documented size, every label value within the bound
    assert metrics.status_code == 200
    assert len(metrics.content) < METRICS_MAX_BYTES
    created = runs_created(metrics.text)
    assert all(len(v.encode()) <= LABEL_VALUE_MAX_BYTES for labels in created for v in labels)
    # And the normal owner's runs are all counted under its own labels
    assert created[(TEMPLATE, OWNER)] == 5
    # And the hostile runs past the bound on distinct values are counted as _other
    admitted = LABEL_VALUES_MAX["owner"] - 1  # the normal owner took one place
    assert created[("_other", "_other")] == HOSTILE_RUNS - admitted
    assert sum(created.values()) == HOSTILE_RUNS + 5
    # And /v1/stats stays under its documented size, the rest of the owners in one group
    assert stats.status_code == 200
    assert len(stats.content) < STATS_MAX_BYTES
    groups = {g["key"]: g["runs"] for g in stats.json()["groups"]}
    assert len(groups) == GROUPS_MAX + 1
    assert groups[OWNER] == 5
    assert groups[OTHER_GROUP] == HOSTILE_RUNS - (GROUPS_MAX - 1)
