"""Properties of the booking rules that must hold for every time, not just the ones we thought of."""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from services.spaces.domain import (
    Booked, RuleBroken, Rules, availability, blocked_interval, check_booking, clashes, day_bounds, quota_week,
    to_local, weekly_series,
)

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
# No example database: the unit tests must not leave files in the working tree.
fast = settings(max_examples=150, deadline=None, database=None)

# Whole minutes from 2024 to 2028: wide enough to cross several changes of the clocks.
instants = st.integers(min_value=0, max_value=5 * 366 * 24 * 60).map(
    lambda minutes: datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)
)
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))


def interval(start, minutes):
    return start, start + timedelta(minutes=minutes)


lengths = st.integers(min_value=1, max_value=3 * 24 * 60)
buffers = st.integers(min_value=0, max_value=6 * 60)


def _exists(day, wall):
    """Whether a wall-clock time happens on that day in Berlin (it does not in the spring gap)."""
    return datetime.combine(day, wall, tzinfo=BERLIN).astimezone(UTC).astimezone(BERLIN).time() == wall


@fast
@given(instants, lengths, instants, lengths, buffers)
def test_clashes_are_symmetric(start_a, length_a, start_b, length_b, buffer_minutes):
    a, b = interval(start_a, length_a), interval(start_b, length_b)
    a_hits_b = bool(clashes(a, [Booked("b", *b)], buffer_minutes))
    b_hits_a = bool(clashes(b, [Booked("a", *a)], buffer_minutes))
    assert a_hits_b == b_hits_a


@fast
@given(instants, lengths, st.integers(min_value=-3 * 24 * 60, max_value=3 * 24 * 60), lengths, buffers)
def test_two_bookings_clash_exactly_when_less_than_the_buffer_separates_them(start, length, gap, other, buffer):
    mine = interval(start, length)
    theirs_start = mine[1] + timedelta(minutes=gap) if gap >= 0 else mine[0] - timedelta(minutes=other - gap)
    theirs = Booked("b", *interval(theirs_start, other))
    separation = max(theirs.start - mine[1], mine[0] - theirs.end)
    assert bool(clashes(mine, [theirs], buffer)) == (separation < timedelta(minutes=buffer))


@fast
@given(instants, st.integers(min_value=30, max_value=6 * 60), st.integers(min_value=1, max_value=52))
def test_a_series_keeps_the_local_wall_clock_time_every_week(start, length, count):
    end = start + timedelta(minutes=length)
    first_start, first_end = to_local(start, BERLIN), to_local(end, BERLIN)
    series = weekly_series(start, end, count, BERLIN)
    assert len(series) == count and series[0] == (start, end)
    for week, occurrence in enumerate(series):
        for moment, first in zip(occurrence, (first_start, first_end)):
            assert moment.tzinfo is UTC
            local = to_local(moment, BERLIN)
            expected_day = first.date() + timedelta(weeks=week)
            if week == 0 or _exists(expected_day, first.time()):
                assert (local.date(), local.time()) == (expected_day, first.time())
            else:
                assert (local.date(), local.time()) == (expected_day, time(3))


@fast
@given(days)
def test_local_days_follow_one_another_without_gap_or_overlap(day):
    start, end = day_bounds(day, BERLIN)
    assert end == day_bounds(day + timedelta(days=1), BERLIN)[0]
    assert end - start in (timedelta(hours=23), timedelta(hours=24), timedelta(hours=25))
    assert to_local(start, BERLIN).replace(tzinfo=None) == datetime.combine(day, time(0))


@fast
@given(instants)
def test_every_instant_lies_in_exactly_one_quota_week_starting_monday_at_midnight(moment):
    start, end = quota_week(moment, BERLIN)
    assert start <= moment < end
    local_start = to_local(start, BERLIN)
    assert local_start.weekday() == 0 and local_start.time() == time(0)
    assert quota_week(end, BERLIN)[0] == end
    assert quota_week(end - timedelta(microseconds=1), BERLIN) == (start, end)


ROOM = Rules(
    open_from=time(8), open_until=time(22), slot_minutes=30, min_duration_minutes=30, max_duration_minutes=24 * 60,
    max_days_ahead=3650, household_quota_minutes_per_week=None, requires_approval=False, buffer_minutes=0,
)


@fast
@given(st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)), st.integers(min_value=0, max_value=47),
       st.integers(min_value=1, max_value=48))
def test_a_booking_keeps_the_opening_hours_exactly_when_it_lies_within_the_open_time_of_its_day(day, slot, slots):
    wall = time(slot // 2, 30 * (slot % 2))
    assume(_exists(day, wall))
    start = datetime.combine(day, wall, tzinfo=BERLIN).astimezone(UTC)
    end = start + timedelta(minutes=30 * slots)
    (opens, closes), = availability(ROOM, day, BERLIN, [], 0)["open"]
    try:
        check_booking(ROOM, start, end, now=datetime(2023, 12, 31, tzinfo=UTC), tz=BERLIN,
                      household_minutes_booked_in_week=0)
        allowed = True
    except RuleBroken as error:
        assert error.rule in ("opening_hours", "slot_grid")
        allowed = False
    on_grid = to_local(end, BERLIN).minute in (0, 30)
    assert allowed == (on_grid and opens <= start and end <= closes)


@fast
@given(instants, lengths, buffers)
def test_the_blocked_interval_starts_with_the_booking_and_ends_a_buffer_after_it(start, length, buffer_minutes):
    end = start + timedelta(minutes=length)
    assert blocked_interval(start, end, buffer_minutes) == (start, end + timedelta(minutes=buffer_minutes))
