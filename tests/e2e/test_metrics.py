"""`GET /metrics` of the API process shows what the worker processes did."""

from __future__ import annotations

import uuid

from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import Pool


def test_one_api_scrape_shows_the_runs_the_workers_ran(pool: Pool) -> None:
    # Given a run of a template no other test uses, completed by the worker process
    template = f"template:default/metrics-{uuid.uuid4().hex[:6]}"
    created = pool.start_run("debug:log", {"message": "hi"}, context={"templateRef": template})
    assert pool.wait_run(created.json()["id"])["status"] == "completed"
    # When the API's /metrics is scraped
    response = pool.http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    families = {f.name: f for f in text_string_to_metric_families(response.text)}

    # Then the worker's counts are in it, under the run's labels
    def count(name: str) -> float:
        return sum(
            s.value
            for s in families[name].samples
            if s.labels.get("template") == template and s.name.endswith("_total")
        )

    assert count("actionpool_runs_created") == 1
    assert count("actionpool_runs_started") == 1
    assert count("actionpool_runs_completed") == 1
    waited = families["actionpool_queue_wait_seconds"].samples
    assert any(s.name.endswith("_count") and s.labels["action"] == "debug:log" for s in waited)
