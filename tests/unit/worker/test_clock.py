"""The clock's forms of a moment: whole milliseconds, epoch ms, ISO text with a Z."""

from datetime import UTC, datetime, timedelta, timezone

from actionpool.worker.clock import SYSTEM_CLOCK, after, from_ms, iso, ms, whole_ms


def test_a_moment_is_kept_to_the_millisecond_in_utc() -> None:
    moment = datetime(2026, 11, 26, 10, 45, 21, 635_987, tzinfo=timezone(timedelta(hours=1)))
    assert whole_ms(moment) == datetime(2026, 11, 26, 9, 45, 21, 635_000, tzinfo=UTC)


def test_iso_text_has_milliseconds_and_a_z() -> None:
    assert iso(datetime(2026, 11, 26, 9, 45, 21, 635_987, tzinfo=UTC)) == "2026-11-26T09:45:21.635Z"
    assert iso(datetime(2026, 11, 26, 9, 45, 21, tzinfo=UTC)) == "2026-11-26T09:45:21.000Z"


def test_epoch_ms_go_both_ways() -> None:
    moment = whole_ms(SYSTEM_CLOCK.now())
    assert from_ms(ms(moment)) == moment


def test_after_a_moment_or_no_limit() -> None:
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    assert after(moment, 1.5) == datetime(2026, 1, 1, 0, 0, 1, 500_000, tzinfo=UTC)
    assert after(moment, None) is None


def test_the_system_clock_tells_whole_milliseconds() -> None:
    assert SYSTEM_CLOCK.now().microsecond % 1000 == 0
