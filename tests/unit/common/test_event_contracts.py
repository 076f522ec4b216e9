"""The event table of the contracts is what the services really do: each service handles exactly the events the
table says it listens to, and the queues every service declares at start are exactly Nameko's own."""
import pytest
from nameko.containers import ServiceContainer
from nameko.events import EventHandler

from services.activities.service import ActivitiesService
from services.care.service import CareService
from services.decisions.service import DecisionsService
from services.contracts.events import PUBLISHED, RENAMED, SUBSCRIBED, event_queues, handler_name, publisher_of
from services.help.service import HelpService
from services.members.service import MembersService
from services.notifications.service import NotificationsService
from services.spaces.service import SpacesService

SERVICES = (MembersService, SpacesService, HelpService, NotificationsService, CareService, DecisionsService,
            ActivitiesService)


def handlers(service_class) -> list[EventHandler]:
    container = ServiceContainer(service_class, {"AMQP_URI": "memory://"})  # nothing connects before start()
    found = [entrypoint for entrypoint in container.entrypoints if isinstance(entrypoint, EventHandler)]
    for handler in found:
        handler.setup()
    return found


@pytest.mark.parametrize("service_class", SERVICES, ids=lambda cls: cls.name)
def test_a_service_handles_exactly_the_events_the_contracts_say_it_listens_to(service_class):
    handled = {(h.source_service, h.event_type, h.method_name) for h in handlers(service_class)}
    listed = {(publisher_of(t), t, handler_name(t)) for t in SUBSCRIBED.get(service_class.name, ())}
    assert handled == listed


def test_the_queues_declared_at_start_are_nameko_s_own():
    def described(queue):
        return (queue.name, queue.exchange.name, queue.exchange.type, queue.exchange.durable,
                bool(queue.exchange.auto_delete), queue.routing_key, queue.durable, queue.auto_delete, queue.exclusive)

    nameko_s = sorted(described(handler.queue) for cls in SERVICES for handler in handlers(cls))
    assert sorted(described(queue) for queue in event_queues()) == nameko_s


def test_every_event_listened_to_is_published_by_exactly_one_service():
    published = [event_type for types in PUBLISHED.values() for event_type in types]
    assert len(published) == len(set(published))
    for event_types in SUBSCRIBED.values():  # a renamed type's old name: for one version, beside its new one
        assert {RENAMED.get(event_type, event_type) for event_type in event_types} <= set(published)
        assert {old for old in RENAMED if old in event_types} <= {old for old, new in RENAMED.items()
                                                                   if new in event_types}
    assert not set(RENAMED) & set(published)  # the publisher uses the new name only
