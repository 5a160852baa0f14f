"""Capture the trace of one run and print it as a tree (`make trace`; docs/observability.md).

Starts an OTLP/HTTP receiver, an API and a worker on the local Redis with the test plugin
actions, runs `fault:traced` failing its first attempt, and prints what the receiver got.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.conftest import TEST_REDIS_URL
from tests.e2e.otlp import ReceivedSpan, Receiver
from tests.e2e.pools import own_pool

SHOWN = ("actionpool.attempt", "cicd.pipeline.task.run.result")


def tree(spans: list[ReceivedSpan]) -> list[str]:
    """One line per span, children indented under their parent, in start order."""
    ids = {s.span_id for s in spans}
    children: dict[str, list[ReceivedSpan]] = {}
    for span in spans:
        children.setdefault(span.parent_id if span.parent_id in ids else "", []).append(span)
    lines: list[str] = []

    def walk(parent: str, depth: int) -> None:
        for span in children.get(parent, []):
            shown = ", ".join(f"{k}={span.attributes[k]}" for k in SHOWN if k in span.attributes)
            error = "  ERROR: " + span.status_message if span.status_code == 2 else ""
            lines.append(f"{'  ' * depth}{span.name} [{span.service}, {span.kind}] {shown}{error}")
            walk(span.span_id, depth + 1)

    walk("", 0)
    return lines


def capture(log_dir: Path) -> list[str]:
    receiver = Receiver().start()
    endpoint = {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "100"}
    try:
        with own_pool(TEST_REDIS_URL, log_dir, plugin=True, **endpoint) as pool:
            context = {
                "templateRef": "template:default/create-service",
                "owner": "group:default/web",
            }
            response = pool.http.post(
                "/v1/actions/fault:traced/runs",
                json={
                    "input": {"failAttempts": 1},
                    "context": context,
                    "secrets": {"token": "s3cr3t"},
                },
            )
            run_id = response.json()["id"]
            pool.wait_run(run_id)
            spans = receiver.wait_for(lambda got: any(s.name.endswith("attempt 2") for s in got))
    finally:
        receiver.stop()
    spans = [s for s in spans if s.trace_id == spans[0].trace_id]
    (last,) = [s for s in spans if s.name.endswith("attempt 2")]
    attributes = [f"    {name} = {value!r}" for name, value in sorted(last.attributes.items())]
    return [
        f"trace {spans[0].trace_id} of run {run_id}",
        *tree(spans),
        f"attributes of '{last.name}':",
        *attributes,
    ]


def main() -> None:
    with tempfile.TemporaryDirectory() as log_dir:
        sys.stdout.write("\n".join(capture(Path(log_dir))) + "\n")


if __name__ == "__main__":
    main()
