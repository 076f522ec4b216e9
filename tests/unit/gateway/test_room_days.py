"""A room's page without a broker: it starts today and shows the next seven days (never a calendar week half in
the past), a later start only when asked for and never one in the past, and each day's next free time in words:
from now on, on the room's grid, long enough for the shortest booking."""
import re
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from gateway.app import create_app
from gateway.web import rooms as rooms_page
from gateway.web.common import parse_day
from gateway.web.rooms import bookable_times, first_day, next_free_words
from tests.unit.gateway.test_care_pages import KnownActors, logged_in, text

BERLIN = ZoneInfo("Europe/Berlin")
RULES = {"open_from": "08:00", "open_until": "22:00", "slot_minutes": 30, "min_duration_minutes": 60,
         "max_duration_minutes": 180, "max_days_ahead": 60, "buffer_minutes": 0, "requires_approval": False,
         "household_quota_minutes_per_week": None}


def at(day: date, hhmm: str) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hours, minutes, tzinfo=BERLIN).astimezone(timezone.utc)


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def free(day: date, *spans: tuple[str, str]) -> list[dict]:
    """Intervals of a day as the spaces service answers them; "24:00" is the midnight that ends the day."""
    def moment(hhmm):
        return at(day + timedelta(days=1), "00:00") if hhmm == "24:00" else at(day, hhmm)
    return [{"start": iso(moment(start)), "end": iso(moment(end))} for start, end in spans]


class Rooms:
    """Stands in for the spaces service: one room open 08:00–22:00 and free all day, and the days asked about."""

    def __init__(self):
        self.days_asked = []

    def call(self, service, method, actor, *args):
        if method == "get_space":
            return {"id": "r1", "name": "Gästewohnung", "description": "", "capacity": 2, "active": True,
                    "rules": RULES}
        if method == "availability":
            day = date.fromisoformat(args[1]["date"])
            self.days_asked.append(day)
            return {"date": day.isoformat(), "timezone": "Europe/Berlin", "open": free(day, ("08:00", "22:00")),
                    "busy": [], "free": free(day, ("08:00", "22:00"))}
        raise AssertionError(f"unexpected call {service}.{method}")


@pytest.fixture
def rooms():
    return Rooms()


@pytest.fixture
def app(rooms):
    app = create_app({"TESTING": True})
    app.extensions["actors"] = KnownActors()
    app.extensions["rpc"] = rooms
    return app


THURSDAY = date(2026, 12, 3)  # the calendar week began on Monday; the page does not


@pytest.fixture(autouse=True)
def thursday_afternoon(monkeypatch):
    """It is Thursday, 3 December 2026, 14:07 in Berlin for the pages."""
    monkeypatch.setattr(rooms_page, "today", lambda: THURSDAY)
    monkeypatch.setattr(rooms_page, "utcnow", lambda: at(THURSDAY, "14:07"))


def headings(page: str) -> list[str]:
    return re.findall(r'<h3 id="day-\d">([^<]+)</h3>', page)


# -- which seven days -------------------------------------------------------------------------------------------
def test_the_page_starts_today_and_shows_the_next_seven_days(app, rooms):
    page = text(logged_in(app, "en").get("/rooms/r1"))
    assert rooms.days_asked == [THURSDAY + timedelta(days=offset) for offset in range(7)]
    assert headings(page) == ["Today, Thursday, 3 December", "Tomorrow, Friday, 4 December", "Saturday, 5 December",
                              "Sunday, 6 December", "Monday, 7 December", "Tuesday, 8 December",
                              "Wednesday, 9 December"]
    assert "The next seven days" in page
    assert 'name="date" type="date" value="2026-12-03"' in page
    assert "The seven days before" not in page  # nothing before today to go back to
    assert 'href="/rooms/r1?from=2026-12-10"' in page


def test_each_day_says_when_it_is_next_free_today_from_now_on(app):
    page = text(logged_in(app, "en").get("/rooms/r1"))
    said = re.findall(r'<p class="next-free"><strong>([^<]+)</strong>', page)
    assert said == ["Next free time: from 14:30 to 22:00."] + ["Next free time: from 08:00 to 22:00."] * 6
    # "from–until" stays in that order on a right-to-left page
    assert '<span class="free" dir="ltr">14:30–22:00</span>' in page
    assert '<span class="free" dir="ltr">08:00–22:00</span>' in page


def test_a_later_start_shows_seven_days_from_there_and_a_way_back_to_today(app, rooms):
    page = text(logged_in(app, "en").get("/rooms/r1?from=2026-12-06"))
    assert rooms.days_asked == [date(2026, 12, 6) + timedelta(days=offset) for offset in range(7)]
    assert "Seven days from Sunday, 6 December" in page
    assert 'href="/rooms/r1?from=2026-12-03"' in page  # back: not further than today
    assert 'href="/rooms/r1?from=2026-12-13"' in page


@pytest.mark.parametrize("asked", ["2026-11-30", "2020-01-01", "yesterday", "2026-13-01", "9999-12-31", ""])
def test_a_day_in_the_past_far_ahead_or_not_a_day_starts_today(app, rooms, asked):
    response = logged_in(app, "en").get(f"/rooms/r1?from={asked}")
    assert response.status_code == 200
    assert rooms.days_asked[0] == THURSDAY


def test_the_first_day_is_today_unless_a_later_one_within_a_year_is_asked_for():
    today = THURSDAY
    assert first_day(None, today) == today
    assert first_day("2026-12-01", today) == today
    assert first_day("2026-12-10", today) == date(2026, 12, 10)
    assert first_day("2027-12-04", today) == date(2027, 12, 4)
    assert first_day("2027-12-05", today) == today  # more than a year ahead: its name would lack the year
    assert first_day("2026-02-30", today) == today


def test_the_german_page_names_today_and_tomorrow_and_the_formats_of_its_fields(app):
    page = text(logged_in(app, "de").get("/rooms/r1"))
    assert headings(page)[:3] == ["Heute, Donnerstag, 3. Dezember", "Morgen, Freitag, 4. Dezember",
                                  "Samstag, 5. Dezember"]
    assert '<p class="hint" id="date-hint">Format: TT.MM.JJJJ, zum Beispiel 24.12.2026.</p>' in page
    assert '<p class="hint" id="start-hint">Format: HH:MM, zum Beispiel 14:00.</p>' in page
    assert 'id="start" name="start" type="time" value="" required aria-describedby="start-hint"' in page


@pytest.mark.parametrize("written", ["24.12.2026", "24/12/2026", "24-12-2026", " 24. 12. 2026 ", "2026-12-24",
                                     "٢٤/١٢/٢٠٢٦"])
def test_a_day_is_read_as_the_field_asks_for_it_or_as_a_date_field_sends_it(written):
    assert parse_day(written) == date(2026, 12, 24)


@pytest.mark.parametrize("written", ["31.11.2026", "12/24/2026", "24.12.26", "", None, "morgen"])
def test_a_day_that_does_not_exist_is_not_read(written):
    assert parse_day(written) is None


# -- the next free time of a day --------------------------------------------------------------------------------
DAY = date(2026, 12, 3)


def test_today_the_next_free_time_begins_at_the_next_slot_after_now():
    times = bookable_times(free(DAY, ("08:00", "22:00")), at(DAY, "14:07"), 30, 60, BERLIN)
    assert times == [(at(DAY, "14:30"), at(DAY, "22:00"))]
    assert bookable_times(free(DAY, ("08:00", "22:00")), at(DAY, "14:00"), 30, 60, BERLIN)[0][0] == at(DAY, "14:00")


def test_a_later_day_is_free_from_its_first_free_time():
    times = bookable_times(free(DAY, ("08:00", "10:00"), ("12:00", "22:00")), at(DAY - timedelta(days=1), "20:00"),
                           30, 60, BERLIN)
    assert times == [(at(DAY, "08:00"), at(DAY, "10:00")), (at(DAY, "12:00"), at(DAY, "22:00"))]


def test_a_gap_shorter_than_the_shortest_booking_is_not_free():
    times = bookable_times(free(DAY, ("09:00", "09:30"), ("12:00", "22:00")), at(DAY, "07:00"), 30, 60, BERLIN)
    assert times == [(at(DAY, "12:00"), at(DAY, "22:00"))]
    assert bookable_times(free(DAY, ("08:00", "22:00")), at(DAY, "21:10"), 30, 60, BERLIN) == []


@pytest.mark.parametrize("language, spans, now, expected", [
    ("en", [("08:00", "22:00")], "14:07", "Next free time: from 14:30 to 22:00."),
    ("en", [("00:00", "24:00")], "14:07", "Next free time: from 14:30 until midnight."),
    ("en", [("08:00", "22:00")], "21:30", "No more free time today."),
    ("de", [("08:00", "22:00")], "14:07", "Als Nächstes frei: von 14:30 bis 22:00 Uhr."),
    ("de", [("08:00", "22:00")], "21:30", "Heute ist nichts mehr frei."),
])
def test_the_next_free_time_of_today_in_words(app, language, spans, now, expected):
    with app.test_request_context("/", headers={"Cookie": f"lang={language}"}):
        times = bookable_times(free(DAY, *spans), at(DAY, now), 30, 60, BERLIN)
        assert next_free_words(times, True, BERLIN) == expected


def test_a_later_day_without_free_time_is_fully_booked(app):
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        assert next_free_words([], False, BERLIN) == "Fully booked."
