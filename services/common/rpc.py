"""The RPC entrypoint every service uses: Nameko's, with replies published without publisher confirms.

A confirm makes the publisher wait for the broker's acknowledgement; for events that wait is what makes the
outbox safe, so events keep it. A reply is different: it goes to the caller's own transient reply queue, and
if the broker lost it the caller would see its timeout, exactly as when the service is slow. Waiting for a
confirm there only adds a round trip to every call (measured: a third of a booking's time in the service).
Requests keep their confirms (the caller's proxy needs them to notice a service that is not running).
"""
from nameko import rpc as nameko_rpc
from nameko.amqp.publish import Publisher
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY, AMQP_URI_CONFIG_KEY, DEFAULT_SERIALIZER, LOGIN_METHOD_CONFIG_KEY, SERIALIZER_CONFIG_KEY,
)


class UnconfirmedPublisher(Publisher):
    use_confirms = False


class Responder(nameko_rpc.Responder):
    publisher_cls = UnconfirmedPublisher


class RpcConsumer(nameko_rpc.RpcConsumer):
    def handle_result(self, message, result, exc_info):
        config = self.container.config
        responder = Responder(
            config[AMQP_URI_CONFIG_KEY], nameko_rpc.get_rpc_exchange(config),
            config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER), message,
            ssl=config.get(AMQP_SSL_CONFIG_KEY), login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
        )
        result, exc_info = responder.send_response(result, exc_info)
        self.queue_consumer.ack_message(message)
        return result, exc_info


class Rpc(nameko_rpc.Rpc):
    rpc_consumer = RpcConsumer()


rpc = Rpc.decorator
