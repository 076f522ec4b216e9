"""The booking rules of a space: which rules are consistent, and every rule of `check_booking` at its edge."""
import dataclasses
from datetime import datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import pytest

from services.spaces.domain import (
    DEFAULT_COMMUNITY_TZ, RULE_NAMES, InvalidRules, NotATimeOfDay, RuleBroken, Rules, check_booking,
    duration_minutes, parse_hhmm, to_local,
)

from tests.unit.spaces.examples import berlin, community_room

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")


def guest_apartment(**overrides):
    fields = dict(
        open_from=time(0), open_until=time(0), slot_minutes=60, min_duration_minutes=60,
        max_duration_minutes=14 * 24 * 60, max_days_ahead=180, household_quota_minutes_per_week=None,
        requires_approval=True, buffer_minutes=180,
    )
    fields.update(overrides)
    return Rules(**fields)


def garden_kitchen(**overrides):
    """Open until midnight."""
    return community_room(open_from=time(10), open_until=time(0), **overrides)


def night_workshop(**overrides):
    """Open from midnight."""
    return community_room(open_from=time(0), open_until=time(12), **overrides)


def check(rules, start, end, *, now=None, booked=0):
    return check_booking(
        rules, start, end, now=now or start - timedelta(days=1), tz=BERLIN,
        household_minutes_booked_in_week=booked,
    )


def broken(rules, start, end, **kwargs):
    with pytest.raises(RuleBroken) as caught:
        check(rules, start, end, **kwargs)
    return caught.value


# --- Rules ---------------------------------------------------------------------------------------------------

def test_the_four_spaces_of_the_house_have_consistent_rules():
    for rules in (community_room(), guest_apartment(), garden_kitchen(), night_workshop()):
        assert rules.validate() is rules


def test_open_from_midnight_until_midnight_means_open_around_the_clock():
    assert guest_apartment().open_around_the_clock
    assert not garden_kitchen().open_around_the_clock
    assert not night_workshop().open_around_the_clock


def test_opening_hours_read_24_00_for_midnight_at_the_end_of_the_day():
    assert community_room().opening_hours_text == "08:00–22:00"
    assert garden_kitchen().opening_hours_text == "10:00–24:00"
    assert guest_apartment().opening_hours_text == "00:00–24:00"


def test_rules_cannot_be_changed_once_made():
    with pytest.raises(dataclasses.FrozenInstanceError):
        community_room().slot_minutes = 15


NOT_MORE_THAN_0 = "must be more than 0."
WHOLE_NUMBER = "must be a whole number."
NOT_NEGATIVE = "must not be negative."
TIME_OF_DAY = "must be a time of day such as 08:00, without a time zone."
MULTIPLE_OF_30 = "must be a multiple of slot_minutes (30)."
ON_THE_GRID = "must lie on the 30-minute grid counted from midnight."
LATER_THAN_OPEN_FROM = "must be later than open_from (use 00:00 for midnight)."
SHORTER_THAN_A_BOOKING = "is shorter than the shortest booking, so no household could book at all."


@pytest.mark.parametrize("field, overrides, message", [
    ("slot_minutes", dict(slot_minutes=0), NOT_MORE_THAN_0),
    ("slot_minutes", dict(slot_minutes=-30), NOT_MORE_THAN_0),
    ("slot_minutes", dict(slot_minutes=7), "must divide a day evenly, for example 15, 30, 60 or 1440."),
    ("slot_minutes", dict(slot_minutes=True), WHOLE_NUMBER),
    ("slot_minutes", dict(slot_minutes=30.0), WHOLE_NUMBER),
    ("min_duration_minutes", dict(min_duration_minutes=0), NOT_MORE_THAN_0),
    ("min_duration_minutes", dict(min_duration_minutes=45), MULTIPLE_OF_30),
    ("max_duration_minutes", dict(min_duration_minutes=120, max_duration_minutes=60),
     "must not be less than min_duration_minutes."),
    ("max_duration_minutes", dict(max_duration_minutes=135), MULTIPLE_OF_30),
    ("min_duration_minutes", dict(open_from=time(20), open_until=time(21), min_duration_minutes=120,
                                  max_duration_minutes=120), "is longer than the space is open in a day."),
    ("open_until", dict(open_from=time(22), open_until=time(8)), LATER_THAN_OPEN_FROM),
    ("open_until", dict(open_from=time(8), open_until=time(8)), LATER_THAN_OPEN_FROM),
    ("open_from", dict(open_from=time(8, 15)), ON_THE_GRID),
    ("open_until", dict(open_until=time(21, 45)), ON_THE_GRID),
    ("open_from", dict(open_from=time(8, 0, 30)), "must be given in whole minutes."),
    ("open_from", dict(open_from="08:00"), TIME_OF_DAY),
    ("open_until", dict(open_until=time(22, tzinfo=UTC)), TIME_OF_DAY),
    ("max_days_ahead", dict(max_days_ahead=-1), NOT_NEGATIVE),
    ("household_quota_minutes_per_week", dict(household_quota_minutes_per_week=-60), NOT_NEGATIVE),
    ("household_quota_minutes_per_week", dict(household_quota_minutes_per_week=30), SHORTER_THAN_A_BOOKING),
    # No quota at all is not "negative": it is too short for any booking, and the organiser is told so.
    ("household_quota_minutes_per_week", dict(household_quota_minutes_per_week=0), SHORTER_THAN_A_BOOKING),
    ("household_quota_minutes_per_week", dict(household_quota_minutes_per_week="240"), WHOLE_NUMBER),
    ("buffer_minutes", dict(buffer_minutes=-1), NOT_NEGATIVE),
    ("requires_approval", dict(requires_approval="yes"), "must be true or false."),
])
def test_inconsistent_rules_are_refused_naming_the_field_and_what_to_fix(field, overrides, message):
    """The field and the sentence are what the organiser's form shows next to the field (`rules.<field>`)."""
    with pytest.raises(InvalidRules) as caught:
        community_room(**overrides)
    assert (caught.value.field, caught.value.message) == (field, message)
    assert str(caught.value) == f"{field}: {message}"


@pytest.mark.parametrize("overrides", [
    dict(household_quota_minutes_per_week=None),
    dict(household_quota_minutes_per_week=60),
    dict(buffer_minutes=0),
    dict(max_days_ahead=0),
    dict(min_duration_minutes=30, max_duration_minutes=30),
    dict(slot_minutes=15, open_from=time(8, 15), open_until=time(21, 45)),
    dict(slot_minutes=90, open_from=time(7, 30), open_until=time(22, 30), min_duration_minutes=90,
         max_duration_minutes=180),
    dict(open_from=time(20), open_until=time(21), min_duration_minutes=60, max_duration_minutes=120),
    dict(open_from=time(23), open_until=time(0)),
    dict(slot_minutes=1),
    dict(slot_minutes=1, min_duration_minutes=1, max_duration_minutes=1),
])
def test_unusual_but_consistent_rules_are_accepted(overrides):
    community_room(**overrides)


def test_a_stay_can_be_booked_in_whole_days_with_a_one_day_grid():
    rules = guest_apartment(slot_minutes=24 * 60, min_duration_minutes=24 * 60)
    check(rules, berlin(2026, 6, 10), berlin(2026, 6, 13))


# --- end_before_start and in_the_past ------------------------------------------------------------------------

def test_booking_ending_before_it_starts_is_refused():
    error = broken(community_room(), berlin(2026, 6, 10, 12), berlin(2026, 6, 10, 10))
    assert error.rule == "end_before_start"
    assert error.message == "The end of a booking must be later than its start."


def test_booking_ending_the_moment_it_starts_is_refused():
    error = broken(community_room(), berlin(2026, 6, 10, 12), berlin(2026, 6, 10, 12))
    assert error.rule == "end_before_start"


def test_a_reversed_booking_in_the_past_is_reported_as_reversed_first():
    now = berlin(2026, 6, 10, 15)
    error = broken(community_room(), berlin(2026, 6, 10, 12), berlin(2026, 6, 10, 10), now=now)
    assert error.rule == "end_before_start"


def test_booking_starting_exactly_now_is_allowed():
    check(community_room(), berlin(2026, 6, 10, 10), berlin(2026, 6, 10, 11), now=berlin(2026, 6, 10, 10))


def test_booking_starting_one_minute_before_now_is_refused_as_in_the_past():
    now = berlin(2026, 6, 10, 10, 1)
    error = broken(community_room(), berlin(2026, 6, 10, 10), berlin(2026, 6, 10, 11), now=now)
    assert error.rule == "in_the_past"
    assert error.limit == "2026-06-10T08:01:00Z"
    assert error.message == "A booking cannot start in the past."


def test_the_limits_of_refusals_are_utc_whatever_the_zone_of_the_machine(machine_in_new_york):
    now = berlin(2026, 6, 10, 10, 1)
    assert broken(community_room(), berlin(2026, 6, 10, 10), berlin(2026, 6, 10, 11), now=now).limit == \
        "2026-06-10T08:01:00Z"
    assert broken(community_room(), berlin(2026, 6, 10, 12), berlin(2026, 6, 10, 10)).limit == "2026-06-10T10:00:00Z"


def test_booking_already_under_way_is_refused_as_in_the_past():
    now = berlin(2026, 6, 10, 10, 30)
    error = broken(community_room(), berlin(2026, 6, 10, 10), berlin(2026, 6, 10, 12), now=now)
    assert error.rule == "in_the_past"


# --- slot_grid -----------------------------------------------------------------------------------------------

def test_booking_on_the_half_hour_grid_is_allowed():
    check(community_room(), berlin(2026, 6, 10, 10, 30), berlin(2026, 6, 10, 12))


@pytest.mark.parametrize("start, end", [
    ((10, 15), (11, 30)),
    ((10, 0), (11, 15)),
    ((10, 1), (11, 0)),
])
def test_booking_starting_or_ending_off_the_grid_is_refused(start, end):
    error = broken(community_room(), berlin(2026, 6, 10, *start), berlin(2026, 6, 10, *end))
    assert error.rule == "slot_grid"
    assert error.limit == 30
    assert "every 30 minutes" in error.message


def test_booking_with_stray_seconds_is_refused_as_off_the_grid():
    start = berlin(2026, 6, 10, 10) + timedelta(seconds=1)
    assert broken(community_room(), start, berlin(2026, 6, 10, 11)).rule == "slot_grid"


def test_slot_grid_is_counted_from_local_midnight_not_from_utc_midnight():
    rules = community_room(slot_minutes=90, open_from=time(7, 30), open_until=time(22, 30),
                           min_duration_minutes=90, max_duration_minutes=180)
    # 10:30-12:00 Berlin summer time is 08:30-10:00 UTC, which is off a 90-minute grid counted in UTC.
    check(rules, berlin(2026, 6, 10, 10, 30), berlin(2026, 6, 10, 12))
    assert broken(rules, berlin(2026, 6, 10, 10), berlin(2026, 6, 10, 11, 30)).rule == "slot_grid"


def test_slot_grid_follows_the_wall_clock_on_the_spring_dst_day():
    rules = guest_apartment(slot_minutes=60, max_duration_minutes=120)
    check(rules, berlin(2026, 3, 29, 1), berlin(2026, 3, 29, 4))


def test_the_repeated_autumn_hour_lies_on_the_grid_both_times():
    rules = guest_apartment(slot_minutes=30)
    check(rules, berlin(2026, 10, 25, 2, 30), berlin(2026, 10, 25, 2, 30, fold=1))


# --- min_duration and max_duration ---------------------------------------------------------------------------

def test_booking_exactly_as_long_as_the_shortest_allowed_is_allowed():
    check(community_room(), berlin(2026, 6, 10, 10), berlin(2026, 6, 10, 11))


def test_booking_one_slot_shorter_than_the_shortest_allowed_is_refused():
    error = broken(community_room(), berlin(2026, 6, 10, 10), berlin(2026, 6, 10, 10, 30))
    assert (error.rule, error.limit) == ("min_duration", 60)
    assert error.message == "This room must be booked for at least 1 hour at a time."


def test_booking_exactly_as_long_as_the_longest_allowed_is_allowed():
    check(community_room(), berlin(2026, 6, 10, 10), berlin(2026, 6, 10, 12))


def test_booking_one_slot_longer_than_the_longest_allowed_is_refused():
    error = broken(community_room(), berlin(2026, 6, 10, 10), berlin(2026, 6, 10, 12, 30))
    assert (error.rule, error.limit) == ("max_duration", 120)
    assert error.message == "This room can be booked for at most 2 hours at a time."


def test_booking_from_one_to_four_on_the_spring_dst_night_lasts_two_hours():
    assert duration_minutes(berlin(2026, 3, 29, 1), berlin(2026, 3, 29, 4)) == 120
    check(guest_apartment(max_duration_minutes=120), berlin(2026, 3, 29, 1), berlin(2026, 3, 29, 4))


def test_durations_are_real_minutes_even_for_times_given_on_the_local_clock():
    # Python subtracts two datetimes sharing one ZoneInfo by wall clock; the rules must not.
    spring_night = datetime(2026, 3, 29, 1, tzinfo=BERLIN), datetime(2026, 3, 29, 4, tzinfo=BERLIN)
    autumn_night = datetime(2026, 10, 25, 1, tzinfo=BERLIN), datetime(2026, 10, 25, 3, tzinfo=BERLIN)
    assert duration_minutes(*spring_night) == 120
    assert duration_minutes(*autumn_night) == 180


def test_booking_from_one_to_three_on_the_autumn_dst_night_lasts_three_hours_and_is_too_long():
    start, end = berlin(2026, 10, 25, 1), berlin(2026, 10, 25, 3)
    assert duration_minutes(start, end) == 180
    error = broken(guest_apartment(max_duration_minutes=120), start, end)
    assert (error.rule, error.limit) == ("max_duration", 120)


def test_half_an_hour_across_the_spring_gap_is_too_short_for_an_hour_minimum():
    rules = guest_apartment(slot_minutes=30)
    error = broken(rules, berlin(2026, 3, 29, 1, 30), berlin(2026, 3, 29, 3))
    assert (error.rule, error.limit) == ("min_duration", 60)


def test_a_two_week_stay_in_the_guest_apartment_is_allowed_but_not_one_hour_more():
    check(guest_apartment(), berlin(2026, 7, 1, 15), berlin(2026, 7, 15, 15))
    error = broken(guest_apartment(), berlin(2026, 7, 1, 15), berlin(2026, 7, 15, 16))
    assert (error.rule, error.limit) == ("max_duration", 14 * 24 * 60)
    assert error.message == "This room can be booked for at most 14 days at a time."


def test_a_stay_across_the_autumn_change_counts_its_extra_hour():
    rules = guest_apartment(max_duration_minutes=7 * 24 * 60)
    check(rules, berlin(2026, 10, 20, 15), berlin(2026, 10, 27, 14))
    assert broken(rules, berlin(2026, 10, 20, 15), berlin(2026, 10, 27, 15)).rule == "max_duration"


# --- days_ahead ----------------------------------------------------------------------------------------------

def test_booking_on_the_last_day_that_may_be_booked_is_allowed_until_its_end():
    now = berlin(2026, 6, 1, 9)
    check(community_room(), berlin(2026, 7, 1, 20), berlin(2026, 7, 1, 22), now=now)


def test_booking_one_day_beyond_the_limit_is_refused_even_at_opening_time():
    error = broken(community_room(), berlin(2026, 7, 2, 8), berlin(2026, 7, 2, 9), now=berlin(2026, 6, 1, 21))
    assert (error.rule, error.limit) == ("days_ahead", 30)
    assert error.message == "This room can be booked at most 30 days in advance."


def test_days_ahead_count_from_the_local_date_of_now_not_the_utc_date():
    # 00:30 on 2 June in Berlin is still 1 June in UTC; residents think of it as 2 June.
    now = berlin(2026, 6, 2, 0, 30)
    assert now.date().day == 1
    check(community_room(), berlin(2026, 7, 2, 8), berlin(2026, 7, 2, 9), now=now)


def test_days_ahead_count_calendar_days_across_the_spring_change():
    now = berlin(2026, 3, 1, 23, 30)
    check(community_room(), berlin(2026, 3, 31, 8), berlin(2026, 3, 31, 9), now=now)
    assert broken(community_room(), berlin(2026, 4, 1, 8), berlin(2026, 4, 1, 9), now=now).rule == "days_ahead"


def test_a_space_bookable_only_today_refuses_tomorrow():
    rules = community_room(max_days_ahead=0)
    now = berlin(2026, 6, 10, 7)
    check(rules, berlin(2026, 6, 10, 20), berlin(2026, 6, 10, 22), now=now)
    error = broken(rules, berlin(2026, 6, 11, 8), berlin(2026, 6, 11, 9), now=now)
    assert (error.rule, error.limit) == ("days_ahead", 0)
    assert error.message == "This room can only be booked for today."


# --- opening_hours -------------------------------------------------------------------------------------------

def test_booking_starting_exactly_at_opening_time_is_allowed():
    check(community_room(), berlin(2026, 6, 10, 8), berlin(2026, 6, 10, 9))


def test_booking_starting_one_slot_before_opening_time_is_refused():
    error = broken(community_room(), berlin(2026, 6, 10, 7, 30), berlin(2026, 6, 10, 9))
    assert (error.rule, error.limit) == ("opening_hours", "08:00–22:00")
    assert error.message == "This room can only be booked between 08:00 and 22:00, within one day."


def test_booking_ending_exactly_at_closing_time_is_allowed():
    check(community_room(), berlin(2026, 6, 10, 20), berlin(2026, 6, 10, 22))


def test_booking_ending_one_slot_after_closing_time_is_refused():
    error = broken(community_room(), berlin(2026, 6, 10, 21), berlin(2026, 6, 10, 22, 30))
    assert error.rule == "opening_hours"


@pytest.mark.parametrize("month, day", [(3, 29), (10, 25)])
def test_opening_hours_keep_to_the_wall_clock_on_both_dst_days(month, day):
    check(community_room(), berlin(2026, month, day, 8), berlin(2026, month, day, 10))
    check(community_room(), berlin(2026, month, day, 20), berlin(2026, month, day, 22))
    assert broken(community_room(), berlin(2026, month, day, 7), berlin(2026, month, day, 8, 30)).rule == \
        "opening_hours"
    assert broken(community_room(), berlin(2026, month, day, 21), berlin(2026, month, day, 22, 30)).rule == \
        "opening_hours"


def test_opening_time_inside_the_spring_gap_opens_when_the_clocks_reach_three():
    rules = community_room(open_from=time(2), open_until=time(6))
    check(rules, berlin(2026, 3, 29, 3), berlin(2026, 3, 29, 5))
    check(rules, berlin(2026, 3, 28, 2), berlin(2026, 3, 28, 4))
    assert broken(rules, berlin(2026, 3, 29, 1), berlin(2026, 3, 29, 3)).rule == "opening_hours"


def test_space_open_until_midnight_can_be_booked_right_up_to_midnight():
    check(garden_kitchen(), berlin(2026, 6, 10, 22), berlin(2026, 6, 11, 0))


def test_space_open_until_midnight_refuses_a_booking_running_past_midnight():
    error = broken(garden_kitchen(), berlin(2026, 6, 10, 23), berlin(2026, 6, 11, 1))
    assert (error.rule, error.limit) == ("opening_hours", "10:00–24:00")
    assert error.message == "This room can only be booked between 10:00 and midnight, within one day."


def test_space_open_until_midnight_refuses_a_booking_starting_at_midnight():
    assert broken(garden_kitchen(), berlin(2026, 6, 11, 0), berlin(2026, 6, 11, 1)).rule == "opening_hours"


def test_space_open_from_midnight_can_be_booked_from_midnight():
    check(night_workshop(), berlin(2026, 6, 11, 0), berlin(2026, 6, 11, 2))


def test_space_open_from_midnight_refuses_a_booking_starting_the_evening_before():
    assert broken(night_workshop(), berlin(2026, 6, 10, 23), berlin(2026, 6, 11, 1)).rule == "opening_hours"


def test_space_open_around_the_clock_takes_a_booking_across_midnight():
    check(guest_apartment(), berlin(2026, 6, 10, 22), berlin(2026, 6, 11, 2))


def test_space_open_around_the_clock_takes_a_stay_of_several_days():
    check(guest_apartment(), berlin(2026, 6, 10, 15), berlin(2026, 6, 13, 11))


def test_space_open_around_the_clock_takes_a_stay_across_both_dst_nights():
    check(guest_apartment(), berlin(2026, 3, 28, 15), berlin(2026, 3, 30, 11))
    check(guest_apartment(), berlin(2026, 10, 24, 15), berlin(2026, 10, 26, 11))


# --- household_quota -----------------------------------------------------------------------------------------

def test_booking_that_fills_the_weekly_quota_exactly_is_allowed():
    check(community_room(), berlin(2026, 6, 10, 10), berlin(2026, 6, 10, 12), booked=120)


def test_booking_one_slot_over_the_weekly_quota_is_refused():
    error = broken(community_room(), berlin(2026, 6, 10, 10), berlin(2026, 6, 10, 12), booked=150)
    assert (error.rule, error.limit) == ("household_quota", 240)
    assert error.message == "Each household can book this room for at most 4 hours a week (Monday to Sunday)."


def test_household_with_the_quota_used_up_cannot_book_even_the_shortest_booking():
    assert broken(community_room(), berlin(2026, 6, 10, 10), berlin(2026, 6, 10, 11), booked=240).rule == \
        "household_quota"


def test_space_without_a_quota_takes_any_amount_of_booking():
    check(community_room(household_quota_minutes_per_week=None), berlin(2026, 6, 10, 10),
          berlin(2026, 6, 10, 12), booked=10_000)


def test_quota_counts_real_minutes_on_the_spring_dst_night():
    rules = guest_apartment(household_quota_minutes_per_week=120, max_duration_minutes=180)
    check(rules, berlin(2026, 3, 29, 1), berlin(2026, 3, 29, 4))
    assert broken(rules, berlin(2026, 10, 25, 1), berlin(2026, 10, 25, 3)).rule == "household_quota"


def test_minutes_already_booked_must_be_a_whole_number_not_below_zero():
    refusal = "^household_minutes_booked_in_week must be a whole number of minutes, 0 or more$"
    for wrong in (-1, 1.5, None, True):
        with pytest.raises(ValueError, match=refusal):
            check(community_room(), berlin(2026, 6, 10, 10), berlin(2026, 6, 10, 11), booked=wrong)


# --- order, inputs and messages ------------------------------------------------------------------------------

@pytest.mark.parametrize("start, end, now, booked, rule", [
    # off the grid, too long, too far ahead, outside the hours and over the quota: the grid is named
    (berlin(2026, 9, 1, 6, 15), berlin(2026, 9, 1, 9, 15), berlin(2026, 6, 1, 9), 240, "slot_grid"),
    # too short and too far ahead
    (berlin(2026, 9, 1, 10), berlin(2026, 9, 1, 10, 30), berlin(2026, 6, 1, 9), 240, "min_duration"),
    # too long, too far ahead, outside the hours
    (berlin(2026, 9, 1, 6), berlin(2026, 9, 1, 9), berlin(2026, 6, 1, 9), 240, "max_duration"),
    # too far ahead, outside the hours, over the quota
    (berlin(2026, 9, 1, 7), berlin(2026, 9, 1, 9), berlin(2026, 6, 1, 9), 240, "days_ahead"),
    # outside the hours and over the quota
    (berlin(2026, 6, 10, 7), berlin(2026, 6, 10, 9), berlin(2026, 6, 1, 9), 240, "opening_hours"),
    # in the past and off the grid
    (berlin(2026, 5, 1, 7, 15), berlin(2026, 5, 1, 9), berlin(2026, 6, 1, 9), 240, "in_the_past"),
])
def test_the_first_broken_rule_in_the_documented_order_is_reported(start, end, now, booked, rule):
    assert broken(community_room(), start, end, now=now, booked=booked).rule == rule


@pytest.mark.parametrize("which", ["start", "end", "now"])
def test_a_naive_datetime_is_refused(which):
    times = dict(start=berlin(2026, 6, 10, 10), end=berlin(2026, 6, 10, 11), now=berlin(2026, 6, 1, 9))
    times[which] = times[which].replace(tzinfo=None)
    with pytest.raises(ValueError, match=f"^{which} must be timezone-aware"):
        check_booking(community_room(), times["start"], times["end"], now=times["now"], tz=BERLIN,
                      household_minutes_booked_in_week=0)


def test_aware_times_in_another_offset_mean_the_same_instants():
    plus_two = timezone(timedelta(hours=2))
    check_booking(community_room(), datetime(2026, 6, 10, 20, tzinfo=plus_two),
                  datetime(2026, 6, 10, 22, tzinfo=plus_two), now=datetime(2026, 6, 1, tzinfo=plus_two),
                  tz=BERLIN, household_minutes_booked_in_week=0)


def test_rules_follow_the_time_zone_of_the_community():
    new_york = ZoneInfo("America/New_York")
    # 20:00 in New York is 02:00 the next morning in Berlin, when the room is closed.
    start = datetime(2026, 6, 10, 20, tzinfo=new_york).astimezone(UTC)
    check_booking(community_room(), start, start + timedelta(hours=1), now=start, tz=new_york,
                  household_minutes_booked_in_week=0)
    with pytest.raises(RuleBroken):
        check_booking(community_room(), start, start + timedelta(hours=1), now=start, tz=BERLIN,
                      household_minutes_booked_in_week=0)


def test_every_refusal_is_one_plain_sentence_and_names_a_known_rule():
    cases = [
        (community_room(), berlin(2026, 6, 10, 12), berlin(2026, 6, 10, 10), {}),
        (community_room(), berlin(2026, 6, 10, 10), berlin(2026, 6, 10, 11), dict(now=berlin(2026, 6, 10, 11))),
        (community_room(), berlin(2026, 6, 10, 10, 15), berlin(2026, 6, 10, 11, 15), {}),
        (community_room(slot_minutes=60, min_duration_minutes=60), berlin(2026, 6, 10, 10, 30),
         berlin(2026, 6, 10, 11, 30), {}),
        (guest_apartment(slot_minutes=24 * 60, min_duration_minutes=24 * 60), berlin(2026, 6, 10, 10),
         berlin(2026, 6, 11, 10), {}),
        (community_room(), berlin(2026, 6, 10, 10), berlin(2026, 6, 10, 10, 30), {}),
        (community_room(), berlin(2026, 6, 10, 10), berlin(2026, 6, 10, 13), {}),
        (community_room(), berlin(2026, 9, 10, 10), berlin(2026, 9, 10, 11), dict(now=berlin(2026, 6, 1))),
        (community_room(), berlin(2026, 6, 10, 22), berlin(2026, 6, 10, 23), {}),
        (community_room(), berlin(2026, 6, 10, 10), berlin(2026, 6, 10, 11), dict(booked=200)),
    ]
    seen = set()
    for rules, start, end, kwargs in cases:
        error = broken(rules, start, end, **kwargs)
        seen.add(error.rule)
        assert error.rule in RULE_NAMES
        assert str(error) == error.message
        assert error.message[0].isupper() and error.message.endswith(".")
        assert "_" not in error.message and error.message.count(". ") == 0
        assert isinstance(error.limit, (int, str))
    assert seen == set(RULE_NAMES)


def test_the_grid_message_gives_examples_that_lie_on_the_grid():
    assert broken(community_room(), berlin(2026, 6, 10, 10, 15), berlin(2026, 6, 10, 11, 15)).message == (
        "Bookings for this room begin and end at fixed times, every 30 minutes from midnight, "
        "for example 10:00 or 10:30."
    )
    rules = community_room(slot_minutes=90, open_from=time(7, 30), open_until=time(22, 30),
                           min_duration_minutes=90, max_duration_minutes=180)
    error = broken(rules, berlin(2026, 6, 10, 10), berlin(2026, 6, 10, 11, 30))
    assert "for example 10:30 or 12:00" in error.message


@pytest.mark.parametrize("overrides, message", [
    (dict(slot_minutes=60), "Bookings for this room begin and end at fixed times, every hour from midnight, "
                            "for example 10:00 or 11:00."),
    (dict(slot_minutes=720, open_from=time(0), open_until=time(0), min_duration_minutes=720,
          max_duration_minutes=1440, household_quota_minutes_per_week=None),
     "Bookings for this room begin and end at fixed times, every 12 hours from midnight, for example 12:00."),
    (dict(slot_minutes=1440, open_from=time(0), open_until=time(0), min_duration_minutes=1440,
          max_duration_minutes=1440, household_quota_minutes_per_week=None),
     "Bookings for this room begin and end at midnight."),
])
def test_the_grid_message_names_the_step_and_only_examples_within_the_day(overrides, message):
    start = berlin(2026, 6, 10, 10, 30)
    assert broken(community_room(**overrides), start, start + timedelta(days=1)).message == message


@pytest.mark.parametrize("minutes, text", [(90, "1 hour and 30 minutes"), (1440, "1 day"), (1500, "25 hours"),
                                           (2880, "2 days"), (30, "30 minutes")])
def test_durations_in_the_refusals_read_as_a_person_would_say_them(minutes, text):
    rules = guest_apartment(slot_minutes=30, min_duration_minutes=30, max_duration_minutes=minutes)
    start = berlin(2026, 6, 10, 10)
    error = broken(rules, start, start + timedelta(minutes=minutes + 30))
    assert error.message == f"This room can be booked for at most {text} at a time."


# --- small helpers -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [("08:00", time(8)), ("8:30", time(8, 30)), ("00:00", time(0)),
                                            ("23:59", time(23, 59))])
def test_times_of_day_are_read_from_hh_mm(text, expected):
    assert parse_hhmm(text) == expected


@pytest.mark.parametrize("text", ["24:00", "25:00", "08:60", "0800", "8", "", " 08:00", "08:00:00", "ab:cd"])
def test_malformed_times_of_day_are_refused(text):
    with pytest.raises(ValueError):
        parse_hhmm(text)


@pytest.mark.parametrize("text", ["24:00", "24:30", "23:60", "8", None, 800])
def test_what_is_no_time_of_day_is_refused_as_such_for_the_organisers_form(text):
    with pytest.raises(NotATimeOfDay) as caught:
        parse_hhmm(text)
    assert str(caught.value) == f"{text!r} is not a time of day like 08:30"


def test_a_duration_counts_whole_minutes():
    start = datetime(2026, 6, 10, 10, tzinfo=UTC)
    assert duration_minutes(start, start + timedelta(seconds=119)) == 1


def test_a_duration_of_naive_times_is_refused_naming_the_naive_one():
    start, end = datetime(2026, 6, 10, 10, tzinfo=UTC), datetime(2026, 6, 10, 11, tzinfo=UTC)
    with pytest.raises(ValueError, match="^start must be timezone-aware"):
        duration_minutes(start.replace(tzinfo=None), end)
    with pytest.raises(ValueError, match="^end must be timezone-aware"):
        duration_minutes(start, end.replace(tzinfo=None))


def test_24_00_is_read_as_midnight_only_for_the_end_of_the_day():
    assert parse_hhmm("24:00", end_of_day=True) == time(0)
    assert parse_hhmm("22:00", end_of_day=True) == time(22)


def test_to_local_shows_the_instant_on_the_community_clock_and_refuses_naive_times():
    assert to_local(datetime(2026, 3, 29, 1, tzinfo=UTC), DEFAULT_COMMUNITY_TZ).hour == 3
    with pytest.raises(ValueError, match="^dt must be timezone-aware"):
        to_local(datetime(2026, 3, 29, 1), BERLIN)


class NoOffset(tzinfo):
    """A time zone that cannot say its offset: Python counts a time in it as naive."""

    def utcoffset(self, moment):
        return None


def test_a_time_in_a_zone_without_an_offset_or_no_time_at_all_is_refused():
    with pytest.raises(ValueError, match="^dt must be timezone-aware"):
        to_local(datetime(2026, 3, 29, 1, tzinfo=NoOffset()), BERLIN)
    with pytest.raises(TypeError, match="^dt must be a datetime$"):
        to_local("2026-03-29T01:00:00Z", BERLIN)
