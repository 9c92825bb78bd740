"""The DST policy: nonexistent local times shift forward; ambiguous ones are first for starts, last for ends."""

from datetime import date, datetime, time, timezone

from bot.oncall.wallclock import local_to_utc

UTC = timezone.utc


def test_europe_spring_forward_shifts_forward():
    # 2026-03-29 Berlin: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist.
    # Shifted forward by the 1 h gap -> 03:30 CEST = 01:30 UTC.
    assert local_to_utc(date(2026, 3, 29), time(2, 30), "Europe/Berlin") == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_europe_fall_back_first_for_start_last_for_end():
    # 2026-10-25 Berlin: 02:30 happens at 02:30 CEST (00:30 UTC) and again at 02:30 CET (01:30 UTC).
    assert local_to_utc(date(2026, 10, 25), time(2, 30), "Europe/Berlin", edge="start") == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert local_to_utc(date(2026, 10, 25), time(2, 30), "Europe/Berlin", edge="end") == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


def test_us_spring_forward_and_fall_back():
    # 2026-03-08 Los Angeles: 02:00 PST -> 03:00 PDT; 02:30 shifts forward to 03:30 PDT = 10:30 UTC.
    assert local_to_utc(date(2026, 3, 8), time(2, 30), "America/Los_Angeles") == datetime(2026, 3, 8, 10, 30, tzinfo=UTC)
    # 2026-11-01: 01:30 is first 01:30 PDT (08:30 UTC), then 01:30 PST (09:30 UTC).
    assert local_to_utc(date(2026, 11, 1), time(1, 30), "America/Los_Angeles", edge="start") == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
    assert local_to_utc(date(2026, 11, 1), time(1, 30), "America/Los_Angeles", edge="end") == datetime(2026, 11, 1, 9, 30, tzinfo=UTC)


def test_end_of_day_is_next_midnight():
    # "24:00" on 2026-03-28 Berlin = 2026-03-29 00:00 CET = 2026-03-28 23:00 UTC.
    from bot.oncall.wallclock import END_OF_DAY

    assert local_to_utc(date(2026, 3, 28), END_OF_DAY, "Europe/Berlin", edge="end") == datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
