"""The spaces service's commands on a unit of work in memory: what each stores, what it announces, what it refuses."""
from datetime import datetime, timedelta, timezone

import pytest

from services.common.clock import as_utc
from services.common.errors import Conflict, Forbidden, NotFound, RuleBroken
from services.spaces import commands
from services.spaces.models import Booking
from tests.support.fakes import FakeUnitOfWork, done, fresh
from tests.support.fakes.spaces import FakeSpacesRepository
from tests.unit.spaces.examples import berlin

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)
ORGANISER = {"member_id": "olga", "community_id": "altona", "role": "organiser", "timezone": "Europe/Berlin",
             "household": "Haus A", "display_name": "Olga"}
AYSE = {**ORGANISER, "member_id": "ayse", "role": "resident", "household": "Haus B", "display_name": "Ayşe"}
MEHMET = {**AYSE, "member_id": "mehmet", "display_name": "Mehmet"}  # Ayşe's household
BORA = {**AYSE, "member_id": "bora", "household": "Haus C", "display_name": "Bora"}


@pytest.fixture
def uow():
    return FakeUnitOfWork(FakeSpacesRepository())


def room(uow, **rules) -> str:
    return done(uow, commands.create_space, ORGANISER, {"name": "Gemeinschaftsraum", "capacity": 30,
                                                         "rules": {"buffer_minutes": 30, **rules}}, NOW)["id"]


def booking(space_id: str, start: datetime, hours: float = 2, **more) -> dict:
    return {"space_id": space_id, "start": start.isoformat(), "end": (start + timedelta(hours=hours)).isoformat(),
            "purpose": "Geburtstag", **more}


def stored_bookings(uow, status="confirmed") -> list[Booking]:
    return [b for b in uow.repository.all(Booking) if b.status == status]


def test_an_organiser_creates_a_room_in_one_commit(uow):
    created = commands.create_space(uow, ORGANISER, {"name": " Werkstatt ", "capacity": 6}, NOW)
    assert created["name"] == "Werkstatt" and uow.commits == 1
    assert commands.get_space(fresh(uow), AYSE, created["id"])["rules"]["open_from"] == "08:00"


def test_a_resident_cannot_create_a_room_and_nothing_is_stored(uow):
    with pytest.raises(Forbidden) as refused:
        commands.create_space(uow, AYSE, {"name": "Mein Raum", "capacity": 2}, NOW)
    assert refused.value.detail == "Only organisers may do this."
    assert uow.commits == 0 and commands.list_spaces(fresh(uow), ORGANISER)["items"] == []


def test_a_booking_is_stored_with_its_event_which_goes_out_after_the_reply(uow):
    space_id = room(uow)
    booked = commands.book(uow, AYSE, booking(space_id, berlin(2026, 6, 10, 18)), NOW)
    assert booked["status"] == "confirmed" and uow.commits == 1
    assert uow.outbox.published == []  # the caller has not had the answer yet
    assert [e["type"] for e in uow.repository.stored(Booking, booked["id"]).outbox] == ["booking.confirmed"]
    assert uow.events() == ["booking.confirmed"]


def test_a_room_that_needs_approval_makes_a_pending_booking(uow):
    space_id = room(uow, requires_approval=True)
    assert commands.book(uow, AYSE, booking(space_id, berlin(2026, 6, 10, 18)), NOW)["status"] == "pending"
    assert uow.events() == ["booking.requested"]


def test_a_time_taken_by_another_booking_is_refused_with_the_clash(uow):
    space_id = room(uow)
    first = done(uow, commands.book, AYSE, booking(space_id, berlin(2026, 6, 10, 18)), NOW)
    with pytest.raises(Conflict) as refused:
        commands.book(uow, BORA, booking(space_id, berlin(2026, 6, 10, 20)), NOW)  # within the cleaning buffer
    assert refused.value.detail == "This time is already booked (the room needs cleaning time in between)."
    assert refused.value.extra["conflicts"] == [
        {"id": first["id"], "start": "2026-06-10T16:00:00Z", "end": "2026-06-10T18:00:00Z"}]
    assert len(stored_bookings(uow)) == 1 and uow.events() == []


def test_a_clash_in_a_room_without_cleaning_time_does_not_speak_of_cleaning(uow):
    space_id = room(uow, buffer_minutes=0)
    done(uow, commands.book, AYSE, booking(space_id, berlin(2026, 6, 10, 18)), NOW)
    with pytest.raises(Conflict) as refused:
        commands.book(uow, BORA, booking(space_id, berlin(2026, 6, 10, 19)), NOW)
    assert refused.value.detail == "This time is already booked."


def test_the_purpose_of_a_booking_is_shown_to_its_booker_and_the_organisers_only(uow):
    space_id = room(uow)
    booked = done(uow, commands.book, AYSE, booking(space_id, berlin(2026, 6, 10, 18)), NOW)
    assert booked == {
        "id": booked["id"], "space_id": space_id, "space_name": "Gemeinschaftsraum", "member_id": "ayse",
        "start": "2026-06-10T16:00:00Z", "end": "2026-06-10T18:00:00Z", "status": "confirmed", "series_id": None,
        "mine": True, "created_at": "2026-06-01T09:00:00Z", "purpose": "Geburtstag",
    }
    neighbour = commands.get_booking(fresh(uow), BORA, booked["id"])
    organiser = commands.get_booking(fresh(uow), ORGANISER, booked["id"])
    assert "purpose" not in neighbour and neighbour["mine"] is False
    assert organiser["purpose"] == "Geburtstag" and organiser["mine"] is False


def test_requests_with_different_keys_are_different_bookings(uow):
    space_id = room(uow)
    first = done(uow, commands.book, AYSE, booking(space_id, berlin(2026, 6, 10, 10)), NOW, request_key="k1")
    second = done(uow, commands.book, AYSE, booking(space_id, berlin(2026, 6, 11, 10)), NOW, request_key="k2")
    assert first["id"] != second["id"] and len(stored_bookings(uow)) == 2


def test_a_broken_rule_is_answered_with_its_rule_and_limit(uow):
    space_id = room(uow, max_duration_minutes=120)
    with pytest.raises(RuleBroken) as refused:
        commands.book(uow, AYSE, booking(space_id, berlin(2026, 6, 10, 10), hours=3), NOW)
    assert refused.value.extra == {"rule": "max_duration", "limit": 120}
    assert refused.value.detail == "This room can be booked for at most 2 hours at a time."


def test_a_closed_room_takes_no_bookings(uow):
    space_id = room(uow)
    done(uow, commands.change_space, ORGANISER, space_id, {"active": False}, NOW)
    with pytest.raises(RuleBroken) as refused:
        commands.book(uow, AYSE, booking(space_id, berlin(2026, 6, 10, 10)), NOW)
    assert refused.value.extra == {"rule": "space_closed"}
    assert refused.value.detail == "This room cannot be booked at the moment."


def test_the_household_quota_counts_what_the_whole_household_booked_that_week(uow):
    space_id = room(uow, household_quota_minutes_per_week=180)
    done(uow, commands.book, AYSE, booking(space_id, berlin(2026, 6, 9, 10)), NOW)
    with pytest.raises(RuleBroken) as refused:
        done(uow, commands.book, MEHMET, booking(space_id, berlin(2026, 6, 11, 10)), NOW)
    assert refused.value.extra == {"rule": "household_quota", "limit": 180}
    done(uow, commands.book, BORA, booking(space_id, berlin(2026, 6, 11, 10)), NOW)  # another household
    done(uow, commands.book, MEHMET, booking(space_id, berlin(2026, 6, 15, 10)), NOW)  # the next week
    assert len(stored_bookings(uow)) == 3


def test_a_repeat_of_the_same_request_finds_the_booking_the_first_stored(uow):
    space_id = room(uow)
    body = booking(space_id, berlin(2026, 6, 10, 18))
    first = done(uow, commands.book, AYSE, body, NOW, request_key="booking:ayse:k1")
    again = commands.book(uow, AYSE, body, NOW, request_key="booking:ayse:k1")
    assert again["id"] == first["id"] and len(stored_bookings(uow)) == 1 and uow.commits == 0


def test_a_weekly_series_books_the_free_dates_and_reports_the_taken_one(uow):
    space_id = room(uow)
    taken = done(uow, commands.book, BORA, booking(space_id, berlin(2026, 6, 17, 18)), NOW)
    series = commands.book(uow, AYSE, booking(space_id, berlin(2026, 6, 10, 18), repeat_weekly=3), NOW)
    assert [o["status"] for o in series["occurrences"]] == ["confirmed", "refused", "confirmed"]
    assert series["occurrences"][1]["rule"] == "clash"
    assert series["occurrences"][1]["conflicts"][0]["id"] == taken["id"]
    assert uow.commits == 2 and uow.events() == ["booking.confirmed", "booking.confirmed"]


def test_a_series_of_which_no_date_is_free_is_refused_with_every_date(uow):
    space_id = room(uow, max_duration_minutes=60)
    with pytest.raises(RuleBroken) as refused:
        commands.book(uow, AYSE, booking(space_id, berlin(2026, 6, 10, 18), repeat_weekly=2), NOW)
    assert [o["rule"] for o in refused.value.extra["occurrences"]] == ["max_duration", "max_duration"]


def test_cancelling_announces_it_and_frees_the_time(uow):
    space_id = room(uow)
    booked = done(uow, commands.book, AYSE, booking(space_id, berlin(2026, 6, 10, 18)), NOW)
    commands.cancel(uow, AYSE, booked["id"], whole_series=False, now=NOW)
    assert uow.events() == ["booking.cancelled"]
    assert uow.outbox.published[0]["payload"]["reason"] == "cancelled"
    done(uow, commands.book, BORA, booking(space_id, berlin(2026, 6, 10, 18)), NOW)
    assert len(stored_bookings(uow)) == 1 and len(stored_bookings(uow, "cancelled")) == 1


def test_only_the_booker_or_an_organiser_cancels(uow):
    space_id = room(uow)
    booked = done(uow, commands.book, AYSE, booking(space_id, berlin(2026, 6, 10, 18)), NOW)
    with pytest.raises(Forbidden) as refused:
        commands.cancel(uow, BORA, booked["id"], whole_series=False, now=NOW)
    assert refused.value.detail == "Only the person who booked, or an organiser, can cancel this booking."
    commands.cancel(uow, ORGANISER, booked["id"], whole_series=False, now=NOW)
    payload = uow.outbox.left[0].outbox[0]["payload"]
    assert (payload["reason"], payload["cancelled_by"]) == ("cancelled by an organiser", "olga")


def test_an_organiser_approves_a_pending_booking_once(uow):
    space_id = room(uow, requires_approval=True)
    pending = done(uow, commands.book, AYSE, booking(space_id, berlin(2026, 6, 10, 18)), NOW)
    assert commands.approve(uow, ORGANISER, pending["id"], NOW)["status"] == "confirmed"
    assert uow.events() == ["booking.approved"]
    with pytest.raises(Conflict) as refused:
        commands.approve(fresh(uow), ORGANISER, pending["id"], NOW)
    assert refused.value.extra == {"current_status": "confirmed"}
    assert refused.value.detail == "This booking is confirmed, so it cannot be approved or rejected."


def test_a_booking_approved_and_later_cancelled_moves_its_calendar_entry_on_each_time(uow):
    space_id = room(uow, requires_approval=True)
    pending = done(uow, commands.book, AYSE, booking(space_id, berlin(2026, 6, 10, 18)), NOW)
    before = uow.repository.stored(Booking, pending["id"]).sequence
    done(uow, commands.approve, ORGANISER, pending["id"], NOW)
    commands.cancel(uow, AYSE, pending["id"], whole_series=False, now=NOW)
    assert uow.repository.stored(Booking, pending["id"]).sequence == before + 2


def test_a_room_open_until_24_00_is_open_until_midnight(uow):
    space_id = room(uow, open_from="10:00", open_until="24:00")
    assert commands.get_space(fresh(uow), AYSE, space_id)["rules"]["open_until"] == "24:00"
    assert done(uow, commands.book, AYSE, booking(space_id, berlin(2026, 6, 10, 22)), NOW)["status"] == "confirmed"


def test_a_rejected_booking_frees_its_time(uow):
    space_id = room(uow, requires_approval=True)
    pending = done(uow, commands.book, AYSE, booking(space_id, berlin(2026, 6, 10, 18)), NOW)
    assert commands.reject(uow, ORGANISER, pending["id"], NOW)["status"] == "rejected"
    assert uow.events() == ["booking.rejected"]
    assert uow.outbox.published[0]["payload"]["decided_by"] == "olga"
    assert done(uow, commands.book, BORA, booking(space_id, berlin(2026, 6, 10, 18)), NOW)["status"] == "pending"


def test_a_reminder_is_published_once_before_the_booking(uow):
    space_id = room(uow)
    done(uow, commands.book, AYSE, booking(space_id, NOW + timedelta(hours=5)), NOW)
    assert commands.publish_reminders(uow, lead=timedelta(hours=24), now=NOW) == 1
    assert commands.publish_reminders(fresh(uow), lead=timedelta(hours=24), now=NOW) == 0
    assert uow.events() == ["booking.reminder_came_due"]


def test_a_member_who_leaves_loses_their_future_bookings_and_their_traces(uow):
    space_id = room(uow)
    done(uow, commands.book, AYSE, booking(space_id, berlin(2026, 6, 10, 18)), NOW)
    done(uow, commands.new_feed_link, AYSE, NOW)
    commands.on_member_gone(uow, "ayse", erased=True, now=NOW)
    assert uow.events() == ["booking.cancelled"]
    [cancelled] = stored_bookings(uow, "cancelled")
    assert (cancelled.cancelled_by, cancelled.purpose, cancelled.household) == ("system", "", None)
    assert commands.export(fresh(uow), AYSE)["bookings"][0]["status"] == "cancelled"


def test_a_new_calendar_link_replaces_the_last(uow):
    first = done(uow, commands.new_feed_link, AYSE, NOW)
    second = done(uow, commands.new_feed_link, AYSE, NOW)
    assert commands.member_calendar(fresh(uow), second["token"], NOW).startswith("BEGIN:VCALENDAR")
    with pytest.raises(NotFound):
        commands.member_calendar(fresh(uow), first["token"], NOW)


@pytest.mark.parametrize("end", ["cancel", "reject"])
def test_ending_a_booking_records_who_and_when_and_moves_its_calendar_entry_on_by_one(uow, end):
    space_id = room(uow, requires_approval=True)
    pending = done(uow, commands.book, AYSE, booking(space_id, berlin(2026, 6, 10, 18)), NOW)
    before = uow.repository.stored(Booking, pending["id"]).sequence
    later = NOW + timedelta(hours=1)
    if end == "cancel":
        commands.cancel(uow, ORGANISER, pending["id"], whole_series=False, now=later)
    else:
        commands.reject(uow, ORGANISER, pending["id"], later)
    stored = uow.repository.stored(Booking, pending["id"])
    assert stored.sequence == before + 1 and as_utc(stored.updated_at) == later
    assert (stored.cancelled_by, stored.decided_by) == (("olga", None) if end == "cancel" else (None, "olga"))
    uow.events()
    assert uow.outbox.published[0]["occurred_at"] == "2026-06-01T10:00:00Z"
