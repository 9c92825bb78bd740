"""Night, weekend and day windows on absolute time, and interval difference, around DST changes."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from bot.reports.intervals import hours, overlap_hours, subtract
from bot.reports.local_windows import day_span, night_windows, weekend_windows

UTC = timezone.utc


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_spring_night_is_an_hour_short_and_autumn_night_an_hour_long():
    # Berlin: SU 29 Mar 2026 02:00 CET -> 03:00 CEST.  The night SA 23:00 CET (22:00 UTC) -> SU 06:00 CEST
    # (04:00 UTC) is 6 h, not 7.
    spring = night_windows("23:00-06:00", date(2026, 3, 28), date(2026, 3, 28), "Europe/Berlin")
    assert (utc(2026, 3, 28, 22), utc(2026, 3, 29, 4)) in spring
    # SU 25 Oct 2026 03:00 CEST -> 02:00 CET: SA 23:00 CEST (21:00 UTC) -> SU 06:00 CET (05:00 UTC) is 8 h.
    autumn = night_windows("23:00-06:00", date(2026, 10, 24), date(2026, 10, 24), "Europe/Berlin")
    assert (utc(2026, 10, 24, 21), utc(2026, 10, 25, 5)) in autumn


def test_windows_not_crossing_midnight_and_weekends():
    # a "00:00-05:00" window stays on its own day
    assert night_windows("00:00-05:00", date(2026, 1, 5), date(2026, 1, 5), "UTC") == [
        (utc(2026, 1, 4, 0), utc(2026, 1, 4, 5)), (utc(2026, 1, 5, 0), utc(2026, 1, 5, 5))]
    # New York, SA 7 + SU 8 Mar 2026 (US spring change on the Sunday): 24 h + 23 h = 47 h of weekend
    weekend = weekend_windows(date(2026, 3, 6), date(2026, 3, 9), "America/New_York")
    assert hours(weekend) == pytest.approx(47)
    with pytest.raises(ValueError, match="expected --to on or after --from"):
        day_span(date(2026, 3, 9), date(2026, 3, 8), "UTC")


def test_subtract_and_overlap():
    a = [(utc(2026, 1, 1, 0), utc(2026, 1, 1, 10))]
    b = [(utc(2026, 1, 1, 2), utc(2026, 1, 1, 3)), (utc(2026, 1, 1, 9), utc(2026, 1, 1, 12))]
    # 00-10 minus 02-03 and 09-12 leaves 00-02 and 03-09
    assert subtract(a, b) == [(utc(2026, 1, 1, 0), utc(2026, 1, 1, 2)), (utc(2026, 1, 1, 3), utc(2026, 1, 1, 9))]
    assert subtract(b, b) == [] and subtract(a, []) == a
    # overlap of 00-10 with 02-03 and 09-12 is 1 h + 1 h
    assert overlap_hours(a, b) == pytest.approx(2)
