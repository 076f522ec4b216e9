"""The shared package's event handling on the real broker: once per event_id, and nothing silently lost."""
from datetime import datetime, timezone
from unittest import mock

import mongoengine
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_waiter
from nameko.testing.utils import get_extension

from services.common.events import new_event
from services.common.handlers import AckingEventHandler, DeadLetters, dead_letter_queue, on_event
from services.common.mongo import MongoDatabase, Repository


class TallyRepository(Repository):
    alias = "tally"


class Tally:
    """A consumer with a visible effect: it counts the members who joined."""

    name = "tally"
    db = MongoDatabase(TallyRepository)
    dead_letters = DeadLetters()

    @on_event("members", "member.joined")
    def count_joined(self, event):
        self.db.db.tally.update_one({"_id": "joined"}, {"$inc": {"count": 1}}, upsert=True)

    @on_event("members", "member.erased", retry_delays=(0.01, 0.01))
    def fail_always(self, event):
        raise RuntimeError("this handler cannot cope")


def joined_event(member_id="m1"):
    return new_event("member.joined", community_id="c1", payload={"member_id": member_id},
                     occurred_at=datetime.now(timezone.utc))


def joined_count():
    found = mongoengine.get_db("tally").tally.find_one({"_id": "joined"})
    return found["count"] if found else 0


def test_an_event_delivered_twice_changes_nothing_the_second_time(container_factory, service_config):
    container = container_factory(Tally, service_config)
    container.start()
    dispatch = event_dispatcher(service_config)
    event = joined_event()
    for _ in range(2):
        with entrypoint_waiter(container, "count_joined"):
            dispatch("members", "member.joined", event)
    assert joined_count() == 1
    with entrypoint_waiter(container, "count_joined"):
        dispatch("members", "member.joined", joined_event("m2"))
    assert joined_count() == 2


def test_an_acknowledgement_the_broker_cannot_take_does_not_stop_the_service(container_factory, service_config):
    container = container_factory(Tally, service_config)
    container.start()
    dispatch = event_dispatcher(service_config)
    handler = get_extension(container, AckingEventHandler, method_name="count_joined")
    gone = ConnectionResetError(104, "Connection reset by peer")  # as during a broker restart
    with mock.patch.object(handler.queue_consumer, "ack_message", side_effect=gone):
        with entrypoint_waiter(container, "count_joined", timeout=5):
            dispatch("members", "member.joined", joined_event("m1"))
    with entrypoint_waiter(container, "count_joined", timeout=5):  # still consuming: the container lives
        dispatch("members", "member.joined", joined_event("m2"))
    assert joined_count() == 2


def dead_letters(config) -> list[dict]:
    """Everything in the tally service's dead-letter queue."""
    from kombu import Connection

    letters = []
    with Connection(config["AMQP_URI"]) as connection:
        queue = dead_letter_queue("tally")(connection.default_channel)
        queue.declare()
        while (message := queue.get(no_ack=True)) is not None:
            letters.append(message.payload)
    return letters


def test_an_event_that_keeps_failing_is_parked_with_the_reason_and_others_still_flow(
        container_factory, service_config):
    container = container_factory(Tally, service_config)
    container.start()
    dispatch = event_dispatcher(service_config)
    poison = new_event("member.erased", community_id="c1", payload={"member_id": "m9"},
                       occurred_at=datetime.now(timezone.utc))
    with entrypoint_waiter(container, "fail_always"):
        dispatch("members", "member.erased", poison)
    parked = dead_letters(service_config)
    assert len(parked) == 1
    assert parked[0]["event"]["event_id"] == poison["event_id"] and parked[0]["handler"] == "fail_always"
    assert parked[0]["attempts"] == 3 and "cannot cope" in parked[0]["reason"]

    with entrypoint_waiter(container, "count_joined"):
        dispatch("members", "member.joined", joined_event())
    assert joined_count() == 1


def test_a_message_that_is_not_an_event_is_parked_not_handled(container_factory, service_config):
    container = container_factory(Tally, service_config)
    container.start()
    with entrypoint_waiter(container, "count_joined"):
        event_dispatcher(service_config)("members", "member.joined", {"hello": "world"})
    assert joined_count() == 0
    assert [letter["reason"] for letter in dead_letters(service_config)] == ["not an event envelope"]


def test_an_event_published_before_its_consumer_ever_started_is_not_lost(container_factory, service_config):
    """Each service declares every service's event queues as it starts (services.common.topology)."""
    from services.members.service import MembersService
    from services.notifications.models import Notification
    from services.notifications.service import NotificationsService
    from nameko.testing.services import entrypoint_hook

    members = container_factory(MembersService, service_config)
    members.start()
    with entrypoint_hook(members, "create_community") as create:
        created = create("Haus Früh", "Europe/Berlin", {"email": "early@example.org",
                                                        "password": "a long enough password"})
    notifications = container_factory(NotificationsService, service_config)  # starts only now
    with entrypoint_waiter(notifications, "member_joined"):
        notifications.start()
    assert Notification.objects(member_id=created["organiser"]["id"], kind="welcome").count() == 1


def test_a_poison_event_is_kept_in_the_database_when_even_the_dead_letter_queue_fails(
        container_factory, service_config):
    from unittest import mock

    container = container_factory(Tally, service_config)
    container.start()
    with mock.patch.object(DeadLetters, "park", side_effect=OSError("broker away")):
        with entrypoint_waiter(container, "count_joined"):
            event_dispatcher(service_config)("members", "member.joined", ["not", "an", "event"])
    kept = list(mongoengine.get_db("tally").parked_events.find())
    assert len(kept) == 1 and kept[0]["reason"] == "not an event envelope"
