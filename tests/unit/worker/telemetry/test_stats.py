"""The pure flow figures: percentiles, rates, recovery times and grouping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from actionpool.worker.store.records import RunStatus
from actionpool.worker.telemetry.stats import (
    GROUP_KEY_MAX_CHARS,
    OTHER_GROUP,
    GroupBy,
    RunSummary,
    decode_summary,
    figures_of,
    figures_of_group,
    percentile,
    recovery_times_s,
)

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
CREATE = "template:default/create-service"
DOCS = "template:default/docs-site"


def run(
    status: RunStatus,
    *,
    ends_s: float | None = None,
    starts_s: float = 0,
    template: str | None = CREATE,
    owner: str | None = "group:default/a",
    action_id: str = "debug:log",
    attempt: int = 1,
) -> RunSummary:
    """A run created `starts_s` after T0 that ended `ends_s` after T0 (None: not ended)."""
    return RunSummary(
        status=status,
        action_id=action_id,
        template_ref=template,
        owner=owner,
        created_at=T0 + timedelta(seconds=starts_s),
        finished_at=None if ends_s is None else T0 + timedelta(seconds=ends_s),
        attempt=attempt,
    )


OK, FAILED, CANCELLED = RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED


@pytest.mark.parametrize(
    ("values", "percent", "expected"),
    [
        ([], 50, None),
        ([7.0], 95, 7.0),
        ([4.0, 1.0, 3.0, 2.0], 50, 2.0),
        ([float(n) for n in range(1, 21)], 95, 19.0),
        ([float(n) for n in range(1, 21)], 100, 20.0),
        ([float(n) for n in range(1, 101)], 50, 50.0),
        ([1.0, 2.0, 3.0], 1, 1.0),
    ],
)
def test_percentile_is_the_nearest_rank(
    values: list[float], percent: int, expected: float | None
) -> None:
    # Given some values / When a percentile is taken / Then it is a value of the list
    assert percentile(values, percent) == expected


def test_a_failure_then_a_success_is_one_recovery() -> None:
    # Given a failure that ended at 10 s and the template's next success at 70 s
    runs = [run(FAILED, ends_s=10), run(OK, starts_s=20, ends_s=70)]
    # When the recovery times are measured
    # Then the failure recovered in 60 s
    assert recovery_times_s(runs) == [60.0]


def test_a_failure_without_a_later_success_is_left_out() -> None:
    # Given a success, then a failure that nothing completed after (a cancel does not count)
    runs = [run(OK, ends_s=5), run(FAILED, ends_s=10), run(CANCELLED, ends_s=30)]
    # When the recovery times are measured / Then there are none
    assert recovery_times_s(runs) == []


def test_two_failures_are_both_measured_to_the_next_success() -> None:
    # Given two failures (10 s, 40 s) followed by one success (100 s), listed out of order
    runs = [run(OK, ends_s=100), run(FAILED, ends_s=40), run(FAILED, ends_s=10)]
    # When the recovery times are measured
    # Then both are measured to that success
    assert sorted(recovery_times_s(runs)) == [60.0, 90.0]


def test_a_success_of_another_template_is_no_recovery() -> None:
    # Given a failure of one template and a later success of another
    runs = [run(FAILED, ends_s=10), run(OK, ends_s=50, template=DOCS)]
    # When the recovery times are measured / Then none is found
    assert recovery_times_s(runs) == []


def test_runs_without_a_template_recover_per_action() -> None:
    # Given template-less runs of two actions
    runs = [
        run(FAILED, ends_s=10, template=None, action_id="a:x"),
        run(OK, ends_s=15, template=None, action_id="a:y"),
        run(OK, ends_s=30, template=None, action_id="a:x"),
    ]
    # When the recovery times are measured / Then the failure recovers with its own action
    assert recovery_times_s(runs) == [20.0]


def test_the_figures_of_one_group() -> None:
    # Given completed, failed, cancelled and in-flight runs of one template
    runs = [
        run(OK, ends_s=10, attempt=1),
        run(OK, starts_s=100, ends_s=130, attempt=2),
        run(FAILED, starts_s=200, ends_s=220, attempt=3),
        run(OK, starts_s=300, ends_s=340, attempt=1),
        run(CANCELLED, starts_s=400, ends_s=401, attempt=2),
        run(RunStatus.OPEN, starts_s=500, attempt=0),
        run(RunStatus.PROCESSING, starts_s=600, attempt=2),
    ]
    # When its figures are computed
    figures = figures_of_group(CREATE, runs)
    # Then the counts, rates, durations and recovery time are the documented ones
    assert (figures.runs, figures.completed, figures.failed) == (7, 3, 1)
    assert (figures.cancelled, figures.in_flight) == (1, 2)
    assert figures.success_rate == 0.75
    assert (figures.duration_p50_s, figures.duration_p95_s) == (20.0, 40.0)
    assert figures.retry_rate == 0.6  # 3 of the 5 ended runs needed more than one attempt
    assert figures.mean_time_to_recovery_s == 120.0  # failed at 220 s, completed at 340 s


def test_a_group_without_ended_runs_has_no_rates() -> None:
    # Given only runs in flight / When the figures are computed
    figures = figures_of_group(None, [run(RunStatus.OPEN), run(RunStatus.PROCESSING)])
    # Then every rate and time is None (JSON null), not zero
    assert figures.in_flight == 2
    assert figures.success_rate is None and figures.retry_rate is None
    assert figures.duration_p50_s is None and figures.duration_p95_s is None
    assert figures.mean_time_to_recovery_s is None


def test_groups_by_owner_still_match_recoveries_per_template() -> None:
    # Given one owner whose runs of two templates interleave: create fails, docs completes,
    # then create completes
    runs = [
        run(FAILED, ends_s=10, template=CREATE),
        run(OK, ends_s=20, template=DOCS),
        run(OK, ends_s=50, template=CREATE),
        run(OK, ends_s=5, owner=None),
    ]
    # When the figures are grouped by owner
    groups = figures_of(runs, GroupBy.OWNER)
    # Then the owner's recovery is measured to the next success of the same template (40 s)
    assert [(g.key, g.runs) for g in groups] == [("group:default/a", 3), (None, 1)]
    assert groups[0].mean_time_to_recovery_s == 40.0


def test_groups_are_sorted_by_runs_then_key_with_the_null_key_last() -> None:
    # Given runs of three templates and two template-less runs
    runs = [
        run(OK, ends_s=1, template="b"),
        run(OK, ends_s=1, template="a"),
        run(OK, ends_s=1, template=None),
        run(OK, ends_s=1, template=None),
        run(OK, ends_s=1, template="c"),
        run(OK, ends_s=1, template="c"),
    ]
    # When they are grouped by template
    groups = figures_of(runs, GroupBy.TEMPLATE)
    # Then most runs come first, ties by key, the null key after the named ones
    assert [g.key for g in groups] == ["c", None, "a", "b"]


def test_groups_by_action() -> None:
    runs = [run(OK, ends_s=1, action_id="x:one"), run(FAILED, ends_s=2, action_id="x:two")]
    groups = figures_of(runs, GroupBy.ACTION)
    assert [(g.key, g.success_rate) for g in groups] == [("x:one", 1.0), ("x:two", 0.0)]


def test_a_summary_is_decoded_from_the_run_hash_fields() -> None:
    # Given the HMGET reply of a failed run and of a run whose record expired
    fields = [
        "failed",
        "debug:fail",
        '{"templateRef": "t", "owner": null}',
        "2026-03-01T09:00:00.000Z",
        "2026-03-01T09:00:02.500Z",
        "3",
    ]
    # When they are decoded
    summary = decode_summary(fields)
    # Then the failed run is summarised and the expired one skipped
    assert summary == RunSummary(
        status=FAILED,
        action_id="debug:fail",
        template_ref="t",
        owner=None,
        created_at=T0,
        finished_at=T0 + timedelta(seconds=2.5),
        attempt=3,
    )
    assert summary.duration_s == 2.5
    assert decode_summary([None] * 6) is None


def test_groups_past_the_bound_are_summed_in_one_other_group() -> None:
    # Given three runs of one owner and one run of each of four others
    runs = [run(OK, ends_s=1, owner="group:default/big") for _ in range(3)]
    runs += [run(FAILED, ends_s=1, owner=f"group:default/o{n}") for n in range(4)]
    # When grouped by owner with room for two groups
    groups = figures_of(runs, GroupBy.OWNER, groups_max=2)
    # Then the two largest are named and the three others are one last group of their runs
    assert [(g.key, g.runs) for g in groups] == [
        ("group:default/big", 3),
        ("group:default/o0", 1),
        (OTHER_GROUP, 3),
    ]
    assert groups[-1].failed == 3 and groups[-1].success_rate == 0.0


def test_long_keys_are_cut_and_the_runs_they_share_are_one_group() -> None:
    # Given two runs whose templates differ only past the key bound
    stem = "template:default/" + "x" * GROUP_KEY_MAX_CHARS
    runs = [run(OK, ends_s=1, template=f"{stem}-a"), run(OK, ends_s=1, template=f"{stem}-b")]
    # When grouped by template
    groups = figures_of(runs, GroupBy.TEMPLATE)
    # Then they are one group under the cut key
    assert [(g.key, g.runs) for g in groups] == [(stem[:GROUP_KEY_MAX_CHARS], 2)]
