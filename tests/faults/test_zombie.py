"""A worker child paused past its lease (SIGSTOP) and resumed (SIGCONT) is a zombie: its run
was taken over by attempt 2, and the zombie writes nothing more and stops."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from typing import Any

from tests.faults.conftest import FaultPool, report
from tests.faults.evidence import Evidence
from tests.waiting import wait_until

STEPS = 30


def run_of(pool: FaultPool, run_id: str) -> dict[str, Any]:
    body: dict[str, Any] = pool.http.get(f"/v1/runs/{run_id}").json()
    return body


def test_a_resumed_zombie_writes_nothing_into_the_run_and_stops(
    fault_pool: Callable[..., FaultPool], redis_url: str
) -> None:
    # Given a 15 s run at work in a worker child
    pool = fault_pool(workers=2)
    evidence = Evidence(redis_url, pool.prefix)
    input = {"redisUrl": redis_url, "prefix": pool.prefix, "steps": STEPS, "stepS": 0.5}
    run_id = pool.start_run("fault:count", input).json()["id"]
    wait_until(lambda: sum(evidence.executions(run_id, STEPS)) >= 3, what="three steps")
    [child] = evidence.spans(run_id)[0].pids
    # When the child is paused past its lease, and attempt 2 takes the run over
    os.kill(child, signal.SIGSTOP)
    try:
        wait_until(lambda: run_of(pool, run_id)["attempt"] == 2, what="attempt 2")
        wait_until(lambda: len(evidence.spans(run_id)) == 2, what="attempt 2 at work")
    finally:
        # ...and then the zombie resumes
        os.kill(child, signal.SIGCONT)
    ended = pool.wait_run(run_id, wait_s=50)
    # Then attempt 2 completed the run
    assert (ended["status"], ended["attempt"]) == ("completed", 2)
    assert ended["attempts"][0]["error"]["name"] == "WorkerLostError"
    # And none of the zombie's lines reached the run after attempt 2 started, nothing came
    # after the completion, and the two attempts were never at work at once
    events = pool.http.get(f"/v1/runs/{run_id}/events").json()
    messages = [e["body"].get("message", "") for e in events]
    takeover = next(i for i, m in enumerate(messages) if m.startswith("Attempt 2 started"))
    assert not [m for m in messages[takeover:] if m.startswith("attempt 1 ")], messages
    assert events[-1]["type"] == "completion"
    assert not evidence.overlapping(run_id)

    # And the zombie learnt it lost the run (from a refused write, or its next heartbeat,
    # whichever came first) and stopped; only the step in flight when it was paused, at
    # most, ran again
    def zombie_notes() -> str:
        return "".join(w.log() for w in pool.workers)

    wait_until(lambda: "attempt 1 lost its lease" in zombie_notes(), what="the zombie's stop")
    refused = "lost its lease: stopping" in zombie_notes()
    learnt = "from a refused write" if refused else "from its heartbeat"
    redone = evidence.redone(run_id, STEPS)
    assert redone <= 1
    report(
        f"worker child paused past its lease and resumed: run taken over by attempt 2, "
        f"0 zombie log lines after the takeover, 0 after the completion, {redone} step "
        f"effects run again, zombie stopped (it learnt {learnt})"
    )
