"""The checks of `actionpool smoke`, each a method answering an `Outcome`; `Smoke.run` runs
them in order. Only the pool's HTTP API is used (and a trace backend's and Backstage's, when
named), with the operator's own credential."""

from __future__ import annotations

import dataclasses
import secrets
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from actionpool.smoke.outcome import Outcome, failed, passed, skipped
from actionpool.smoke.probes import NoProbe, Probe, plan

POLL_S = 0.5


@dataclasses.dataclass(frozen=True)
class SmokeOptions:
    probes: dict[str, str] = dataclasses.field(default_factory=dict)
    run_timeout_s: float = 120.0
    trace_query_url: str | None = None
    trace_timeout_s: float = 60.0
    backstage_url: str | None = None
    backstage_token: str | None = None


def new_traceparent() -> tuple[str, str]:
    """A fresh W3C traceparent (sampled) and its trace id."""
    trace_id = secrets.token_hex(16)
    return f"00-{trace_id}-{secrets.token_hex(8)}-01", trace_id


def metric_total(text: str, name: str) -> float:
    """The sum of a counter's samples over every label set, in a Prometheus exposition."""
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith((f"{name}{{", f"{name} "))
    )


class Smoke:
    def __init__(self, pool: httpx.Client, options: SmokeOptions) -> None:
        self.pool = pool
        self.options = options
        self.traces: dict[str, str] = {}
        """Probed queue -> the trace id its run was started in."""

    def run(self) -> list[Outcome]:
        ready = self.check_ready()
        if ready.verdict == "fail":
            return [ready]
        listing = self.pool.get("/v1/actions")
        if listing.status_code != 200:
            return [ready, failed("actions", f"/v1/actions answered {error_text(listing)}")]
        actions: list[dict[str, Any]] = listing.json()
        before = self.created_total()
        probes = plan(actions, self.options.probes)
        outcomes = [ready, *(self.check_queue(p) for p in probes)]
        usable = [p for p in probes if isinstance(p, Probe)]
        replay = self.check_replay(usable[0]) if usable else skipped("idempotency", "no probe")
        outcomes += [replay, self.check_cancel(actions), self.check_metrics(before, len(usable))]
        outcomes += [self.check_traces(), self.check_backstage(actions)]
        return outcomes

    def timed(self, check: str, body: Callable[[], tuple[bool, str]]) -> Outcome:
        started = time.monotonic()
        try:
            ok, detail = body()
        except httpx.HTTPError as exc:
            ok, detail = False, f"{type(exc).__name__}: {exc}"
        seconds = time.monotonic() - started
        return passed(check, detail, seconds) if ok else failed(check, detail, seconds)

    def check_ready(self) -> Outcome:
        def body() -> tuple[bool, str]:
            response = self.pool.get("/readyz")
            return response.status_code == 200, f"/readyz answered {response.status_code}"

        return self.timed("api ready", body)

    def start(self, probe: Probe, **headers: str) -> httpx.Response:
        return self.pool.post(
            f"/v1/actions/{probe.action_id}/runs", json=probe.body, headers=headers
        )

    def wait_end(self, run_id: str) -> dict[str, Any]:
        """The run once it has ended, or as it is when the run timeout has passed."""
        deadline = time.monotonic() + self.options.run_timeout_s
        while True:
            wait_s = max(0.1, min(30.0, deadline - time.monotonic()))
            params: dict[str, Any] = {"wait": f"{wait_s:.1f}", "failOnError": "false"}
            run: dict[str, Any] = self.pool.get(f"/v1/runs/{run_id}", params=params).json()
            if run["status"] in ("completed", "failed", "cancelled"):
                return run
            if time.monotonic() >= deadline:
                return run

    def check_queue(self, probe: Probe | NoProbe) -> Outcome:
        check = f"queue {probe.queue}"
        if isinstance(probe, NoProbe):
            return failed(check, probe.reason)

        def body() -> tuple[bool, str]:
            traceparent, trace_id = new_traceparent()
            response = self.start(probe, traceparent=traceparent)
            if response.status_code not in (200, 202):
                return False, f"{probe.action_id}: {error_text(response)}"
            run = self.wait_end(response.json()["id"])
            self.traces[probe.queue] = trace_id
            kind = "dry run" if probe.body.get("dryRun") else "run"
            return run["status"] == "completed", (
                f"{kind} of {probe.action_id} {run['id']}: {run['status']}"
                + (f" ({run['error']['message']})" if run.get("error") else "")
            )

        return self.timed(check, body)

    def check_replay(self, probe: Probe) -> Outcome:
        def body() -> tuple[bool, str]:
            key = {"Idempotency-Key": f"smoke-{uuid.uuid4()}"}
            first, again = self.start(probe, **key), self.start(probe, **key)
            if first.status_code not in (200, 202):
                return False, error_text(first)
            same = again.status_code == 200 and again.json().get("id") == first.json()["id"]
            replayed = again.headers.get("Idempotent-Replayed") == "true"
            return same and replayed, (
                f"the same key answered run {first.json()['id']} again"
                if same and replayed
                else f"the same key answered {again.status_code}: {again.text[:200]}"
            )

        return self.timed("idempotent replay", body)

    def check_cancel(self, actions: list[dict[str, Any]]) -> Outcome:
        if not any(a["id"] == "debug:sleep" for a in actions):
            return skipped("cancel", "the pool serves no debug:sleep to cancel")

        def body() -> tuple[bool, str]:
            started = self.pool.post(
                "/v1/actions/debug:sleep/runs", json={"input": {"seconds": 60}}
            )
            if started.status_code not in (200, 202):
                return False, error_text(started)
            run_id = started.json()["id"]
            cancelled = self.pool.post(f"/v1/runs/{run_id}/cancel")
            if cancelled.status_code not in (200, 202):
                return False, error_text(cancelled)
            run = self.wait_end(run_id)
            return run["status"] == "cancelled", f"debug:sleep {run_id}: {run['status']}"

        return self.timed("cancel", body)

    def created_total(self) -> float | str:
        """`actionpool_runs_created_total` summed, or why it cannot be read."""
        response = self.pool.get("/metrics")
        if response.status_code != 200:
            return f"/metrics answered {error_text(response)}"
        return metric_total(response.text, "actionpool_runs_created_total")

    def check_metrics(self, before: float | str, probes: int) -> Outcome:
        after = self.created_total()
        if isinstance(before, str) or isinstance(after, str):
            return failed("metrics", str(before if isinstance(before, str) else after))
        moved = after - before
        detail = f"actionpool_runs_created_total moved by {moved:g} (from {before:g})"
        return (passed if moved >= probes else failed)("metrics", detail)

    def check_traces(self) -> Outcome:
        url = self.options.trace_query_url
        if url is None:
            return skipped("traces", "no trace backend given (--trace-query-url)")
        if not self.traces:
            return failed("traces", "no run was probed")

        def body() -> tuple[bool, str]:
            missing = [q for q, t in self.traces.items() if not self.trace_arrived(url, t)]
            if missing:
                return False, f"no trace at {url} for the run of queue(s) {', '.join(missing)}"
            return True, f"{len(self.traces)} trace(s) found at {url}"

        return self.timed("traces", body)

    def trace_arrived(self, url: str, trace_id: str) -> bool:
        deadline = time.monotonic() + self.options.trace_timeout_s
        with httpx.Client(timeout=10) as backend:
            while time.monotonic() < deadline:
                if backend.get(f"{url.rstrip('/')}/api/traces/{trace_id}").status_code == 200:
                    return True
                time.sleep(POLL_S)
        return False

    def check_backstage(self, actions: list[dict[str, Any]]) -> Outcome:
        url = self.options.backstage_url
        if url is None:
            return skipped("backstage actions", "no Backstage URL given (--backstage-url)")

        def body() -> tuple[bool, str]:
            token = self.options.backstage_token
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            with httpx.Client(timeout=30, headers=headers) as backstage:
                response = backstage.get(f"{url.rstrip('/')}/api/scaffolder/v2/actions")
            if response.status_code != 200:
                return False, f"Backstage's action listing answered {response.status_code}"
            listed = {entry.get("id") for entry in response.json()}
            ours = {a["id"] for a in actions} | {f"actionpool:{a['id']}" for a in actions}
            found = sorted(listed & ours)
            return bool(found), (
                f"Backstage lists {len(found)} of the pool's actions"
                if found
                else "Backstage's action listing names none of the pool's actions"
            )

        return self.timed("backstage actions", body)


def error_text(response: httpx.Response) -> str:
    try:
        error = response.json()["error"]
        return f"{response.status_code} {error['name']}: {error['message']}"
    except (ValueError, KeyError, TypeError):
        return f"{response.status_code} {response.text[:200]}"
