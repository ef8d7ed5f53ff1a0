"""What the API layer hands the layers above: RequestHub fan-out, the one error text, the one sanitiser."""

from __future__ import annotations

import logging

import pytest

from lrtui.api import errors as E
from lrtui.api.errors import error_code, error_text
from lrtui.api.records import RequestHub, RequestRecord
from lrtui.api.text import clean, clean_line


def rec(n: int = 1) -> RequestRecord:
    return RequestRecord(at=0.0, method="GET", url=f"https://h/{n}", status=200, elapsed_ms=1.0)


def test_hub_calls_every_subscriber_and_unsubscribes():
    hub = RequestHub()
    a: list[RequestRecord] = []
    b: list[RequestRecord] = []
    drop_a = hub.add(a.append)
    hub.add(b.append)
    hub(rec(1))
    drop_a()
    drop_a()  # twice is harmless
    hub(rec(2))
    assert [r.url for r in a] == ["https://h/1"]
    assert [r.url for r in b] == ["https://h/1", "https://h/2"]


def test_a_failing_subscriber_is_logged_and_does_not_stop_the_others(caplog):
    hub = RequestHub()
    seen: list[RequestRecord] = []

    def broken(r: RequestRecord) -> None:
        raise RuntimeError("sink broken")

    hub.add(broken)
    hub.add(seen.append)
    with caplog.at_level(logging.ERROR, logger="lrtui.api.records"):
        hub(rec())
    assert len(seen) == 1
    assert "sink broken" in caplog.text


def test_record_is_frozen_with_the_documented_defaults():
    r = rec()
    assert (r.error, r.attempt, r.retry_after) == (None, 1, None)
    with pytest.raises(AttributeError):
        r.status = 500  # type: ignore[misc]


def test_error_text_for_each_kind():
    assert error_text("plain \x1b[31mred\x1b[0m") == "plain red"
    assert error_text(E.NotFound("No such machine.", status=404)) == "NotFound (HTTP 404): No such machine."
    assert error_text(E.ValidationError("Bad.", hint="Fix it.")) == "Bad. Fix it."
    assert error_text(OSError()) == "OSError: the operation failed or timed out"
    assert error_text(TimeoutError()) == "TimeoutError: the operation failed or timed out"
    assert (
        error_text(ImportError("no module named x"))
        == "A part of lrtui is missing (no module named x). Reinstall lrtui."
    )
    assert error_text(ValueError("bad \x07value")) == "ValueError: bad value"
    assert error_text(KeyError()) == "KeyError"


def test_error_code():
    assert error_code(E.RateLimited("slow down", status=429)) == "TooManyRequests"
    assert error_code(E.ApiCallError("x", status=418)) == "HTTP418"
    assert error_code(E.SubmissionUncertain("x")) == "SubmissionUncertain"
    assert error_code(RuntimeError()) == "RuntimeError"


def test_clean_and_clean_line():
    assert clean("a\r\nb\x1b]0;title\x07c\u202e") == "a\nbc"
    assert clean_line("name\twith\nbreaks") == "name with breaks"
    assert clean(42) == "42"
