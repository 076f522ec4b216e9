"""The activities service in real Nameko containers on the real RabbitMQ, booking rooms through the real spaces
service: places never exceed the capacity with many simultaneous sign-ups on two instances, a room that is taken
leaves no activity, and a spaces service that is away leaves nothing half made."""
from datetime import datetime, timedelta, timezone

import eventlet
import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.events import event_handler
from nameko.testing.services import entrypoint_hook, entrypoint_waiter, replace_dependencies

from services.activities.models import Activity
from services.activities.repository import ActivitiesRepository
from services.activities.service import ActivitiesService
from services.common.errors import Conflict, Unavailable
from services.spaces.service import SpacesService
from tests.support.database import drop_databases

COMMUNITY = "c-altona"


def person(member_id, name, role="resident"):
    return {"member_id": member_id, "community_id": COMMUNITY, "role": role, "display_name": name,
            "timezone": "Europe/Berlin", "household": f"Haus {name}", "preferred_language": "de"}


OLGA = person("olga", "Olga", "organiser")
AYSE = person("ayse", "Ayşe")


class SetClock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def call(container, method, *args, **kwargs):
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


def over_the_broker(config, method, *args):
    """One call through the broker, as the gateway makes it: the broker hands it to either instance. (Entrypoint
    hooks run in one container, one at a time: they would not make calls at the same moment.)"""
    with ServiceRpcProxy("activities", config, timeout=60) as activities:
        return getattr(activities, method)(*args)


def at(days: int, hour: int) -> datetime:
    moment = datetime.now(timezone(timedelta(hours=1))) + timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0)


@pytest.fixture
def config(service_config):
    # The timers do not fire by themselves during a test: the test runs them.
    return {**service_config, "ACTIVITIES_TIMER_SECONDS": 3600, "SPACES_CALL_TIMEOUT_SECONDS": 2}


@pytest.fixture
def spaces_config(config, database_uri):
    own = {**config, "DATABASE_NAME": f"{config['DATABASE_NAME']}_spaces"}
    yield own
    drop_databases(database_uri, own["DATABASE_NAME"])


@pytest.fixture
def spaces(container_factory, spaces_config):
    container = container_factory(SpacesService, spaces_config)
    container.start()
    return container


@pytest.fixture
def clock():
    return SetClock(datetime.now(timezone.utc))


def start_activities(container_factory, config, clock):
    container = container_factory(ActivitiesService, config)
    replace_dependencies(container, clock=clock)
    container.start()
    return container


@pytest.fixture
def room(spaces):
    return call(spaces, "create_space", OLGA, {"name": "Gemeinschaftsraum", "capacity": 60, "rules": {
        "open_from": "00:00", "open_until": "24:00", "max_days_ahead": 300, "max_duration_minutes": 600}})["id"]


def meal(**extra) -> dict:
    return {"title": "Gemeinsames Essen", "starts_at": at(5, 18).isoformat(), "ends_at": at(5, 20).isoformat(),
            **extra}


def stored_activities() -> list[Activity]:
    return list(Activity.objects())


def test_sixty_simultaneous_sign_ups_on_two_instances_take_exactly_fifty_places_and_the_rest_wait_in_order(
        container_factory, config, clock):
    first = start_activities(container_factory, config, clock)
    second = start_activities(container_factory, config, clock)
    activity = call(first, "create_activity", OLGA, meal(capacity=50))
    people = [person(f"m{index:02d}", f"Nachbar {index}") for index in range(60)]
    runs = [eventlet.spawn(over_the_broker, config, "sign_up", someone, activity["id"], {}) for someone in people]
    answers = [run.wait() for run in runs]

    confirmed = [a for a in answers if a["status"] == "confirmed"]
    waiting = [a for a in answers if a["status"] == "waitlisted"]
    assert (len(confirmed), len(waiting)) == (50, 10)
    assert sorted(a["position"] for a in waiting) == list(range(1, 11))
    seen = call(first, "get_activity", OLGA, activity["id"])
    assert (seen["places_taken"], seen["confirmed"], seen["waitlisted"]) == (50, 50, 10)
    # The waiting list is in the order of the answers given: whoever was told "position 1" is first in line.
    told = {someone["member_id"]: answer.get("position") for someone, answer in zip(people, answers)}
    in_line = [p["member_id"] for p in seen["participants"] if p["status"] == "waitlisted"]
    assert [told[member_id] for member_id in in_line] == list(range(1, 11))
    stored = stored_activities()[0]
    assert len({s["m"] for s in stored.signups}) == 60 == len(stored.signups)

    # Somebody confirmed leaves: exactly the first in line moves up, on whichever instance.
    leaver = next(someone for someone, answer in zip(people, answers) if answer["status"] == "confirmed")
    call(second, "leave", leaver, activity["id"])
    after = call(first, "get_activity", OLGA, activity["id"])
    assert (after["places_taken"], after["confirmed"], after["waitlisted"]) == (50, 50, 9)
    moved_up = next(p for p in after["participants"] if p["member_id"] == in_line[0])
    assert moved_up["status"] == "confirmed"


def test_a_room_that_is_taken_answers_the_clash_and_leaves_no_activity(container_factory, config, clock, spaces,
                                                                       room):
    activities = start_activities(container_factory, config, clock)
    taken = call(spaces, "book", AYSE, {"space_id": room, "start": at(5, 17).isoformat(),
                                        "end": at(5, 19).isoformat(), "purpose": "Geburtstag"})
    with pytest.raises(Conflict) as clash:
        call(activities, "create_activity", OLGA, meal(space_id=room, capacity=20))
    assert [hit["id"] for hit in clash.value.extra["conflicts"]] == [taken["id"]]
    assert stored_activities() == []
    assert call(activities, "list_activities", OLGA, {})["items"] == []
    mine = call(spaces, "list_bookings", OLGA, {"mine": "true"})["items"]
    assert mine == []  # and no booking was made for it

    # A free time books the room; cancelling the activity releases it.
    created = call(activities, "create_activity", OLGA, meal(space_id=room, capacity=20,
                                                             starts_at=at(6, 18).isoformat(),
                                                             ends_at=at(6, 20).isoformat()))
    assert created["booking_id"] and created["space_name"] == "Gemeinschaftsraum"
    assert call(spaces, "get_booking", OLGA, created["booking_id"])["status"] == "confirmed"
    call(activities, "cancel_activity", OLGA, created["id"])
    assert call(spaces, "get_booking", OLGA, created["booking_id"])["status"] == "cancelled"
    assert call(activities, "get_activity", OLGA, created["id"])["status"] == "cancelled"


def test_spaces_away_while_creating_answers_503_and_leaves_nothing_half_made(container_factory, config, clock,
                                                                             spaces_config):
    activities = start_activities(container_factory, config, clock)
    spaces = container_factory(SpacesService, spaces_config)
    spaces.start()
    room_id = call(spaces, "create_space", OLGA, {"name": "Saal", "capacity": 60, "rules": {
        "open_from": "00:00", "open_until": "24:00", "max_days_ahead": 300, "max_duration_minutes": 600}})["id"]
    spaces.stop()  # its queue stays: a request waits there, unanswered, until it expires

    with pytest.raises(Unavailable):
        call(activities, "create_activity", OLGA, meal(space_id=room_id, capacity=20))
    assert call(activities, "list_activities", OLGA, {})["items"] == []  # nobody sees anything of it
    assert [a.status for a in stored_activities()] == ["pending"]  # kept only to be settled

    # Spaces still away: the timer cannot withdraw the request yet, and keeps the activity, unseen.
    clock.now += timedelta(minutes=2)
    assert call(activities, "settle") == 0
    assert [a.status for a in stored_activities()] == ["abandoned"]

    # Spaces back: the request is withdrawn (a late arrival of it books nothing), the activity removed.
    back = container_factory(SpacesService, spaces_config)
    back.start()
    assert call(activities, "settle") == 1
    assert stored_activities() == []
    assert call(back, "list_bookings", OLGA, {"mine": "true"})["items"] == []
    assert call(activities, "settle") == 0


def test_moving_an_activity_in_a_room_books_the_new_time_first_and_then_releases_the_old(
        container_factory, config, clock, spaces, room):
    activities = start_activities(container_factory, config, clock)
    created = call(activities, "create_activity", OLGA, meal(space_id=room, capacity=20))
    call(activities, "sign_up", AYSE, created["id"], {})
    other = call(spaces, "book", AYSE, {"space_id": room, "start": at(7, 17).isoformat(),
                                        "end": at(7, 19).isoformat(), "purpose": "Geburtstag"})

    # To a time the room is booked: the clash, and nothing changed (the old booking stays).
    with pytest.raises(Conflict) as clash:
        call(activities, "change_activity", OLGA, created["id"], {"starts_at": at(7, 18).isoformat(),
                                                                   "ends_at": at(7, 20).isoformat()})
    assert [hit["id"] for hit in clash.value.extra["conflicts"]] == [other["id"]]
    same = call(activities, "get_activity", OLGA, created["id"])
    assert (same["starts_at"], same["booking_id"]) == (created["starts_at"], created["booking_id"])
    assert call(spaces, "get_booking", OLGA, created["booking_id"])["status"] == "confirmed"
    assert stored_activities()[0].rebooking_key is None

    # To a free time: the new booking, the old one released, the sign-ups kept, everyone signed up told.
    moved = call(activities, "change_activity", OLGA, created["id"], {"starts_at": at(8, 18).isoformat(),
                                                                      "ends_at": at(8, 20).isoformat()})
    assert moved["starts_at"] != created["starts_at"] and moved["booking_id"] != created["booking_id"]
    assert call(spaces, "get_booking", OLGA, moved["booking_id"])["status"] == "confirmed"
    assert call(spaces, "get_booking", OLGA, created["booking_id"])["status"] == "cancelled"
    assert [p["member_id"] for p in moved["participants"]] == ["ayse"]
    stored = stored_activities()[0]
    assert stored.release_keys == [] and stored.rebooking_key is None
    told = [e for e in stored.outbox if e["type"] == "activity.changed"] or None
    assert told is None or told[0]["payload"]["notify"] == ["ayse"]  # published already, or waiting to be


def test_spaces_away_while_moving_answers_503_changes_nothing_and_the_timer_withdraws_the_new_booking(
        container_factory, config, clock, spaces_config):
    activities = start_activities(container_factory, config, clock)
    spaces = container_factory(SpacesService, spaces_config)
    spaces.start()
    room_id = call(spaces, "create_space", OLGA, {"name": "Saal", "capacity": 60, "rules": {
        "open_from": "00:00", "open_until": "24:00", "max_days_ahead": 300, "max_duration_minutes": 600}})["id"]
    created = call(activities, "create_activity", OLGA, meal(space_id=room_id, capacity=20))
    spaces.stop()

    with pytest.raises(Unavailable):
        call(activities, "change_activity", OLGA, created["id"], {"starts_at": at(8, 18).isoformat(),
                                                                   "ends_at": at(8, 20).isoformat()})
    assert call(activities, "get_activity", OLGA, created["id"])["starts_at"] == created["starts_at"]
    assert stored_activities()[0].rebooking_key

    back = container_factory(SpacesService, spaces_config)
    back.start()
    clock.now += timedelta(minutes=2)
    assert call(activities, "settle") == 1
    assert stored_activities()[0].rebooking_key is None
    mine = call(back, "list_bookings", OLGA, {"mine": "true"})["items"]
    assert [(b["id"], b["status"]) for b in mine] == [(created["booking_id"], "confirmed")]  # only the old one


class ReminderRecorder:
    """Hears the activities service's reminders."""

    name = "reminder_recorder"
    heard: list = []

    @event_handler("activities", "activity.reminder_came_due")
    def activity_reminder_came_due(self, event):
        self.heard.append(event)


def test_the_reminder_the_day_before_goes_once_to_those_confirmed_with_two_instances(container_factory, config,
                                                                                       clock):
    ReminderRecorder.heard = []
    recorder = container_factory(ReminderRecorder, {**config, "max_workers": 1})
    recorder.start()
    first = start_activities(container_factory, config, clock)
    second = start_activities(container_factory, config, clock)
    activity = call(first, "create_activity", OLGA, meal(capacity=1))
    call(first, "sign_up", AYSE, activity["id"], {})
    call(first, "sign_up", OLGA, activity["id"], {})  # waits: no reminder for her
    assert call(first, "send_reminders") == 0  # not yet: it starts in five days

    clock.now = datetime.fromisoformat(activity["starts_at"].replace("Z", "+00:00")) - timedelta(hours=23)
    # Two instances that both found it due before either stored the reminder: one stores it, the other not.
    repository = ActivitiesRepository()
    read_by_each = [repository.due_reminders(clock.now, 10)[0] for _ in range(2)]
    stored = [repository.mark_reminded(read, {"event_id": f"test-{n}", "type": "activity.reminder_came_due"},
                                       clock.now) for n, read in enumerate(read_by_each)]
    assert stored == [True, False]
    Activity.objects(id=activity["id"]).update_one(set__reminder_at=read_by_each[0].reminder_at, set__outbox=[],
                                                    unset__outbox_since=True)

    # Both instances' timers at the same moment: one reminder, to the one confirmed.
    with entrypoint_waiter(recorder, "activity_reminder_came_due"):
        runs = [eventlet.spawn(call, container, "send_reminders") for container in (first, second)]
        assert sorted(run.wait() for run in runs) == [0, 1]
    assert call(first, "send_reminders") + call(second, "send_reminders") == 0
    assert [event["payload"]["notify"] for event in ReminderRecorder.heard] == [["ayse"]]
