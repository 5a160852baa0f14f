from __future__ import annotations

from actionpool.api.reason import MAX_REASON_CHARS, reason_phrase, status_line_with


def test_the_reason_phrase_is_the_error_name_and_message() -> None:
    assert reason_phrase("ActionTimeoutError", "too slow") == "ActionTimeoutError: too slow"


def test_the_reason_phrase_is_printable_ascii_on_one_line_and_bounded() -> None:
    # Given a message with a line break, a NUL and non-ASCII text
    phrase = reason_phrase("E", "first\r\nsecond\x00 café " + "x" * 1000)
    # Then nothing in it can end or break the status line
    assert phrase.startswith("E: first??second? caf? ")
    assert all(" " <= c <= "~" for c in phrase)
    assert len(phrase) == MAX_REASON_CHARS


def test_only_the_status_lines_reason_is_replaced() -> None:
    head = b"HTTP/1.1 424 Failed Dependency\r\ncontent-type: application/json\r\n\r\n"
    assert status_line_with(head, b"E: m") == (
        b"HTTP/1.1 424 E: m\r\ncontent-type: application/json\r\n\r\n"
    )
