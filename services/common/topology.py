"""Every service's event queues, declared before any event can be published.

RabbitMQ drops an event that no queue is bound for, without an error (confirms succeed for unroutable
messages). A service's queues normally appear when that service starts, so an event published by another
service a moment earlier (the members service's first organiser, say) would be lost. So each service, as it
starts, declares the event queues of ALL services, listed in the contracts (`services.contracts.events`): whichever
starts first, no event finds its consumers' queues missing. Declaring an existing queue changes nothing.

    python -m services.common.topology        # the same by hand, with AMQP_URI
"""
import logging

from kombu import Connection
from nameko.extensions import DependencyProvider

from services.common.config import amqp_uri
from services.contracts.events import event_queues

log = logging.getLogger(__name__)


def declare_event_queues(uri: str) -> int:
    queues = event_queues()
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
