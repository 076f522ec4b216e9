"""The household quota as one policy: who counts as a household, the week, the guard weeks, the check."""
from datetime import datetime, timedelta, timezone

import pytest

from services.spaces.domain import Booked, Household, HouseholdQuota, RuleBroken
from tests.unit.spaces.examples import BERLIN, berlin, community_room

QUOTA = HouseholdQuota(minutes_per_week=240, tz=BERLIN)


def booked(start: datetime, hours: int, *, member: str, household: str | None) -> Booked:
    return Booked(f"{member}-{start:%d%H}", start, start + timedelta(hours=hours), member, household)


def test_members_who_give_the_same_household_book_against_one_quota():
    ayse, her_husband = Household("ayse", "Haus 7"), Household("mehmet", "Haus 7")
    bookings = [booked(berlin(2026, 6, 9, 10), 2, member="mehmet", household="Haus 7"),
                booked(berlin(2026, 6, 10, 10), 1, member="bora", household="Haus 8")]
    assert QUOTA.minutes_held(ayse, bookings, berlin(2026, 6, 11, 10)) == 120
    assert QUOTA.minutes_held(her_husband, bookings, berlin(2026, 6, 11, 10)) == 120


def test_a_member_without_a_household_is_a_household_of_their_own():
    alone = Household("olga")
    bookings = [booked(berlin(2026, 6, 9, 10), 2, member="olga", household=None),
                booked(berlin(2026, 6, 9, 14), 1, member="oleg", household=None)]
    assert QUOTA.minutes_held(alone, bookings, berlin(2026, 6, 11, 10)) == 120


def test_a_booking_counts_in_the_local_week_it_starts_in():
    household = Household("ayse", "Haus 7")
    sunday_night = booked(berlin(2026, 6, 14, 23), 2, member="ayse", household="Haus 7")  # runs into Monday
    assert QUOTA.week(berlin(2026, 6, 10, 10)) == (berlin(2026, 6, 8), berlin(2026, 6, 15))
    assert QUOTA.minutes_held(household, [sunday_night], berlin(2026, 6, 10, 10)) == 120
    assert QUOTA.minutes_held(household, [sunday_night], berlin(2026, 6, 15, 10)) == 0


def test_the_guard_weeks_are_the_two_utc_weeks_the_local_week_touches():
    utc = timezone.utc
    assert QUOTA.guard_weeks(berlin(2026, 6, 10, 10)) == [datetime(2026, 6, 1, tzinfo=utc),
                                                          datetime(2026, 6, 8, tzinfo=utc)]


def test_the_quota_may_be_filled_exactly_and_not_passed():
    QUOTA.check(180, 60)
    with pytest.raises(RuleBroken) as broken:
        QUOTA.check(180, 90)
    assert (broken.value.rule, broken.value.limit) == ("household_quota", 240)


def test_a_space_without_a_quota_has_no_policy():
    assert HouseholdQuota.of(community_room(household_quota_minutes_per_week=None), BERLIN) is None
    assert HouseholdQuota.of(community_room(), BERLIN) == QUOTA


def test_weeks_that_ended_more_than_eight_days_ago_count_for_nothing():
    now = berlin(2026, 6, 10, 10)
    assert HouseholdQuota.counts_since(now) == now - timedelta(days=8)
    assert QUOTA.week(now)[0] > HouseholdQuota.counts_since(now)
