"""Every service's event queues, declared before any event can be published.

RabbitMQ drops an event that no queue is bound for, without an error (confirms succeed for unroutable
messages). A service's queues normally appear when that service starts, so an event published by another
service a moment earlier (the members service's first organiser, say) would be lost. So each service, as it
starts, declares the event queues of ALL services, computed from the service classes themselves: whichever
starts first, no event finds its consumers' queues missing. Declaring an existing queue changes nothing.

    python -m services.common.topology        # the same by hand, with AMQP_URI
"""
import importlib
import logging

from kombu import Connection
from nameko.containers import ServiceContainer
from nameko.events import EventHandler
from nameko.extensions import DependencyProvider

from services.common.config import amqp_uri

log = logging.getLogger(__name__)

SERVICE_CLASSES = (
    "services.members.service:MembersService",
    "services.spaces.service:SpacesService",
    "services.help.service:HelpService",
    "services.notifications.service:NotificationsService",
)


def service_class(spec: str):
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def event_queues(classes, config: dict) -> list:
    """The kombu queues (bound to their exchanges) that these services' event handlers consume."""
    queues = []
    for cls in classes:
        container = ServiceContainer(cls, config)  # binds the extensions; nothing connects until start()
        for entrypoint in container.entrypoints:
            if isinstance(entrypoint, EventHandler):
                entrypoint.setup()
                queues.append(entrypoint.queue)
    return queues


def declare_event_queues(uri: str, specs=SERVICE_CLASSES) -> int:
    queues = event_queues([service_class(spec) for spec in specs], {"AMQP_URI": uri})
    with Connection(uri) as connection:
        channel = connection.default_channel
        for queue in queues:
            queue(channel).declare()
    return len(queues)


class DeclareEventQueues(DependencyProvider):
    """Declares every service's event queues when the service starts (see the module's docstring)."""

    def setup(self):
        declare_event_queues(self.container.config["AMQP_URI"])

    def get_dependency(self, worker_ctx):
        return None


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    count = declare_event_queues(amqp_uri())
    log.info("declared %d event queues", count)
