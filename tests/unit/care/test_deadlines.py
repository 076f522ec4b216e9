"""When a day's check-in is due, in the community's time zone: across midnight and on both days the clocks change,
which check-ins count for a day, away days, and whether a missed day raises an alert."""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from services.care import domain
from services.care.domain import AwayRange, Schedule

BERLIN = ZoneInfo("Europe/Berlin")
UTC = timezone.utc


def schedule(at="10:00", grace=60, tz=BERLIN) -> Schedule:
    return Schedule(domain.parse_time_of_day(at), grace, tz)


def berlin(day: date, hour: int, minute: int = 0, fold: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN).replace(fold=fold).astimezone(UTC)


class TestDeadline:
    def test_an_ordinary_winter_day_is_daily_by_plus_grace_on_the_wall_clock(self):
        assert domain.deadline(date(2026, 12, 1), schedule("10:00", 60)) == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)

    def test_a_summer_day_uses_summer_time(self):
        assert domain.deadline(date(2026, 7, 1), schedule("10:00", 0)) == datetime(2026, 7, 1, 8, 0, tzinfo=UTC)

    def test_a_deadline_that_runs_past_midnight_falls_on_the_next_calendar_day(self):
        found = domain.deadline(date(2026, 12, 1), schedule("23:30", 60))

        assert found.astimezone(BERLIN).date() == date(2026, 12, 2)
        assert found.astimezone(BERLIN).time() == time(0, 30)

    def test_a_time_the_clocks_skip_is_taken_as_the_same_time_after_the_jump(self):
        # 2027-03-28 in Berlin: 02:00 becomes 03:00; 02:30 does not exist, and is read as 03:30 summer time.
        found = domain.deadline(date(2027, 3, 28), schedule("02:30", 0))

        assert found == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
        assert found.astimezone(BERLIN).strftime("%H:%M %Z") == "03:30 CEST"

    def test_a_time_that_happens_twice_is_its_first_occurrence(self):
        # 2026-10-25 in Berlin: 03:00 becomes 02:00 again, so 02:30 happens at 00:30 and at 01:30 UTC.
        found = domain.deadline(date(2026, 10, 25), schedule("02:30", 0))

        assert found == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
        assert found.astimezone(BERLIN).strftime("%H:%M %Z") == "02:30 CEST"

    def test_grace_is_real_time_even_across_the_jump(self):
        # 01:30 + 60 minutes of grace on the morning the clocks go forward is 03:30 on the wall clock.
        found = domain.deadline(date(2027, 3, 28), schedule("01:30", 60))

        assert found.astimezone(BERLIN).time() == time(3, 30)

    @pytest.mark.parametrize("day", [date(2026, 10, 24), date(2026, 10, 25), date(2026, 10, 26),
                                     date(2027, 3, 27), date(2027, 3, 28), date(2027, 3, 29)])
    def test_every_day_around_a_change_has_exactly_one_deadline_a_day_apart_on_the_wall_clock(self, day):
        today, tomorrow = domain.deadline(day, schedule("10:00", 0)), domain.deadline(day + timedelta(days=1),
                                                                                      schedule("10:00", 0))
        assert today.astimezone(BERLIN).time() == tomorrow.astimezone(BERLIN).time() == time(10, 0)
        assert timedelta(hours=23) <= tomorrow - today <= timedelta(hours=25)

    def test_the_community_zone_decides_not_utc(self):
        istanbul = domain.deadline(date(2026, 12, 1), schedule("10:00", 0, ZoneInfo("Europe/Istanbul")))

        assert istanbul == datetime(2026, 12, 1, 7, 0, tzinfo=UTC)


class TestWhichCheckInsCount:
    def test_a_day_counts_check_ins_from_its_local_midnight(self):
        start, end = domain.check_in_window(date(2026, 12, 1), schedule("10:00", 60))

        assert start == berlin(date(2026, 12, 1), 0)
        assert end == berlin(date(2026, 12, 2), 0)  # a late check-in the same evening still counts

    def test_a_deadline_past_midnight_stretches_the_day_until_it(self):
        start, end = domain.check_in_window(date(2026, 12, 1), schedule("23:30", 60))

        assert end == berlin(date(2026, 12, 2), 0, 30)

    def test_the_day_the_clocks_go_forward_has_23_hours(self):
        start, end = domain.check_in_window(date(2027, 3, 28), schedule("10:00", 0))

        assert end - start == timedelta(hours=23)

    def test_the_day_the_clocks_go_back_has_25_hours(self):
        start, end = domain.check_in_window(date(2026, 10, 25), schedule("10:00", 0))

        assert end - start == timedelta(hours=25)

    def test_today_is_yesterday_while_a_deadline_past_midnight_is_still_ahead(self):
        late = schedule("23:30", 60)

        assert domain.current_day(berlin(date(2026, 12, 2), 0, 10), late) == date(2026, 12, 1)
        assert domain.current_day(berlin(date(2026, 12, 2), 0, 40), late) == date(2026, 12, 2)
        assert domain.current_day(berlin(date(2026, 12, 2), 0, 10), schedule("10:00")) == date(2026, 12, 2)


class TestFirstDueDay:
    def test_switching_on_before_the_time_expects_a_check_in_today(self):
        assert domain.first_due_day(berlin(date(2026, 12, 1), 8), schedule("10:00")) == date(2026, 12, 1)

    def test_switching_on_after_the_time_starts_tomorrow_even_within_the_grace(self):
        assert domain.first_due_day(berlin(date(2026, 12, 1), 10, 30), schedule("10:00", 60)) == date(2026, 12, 2)

    def test_switching_on_just_after_midnight_with_a_late_time_does_not_expect_yesterday(self):
        assert domain.first_due_day(berlin(date(2026, 12, 2), 0, 10), schedule("23:30", 60)) == date(2026, 12, 2)


class TestTodayStatus:
    DAY = date(2026, 12, 1)

    def status(self, now, **overrides):
        arguments = dict(enabled=True, away=[], checked_in=False)
        arguments.update(overrides)
        return domain.day_status(self.DAY, now, schedule("10:00", 60), **arguments)

    def test_before_the_deadline_it_is_due(self):
        assert self.status(berlin(self.DAY, 10, 30)) == domain.DUE

    def test_from_the_deadline_on_it_is_missed(self):
        assert self.status(berlin(self.DAY, 11, 0)) == domain.MISSED

    def test_a_check_in_makes_it_done(self):
        assert self.status(berlin(self.DAY, 12), checked_in=True) == domain.DONE

    def test_an_away_day_is_away(self):
        assert self.status(berlin(self.DAY, 12), away=[AwayRange(self.DAY, self.DAY)]) == domain.AWAY

    def test_switched_off_is_off_whatever_else_holds(self):
        assert self.status(berlin(self.DAY, 12), enabled=False, checked_in=True) == domain.OFF


class TestAwayDays:
    def test_both_ends_are_included(self):
        away = [AwayRange(date(2026, 12, 24), date(2026, 12, 27))]

        assert [domain.is_away(date(2026, 12, d), away) for d in (23, 24, 25, 27, 28)] == [
            False, True, True, True, False]

    def test_one_day_away_is_a_range_of_one(self):
        assert domain.is_away(date(2026, 12, 24), [AwayRange(date(2026, 12, 24), date(2026, 12, 24))])

    def test_away_days_are_set_ahead_or_for_today_never_for_days_past(self):
        domain.check_away(AwayRange(date(2026, 11, 30), date(2026, 12, 1)), today=date(2026, 12, 1))
        with pytest.raises(domain.InvalidSettings) as refused:
            domain.check_away(AwayRange(date(2026, 11, 28), date(2026, 11, 30)), today=date(2026, 12, 1))
        assert list(refused.value.errors) == ["until"] and refused.value.message == "These days have passed already."


class TestWhetherAMissedDayRaisesAnAlert:
    DAY = date(2026, 12, 1)

    def why(self, **overrides):
        arguments = dict(enabled=True, away=[], checked_in=False, accepted_buddies=["bora"])
        arguments.update(overrides)
        return domain.why_no_alert(self.DAY, **arguments)

    def test_a_missed_day_with_an_accepted_buddy_raises_one(self):
        assert self.why() is None

    def test_no_alert_when_switched_off(self):
        assert self.why(enabled=False) == domain.NOT_ENABLED

    def test_no_alert_when_away(self):
        assert self.why(away=[AwayRange(date(2026, 11, 30), date(2026, 12, 3))]) == domain.BEING_AWAY

    def test_no_alert_when_checked_in(self):
        assert self.why(checked_in=True) == domain.HAS_CHECKED_IN

    def test_no_alert_without_an_accepted_buddy(self):
        assert self.why(accepted_buddies=[]) == domain.NO_BUDDY

    def test_a_days_alert_has_one_id_whoever_computes_it(self):
        assert domain.alert_id("ayse", self.DAY) == domain.alert_id("ayse", date(2026, 12, 1)) == "ayse:2026-12-01"


def test_a_naive_now_is_a_programming_error():
    with pytest.raises(ValueError):
        domain.first_due_day(datetime(2026, 12, 1, 8), schedule())
