"""`http:request` run by `ActionHarness` against real HTTP servers on 127.0.0.1 (allowed by
the test's config): output, retries, idempotency keys, limits, redirects, dry runs."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from actionpool.actions.action import Attributes
from actionpool.actions.builtin.http import actions_of
from actionpool.actions.builtin.http.address import AddressRefusedError
from actionpool.actions.builtin.http.config import HttpConfig
from actionpool.actions.builtin.http.exchange import ResponseTooLargeError
from actionpool.actions.builtin.http.request import SENT_KEY, request_action
from actionpool.actions.errors import NonRetryableActionError, RetryableActionError
from actionpool.actions.testing import ActionHarness, SimulatedCrash
from tests.httpserver import Answer, ScriptedServer, closed_port, echo
from tests.unit.actions.helpers import make_context

CONFIG = HttpConfig(allowed_networks=("127.0.0.1/32",))
TOKEN = "tok-4f9a-secret-value"


def harness(config: HttpConfig = CONFIG, **options: Any) -> ActionHarness:
    (action,) = actions_of(config)
    return ActionHarness(action, **options)


def test_a_json_answer_is_the_output_code_headers_and_parsed_body() -> None:
    # Given a service answering JSON
    with ScriptedServer([Answer.json({"id": 7}, 201, **{"X-Trace": "abc"})]) as server:
        # When the step posts to it
        output = harness().run({"method": "POST", "url": server.url("/things"), "json": {"a": 1}})
        # Then its output is Roadie's: status, headers (lower-case names) and the parsed body
        assert output["code"] == 201 and output["body"] == {"id": 7}
        assert output["headers"]["x-trace"] == "abc"
        assert output["headers"]["content-type"] == "application/json"
        # And the service got the JSON body with its content type
        (seen,) = server.seen
        assert (seen.method, seen.path, seen.body) == ("POST", "/things", b'{"a":1}')
        assert seen.headers["content-type"] == "application/json"


def test_a_text_answer_is_the_body_message_and_params_join_the_query() -> None:
    with ScriptedServer([Answer.text("plain words")]) as server:
        output = harness().run(
            {"method": "GET", "url": server.url("/p?a=1"), "params": {"b": "two", "c": [1, 2]}}
        )
        assert output["body"] == {"message": "plain words"}
        assert server.seen[0].path == "/p?a=1&b=two&c=1&c=2"


def test_a_503_with_retry_after_is_waited_out_then_succeeds() -> None:
    # Given a service that is unavailable once, asking to wait a second
    script = [Answer(503, {"Retry-After": "1"}), Answer.json({"ok": True})]
    with ScriptedServer(script) as server:
        run = harness()
        # When a GET is sent
        output = run.run({"method": "GET", "url": server.url()})
        # Then it is tried again after the server's wait, within the same attempt
        assert output["code"] == 200 and len(server.seen) == 2 and run.attempts == 1
        assert any("trying again in 1.0 s" in line for line in run.messages("warning"))


def test_429_is_retried_for_an_idempotent_method() -> None:
    with ScriptedServer([Answer(429, {"Retry-After": "0"}), Answer.text("done")]) as server:
        output = harness().run({"method": "DELETE", "url": server.url("/x")})
        assert output["code"] == 200 and [s.method for s in server.seen] == ["DELETE"] * 2


def test_the_idempotency_key_is_the_same_on_every_try_and_attempt() -> None:
    # Given a service that fails twice with 503 and then echoes what it got
    answers = [Answer(503, {"Retry-After": "0"})] * 3
    with ScriptedServer(answers + [Answer(503, {"Retry-After": "0"}), Answer.json({})]) as server:
        run = harness()
        step = {"method": "POST", "url": server.url("/charges"), "json": {"cents": 5}}
        # When the first attempt runs out of tries / Then it fails retryably (3 tries)
        with pytest.raises(RetryableActionError, match="answered 503.*after 3 tries"):
            run.run(step)
        # When the pool's next attempt runs / Then it succeeds
        assert run.run(step)["code"] == 200
    # And every try of both attempts carried one key, the run's for this purpose
    keys = {seen.headers["idempotency-key"] for seen in server.seen}
    assert len(server.seen) == 5 and len(keys) == 1
    assert keys == {run.context().idempotency_key("http:request")}


def test_a_post_without_a_key_is_not_retried_and_fails_for_good_on_a_5xx() -> None:
    # Given a POST that asks not to send an idempotency key
    with ScriptedServer([Answer(503, {"Retry-After": "0"}), Answer.json({})]) as server:
        step = {"method": "POST", "url": server.url(), "sendIdempotencyKey": False}
        # When the service answers 503 / Then the step fails for good, after one request
        with pytest.raises(NonRetryableActionError, match="may have reached the server"):
            harness().run(step)
        assert len(server.seen) == 1 and "idempotency-key" not in server.seen[0].headers


def test_a_dropped_connection_is_retried_for_get_and_final_for_an_unkeyed_post() -> None:
    with ScriptedServer([Answer(drop=True), Answer.text("back")]) as server:
        # When a GET's connection drops before the answer / Then it is sent again
        assert harness().run({"method": "GET", "url": server.url()})["code"] == 200
    with ScriptedServer([Answer(drop=True), Answer.text("back")]) as server:
        # When an unkeyed POST's does / Then the request may have had its effect: final
        step = {"method": "POST", "url": server.url(), "sendIdempotencyKey": False}
        with pytest.raises(NonRetryableActionError, match="RemoteProtocolError.*reached"):
            harness().run(step)
        assert len(server.seen) == 1


def test_a_refused_connection_is_retryable_even_for_an_unkeyed_post() -> None:
    # Given nothing listening / When an unkeyed POST is sent
    step = {"method": "POST", "url": f"http://127.0.0.1:{closed_port()}/", "body": "x"}
    # Then the failure is retryable: the request never left
    with pytest.raises(RetryableActionError, match="ConnectError.*not sent"):
        harness().run({**step, "sendIdempotencyKey": False})


def test_an_unkeyed_post_a_dead_attempt_may_have_sent_is_not_sent_again() -> None:
    # Given an unkeyed POST whose attempt died while the request was in flight
    with ScriptedServer([Answer.json({}, 201)]) as server:
        run = harness()
        step = {"method": "POST", "url": server.url("/charges"), "sendIdempotencyKey": False}
        with pytest.raises(SimulatedCrash):
            run.run(step, crash_after=SENT_KEY)
        # When the pool runs the next attempt
        # Then it refuses for good rather than risk a second charge
        with pytest.raises(NonRetryableActionError, match="may have taken effect"):
            run.run(step)
        assert server.seen == []


def test_an_unkeyed_post_that_never_left_is_sent_by_the_next_attempt() -> None:
    # Given an unkeyed POST whose first attempt could not connect
    with ScriptedServer([Answer.json({}, 201)]) as server:
        run = harness()
        refused = {"method": "POST", "url": f"http://127.0.0.1:{closed_port()}/", "body": "x"}
        with pytest.raises(RetryableActionError, match="not sent"):
            run.run({**refused, "sendIdempotencyKey": False})
        # When the next attempt reaches a server / Then it sends the request
        step = {"method": "POST", "url": server.url("/charges"), "sendIdempotencyKey": False}
        assert run.run(step)["code"] == 201
        assert len(server.seen) == 1


def test_a_read_timeout_after_sending_is_final_for_an_unkeyed_post() -> None:
    # Given a service slower than the step's timeout
    release = threading.Event()
    with ScriptedServer([Answer(hold=release)]) as server:
        step = {"method": "PATCH", "url": server.url(), "timeoutS": 0.2}
        try:
            with pytest.raises(NonRetryableActionError, match="ReadTimeout.*reached"):
                harness().run({**step, "sendIdempotencyKey": False})
        finally:
            release.set()
        assert len(server.seen) == 1


def test_a_retry_after_longer_than_the_attempt_may_wait_leaves_it_to_the_pool() -> None:
    # Given a service asking to come back in an hour, and an attempt that may wait 5 s
    with ScriptedServer([Answer(503, {"Retry-After": "3600"})]) as server:
        run = harness(HttpConfig(allowed_networks=("127.0.0.1/32",), max_retry_after_s=5))
        # When a GET is sent / Then the attempt ends at once, retryably, saying why
        with pytest.raises(RetryableActionError, match="wait 3600 s .*longer than this attempt"):
            run.run({"method": "GET", "url": server.url()})
        assert len(server.seen) == 1


def test_a_retry_after_beyond_the_soft_time_limit_is_not_waited() -> None:
    with ScriptedServer([Answer(503, {"Retry-After": "30"})]) as server:
        run = harness(soft_limit_s=5)  # 4 s left before ctx.retrying's margin
        with pytest.raises(RetryableActionError, match="wait 30 s"):
            run.run({"method": "GET", "url": server.url()})
        assert len(server.seen) == 1


def test_a_body_past_the_cap_fails_the_step_naming_the_cap() -> None:
    config = HttpConfig(allowed_networks=("127.0.0.1/32",), max_response_bytes=100_000)
    # Given a chunked body of 5 MB (no Content-Length to refuse it by)
    with (
        ScriptedServer([Answer(streamed_bytes=5_000_000)]) as server,
        pytest.raises(ResponseTooLargeError, match="cap of 100000 bytes"),
    ):
        harness(config).run({"method": "GET", "url": server.url()})
    # Given a declared Content-Length past the cap
    with (
        ScriptedServer([Answer(body=b"x" * 100_001)]) as server,
        pytest.raises(ResponseTooLargeError, match="MAX_RESPONSE_BYTES"),
    ):
        harness(config).run({"method": "GET", "url": server.url()})
    # And a body at the cap is read whole
    with ScriptedServer([Answer(body=b"x" * 100_000)]) as server:
        output = harness(config).run({"method": "GET", "url": server.url()})
        assert len(output["body"]["message"]) == 100_000


def test_a_redirect_to_the_metadata_address_is_refused() -> None:
    location = {"Location": "http://169.254.169.254/latest/meta-data/"}
    with ScriptedServer([Answer(302, location)]) as server:
        step = {"method": "GET", "url": server.url(), "followRedirects": True}
        with pytest.raises(NonRetryableActionError, match="redirect to .* cloud metadata"):
            harness().run(step)
        # And without following, the redirect is an answer: unexpected unless listed
        with pytest.raises(NonRetryableActionError, match="answered 302"):
            harness().run({**step, "followRedirects": False})
        listed = harness().run({**step, "followRedirects": False, "expectedStatuses": [302]})
        assert listed["code"] == 302 and listed["headers"]["location"] == location["Location"]


def test_a_redirect_to_another_origin_does_not_carry_the_templates_headers() -> None:
    # Given a service that redirects to another origin (another port)
    with (
        ScriptedServer(echo) as other,
        ScriptedServer([Answer(307, {"Location": other.url("/landed")})]) as first,
    ):
        # When a step with an API key follows it
        output = harness().run(
            {
                "method": "GET",
                "url": first.url("/start"),
                "headers": {"X-Api-Key": TOKEN, "Accept": "application/json"},
                "followRedirects": True,
            }
        )
    # Then the first origin got the key, the second did not
    assert output["code"] == 200 and output["body"]["path"] == "/landed"
    assert first.seen[0].headers["x-api-key"] == TOKEN
    assert "x-api-key" not in other.seen[0].headers


def test_redirects_are_followed_at_most_max_redirects_times() -> None:
    config = HttpConfig(allowed_networks=("127.0.0.1/32",), max_redirects=2)
    with ScriptedServer([Answer(302, {"Location": "/again"})]) as server:
        with pytest.raises(NonRetryableActionError, match="more than 2 redirects"):
            harness(config).run({"method": "GET", "url": server.url(), "followRedirects": True})
        assert len(server.seen) == 3


def test_an_unexpected_status_fails_with_a_masked_excerpt_unless_told_to_continue() -> None:
    # Given a service that echoes the caller's credential in its 404
    with ScriptedServer([Answer.text(f"no such thing for {TOKEN} " + "x" * 2000, 404)]) as server:
        step = {"method": "GET", "url": server.url("/t"), "headers": {"X-Api-Key": TOKEN}}
        # When the step runs / Then it fails for good with status and a capped, masked excerpt
        with pytest.raises(NonRetryableActionError) as failed:
            harness().run(step)
        message = str(failed.value)
        assert "answered 404 Not Found: no such thing for *** x" in message
        assert TOKEN not in message and len(message) < 700
        # When it may continue on a bad response / Then the 404 is its output
        output = harness().run({**step, "continueOnBadResponse": True})
        assert output["code"] == 404


def test_header_values_and_run_secrets_never_reach_the_log() -> None:
    # Given a header value that is not one of the run's secrets (the harness masks those in
    # log lines itself), and a secret in the query
    header_token = "hdr-7c1d-not-a-run-secret"
    with ScriptedServer([Answer.text("fine")]) as server:
        run = harness(secrets={"apiToken": TOKEN})
        run.run(
            {
                "method": "PUT",
                "url": server.url(f"/x?sig={TOKEN}"),
                "headers": {"Authorization": f"Bearer {header_token}"},
            }
        )
        assert server.seen[0].headers["authorization"] == f"Bearer {header_token}"
    # Then neither reaches the log: the action never writes a header value
    text = "\n".join(run.messages())
    assert "PUT http://127.0.0.1:" in text and "sig=***" in text
    assert header_token not in text and TOKEN not in text and "Bearer" not in text


def test_a_secret_header_sends_the_secret_which_the_input_never_holds() -> None:
    # Given a step whose Authorization comes from the run's secrets, by name
    step = {
        "method": "GET",
        "url": "",
        "secretHeaders": {"Authorization": {"secret": "apiToken", "prefix": "Bearer "}},
    }
    with ScriptedServer([Answer.text("fine")]) as server:
        run = harness(secrets={"apiToken": TOKEN})
        step["url"] = server.url("/who")
        # When it runs
        run.run(step)
        # Then the service got the secret, with its prefix
        assert server.seen[0].headers["authorization"] == f"Bearer {TOKEN}"
    # And the input the pool stores holds only the secret's name, and the log not its value
    assert TOKEN not in str(run.validate(step).model_dump())
    assert TOKEN not in "\n".join(run.messages())


def test_a_secret_header_whose_secret_was_not_sent_fails_for_good_before_sending() -> None:
    with ScriptedServer([Answer.text("fine")]) as server:
        step = {
            "method": "GET",
            "url": server.url(),
            "secretHeaders": {"Authorization": {"secret": "apiToken"}},
        }
        with pytest.raises(NonRetryableActionError, match=r"\['apiToken'\].*not given"):
            harness().run(step)
        assert server.seen == []


def test_a_secret_header_whose_secret_has_a_newline_fails_without_showing_it() -> None:
    # Given a secret read from a file, trailing newline included
    with ScriptedServer([Answer.text("fine")]) as server:
        run = harness(secrets={"apiToken": TOKEN + "\n"})
        step = {
            "method": "GET",
            "url": server.url(),
            "secretHeaders": {"Authorization": {"secret": "apiToken", "prefix": "Bearer "}},
        }
        # When it runs / Then it fails for good before sending, naming the secret only
        with pytest.raises(NonRetryableActionError, match=r"\['apiToken'\] cannot be sent") as e:
            run.run(step)
        assert server.seen == [] and TOKEN not in str(e.value)


def test_a_header_value_outside_latin_1_is_refused_before_the_run() -> None:
    with pytest.raises(ValueError, match="outside Latin-1"):
        harness().validate({"method": "GET", "url": "http://127.0.0.1/", "headers": {"X": "ü€"}})


def test_an_answer_in_a_charset_that_cannot_decode_is_read_as_utf_8() -> None:
    answer = Answer(200, {"Content-Type": "text/plain; charset=idna"}, "résumé".encode())
    with ScriptedServer([answer]) as server:
        output = harness().run({"method": "GET", "url": server.url()})
    assert output["body"] == {"message": "résumé"}


def test_a_header_may_not_be_given_both_plainly_and_as_a_secret() -> None:
    step = {
        "method": "GET",
        "url": "http://127.0.0.1/",
        "headers": {"authorization": "x"},
        "secretHeaders": {"Authorization": {"secret": "apiToken"}},
    }
    with pytest.raises(ValueError, match="in headers and in secretHeaders"):
        harness().validate(step)


def test_a_dry_run_sends_only_safe_methods() -> None:
    with ScriptedServer([Answer.json({"n": 1})]) as server:
        run = harness()
        # When a POST runs dry / Then nothing is sent and the output says so with code 0
        skipped = run.run({"method": "POST", "url": server.url(), "json": {}}, dry_run=True)
        assert skipped == {
            "code": 0,
            "headers": {},
            "body": {"message": "dry run: the request was not sent"},
        }
        assert server.seen == [] and any("dry run: POST" in m for m in run.messages())
        # When a GET runs dry / Then it is sent, as Roadie's action does
        assert run.run({"method": "GET", "url": server.url()}, dry_run=True)["code"] == 200
        assert len(server.seen) == 1


def test_a_name_resolving_to_a_refused_address_fails_at_run_time() -> None:
    # Given the default config and a name that passes the input checks but resolves to
    # loopback (as a rebinding DNS would answer)
    action = request_action(HttpConfig(), resolve=lambda host, port: ["127.0.0.1"])
    with ScriptedServer([Answer.text("reached")]) as server:
        step = {"method": "GET", "url": server.url(host="rebind.example.com")}
        # When it runs / Then it fails for good, and the server never saw it
        with pytest.raises(AddressRefusedError, match="rebind.example.com: 127.0.0.1"):
            ActionHarness(action).run(step)
        assert server.seen == []


def test_the_action_says_it_writes_may_destroy_and_is_not_idempotent() -> None:
    (action,) = actions_of(CONFIG)
    assert action.id == "http:request" and action.supports_dry_run
    assert action.attributes == Attributes(read_only=False, destructive=True, idempotent=False)


def test_each_request_is_a_span_with_its_method_masked_url_and_status(tmp_path: Path) -> None:
    # Given a context whose spans go to memory, and a service failing once
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    ctx, _ = make_context(tmp_path, secrets={"t": TOKEN}, tracer=provider.get_tracer("t"))
    (action,) = actions_of(CONFIG)
    with ScriptedServer([Answer(502, {"Retry-After": "0"}), Answer.text("ok")]) as server:
        # When a GET with a secret in its query is sent
        action.invoke({"method": "GET", "url": server.url(f"/s?key={TOKEN}")}, ctx)
    # Then each try is an "HTTP GET" span with the status, and the URL's query masked
    spans = exporter.get_finished_spans()
    assert [span.name for span in spans] == ["HTTP GET", "HTTP GET"]
    attributes = [dict(span.attributes or {}) for span in spans]
    assert [a["http.response.status_code"] for a in attributes] == [502, 200]
    assert attributes[0]["url.full"] == f"http://127.0.0.1:{server.port}/s?key=***"
    assert attributes[0]["http.request.method"] == "GET"
    assert TOKEN not in repr(attributes)
