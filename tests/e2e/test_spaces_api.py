"""Shared spaces through the HTTP API: create a space, book, clash, approve, cancel, and read the calendars."""
from datetime import datetime, timedelta, timezone

import eventlet
import icalendar
import pytest

from tests.support.processes import Platform

BERLIN_WINTER = timezone(timedelta(hours=1))
SIMULTANEOUS, ROUNDS = 50, 3


@pytest.fixture(scope="module")
def platform(request, tmp_path_factory, database_uri):
    """Two instances of the spaces service, two processes on one database, compete for the same queues."""
    running = Platform(tmp_path_factory.mktemp("logs"), database_uri, instances={"spaces": 2}).start()
    yield running
    running.stop()


def resident(platform, organiser, email, household):
    return platform.join(organiser, email, household=household)[0]


def at(days_ahead: int, hour: int) -> str:
    moment = datetime.now(BERLIN_WINTER) + timedelta(days=days_ahead)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0).isoformat()


@pytest.fixture(scope="module")
def people(platform):
    organiser = platform.organiser()
    return {"organiser": organiser, "ayse": resident(platform, organiser, "ayse@example.org", "B 2.1"),
            "bora": resident(platform, organiser, "bora@example.org", "C 1.3")}


def test_a_resident_books_a_room_sees_it_and_a_clash_is_409(platform, people):
    organiser, ayse, bora = people["organiser"], people["ayse"], people["bora"]
    created = organiser.post("/api/v1/spaces", json={"name": "Gemeinschaftsraum", "capacity": 30,
                                                     "rules": {"buffer_minutes": 30}})
    assert created.status_code == 201, created.text
    room = created.json()
    assert people["ayse"].post("/api/v1/spaces", json={"name": "Mine", "capacity": 1}).status_code == 403

    booking = ayse.post("/api/v1/bookings", json={"space_id": room["id"], "start": at(3, 18), "end": at(3, 20),
                                                  "purpose": "Familienfeier"})
    assert booking.status_code == 201, booking.text
    assert booking.json()["status"] == "confirmed" and booking.json()["start"].endswith("Z")

    mine = ayse.get("/api/v1/bookings", params={"mine": "true"}).json()["items"]
    assert [b["id"] for b in mine] == [booking.json()["id"]] and mine[0]["purpose"] == "Familienfeier"
    seen_by_bora = bora.get("/api/v1/bookings", params={"space_id": room["id"]}).json()["items"]
    assert "purpose" not in seen_by_bora[0]

    clash = bora.post("/api/v1/bookings", json={"space_id": room["id"], "start": at(3, 20), "end": at(3, 21)})
    assert clash.status_code == 409 and clash.headers["Content-Type"].startswith("application/problem+json")
    assert clash.json()["conflicts"][0]["id"] == booking.json()["id"]

    day = (datetime.now(BERLIN_WINTER) + timedelta(days=3)).date().isoformat()
    availability = bora.get(f"/api/v1/spaces/{room['id']}/availability", params={"date": day}).json()
    assert availability["date"] == day and len(availability["busy"]) == 1 and availability["open"]


def test_rule_breaks_and_bad_times_are_422_and_store_nothing(platform, people):
    organiser, ayse = people["organiser"], people["ayse"]
    room = organiser.post("/api/v1/spaces", json={"name": "Werkstatt", "capacity": 6,
                                                  "rules": {"max_duration_minutes": 120}}).json()
    too_long = ayse.post("/api/v1/bookings", json={"space_id": room["id"], "start": at(2, 10), "end": at(2, 13)})
    assert too_long.status_code == 422 and too_long.json()["rule"] == "max_duration"
    naive = ayse.post("/api/v1/bookings", json={"space_id": room["id"], "start": "2026-12-24T18:00:00",
                                                "end": "2026-12-24T19:00:00"})
    assert naive.status_code == 422 and "start" in naive.json()["errors"]
    backwards = ayse.post("/api/v1/bookings", json={"space_id": room["id"], "start": at(2, 12), "end": at(2, 10)})
    assert backwards.status_code == 422
    hostile = ayse.post("/api/v1/bookings", json={"space_id": {"$ne": None}, "start": at(2, 10), "end": at(2, 11)})
    assert hostile.status_code == 422
    assert ayse.get("/api/v1/bookings", params={"space_id": room["id"]}).json()["items"] == []
    assert ayse.get("/api/v1/spaces/not-a-space").status_code == 404
    for far_day in ("0001-01-01", "9999-12-31"):  # outside the calendar: refused, not an overflow
        assert ayse.get(f"/api/v1/spaces/{room['id']}/availability", params={"date": far_day}).status_code == 422
    far = ayse.post("/api/v1/bookings", json={"space_id": room["id"], "start": "9999-12-20T10:00:00+01:00",
                                              "end": "9999-12-20T11:00:00+01:00", "repeat_weekly": 3})
    assert far.status_code == 422


def test_a_guest_flat_booking_waits_for_approval_then_is_cancelled(platform, people):
    organiser, ayse = people["organiser"], people["ayse"]
    flat = organiser.post("/api/v1/spaces", json={"name": "Gästewohnung", "capacity": 4, "rules": {
        "open_from": "00:00", "open_until": "00:00", "slot_minutes": 1440, "min_duration_minutes": 1440,
        "max_duration_minutes": 10080, "requires_approval": True}}).json()
    pending = ayse.post("/api/v1/bookings", json={"space_id": flat["id"], "start": at(5, 0), "end": at(8, 0)})
    assert pending.status_code == 201 and pending.json()["status"] == "pending"
    booking_id = pending.json()["id"]
    assert ayse.post(f"/api/v1/bookings/{booking_id}/approve").status_code == 403
    approved = organiser.post(f"/api/v1/bookings/{booking_id}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "confirmed"
    assert people["bora"].delete(f"/api/v1/bookings/{booking_id}").status_code == 403
    assert ayse.delete(f"/api/v1/bookings/{booking_id}").status_code == 204
    assert ayse.get(f"/api/v1/bookings/{booking_id}").json()["status"] == "cancelled"


def test_the_space_calendar_and_my_feed_are_valid_icalendar(platform, people):
    organiser, ayse = people["organiser"], people["ayse"]
    room = organiser.post("/api/v1/spaces", json={"name": "Gartenküche", "capacity": 12}).json()
    booking = ayse.post("/api/v1/bookings", json={"space_id": room["id"], "start": at(4, 17), "end": at(4, 19),
                                                  "purpose": "Kochen"}).json()
    response = ayse.get(f"/api/v1/spaces/{room['id']}/calendar.ics")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/calendar")
    feed = icalendar.Calendar.from_ical(response.content)
    events = feed.walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [f"booking-{booking['id']}@cohousing-altona"]
    assert events[0].decoded("DTSTART").astimezone(timezone.utc).isoformat().replace("+00:00", "Z") == booking["start"]
    assert feed.walk("VTIMEZONE")[0]["TZID"] == "Europe/Berlin"

    link = ayse.post("/api/v1/calendar/feed-link")
    assert link.status_code == 201
    personal = platform.client().get(link.json()["path"])  # no login: the secret link is the key
    assert personal.status_code == 200
    assert any("Kochen" in str(e["SUMMARY"]) for e in icalendar.Calendar.from_ical(personal.content).walk("VEVENT"))

    ayse.delete(f"/api/v1/bookings/{booking['id']}")
    after = icalendar.Calendar.from_ical(ayse.get(f"/api/v1/spaces/{room['id']}/calendar.ics").content)
    assert after.walk("VEVENT") == []  # cancelled bookings disappear from the feed
    ayse.post("/api/v1/calendar/feed-link")
    assert platform.client().get(link.json()["path"]).status_code == 404  # the old link stops working


def all_at_once(platform, token: str, body: dict) -> list[int]:
    """POST the booking from SIMULTANEOUS clients let go together, each with its connection open and the room
    read first (so that no request waits for a connection or a cold gateway thread): their statuses."""
    warm, go, waiting = eventlet.event.Event(), eventlet.event.Event(), [SIMULTANEOUS]

    def attempt(_number):
        client = platform.client()
        client.session.headers["Authorization"] = token
        try:
            assert client.get(f"/api/v1/spaces/{body['space_id']}").status_code == 200
        finally:
            waiting[0] -= 1
            if not waiting[0]:
                warm.send()
        go.wait()
        return client.post("/api/v1/bookings", json=body).status_code

    pool = eventlet.GreenPool(SIMULTANEOUS)
    answers = [pool.spawn(attempt, number) for number in range(SIMULTANEOUS)]
    warm.wait()
    go.send()
    return [answer.wait() for answer in answers]


def test_fifty_simultaneous_requests_for_one_slot_give_exactly_one_booking(platform, people):
    """Two spaces processes on one database take the requests, fifty at once, in three rooms one after another.
    A race, not a forced interleaving (tests/unit/spaces/test_bookings_at_the_same_moment.py forces it): with the
    claim's version condition dropped for the booked weeks, this test failed in each of three runs."""
    organiser = people["organiser"]
    token = organiser.session.headers["Authorization"]
    for round_ in range(ROUNDS):
        room = organiser.post("/api/v1/spaces", json={"name": f"Saal {round_}", "capacity": 80}).json()
        statuses = all_at_once(platform, token, {"space_id": room["id"], "start": at(6, 14), "end": at(6, 16)})
        assert statuses.count(201) == 1 and statuses.count(409) == SIMULTANEOUS - 1, (round_, statuses)
        booked = organiser.get("/api/v1/bookings", params={"space_id": room["id"]}).json()["items"]
        assert len(booked) == 1, (round_, booked)


def test_rules_that_cannot_be_are_422_not_a_server_error(platform, people):
    organiser = people["organiser"]
    for rules in ({"open_from": "24:00"}, {"open_from": "22:00", "open_until": "08:00"},
                  {"slot_minutes": 1411}, {"min_duration_minutes": 300, "max_duration_minutes": 60}):
        response = organiser.post("/api/v1/spaces", json={"name": "Raum", "capacity": 3, "rules": rules})
        assert response.status_code == 422, (rules, response.text)
