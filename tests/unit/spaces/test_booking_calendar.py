"""Calendar days, quota weeks, buffers and clashes, a day's availability, and weekly series across DST."""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from services.spaces.domain import (
    MAX_SERIES_LENGTH, Booked, availability, blocked_interval, clashes, day_bounds,
    household_minutes_in_week, quota_week, utc_weeks, weekly_series,
)

from tests.unit.spaces.examples import berlin, community_room

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
HOUR = timedelta(hours=1)


def utc(year, month, day, hour=0, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def guest_apartment(**overrides):
    return community_room(open_from=time(0), open_until=time(0), slot_minutes=60,
                          max_duration_minutes=14 * 24 * 60, buffer_minutes=180, **overrides)


# --- day_bounds ----------------------------------------------------------------------------------------------

def test_an_ordinary_summer_day_runs_from_local_midnight_to_local_midnight():
    assert day_bounds(date(2026, 6, 10), BERLIN) == (utc(2026, 6, 9, 22), utc(2026, 6, 10, 22))


def test_the_spring_dst_day_is_23_hours_long():
    start, end = day_bounds(date(2026, 3, 29), BERLIN)
    assert (start, end) == (utc(2026, 3, 28, 23), utc(2026, 3, 29, 22))
    assert end - start == 23 * HOUR


def test_the_autumn_dst_day_is_25_hours_long():
    start, end = day_bounds(date(2026, 10, 25), BERLIN)
    assert (start, end) == (utc(2026, 10, 24, 22), utc(2026, 10, 25, 23))
    assert end - start == 25 * HOUR


def test_day_bounds_are_aware_utc():
    for bound in day_bounds(date(2026, 6, 10), BERLIN):
        assert bound.tzinfo is UTC


def test_a_day_starting_in_a_gap_starts_when_the_clocks_jump():
    # Cuba moves its clocks from 00:00 to 01:00, so 8 March 2026 has no midnight.
    havana = ZoneInfo("America/Havana")
    start, end = day_bounds(date(2026, 3, 8), havana)
    assert start.astimezone(havana).replace(tzinfo=None) == datetime(2026, 3, 8, 1)
    assert end - start == 23 * HOUR


def test_day_bounds_want_a_date_not_a_datetime():
    with pytest.raises(TypeError, match="^day must be a date, not a datetime$"):
        day_bounds(datetime(2026, 6, 10, tzinfo=UTC), BERLIN)


# --- quota_week and household_minutes_in_week ----------------------------------------------------------------

def test_the_quota_week_runs_from_monday_midnight_to_monday_midnight_local():
    assert quota_week(berlin(2026, 6, 10, 10), BERLIN) == (berlin(2026, 6, 8), berlin(2026, 6, 15))


def test_sunday_23_00_belongs_to_the_week_before_and_monday_00_00_to_the_new_week():
    assert quota_week(berlin(2026, 6, 14, 23), BERLIN) == (berlin(2026, 6, 8), berlin(2026, 6, 15))
    assert quota_week(berlin(2026, 6, 15, 0), BERLIN) == (berlin(2026, 6, 15), berlin(2026, 6, 22))


def test_the_quota_week_follows_local_time_not_utc():
    # Monday 01:00 in Berlin is still Sunday in UTC.
    monday_early = berlin(2026, 6, 15, 1)
    assert monday_early.weekday() == 6
    assert quota_week(monday_early, BERLIN)[0] == berlin(2026, 6, 15)


def test_the_week_of_the_spring_change_has_167_hours_and_the_autumn_week_169():
    start, end = quota_week(berlin(2026, 3, 29, 12), BERLIN)
    assert (start, end) == (berlin(2026, 3, 23), berlin(2026, 3, 30))
    assert end - start == 167 * HOUR
    start, end = quota_week(berlin(2026, 10, 25, 12), BERLIN)
    assert end - start == 169 * HOUR


def test_the_quota_week_may_start_in_the_old_year():
    assert quota_week(berlin(2026, 1, 1, 10), BERLIN) == (berlin(2025, 12, 29), berlin(2026, 1, 5))


def test_bookings_of_the_week_before_do_not_count_against_this_weeks_quota():
    bookings = [
        Booked("sun-late", berlin(2026, 6, 14, 21), berlin(2026, 6, 14, 23)),
        Booked("mon-early", berlin(2026, 6, 15, 0), berlin(2026, 6, 15, 1)),
        Booked("sun-last", berlin(2026, 6, 21, 23), berlin(2026, 6, 22, 0)),
        Booked("next-mon", berlin(2026, 6, 22, 0), berlin(2026, 6, 22, 2)),
    ]
    assert household_minutes_in_week(bookings, berlin(2026, 6, 17, 10), BERLIN) == 60 + 60
    assert household_minutes_in_week(bookings, berlin(2026, 6, 14, 10), BERLIN) == 120


def test_a_booking_across_the_week_boundary_counts_entirely_in_the_week_it_starts():
    stay = Booked("stay", berlin(2026, 6, 14, 22), berlin(2026, 6, 15, 2))
    assert household_minutes_in_week([stay], berlin(2026, 6, 14, 22), BERLIN) == 240
    assert household_minutes_in_week([stay], berlin(2026, 6, 15, 10), BERLIN) == 0


def test_household_minutes_count_real_minutes_on_the_dst_nights():
    bookings = [
        Booked("spring", berlin(2026, 3, 29, 1), berlin(2026, 3, 29, 4)),
        Booked("autumn", berlin(2026, 10, 25, 1), berlin(2026, 10, 25, 3)),
    ]
    assert household_minutes_in_week(bookings, berlin(2026, 3, 27, 12), BERLIN) == 120
    assert household_minutes_in_week(bookings, berlin(2026, 10, 20, 12), BERLIN) == 180


# --- blocked_interval, clashes and Booked --------------------------------------------------------------------

def test_a_booking_blocks_the_space_until_its_buffer_is_over():
    assert blocked_interval(utc(2026, 6, 10, 8), utc(2026, 6, 10, 10), 30) == (
        utc(2026, 6, 10, 8), utc(2026, 6, 10, 10, 30))
    assert blocked_interval(utc(2026, 6, 10, 8), utc(2026, 6, 10, 10), 0) == (
        utc(2026, 6, 10, 8), utc(2026, 6, 10, 10))


@pytest.mark.parametrize("buffer_minutes", [-1, 1.5, True, None])
def test_a_buffer_must_be_a_whole_number_not_below_zero(buffer_minutes):
    with pytest.raises(ValueError, match="^buffer_minutes must be a whole number, 0 or more$"):
        blocked_interval(utc(2026, 6, 10, 8), utc(2026, 6, 10, 10), buffer_minutes)


def test_a_booking_of_no_length_blocks_nothing_and_is_refused():
    with pytest.raises(ValueError, match="^end must be later than start$"):
        blocked_interval(utc(2026, 6, 10, 10), utc(2026, 6, 10, 10), 0)


def test_the_week_ledgers_of_a_booking_are_the_utc_mondays_of_the_weeks_it_touches():
    assert utc_weeks(datetime(2026, 6, 10, 10, 30, 45, 5, tzinfo=UTC), utc(2026, 6, 10, 12)) == [utc(2026, 6, 8)]
    assert utc_weeks(utc(2026, 6, 14, 22), utc(2026, 6, 15)) == [utc(2026, 6, 8)]  # ends as the next week begins
    assert utc_weeks(utc(2026, 6, 14, 22), utc(2026, 6, 15, 0, 30)) == [utc(2026, 6, 8), utc(2026, 6, 15)]


def test_blocked_interval_refuses_naive_and_reversed_times():
    with pytest.raises(ValueError, match="^start must be timezone-aware"):
        blocked_interval(datetime(2026, 6, 10, 8), utc(2026, 6, 10, 10), 0)
    with pytest.raises(ValueError, match="^end must be timezone-aware"):
        blocked_interval(utc(2026, 6, 10, 8), datetime(2026, 6, 10, 10), 0)
    with pytest.raises(ValueError, match="^end must be later than start$"):
        blocked_interval(utc(2026, 6, 10, 10), utc(2026, 6, 10, 8), 0)


def test_utc_weeks_refuse_a_naive_start():
    with pytest.raises(ValueError, match="^start must be timezone-aware"):
        utc_weeks(datetime(2026, 6, 10, 8), utc(2026, 6, 10, 10))


EXISTING = Booked("b1", berlin(2026, 6, 10, 10), berlin(2026, 6, 10, 12))


def clash_ids(start, end, existing=(EXISTING,), buffer_minutes=30):
    return [booked.booking_id for booked in clashes((start, end), list(existing), buffer_minutes)]


def test_booking_starting_exactly_when_the_buffer_after_another_ends_does_not_clash():
    assert clash_ids(berlin(2026, 6, 10, 12, 30), berlin(2026, 6, 10, 13, 30)) == []


def test_booking_starting_inside_the_buffer_after_another_clashes():
    assert clash_ids(berlin(2026, 6, 10, 12), berlin(2026, 6, 10, 13)) == ["b1"]


def test_booking_ending_exactly_one_buffer_before_another_does_not_clash():
    assert clash_ids(berlin(2026, 6, 10, 8, 30), berlin(2026, 6, 10, 9, 30)) == []


def test_booking_ending_inside_the_buffer_before_another_clashes():
    assert clash_ids(berlin(2026, 6, 10, 9), berlin(2026, 6, 10, 10)) == ["b1"]


@pytest.mark.parametrize("start, end", [
    ((10, 0), (12, 0)), ((9, 0), (11, 0)), ((11, 0), (13, 0)), ((10, 30), (11, 0)), ((8, 0), (14, 0)),
])
def test_overlapping_bookings_clash(start, end):
    assert clash_ids(berlin(2026, 6, 10, *start), berlin(2026, 6, 10, *end)) == ["b1"]


def test_without_a_buffer_back_to_back_bookings_do_not_clash():
    assert clash_ids(berlin(2026, 6, 10, 12), berlin(2026, 6, 10, 13), buffer_minutes=0) == []
    assert clash_ids(berlin(2026, 6, 10, 9), berlin(2026, 6, 10, 10), buffer_minutes=0) == []


def test_only_the_clashing_bookings_are_returned_soonest_first():
    existing = [
        Booked("late", berlin(2026, 6, 10, 14), berlin(2026, 6, 10, 15)),
        Booked("far", berlin(2026, 6, 10, 18), berlin(2026, 6, 10, 19)),
        Booked("early", berlin(2026, 6, 10, 9), berlin(2026, 6, 10, 10)),
    ]
    assert clash_ids(berlin(2026, 6, 10, 10), berlin(2026, 6, 10, 14), existing) == ["early", "late"]


def test_nothing_clashes_with_an_empty_calendar():
    assert clash_ids(berlin(2026, 6, 10, 10), berlin(2026, 6, 10, 11), existing=[]) == []


def test_a_stay_clashes_with_the_next_guest_arriving_before_the_cleaning_is_done():
    stay = Booked("stay", berlin(2026, 6, 10, 15), berlin(2026, 6, 13, 11))
    assert clash_ids(berlin(2026, 6, 13, 13), berlin(2026, 6, 15, 11), [stay], buffer_minutes=180) == ["stay"]
    assert clash_ids(berlin(2026, 6, 13, 14), berlin(2026, 6, 15, 11), [stay], buffer_minutes=180) == []


def test_the_buffer_is_real_time_in_the_repeated_autumn_hour():
    # Ends at the first 02:30 (summer time); the clocks then show 02:00-03:00 a second time.
    existing = Booked("night", berlin(2026, 10, 25, 1, 30), berlin(2026, 10, 25, 2, 30))
    assert clash_ids(berlin(2026, 10, 25, 2, 30, fold=1), berlin(2026, 10, 25, 3, 30), [existing], 60) == []
    assert clash_ids(berlin(2026, 10, 25, 2, 0, fold=1), berlin(2026, 10, 25, 3, 30), [existing], 60) == ["night"]


def test_a_booked_entry_keeps_its_times_in_utc():
    plus_two = timezone(timedelta(hours=2))
    booked = Booked("b", datetime(2026, 6, 10, 10, tzinfo=plus_two), datetime(2026, 6, 10, 11, tzinfo=plus_two))
    assert booked.start == utc(2026, 6, 10, 8) and booked.start.tzinfo is UTC
    assert booked.end == utc(2026, 6, 10, 9) and booked.end.tzinfo is UTC
    assert booked == Booked("b", utc(2026, 6, 10, 8), utc(2026, 6, 10, 9))


def test_a_booked_entry_refuses_naive_or_reversed_times():
    with pytest.raises(ValueError, match="^start must be timezone-aware"):
        Booked("b", datetime(2026, 6, 10, 10), utc(2026, 6, 10, 11))
    with pytest.raises(ValueError, match="^end must be timezone-aware"):
        Booked("b", utc(2026, 6, 10, 10), datetime(2026, 6, 10, 11))
    with pytest.raises(ValueError, match="^booking 'b' ends before it starts$"):
        Booked("b", utc(2026, 6, 10, 11), utc(2026, 6, 10, 11))


# --- availability --------------------------------------------------------------------------------------------

def test_an_empty_day_is_open_during_opening_hours_and_nothing_is_busy():
    day = availability(community_room(), date(2026, 6, 10), BERLIN, [], 30)
    assert day == {
        "open": [(berlin(2026, 6, 10, 8), berlin(2026, 6, 10, 22))],
        "busy": [],
        "free": [(berlin(2026, 6, 10, 8), berlin(2026, 6, 10, 22))],
    }


def test_opening_hours_on_the_dst_days_keep_the_wall_clock():
    spring = availability(community_room(), date(2026, 3, 29), BERLIN, [], 30)
    assert spring["open"] == [(utc(2026, 3, 29, 6), utc(2026, 3, 29, 20))]
    autumn = availability(community_room(), date(2026, 10, 25), BERLIN, [], 30)
    assert autumn["open"] == [(utc(2026, 10, 25, 7), utc(2026, 10, 25, 21))]


@pytest.mark.parametrize("day, hours", [
    (date(2026, 3, 29), 23), (date(2026, 6, 10), 24), (date(2026, 10, 25), 25),
])
def test_a_space_open_around_the_clock_is_open_the_whole_day_however_long_it_is(day, hours):
    (start, end), = availability(guest_apartment(), day, BERLIN, [], 180)["open"]
    assert (start, end) == day_bounds(day, BERLIN)
    assert end - start == hours * HOUR


def test_a_space_open_until_midnight_is_open_until_the_next_local_midnight():
    rules = community_room(open_from=time(10), open_until=time(0))
    assert availability(rules, date(2026, 10, 24), BERLIN, [], 30)["open"] == [
        (berlin(2026, 10, 24, 10), berlin(2026, 10, 25, 0))]


def test_busy_shows_each_booking_with_its_buffer_after_it_in_order():
    bookings = [
        Booked("b2", berlin(2026, 6, 10, 15), berlin(2026, 6, 10, 17)),
        Booked("b1", berlin(2026, 6, 10, 10), berlin(2026, 6, 10, 12)),
    ]
    assert availability(community_room(), date(2026, 6, 10), BERLIN, bookings, 30)["busy"] == [
        (berlin(2026, 6, 10, 10), berlin(2026, 6, 10, 12, 30)),
        (berlin(2026, 6, 10, 15), berlin(2026, 6, 10, 17, 30)),
    ]


def test_free_time_leaves_the_buffer_on_both_sides_of_a_booking():
    bookings = [Booked("b1", berlin(2026, 6, 10, 10), berlin(2026, 6, 10, 12))]
    assert availability(community_room(), date(2026, 6, 10), BERLIN, bookings, 30)["free"] == [
        (berlin(2026, 6, 10, 8), berlin(2026, 6, 10, 9, 30)),
        (berlin(2026, 6, 10, 12, 30), berlin(2026, 6, 10, 22)),
    ]


def test_free_time_lies_before_between_and_after_several_bookings():
    bookings = [Booked("b1", berlin(2026, 6, 10, 10), berlin(2026, 6, 10, 12)),
                Booked("b2", berlin(2026, 6, 10, 15), berlin(2026, 6, 10, 17))]
    assert availability(community_room(), date(2026, 6, 10), BERLIN, bookings, 30)["free"] == [
        (berlin(2026, 6, 10, 8), berlin(2026, 6, 10, 9, 30)),
        (berlin(2026, 6, 10, 12, 30), berlin(2026, 6, 10, 14, 30)),
        (berlin(2026, 6, 10, 17, 30), berlin(2026, 6, 10, 22)),
    ]


def test_a_day_booked_from_its_opening_to_its_closing_with_the_buffers_has_no_empty_free_time():
    bookings = [Booked("b1", berlin(2026, 6, 10, 8, 30), berlin(2026, 6, 10, 10)),
                Booked("b2", berlin(2026, 6, 10, 20), berlin(2026, 6, 10, 21, 30))]
    assert availability(community_room(), date(2026, 6, 10), BERLIN, bookings, 30)["free"] == [
        (berlin(2026, 6, 10, 10, 30), berlin(2026, 6, 10, 19, 30)),
    ]


def test_the_buffer_defaults_to_the_rules_of_the_space():
    bookings = [Booked("b1", berlin(2026, 6, 10, 10), berlin(2026, 6, 10, 12))]
    assert availability(community_room(buffer_minutes=60), date(2026, 6, 10), BERLIN, bookings)["busy"] == [
        (berlin(2026, 6, 10, 10), berlin(2026, 6, 10, 13))]


def test_a_stay_from_the_day_before_is_busy_from_the_start_of_the_day():
    stay = Booked("stay", berlin(2026, 6, 9, 15), berlin(2026, 6, 10, 11))
    day = availability(guest_apartment(), date(2026, 6, 10), BERLIN, [stay], 180)
    assert day["busy"] == [(berlin(2026, 6, 10), berlin(2026, 6, 10, 14))]
    assert day["free"] == [(berlin(2026, 6, 10, 14), berlin(2026, 6, 11))]


def test_a_buffer_running_past_midnight_shows_on_the_next_day():
    late = Booked("late", berlin(2026, 6, 10, 20), berlin(2026, 6, 10, 23))
    assert availability(guest_apartment(), date(2026, 6, 11), BERLIN, [late], 180)["busy"] == [
        (berlin(2026, 6, 11), berlin(2026, 6, 11, 2))]


def test_a_booking_whose_buffer_ends_as_the_day_begins_is_not_busy_that_day():
    evening = Booked("evening", berlin(2026, 6, 9, 22), berlin(2026, 6, 9, 23, 30))
    day = availability(guest_apartment(), date(2026, 6, 10), BERLIN, [evening], 30)
    assert day["busy"] == [] and day["free"] == [(berlin(2026, 6, 10), berlin(2026, 6, 11))]


def test_bookings_on_other_days_are_not_shown():
    others = [
        Booked("yesterday", berlin(2026, 6, 9, 10), berlin(2026, 6, 9, 12)),
        Booked("tomorrow", berlin(2026, 6, 11, 0), berlin(2026, 6, 11, 2)),
    ]
    assert availability(community_room(), date(2026, 6, 10), BERLIN, others, 30)["busy"] == []


def test_a_whole_booked_autumn_dst_day_is_busy_for_25_hours():
    stay = Booked("stay", berlin(2026, 10, 24, 12), berlin(2026, 10, 26, 12))
    day = availability(guest_apartment(), date(2026, 10, 25), BERLIN, [stay], 180)
    (start, end), = day["busy"]
    assert end - start == 25 * HOUR
    assert day["free"] == []


def test_busy_time_on_the_spring_dst_day_uses_real_utc_instants():
    night = Booked("night", berlin(2026, 3, 29, 1), berlin(2026, 3, 29, 4))
    assert availability(guest_apartment(), date(2026, 3, 29), BERLIN, [night], 60)["busy"] == [
        (utc(2026, 3, 29, 0), utc(2026, 3, 29, 3))]


# --- weekly_series -------------------------------------------------------------------------------------------

def test_a_series_of_one_is_just_the_booking_itself():
    assert weekly_series(berlin(2026, 6, 10, 10), berlin(2026, 6, 10, 12), 1, BERLIN) == [
        (berlin(2026, 6, 10, 10), berlin(2026, 6, 10, 12))]


def test_a_summer_series_repeats_every_seven_days_at_the_same_utc_time():
    series = weekly_series(berlin(2026, 6, 3, 10), berlin(2026, 6, 3, 12), 4, BERLIN)
    assert series == [(berlin(2026, 6, d, 10), berlin(2026, 6, d, 12)) for d in (3, 10, 17, 24)]
    assert series[3][0] - series[0][0] == timedelta(weeks=3)


def test_a_series_across_the_autumn_change_keeps_10_00_local_and_moves_an_hour_in_utc():
    series = weekly_series(berlin(2026, 10, 21, 10), berlin(2026, 10, 21, 12), 2, BERLIN)
    assert series == [
        (utc(2026, 10, 21, 8), utc(2026, 10, 21, 10)),
        (utc(2026, 10, 28, 9), utc(2026, 10, 28, 11)),
    ]


def test_a_series_across_the_spring_change_keeps_10_00_local_and_moves_an_hour_in_utc():
    series = weekly_series(berlin(2026, 3, 26, 10), berlin(2026, 3, 26, 12), 2, BERLIN)
    assert series == [
        (utc(2026, 3, 26, 9), utc(2026, 3, 26, 11)),
        (utc(2026, 4, 2, 8), utc(2026, 4, 2, 10)),
    ]


def test_an_occurrence_in_the_spring_gap_moves_forward_to_03_00():
    series = weekly_series(berlin(2026, 3, 22, 2, 30), berlin(2026, 3, 22, 3, 30), 3, BERLIN)
    assert series[1] == (berlin(2026, 3, 29, 3), berlin(2026, 3, 29, 3, 30))
    assert series[2] == (berlin(2026, 4, 5, 2, 30), berlin(2026, 4, 5, 3, 30))


GAPS = {  # a zone, a day a week before its clocks jump, and the wall-clock time the gap ends at
    "Europe/Berlin": ((2026, 3, 22), (3, 0), range(60)),
    "America/New_York": ((2026, 3, 1), (3, 0), range(60)),
    "Australia/Lord_Howe": ((2026, 9, 27), (2, 30), range(30)),  # its clocks jump half an hour
}


@pytest.mark.parametrize("zone, minute", [(zone, minute) for zone, (_, _, minutes) in GAPS.items()
                                          for minute in minutes if minute % 7 in (0, 1) or minute in (29, 59)])
def test_every_wall_clock_time_in_a_spring_gap_moves_to_the_exact_second_the_clocks_jump(zone, minute):
    tz = ZoneInfo(zone)
    day, gap_ends, _ = GAPS[zone]
    start = datetime(*day, 2, minute, tzinfo=tz)
    series = weekly_series(start, start + 2 * HOUR, 2, tz)
    later = series[1][0].astimezone(tz)
    assert (later.hour, later.minute, later.second, later.microsecond) == (*gap_ends, 0, 0)
    assert series[1][0].tzinfo is UTC


def test_an_occurrence_in_the_repeated_autumn_hour_takes_its_first_pass():
    series = weekly_series(berlin(2026, 10, 18, 2, 30), berlin(2026, 10, 18, 3, 30), 2, BERLIN)
    assert series[1] == (utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 2, 30))
    assert series[1][1] - series[1][0] == 2 * HOUR


def test_a_series_of_multi_day_stays_keeps_arrival_and_departure_times():
    series = weekly_series(berlin(2026, 10, 23, 15), berlin(2026, 10, 26, 11), 2, BERLIN)
    assert series[1] == (berlin(2026, 10, 30, 15), berlin(2026, 11, 2, 11))


def test_a_series_returns_aware_utc_times_even_when_given_another_offset():
    plus_two = timezone(timedelta(hours=2))
    series = weekly_series(datetime(2026, 6, 3, 10, tzinfo=plus_two), datetime(2026, 6, 3, 12, tzinfo=plus_two),
                           2, BERLIN)
    assert all(moment.tzinfo is UTC for occurrence in series for moment in occurrence)
    assert series[0] == (utc(2026, 6, 3, 8), utc(2026, 6, 3, 10))


def test_a_series_may_have_52_occurrences_but_not_53_and_not_none():
    start, end = berlin(2026, 6, 3, 10), berlin(2026, 6, 3, 12)
    assert len(weekly_series(start, end, MAX_SERIES_LENGTH, BERLIN)) == 52
    for count in (0, -1, 53):
        with pytest.raises(ValueError, match=f"a weekly series has between 1 and 52 occurrences, not {count}$"):
            weekly_series(start, end, count, BERLIN)
    for count in (2.0, "2", True):
        with pytest.raises(TypeError, match="^count must be a whole number$"):
            weekly_series(start, end, count, BERLIN)


def test_a_series_refuses_naive_times():
    with pytest.raises(ValueError, match="^start must be timezone-aware"):
        weekly_series(datetime(2026, 6, 3, 10), berlin(2026, 6, 3, 12), 2, BERLIN)
    with pytest.raises(ValueError, match="^end must be timezone-aware"):
        weekly_series(berlin(2026, 6, 3, 10), datetime(2026, 6, 3, 12), 2, BERLIN)
