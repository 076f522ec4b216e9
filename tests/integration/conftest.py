"""Services in real Nameko containers on the real RabbitMQ (an isolated vhost per test)."""
import pytest
from nameko.events import event_handler
from nameko.testing.services import entrypoint_hook

from services.members.service import MembersService


class EventRecorder:
    """A test listener: records every members event it hears. Started before the producer, so that its
    queues exist when events are published (RabbitMQ drops events nobody has bound a queue for)."""

    name = "recorder"
    heard: list = []

    @event_handler("members", "member.joined")
    def member_joined(self, event):
        self.heard.append(event)

    @event_handler("members", "member.updated")
    def member_updated(self, event):
        self.heard.append(event)

    @event_handler("members", "member.deactivated")
    def member_deactivated(self, event):
        self.heard.append(event)

    @event_handler("members", "member.erased")
    def member_erased(self, event):
        self.heard.append(event)


@pytest.fixture
def recorder(container_factory, service_config):
    EventRecorder.heard = []
    container = container_factory(EventRecorder, service_config)
    container.start()
    return container


@pytest.fixture
def heard(recorder):
    """The events the recorder has heard so far."""
    return EventRecorder.heard


@pytest.fixture
def members(container_factory, service_config, recorder):
    container = container_factory(MembersService, service_config)
    container.start()
    return container


@pytest.fixture
def call(members):
    """Call a members RPC entrypoint through its real entrypoint."""

    def invoke(method, *args, **kwargs):
        with entrypoint_hook(members, method) as entrypoint:
            return entrypoint(*args, **kwargs)

    return invoke
