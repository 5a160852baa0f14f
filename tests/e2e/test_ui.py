"""The web page at `/ui` in a real headless Chromium (tests/e2e/browser.py), against a real API
and worker: signing in with a team's static token or a Backstage token, the runs table and its
filters, a run's live log, cancel and retry, text that looks like HTML, workers and queues,
flow figures. Screenshots of each page are kept in `.artifacts/ui/`."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, Route, expect

from tests.e2e.browser import Screenshots, browser_page, chromium
from tests.e2e.pools import FaultPool, install_plugin, own_pool
from tests.identity import (
    ADMIN_TOKEN,
    ALL_SCOPES,
    INFRA,
    PAYMENTS,
    BackstageKeys,
    backstage_keys,
    bearer,
    static_token,
    tokens_json,
)

PAYMENTS_TOKEN = "apt_test-ui-payments-token"
PAYMENTS_HEADERS = bearer(PAYMENTS_TOKEN)
BOB = "user:default/bob"  # a Backstage user of infra
TRACE_URL = "http://jaeger.test:16686/trace/{traceId}"
UI_LIMITS = {
    # long enough to watch its log and cancel it; one attempt
    "debug:sleep": {"soft_timeout_s": 300, "timeout_s": 310, "max_attempts": 1},
    # fails once for good, so that a retry (its attempt 2) succeeds
    "debug:fail": {"soft_timeout_s": 1.5, "timeout_s": 4, "max_attempts": 1},
}
MARKUP = '<img src=x onerror="window.xss=1">'
"""Text that a page inserting data as HTML would run (CSP aside): it must show as text."""
MARKUP_PLUGIN = """
from __future__ import annotations

from actionpool.actions import ActionContext, ActionModel, action
from actionpool.actions.errors import NonRetryableActionError


class Says(ActionModel):
    message: str


@action("uitest:fail", description="Logs `message`, then fails with it as its error message.")
def fail(input: Says, ctx: ActionContext) -> Says:
    ctx.logger.info(input.message)
    raise NonRetryableActionError(input.message)
"""


def markup_plugin(folder: Path) -> Path:
    """A PYTHONPATH entry installing `uitest:fail` as a plugin (tests/e2e/pools.py)."""
    source = folder / "uitestactions.py"
    source.write_text(MARKUP_PLUGIN)
    return install_plugin(folder / "site", source, {"uitest": "uitestactions:fail"})


@pytest.fixture(scope="module")
def keys() -> Iterator[BackstageKeys]:
    with backstage_keys() as served:
        yield served


@pytest.fixture(scope="module")
def pool(
    redis_url: str, keys: BackstageKeys, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FaultPool]:
    payments = static_token(PAYMENTS_TOKEN, "payments-ui", ALL_SCOPES, [PAYMENTS])
    folder = tmp_path_factory.mktemp("ui")
    with own_pool(
        redis_url,
        folder,
        PYTHONPATH=str(markup_plugin(folder)),
        ACTIONPOOL_STATIC_TOKENS=tokens_json(payments),
        ACTIONPOOL_ACTION_OVERRIDES=json.dumps(UI_LIMITS),
        ACTIONPOOL_TRACE_URL_TEMPLATE=TRACE_URL,
        ACTIONPOOL_BACKSTAGE_URL=keys.url,
        ACTIONPOOL_USER_OWNERS=json.dumps({BOB: [INFRA]}),
    ) as started:
        yield started


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Screenshots:
    return Screenshots(request.node.name)


@pytest.fixture
def page(browser: Browser, shots: Screenshots, request: pytest.FixtureRequest) -> Iterator[Page]:
    failed = request.session.testsfailed  # counted when the test's report is, before teardown
    with browser_page(browser) as opened:
        yield opened
        if request.session.testsfailed > failed:
            shots.take_failure(opened)


def start(
    pool: FaultPool,
    action_id: str,
    input: dict[str, Any],
    template: str,
    wait_s: float = 0,
    **body: Any,
) -> dict[str, Any]:
    """A payments run of `template` (waited for up to `wait_s`, whatever its end); `body`
    adds to the request's body (`secrets`)."""
    response = pool.http.post(
        f"/v1/actions/{action_id}/runs",
        params={"wait": wait_s, "failOnError": "false"},
        json={"input": input, "context": {"templateRef": template}, **body},
        headers=PAYMENTS_HEADERS,
    )
    assert response.status_code in (200, 202), response.text
    run: dict[str, Any] = response.json()
    return run


def sign_in(
    page: Page, pool: FaultPool, token: str = PAYMENTS_TOKEN, *, valid: bool = True
) -> None:
    """Open the page and sign in (and, for a `valid` token, wait for the pages' links)."""
    page.goto(f"{pool.url}/ui")
    page.get_by_label("Bearer token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    if valid:
        expect(page.get_by_role("navigation", name="Pages")).to_be_visible()


def runs_table(page: Page) -> Locator:
    return page.get_by_role("table", name="Runs")


def expect_rows(page: Page, *run_ids: str) -> None:
    """The runs table shows exactly these runs (waiting for it to)."""
    rows = runs_table(page).locator("tbody tr[data-run-id]")
    expect(rows).to_have_count(len(run_ids))
    for run_id in run_ids:
        expect(run_row(page, run_id)).to_be_visible()


def run_row(page: Page, run_id: str) -> Locator:
    return runs_table(page).locator(f'tr[data-run-id="{run_id}"]')


def summary_status(page: Page) -> Locator:
    return page.locator(".summary").get_by_test_id("status")


def test_the_page_is_served_without_a_credential_and_nothing_else_is(pool: FaultPool) -> None:
    # Given no credential at all
    http = httpx.Client(base_url=pool.url)
    # When the page is asked for, then it redirects to its folder, relatively
    root = http.get("/ui")
    assert (root.status_code, root.headers["location"]) == (307, "ui/")
    # And the page and its files are served, under a strict Content-Security-Policy
    for path, media_type in [("/ui/", "text/html"), ("/ui/app.js", "text/javascript")]:
        answer = http.get(path)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith(media_type)
        assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert http.get("/ui/config.json").json() == {"traceUrlTemplate": TRACE_URL}
    # But no other file, whatever the path says, and no data without a credential
    for path in ["/ui/ui.py", "/ui/..%2Froutes%2Fui.py", "/ui/%2e%2e/app.py", "/ui/x/../app.py"]:
        assert http.get(path).status_code == 404, path
    assert http.get("/v1/actions").status_code == 401
    http.close()


def test_a_team_signs_in_sees_only_its_runs_and_filters_them(
    pool: FaultPool, page: Page, shots: Screenshots
) -> None:
    # Given two payments runs of one template, one completed and one failed, and a run of
    # the same template for another team (infra)
    template = f"template:default/ui-{uuid.uuid4().hex[:6]}"
    logged = start(pool, "debug:log", {"message": "hello"}, template, wait_s=20)
    failed = start(pool, "debug:fail", {"mode": "nonRetryable"}, template, wait_s=20)
    assert (logged["status"], failed["status"]) == ("completed", "failed")
    infra = pool.http.post(
        "/v1/actions/debug:log/runs?wait=20",
        json={"input": {"message": "infra"}, "context": {"owner": INFRA, "templateRef": template}},
    ).json()
    # When someone signs in with a token that is not valid
    sign_in(page, pool, token="apt_not-a-token", valid=False)
    # Then the sign-in form says why
    expect(page.get_by_role("alert")).to_contain_text("AuthenticationError")
    shots.take(page, "sign-in refused")
    # When payments signs in
    sign_in(page, pool)
    # Then its token is kept in the tab's sessionStorage only: no localStorage, no cookie
    assert page.evaluate("Object.values(sessionStorage)") == [PAYMENTS_TOKEN]
    assert page.evaluate("localStorage.length") == 0
    assert page.context.cookies() == []
    # When it filters by the template
    page.get_by_label("Template", exact=True).fill(template)
    page.get_by_label("Template", exact=True).press("Enter")
    # Then both its runs show, with their status, and infra's run does not
    expect_rows(page, logged["id"], failed["id"])
    expect(run_row(page, failed["id"]).get_by_test_id("status")).to_have_text("failed")
    assert run_row(page, infra["id"]).count() == 0
    shots.take(page, "runs of the template")
    # When it keeps the runs created in the last hour only, then both still show
    page.get_by_label("Since").select_option("1h")
    expect(page).to_have_url(re.compile(r"since=1h"))
    expect_rows(page, logged["id"], failed["id"])
    # When it filters by status too
    page.get_by_role("checkbox", name="failed").check()
    # Then only the failed run shows, and the filter is in the page's address
    expect_rows(page, failed["id"])
    expect(page).to_have_url(re.compile(r"status=failed"))
    shots.take(page, "failed runs")
    # When it filters by action instead
    page.get_by_role("checkbox", name="failed").uncheck()
    page.get_by_label("Action", exact=True).select_option("debug:log")
    # Then only the completed run of that action shows
    expect_rows(page, logged["id"])
    # And signing out returns to the sign-in form, and forgets the token
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("Bearer token")).to_be_visible()
    assert page.evaluate("sessionStorage.length") == 0


def test_a_running_run_shows_its_log_live_and_is_cancelled(
    pool: FaultPool, page: Page, shots: Screenshots
) -> None:
    # Given a payments run that sleeps two minutes, logging each second, in a caller's trace
    trace_id = uuid.uuid4().hex
    response = pool.http.post(
        "/v1/actions/debug:sleep/runs",
        json={
            "input": {"seconds": 120},
            "context": {"templateRef": "template:default/ui-sleep"},
        },
        headers={**PAYMENTS_HEADERS, "traceparent": f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"},
    )
    run = response.json()
    # When payments opens the runs table, then the run's page
    sign_in(page, pool)
    row = run_row(page, run["id"])
    expect(row.get_by_test_id("status")).to_have_text("processing")
    shots.take(page, "runs")
    row.get_by_role("link").click()
    # Then it shows the run processing, its trace linked through the configured URL
    expect(summary_status(page)).to_have_text("processing")
    traceparent = pool.http.get(f"/v1/runs/{run['id']}").json()["traceparent"]
    shown_trace = traceparent.split("-")[1]
    link = page.locator(".summary").get_by_role("link", name=shown_trace)
    expect(link).to_have_attribute("href", TRACE_URL.replace("{traceId}", shown_trace))
    # And log lines written after the page follows the run arrive in its log, live
    log = page.get_by_role("log", name="Log")
    expect(log).to_contain_text("slept 1 of 120 s")
    written = pool.http.get(f"/v1/runs/{run['id']}/events").json()
    slept = sum(event["body"]["message"].startswith("slept ") for event in written)
    expect(log).to_contain_text(f"slept {slept + 1} of 120 s")
    shots.take(page, "run processing, live log")
    # When it is cancelled from the page
    page.get_by_role("button", name="Cancel").click()
    # Then the run turns cancelled, the log says so, and it may be retried
    expect(summary_status(page)).to_have_text("cancelled")
    expect(log).to_contain_text("[cancelled]")
    expect(page.get_by_role("button", name="Retry")).to_be_enabled()
    expect(page.get_by_role("button", name="Cancel")).to_be_disabled()
    shots.take(page, "run cancelled")


def test_a_failed_run_is_retried_and_completes(
    pool: FaultPool, page: Page, shots: Screenshots
) -> None:
    # Given a payments run that failed its only attempt (its next attempt succeeds)
    run = start(pool, "debug:fail", {"failAttempts": 1}, "template:default/ui-retry", wait_s=20)
    assert run["status"] == "failed"
    # When payments opens it
    sign_in(page, pool)
    page.goto(f"{pool.url}/ui/#/runs/{run['id']}")
    # Then it shows the failure and its error, and can be retried but not cancelled
    expect(summary_status(page)).to_have_text("failed")
    expect(page.get_by_test_id("run-error")).to_contain_text("RetryableActionError")
    expect(page.get_by_role("button", name="Cancel")).to_be_disabled()
    shots.take(page, "run failed")
    # When it is retried
    with page.expect_request(re.compile(r"/retry$")) as retry:
        page.get_by_role("button", name="Retry").click()
    # Then the request carried a fresh idempotency key of its own
    assert re.fullmatch(r"ui-[0-9a-f]{32}", retry.value.headers["idempotency-key"])
    # And the run completes with a second attempt, whose log lines arrive too
    expect(summary_status(page)).to_have_text("completed")
    expect(page.get_by_test_id("run-output")).to_contain_text('"attempt": 2')
    expect(page.get_by_role("list", name="Attempts").get_by_role("listitem")).to_have_count(2)
    expect(page.get_by_role("log", name="Log")).to_contain_text("succeeding on attempt 2")
    shots.take(page, "run retried and completed")


def test_workers_queues_and_flow_figures(pool: FaultPool, page: Page, shots: Screenshots) -> None:
    # Given a completed and a failed payments run of one template
    template = f"template:default/ui-flow-{uuid.uuid4().hex[:6]}"
    start(pool, "debug:log", {"message": "flow"}, template, wait_s=20)
    start(pool, "debug:fail", {"mode": "nonRetryable"}, template, wait_s=20)
    # When payments opens the workers and queues page
    sign_in(page, pool)
    page.get_by_role("link", name="Workers & queues").click()
    # Then the pool's worker is up, and the default queue is listed
    worker = (
        page.get_by_role("table", name="Workers")
        .get_by_role("row")
        .filter(has_text=pool.names["worker0"])
    )
    expect(worker.locator(".status")).to_have_text("up")
    queues = page.get_by_role("table", name="Queues")
    expect(queues.get_by_role("row").filter(has_text="default")).to_have_count(1)
    shots.take(page, "workers and queues")
    # When it opens the flow figures
    page.get_by_role("link", name="Flow").click()
    # Then the template's row counts its two runs, one completed and one failed
    figures = page.get_by_role("table", name="Flow figures")
    group = figures.get_by_role("row").filter(has=page.get_by_role("rowheader", name=template))
    expect(group.get_by_role("cell").nth(0)).to_have_text("2")
    expect(group.get_by_role("cell").nth(5)).to_contain_text("50.0 %")
    shots.take(page, "flow per template")


def test_a_run_started_with_secrets_says_why_it_is_not_retried(
    pool: FaultPool, page: Page, shots: Screenshots
) -> None:
    # Given a failed payments run that was started with secrets (dropped when it ended)
    run = start(
        pool,
        "debug:fail",
        {"mode": "nonRetryable"},
        "template:default/ui-secrets",
        wait_s=20,
        secrets={"token": "ui-secret-value"},
    )
    assert run["status"] == "failed"
    # When payments retries it from its page, without the secrets
    sign_in(page, pool)
    page.goto(f"{pool.url}/ui/#/runs/{run['id']}")
    expect(summary_status(page)).to_have_text("failed")
    page.get_by_role("button", name="Retry").click()
    # Then the page shows the API's reason, and the run stays failed, still retryable
    alert = page.locator("main").get_by_role("alert")
    expect(alert).to_contain_text("InputValidationError")
    expect(alert).to_contain_text("send them again in the body's `secrets`")
    expect(summary_status(page)).to_have_text("failed")
    expect(page.get_by_role("button", name="Retry")).to_be_enabled()
    shots.take(page, "retry refused")


def test_text_that_looks_like_html_shows_as_text(
    pool: FaultPool, page: Page, shots: Screenshots
) -> None:
    # Given a run whose owner, template, log line and error message are all markup
    response = pool.http.post(
        "/v1/actions/uitest:fail/runs",
        params={"wait": 20, "failOnError": "false"},
        json={"input": {"message": MARKUP}, "context": {"owner": MARKUP, "templateRef": MARKUP}},
    )
    run = response.json()
    assert (run["status"], run["error"]["message"]) == ("failed", MARKUP), response.text
    # When an admin signs in and filters the runs by that owner
    sign_in(page, pool, ADMIN_TOKEN)
    page.get_by_label("Owner").fill(MARKUP)
    page.get_by_label("Owner").press("Enter")
    # Then the run's row shows the owner and template as text
    expect_rows(page, run["id"])
    cells = run_row(page, run["id"]).get_by_role("cell")
    expect(cells.nth(4)).to_have_text(MARKUP)
    expect(cells.nth(5)).to_have_text(MARKUP)
    # And so does the filter, kept in the address, after a reload
    page.reload()
    expect(page.get_by_label("Owner")).to_have_value(MARKUP)
    expect_rows(page, run["id"])
    shots.take(page, "runs with markup")
    # When the run is opened
    run_row(page, run["id"]).get_by_role("link").click()
    # Then its summary, log line, attempt's error and error show the markup as text
    expect(page.locator(".summary")).to_contain_text(MARKUP)
    expect(page.get_by_role("log", name="Log")).to_contain_text(MARKUP)
    expect(page.get_by_role("list", name="Attempts")).to_contain_text(MARKUP)
    expect(page.get_by_test_id("run-error")).to_have_text(f"NonRetryableActionError: {MARKUP}")
    shots.take(page, "run with markup")
    # And no element came of it, and nothing ran
    expect(page.locator("img")).to_have_count(0)
    assert page.evaluate("window.xss") is None


def test_a_backstage_token_signs_in_and_sees_its_users_team_only(
    pool: FaultPool, keys: BackstageKeys, page: Page, shots: Screenshots
) -> None:
    # Given a run of infra (bob's team) and one of payments, of one template
    template = f"template:default/ui-jwt-{uuid.uuid4().hex[:6]}"
    paid = start(pool, "debug:log", {"message": "payments"}, template, wait_s=20)
    infra = pool.http.post(
        "/v1/actions/debug:log/runs?wait=20",
        json={"input": {"message": "infra"}, "context": {"owner": INFRA, "templateRef": template}},
    ).json()
    # When someone signs in with Backstage's plugin token on behalf of bob (a JWT)
    sign_in(page, pool, keys.plugin_token(user=BOB))
    page.get_by_label("Template", exact=True).fill(template)
    page.get_by_label("Template", exact=True).press("Enter")
    # Then infra's run shows, and payments' does not
    expect_rows(page, infra["id"])
    assert run_row(page, paid["id"]).count() == 0
    # And opening payments' run by its address shows the API's answer: no such run
    page.goto(f"{pool.url}/ui/#/runs/{paid['id']}")
    expect(page.locator("main").get_by_role("alert")).to_contain_text("RunNotFoundError")
    shots.take(page, "another team's run")


def test_a_dropped_event_stream_resumes_after_the_last_event_seen(
    pool: FaultPool, page: Page, shots: Screenshots
) -> None:
    # Given a completed run with three events (its start, its log line, its completion)
    run = start(pool, "debug:log", {"message": "resumed"}, "template:default/ui-resume", 20)
    events = pool.http.get(f"/v1/runs/{run['id']}/events").json()
    assert [event["type"] for event in events] == ["log", "log", "completion"]
    # And a first event stream that drops after the first event
    first = events[0]
    frame = f"id: {first['id']}\nevent: log\ndata: {json.dumps(first)}\n\n"
    streams: list[dict[str, str]] = []

    def events_route(route: Route) -> None:
        streams.append(route.request.headers)
        if len(streams) == 1:
            route.fulfill(status=200, content_type="text/event-stream", body=frame)
        else:
            route.continue_()

    page.route(re.compile(r"/v1/runs/[^/]+/events$"), events_route)
    # When payments opens the run
    sign_in(page, pool)
    page.goto(f"{pool.url}/ui/#/runs/{run['id']}")
    # Then its log shows each event once: the first stream's, then the rest, asked for after it
    log = page.get_by_role("log", name="Log")
    expect(log.get_by_role("listitem")).to_have_count(3)
    expect(log).to_contain_text("resumed")
    expect(log).to_contain_text("[completion]")
    assert [stream.get("last-event-id") for stream in streams] == [None, str(first["id"])]
    assert all(stream["accept"] == "text/event-stream" for stream in streams)
    shots.take(page, "log resumed")
