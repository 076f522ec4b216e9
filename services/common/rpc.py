"""The RPC entrypoint every service uses: Nameko's, with replies published without publisher confirms.

A confirm makes the publisher wait for the broker's acknowledgement; for events that wait is what makes the
outbox safe, so events keep it. A reply is different: it goes to the caller's own transient reply queue, and
if the broker lost it the caller would see its timeout, exactly as when the service is slow. Waiting for a
confirm there only adds a round trip to every call (measured: a third of a booking's time in the service).
Requests keep their confirms (the caller's proxy needs them to notice a service that is not running).

Replies, like the gateway's requests (`gateway.rpc`), are transient (not written to the broker's disk): a call
matters only while its caller waits, a few seconds. A request kept on disk across a broker restart would be
carried out after its caller had been told that the platform was unavailable; a reply kept so would wait for
a caller that has gone. Not writing them also takes a third of the broker's work off each call (measured).
Events stay persistent: once confirmed, they must outlive a broker restart.

A reply that cannot be published at all (the broker went away while the worker ran) is logged and dropped:
the caller sees its timeout, as above. Nameko would otherwise let the publish error end the worker with an
exception, and an exception there stops the whole service container (seen here: the spaces service exited
during a broker restart under load). The request is still acknowledged where the connection allows, so it
does not hold a prefetch slot; a caller that repeats a command sends its idempotency key with it.

A call that failed because the database could not be reached answers `Unavailable` (a 503 at the gateway),
not an internal error: nothing about the request was wrong, and the same call may succeed in a moment.
"""
import functools
import inspect
import logging
import sys

from nameko import rpc as nameko_rpc
from nameko.amqp.publish import Publisher
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY, AMQP_URI_CONFIG_KEY, DEFAULT_SERIALIZER, LOGIN_METHOD_CONFIG_KEY, NON_PERSISTENT,
    SERIALIZER_CONFIG_KEY,
)
from nameko.exceptions import IncorrectSignature

from services.common.errors import Unavailable
from services.common.mongo import is_database_unreachable



log = logging.getLogger(__name__)


class UnconfirmedPublisher(Publisher):
    use_confirms = False
    delivery_mode = NON_PERSISTENT


class Responder(nameko_rpc.Responder):
    publisher_cls = UnconfirmedPublisher


class RpcConsumer(nameko_rpc.RpcConsumer):
    def handle_result(self, message, result, exc_info):
        if exc_info is not None and is_database_unreachable(exc_info[1]):
            log.warning("the database cannot be reached: %s", exc_info[1])
            exc_info = unavailable("The database cannot be reached just now.")
        config = self.container.config
        responder = Responder(
            config[AMQP_URI_CONFIG_KEY], nameko_rpc.get_rpc_exchange(config),
            config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER), message,
            ssl=config.get(AMQP_SSL_CONFIG_KEY), login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
        )
        try:
            result, exc_info = responder.send_response(result, exc_info)
        except Exception:  # the broker is away: see the module's docstring
            log.warning("could not reply to an RPC call (the caller will time out)", exc_info=True)
        try:
            self.queue_consumer.ack_message(message)
        except Exception:  # the connection is gone; the broker returns the request to its queue, if it kept it
            log.warning("could not acknowledge an RPC request", exc_info=True)
        return result, exc_info


def unavailable(detail: str) -> tuple:
    try:
        raise Unavailable(detail)
    except Unavailable:
        return sys.exc_info()


class Rpc(nameko_rpc.Rpc):
    rpc_consumer = RpcConsumer()

    def check_signature(self, args, kwargs):
        """Nameko's check, with the method's signature read once instead of on every call."""
        try:
            self._signature.bind(None, *args, **kwargs)
        except TypeError as exc:
            raise IncorrectSignature(str(exc))

    @functools.cached_property
    def _signature(self) -> inspect.Signature:
        return inspect.signature(getattr(self.container.service_cls, self.method_name))


rpc = Rpc.decorator
