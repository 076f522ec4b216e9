"""The spaces service in real Nameko containers on the real RabbitMQ."""
from datetime import datetime, timedelta, timezone
from unittest import mock

import eventlet
import pytest
from nameko.events import event_handler
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from services.common.errors import Conflict, Forbidden, Invalid, NotFound, RuleBroken
from services.common.events import new_event
from services.common.outbox import Outbox, OutboxSender
from services.spaces.models import Booking
from services.spaces.service import SpacesService

COMMUNITY = "c-altona"
ORGANISER = {"member_id": "org-1", "community_id": COMMUNITY, "role": "organiser", "timezone": "Europe/Berlin",
             "household": "Haus A 0.1", "display_name": "Olga"}
AYSE = {"member_id": "ayse", "community_id": COMMUNITY, "role": "resident", "timezone": "Europe/Berlin",
        "household": "Haus B 2.1", "display_name": "Ayşe"}
BORA = {**AYSE, "member_id": "bora", "household": "Haus C 1.3", "display_name": "Bora"}
OTHER_HOUSE = {**AYSE, "member_id": "stranger", "community_id": "c-park"}


class BookingRecorder:
    name = "booking_recorder"
    heard: list = []

    @event_handler("spaces", "booking.confirmed")
    def confirmed(self, event):
        self.heard.append(event)

    @event_handler("spaces", "booking.requested")
    def requested(self, event):
        self.heard.append(event)

    @event_handler("spaces", "booking.approved")
    def approved(self, event):
        self.heard.append(event)

    @event_handler("spaces", "booking.cancelled")
    def cancelled(self, event):
        self.heard.append(event)

    @event_handler("spaces", "booking.reminder_came_due")
    def reminder_came_due(self, event):
        self.heard.append(event)


@pytest.fixture
def recorder(container_factory, service_config):
    BookingRecorder.heard = []
    container = container_factory(BookingRecorder, service_config)
    container.start()
    return container


@pytest.fixture
def spaces(container_factory, service_config, recorder):
    container = container_factory(SpacesService, service_config)
    container.start()
    return container


@pytest.fixture
def call(spaces):
    """Call an entrypoint and return once its worker is done: its answer, and the events it publishes after the
    answer, gone out."""
    def invoke(method, *args, **kwargs):
        with entrypoint_waiter(spaces, method), entrypoint_hook(spaces, method) as entrypoint:
            return entrypoint(*args, **kwargs)

    return invoke


def tomorrow_at(hour: int, minute: int = 0) -> str:
    local = datetime.now(timezone(timedelta(hours=1))) + timedelta(days=2)
    return local.replace(hour=hour, minute=minute, second=0, microsecond=0).isoformat()


def community_room(call, **rules):
    return call("create_space", ORGANISER, {"name": "Gemeinschaftsraum", "capacity": 30, "rules": rules})


def test_a_booking_is_confirmed_and_announced_once_with_what_notifications_need(call, recorder):
    room = community_room(call)
    with entrypoint_waiter(recorder, "confirmed"):
        booking = call("book", AYSE, {"space_id": room["id"], "start": tomorrow_at(18), "end": tomorrow_at(20),
                                      "purpose": "Geburtstag"})
    assert booking["status"] == "confirmed"
    events = [e for e in BookingRecorder.heard if e["payload"]["booking_id"] == booking["id"]]
    assert len(events) == 1
    payload = events[0]["payload"]
    assert payload["space_name"] == "Gemeinschaftsraum" and payload["member_id"] == "ayse"
    assert payload["start"] == booking["start"] and payload["timezone"] == "Europe/Berlin"
    assert Booking.objects(id=booking["id"]).first().outbox == []


def test_a_booking_is_answered_before_its_event_goes_out_and_the_event_is_not_lost(call, spaces, recorder,
                                                                                    service_config):
    room = community_room(call)
    outbox = next(ext for ext in spaces.dependencies if isinstance(ext, Outbox))
    publish, release = outbox.publisher.publish, eventlet.Event()

    def held_back(*args, **kwargs):
        release.wait()
        return publish(*args, **kwargs)

    with mock.patch.object(outbox.publisher, "publish", side_effect=held_back):
        # Both waiters end when their workers are done: the booking's after publishing, the recorder's on the event.
        with entrypoint_waiter(spaces, "book"), entrypoint_waiter(recorder, "confirmed"):
            with ClusterRpcProxy(service_config, timeout=5) as rpc:  # as the gateway calls: through the broker
                booking = rpc.spaces.book(AYSE, {"space_id": room["id"], "start": tomorrow_at(9),
                                                 "end": tomorrow_at(10)})
            assert len(Booking.objects(id=booking["id"]).first().outbox) == 1  # stored with the booking meanwhile
            release.send()
    assert Booking.objects(id=booking["id"]).first().outbox == []


def test_a_failure_after_the_answer_leaves_the_event_to_the_relay_and_the_service_running(call, spaces):
    room = community_room(call)
    with mock.patch.object(OutboxSender, "send", side_effect=RuntimeError("the database went away")):
        booking = call("book", AYSE, {"space_id": room["id"], "start": tomorrow_at(9), "end": tomorrow_at(10)})
    assert len(Booking.objects(id=booking["id"]).first().outbox) == 1  # kept for the relay
    assert call("get_booking", AYSE, booking["id"])["status"] == "confirmed"  # the service is still there


def test_the_relay_publishes_what_was_left_and_finds_documents_stored_before_outbox_since(call, spaces, recorder):
    room = community_room(call)
    with mock.patch.object(OutboxSender, "send", side_effect=RuntimeError("the broker went away")):
        left = call("book", AYSE, {"space_id": room["id"], "start": tomorrow_at(9), "end": tomorrow_at(10)})
        older = call("book", BORA, {"space_id": room["id"], "start": tomorrow_at(11), "end": tomorrow_at(12)})
    assert Booking.objects(id=left["id"]).first().outbox_since is not None  # the relay's sign
    # As stored by the version before `outbox_since`: events, but no sign.
    Booking._get_collection().update_one({"_id": older["id"]}, {"$unset": {"outbox_since": ""}})
    with entrypoint_waiter(recorder, "confirmed", callback=lambda worker_ctx, result, exc_info:
                           len(BookingRecorder.heard) == 2):
        with entrypoint_hook(spaces, "relay_outbox") as relay:
            relay()
    assert sorted(e["payload"]["booking_id"] for e in BookingRecorder.heard) == sorted([left["id"], older["id"]])
    for booking_id in (left["id"], older["id"]):
        stored = Booking._get_collection().find_one({"_id": booking_id})
        assert stored["outbox"] == [] and "outbox_since" not in stored
    # Nothing is pending now: the next relay publishes nothing again.
    with entrypoint_hook(spaces, "relay_outbox") as relay:
        relay()
    assert len(BookingRecorder.heard) == 2


def test_an_event_recorded_while_the_first_is_published_stays_for_the_relay(call, spaces):
    room = community_room(call)
    outbox = next(ext for ext in spaces.dependencies if isinstance(ext, Outbox))
    publish = outbox.publisher.publish

    def another_worker_records_meanwhile(event, *args, **kwargs):
        publish(event, *args, **kwargs)
        Booking._get_collection().update_one(  # as a cancellation at that moment would
            {"_id": event["payload"]["booking_id"]}, {"$push": {"outbox": {"event_id": "later"}}})

    with mock.patch.object(outbox.publisher, "publish", side_effect=another_worker_records_meanwhile):
        booking = call("book", AYSE, {"space_id": room["id"], "start": tomorrow_at(9), "end": tomorrow_at(10)})
    stored = Booking._get_collection().find_one({"_id": booking["id"]})
    assert [event["event_id"] for event in stored["outbox"]] == ["later"]  # the published one is gone
    assert stored["outbox_since"] is not None  # and the document is still pending for the relay


def test_a_clash_is_409_listing_the_clashing_booking(call):
    room = community_room(call)
    first = call("book", AYSE, {"space_id": room["id"], "start": tomorrow_at(18), "end": tomorrow_at(20)})
    with pytest.raises(Conflict) as clash:
        call("book", BORA, {"space_id": room["id"], "start": tomorrow_at(19), "end": tomorrow_at(21)})
    assert [c["id"] for c in clash.value.extra["conflicts"]] == [first["id"]]


def test_the_cleaning_buffer_keeps_bookings_apart(call):
    room = community_room(call, buffer_minutes=30)
    call("book", AYSE, {"space_id": room["id"], "start": tomorrow_at(10), "end": tomorrow_at(12)})
    with pytest.raises(Conflict):
        call("book", BORA, {"space_id": room["id"], "start": tomorrow_at(12), "end": tomorrow_at(13)})
    assert call("book", BORA, {"space_id": room["id"], "start": tomorrow_at(12, 30), "end": tomorrow_at(13, 30)})


def test_a_broken_rule_is_422_naming_the_rule_and_its_limit(call):
    room = community_room(call, max_duration_minutes=120)
    with pytest.raises(RuleBroken) as broken:
        call("book", AYSE, {"space_id": room["id"], "start": tomorrow_at(10), "end": tomorrow_at(13)})
    assert broken.value.extra == {"rule": "max_duration", "limit": 120}
    assert "2 hours" in broken.value.detail


def test_the_household_quota_counts_every_member_of_the_household(call):
    room = community_room(call, household_quota_minutes_per_week=120)
    partner = {**AYSE, "member_id": "ayse-partner"}
    call("book", AYSE, {"space_id": room["id"], "start": tomorrow_at(10), "end": tomorrow_at(11)})
    call("book", partner, {"space_id": room["id"], "start": tomorrow_at(12), "end": tomorrow_at(13)})
    with pytest.raises(RuleBroken) as broken:
        call("book", partner, {"space_id": room["id"], "start": tomorrow_at(14), "end": tomorrow_at(15)})
    assert broken.value.extra["rule"] == "household_quota"


def test_a_pending_booking_holds_its_time_until_an_organiser_approves_it(call, recorder):
    flat = call("create_space", ORGANISER, {"name": "Gästewohnung", "capacity": 4, "rules": {
        "open_from": "00:00", "open_until": "00:00", "slot_minutes": 1440, "min_duration_minutes": 1440,
        "max_duration_minutes": 7 * 1440, "requires_approval": True}})
    start = tomorrow_at(0)
    end = (datetime.fromisoformat(start) + timedelta(days=3)).isoformat()
    with entrypoint_waiter(recorder, "requested"):
        booking = call("book", AYSE, {"space_id": flat["id"], "start": start, "end": end, "purpose": "Enkel"})
    assert booking["status"] == "pending"
    with pytest.raises(Conflict):
        call("book", BORA, {"space_id": flat["id"], "start": start, "end": end})
    with pytest.raises(Forbidden):
        call("approve_booking", BORA, booking["id"])
    with entrypoint_waiter(recorder, "approved"):
        approved = call("approve_booking", ORGANISER, booking["id"])
    assert approved["status"] == "confirmed"
    with pytest.raises(Conflict):
        call("approve_booking", ORGANISER, booking["id"])


def test_a_weekly_series_books_the_free_dates_and_reports_the_others(call):
    room = community_room(call)
    blocker = (datetime.fromisoformat(tomorrow_at(18)) + timedelta(weeks=1)).isoformat()
    call("book", BORA, {"space_id": room["id"], "start": blocker,
                        "end": (datetime.fromisoformat(blocker) + timedelta(hours=1)).isoformat()})
    series = call("book", AYSE, {"space_id": room["id"], "start": tomorrow_at(18), "end": tomorrow_at(19),
                                 "repeat_weekly": 3})
    statuses = [occurrence["status"] for occurrence in series["occurrences"]]
    assert statuses == ["confirmed", "refused", "confirmed"]
    assert series["occurrences"][1]["rule"] == "clash"
    assert series["series_id"]

    call("cancel_booking", AYSE, series["id"], whole_series=True)
    mine = call("list_bookings", AYSE, {"mine": "true"})
    assert mine["items"] == []


def test_cancelling_announces_who_cancelled_and_frees_the_time(call, recorder):
    room = community_room(call)
    booking = call("book", AYSE, {"space_id": room["id"], "start": tomorrow_at(18), "end": tomorrow_at(20)})
    with pytest.raises(Forbidden):
        call("cancel_booking", BORA, booking["id"])
    with entrypoint_waiter(recorder, "cancelled") as waited:
        call("cancel_booking", ORGANISER, booking["id"])
    assert waited.get() is None
    cancelled = [e for e in BookingRecorder.heard if e["type"] == "booking.cancelled"]
    assert cancelled[0]["payload"]["cancelled_by"] == "org-1"
    assert call("book", BORA, {"space_id": room["id"], "start": tomorrow_at(18), "end": tomorrow_at(20)})


def test_another_communitys_space_and_booking_are_not_found(call):
    room = community_room(call)
    booking = call("book", AYSE, {"space_id": room["id"], "start": tomorrow_at(18), "end": tomorrow_at(19)})
    with pytest.raises(NotFound):
        call("get_space", OTHER_HOUSE, room["id"])
    with pytest.raises(NotFound):
        call("cancel_booking", OTHER_HOUSE, booking["id"])
    with pytest.raises(NotFound):
        call("book", OTHER_HOUSE, {"space_id": room["id"], "start": tomorrow_at(10), "end": tomorrow_at(11)})


def run_reminders(container):
    with entrypoint_hook(container, "publish_reminders") as publish:
        return publish()


def test_a_reminder_is_published_once_even_with_two_instances(container_factory, service_config, recorder, spaces,
                                                               call):
    room = community_room(call)
    booking = call("book", AYSE, {"space_id": room["id"], "start": tomorrow_at(18), "end": tomorrow_at(20)})
    spaces.config["REMINDER_HOURS_BEFORE"] = 24 * 4  # the booking is two days ahead
    second = container_factory(SpacesService, {**service_config, "REMINDER_HOURS_BEFORE": 24 * 4})
    second.start()
    published = []
    with entrypoint_waiter(recorder, "reminder_came_due"):
        for _ in range(2):  # both instances at the same moment, twice (one hook per container at a time)
            runs = [eventlet.spawn(run_reminders, container) for container in (spaces, second)]
            published += [run.wait() for run in runs]
    assert sum(published) == 1
    reminders = [e for e in BookingRecorder.heard if e["type"] == "booking.reminder_came_due"]
    assert [e["payload"]["booking_id"] for e in reminders] == [booking["id"]]


def test_a_deactivated_members_future_bookings_are_cancelled_by_the_system(call, spaces, recorder,
                                                                            service_config):
    room = community_room(call)
    booking = call("book", AYSE, {"space_id": room["id"], "start": tomorrow_at(18), "end": tomorrow_at(20)})
    event = new_event("member.deactivated", community_id=COMMUNITY, payload={"member_id": "ayse"},
                      occurred_at=datetime.now(timezone.utc))
    with entrypoint_waiter(recorder, "cancelled"):
        event_dispatcher(service_config)("members", "member.deactivated", event)
    cancelled = [e for e in BookingRecorder.heard if e["type"] == "booking.cancelled"]
    assert cancelled[0]["payload"]["booking_id"] == booking["id"]
    assert cancelled[0]["payload"]["cancelled_by"] == "system"


def next_utc_monday() -> datetime:
    today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + timedelta(days=7 - today.weekday() + 7)


def test_a_stay_across_the_week_boundary_clashes_with_one_inside_the_next_week(call):
    flat = call("create_space", ORGANISER, {"name": "Gästewohnung", "capacity": 4, "rules": {
        "open_from": "00:00", "open_until": "00:00", "slot_minutes": 60, "min_duration_minutes": 60,
        "max_duration_minutes": 14 * 1440, "max_days_ahead": 60}})
    monday = next_utc_monday()
    call("book", AYSE, {"space_id": flat["id"], "start": (monday - timedelta(days=2)).isoformat(),
                        "end": (monday + timedelta(days=2)).isoformat()})
    with pytest.raises(Conflict):
        call("book", BORA, {"space_id": flat["id"], "start": (monday + timedelta(days=1)).isoformat(),
                            "end": (monday + timedelta(days=3)).isoformat()})
    with pytest.raises(Conflict):  # and the other way round: a long stay over a short booking in the next week
        call("book", BORA, {"space_id": flat["id"], "start": (monday - timedelta(days=5)).isoformat(),
                            "end": (monday + timedelta(days=4)).isoformat()})


def test_the_cleaning_buffer_reaches_across_the_week_boundary(call):
    room = call("create_space", ORGANISER, {"name": "Werkstatt", "capacity": 4, "rules": {
        "open_from": "00:00", "open_until": "00:00", "slot_minutes": 30, "buffer_minutes": 60,
        "max_days_ahead": 60}})
    monday = next_utc_monday()
    call("book", AYSE, {"space_id": room["id"], "start": (monday - timedelta(hours=2)).isoformat(),
                        "end": (monday - timedelta(minutes=30)).isoformat()})
    with pytest.raises(Conflict):
        call("book", BORA, {"space_id": room["id"], "start": monday.isoformat(),
                            "end": (monday + timedelta(hours=1)).isoformat()})
    assert call("book", BORA, {"space_id": room["id"], "start": (monday + timedelta(minutes=30)).isoformat(),
                               "end": (monday + timedelta(hours=1)).isoformat()})["status"] == "confirmed"


def test_a_booking_spanning_centuries_is_refused_at_once(call):
    room = community_room(call)
    with pytest.raises(Invalid):  # outside the calendar the platform speaks of
        call("book", AYSE, {"space_id": room["id"], "start": "0064-04-15T07:06:32Z",
                            "end": "2026-12-24T21:00:00Z", "repeat_weekly": 10})
    with pytest.raises(RuleBroken):  # inside it, but far too long: the rules refuse it before any week is read
        call("book", AYSE, {"space_id": room["id"], "start": tomorrow_at(10), "end": "2199-12-24T21:00:00Z",
                            "repeat_weekly": 10})


def left_half_done_by_a_killed_process(key: str) -> None:
    """What a SIGKILL in the middle of a booking command leaves: its Idempotency-Key still "running", owned
    by a process that beats no more."""
    Booking._get_db().idempotency_keys.update_one({"_id": f"booking:ayse:{key}"}, {
        "$set": {"state": "running", "owner": "killed-process"}, "$unset": {"result": ""}})


@pytest.mark.parametrize("stored_before_the_kill", [True, False], ids=["booking stored", "time claimed only"])
def test_a_repeat_after_a_killed_attempt_finishes_that_booking_instead_of_clashing_with_it(
        call, stored_before_the_kill):
    room = community_room(call)
    request = {"space_id": room["id"], "start": tomorrow_at(18), "end": tomorrow_at(20)}
    first = call("book", AYSE, request, idempotency_key="k-1")
    left_half_done_by_a_killed_process("k-1")
    if not stored_before_the_kill:
        Booking.objects(id=first["id"]).delete()  # the claim in the space's week ledger stays

    again = call("book", AYSE, request, idempotency_key="k-1")

    assert again["id"] == first["id"] and again["status"] == "confirmed"
    assert Booking.objects(space_id=room["id"]).count() == 1
    with pytest.raises(Conflict):  # the time is still taken, once
        call("book", BORA, {**request, "space_id": room["id"]})
