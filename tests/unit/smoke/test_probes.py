"""Choosing each queue's probe, and reading the smoke report's verdicts and exit code."""

from __future__ import annotations

import pytest

from actionpool.smoke.checks import metric_total
from actionpool.smoke.outcome import exit_code, failed, passed, skipped
from actionpool.smoke.probes import NoProbe, Probe, parse_named, plan

LOG = {
    "id": "debug:log",
    "queue": "default",
    "supportsDryRun": True,
    "examples": [{"example": '{"input": {"message": "hello"}}'}],
}
PUBLISH = {
    "id": "git:publish",
    "queue": "long",
    "supportsDryRun": False,
    "examples": [{"example": '{"input": {"remoteUrl": "https://git.example/x"}}'}],
}
PROVISION = {
    "id": "infra:provision",
    "queue": "long",
    "supportsDryRun": True,
    "examples": [{"example": "input:\n  size: small"}],  # YAML: not a JSON body
}


def test_each_queue_gets_a_dry_run_of_an_action_on_it() -> None:
    # Given actions on two queues, only one of them with a dry-run example
    # When the probes are planned
    probes = plan([PUBLISH, LOG, PROVISION], {})
    # Then the default queue gets a dry run of debug:log, the other says why it has none
    assert probes[0] == Probe(
        "default", "debug:log", {"input": {"message": "hello"}, "dryRun": True}
    )
    assert isinstance(probes[1], NoProbe) and "--probe long=ACTION" in probes[1].reason


def test_a_named_action_runs_its_example_for_real() -> None:
    probes = plan([PUBLISH, LOG], {"long": "git:publish"})
    assert probes[1] == Probe(
        "long", "git:publish", {"input": {"remoteUrl": "https://git.example/x"}}
    )


def test_a_named_action_of_another_queue_is_no_probe() -> None:
    (_, probe) = plan([LOG], {"other": "debug:log"})
    assert probe == NoProbe("other", "debug:log is not an action of queue other")


@pytest.mark.parametrize("item", ["long", "=x", "long="])
def test_a_malformed_probe_flag_is_refused(item: str) -> None:
    with pytest.raises(ValueError, match="QUEUE=ACTION"):
        parse_named([item])


def test_any_failure_is_exit_1_and_skips_are_not() -> None:
    assert exit_code([passed("a", ""), skipped("b", "")]) == 0
    assert exit_code([passed("a", ""), failed("b", "")]) == 1


def test_a_counter_is_summed_over_its_label_sets() -> None:
    text = (
        "# HELP actionpool_runs_created_total x\n"
        'actionpool_runs_created_total{action="a"} 2.0\n'
        'actionpool_runs_created_total{action="b"} 3.0\n'
        'actionpool_runs_created_totally{action="c"} 9.0\n'
    )
    assert metric_total(text, "actionpool_runs_created_total") == 5.0
