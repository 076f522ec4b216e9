"""One service calling another over RPC, with a deadline: `self.calls("spaces", "book", actor, body, ...)`.

Nameko's own `RpcProxy` waits for its answer for ever: a service that is stopped (its queue stays, durable) would
hold the caller's worker until the broker gave up. Here every call has a deadline (the service's setting named
when the dependency is declared), and the request itself expires in the broker at that deadline (`expiration`):
a request the callee could not take in time is dropped, not carried out long after its caller gave up. A callee
that answers with one of the platform's errors (`services.common.errors`) raises it here, the same type; a
callee that does not answer in time, is not running or cannot be reached raises `NoAnswer`.

A request the callee took just before its deadline may still be carried out after the caller gave up: a caller
that must not leave something half made behind sends an idempotency key and, should it have heard nothing,
settles the request by that key later (the activities service withdraws a room booking so, see its commands).
"""
import eventlet
from kombu.exceptions import KombuError
from nameko.exceptions import UnknownService
from nameko.extensions import DependencyProvider
from nameko.rpc import MethodProxy, ReplyListener


class NoAnswer(Exception):
    """The service called did not answer in time, is not running, or the broker cannot be reached."""

    def __init__(self, service: str, reason: str):
        super().__init__(f"{service} {reason}")
        self.service = service
        self.reason = reason


class ServiceCalls(DependencyProvider):
    """Calls to other services with a deadline: `timeout_setting` names the service's setting (seconds)."""

    rpc_reply_listener = ReplyListener()

    def __init__(self, timeout_setting: str):
        self.timeout_setting = timeout_setting

    def get_dependency(self, worker_ctx):
        timeout = float(self.container.config[self.timeout_setting])
        listener = self.rpc_reply_listener

        def call(service: str, method: str, *args, **kwargs):
            proxy = MethodProxy(worker_ctx, service, method, listener, expiration=timeout)
            try:
                reply = proxy.call_async(*args, **kwargs)
            except UnknownService:
                raise NoAnswer(service, "is not running")
            except (OSError, KombuError, ConnectionError) as error:
                raise NoAnswer("broker", f"cannot be reached ({type(error).__name__})")
            try:
                with eventlet.Timeout(timeout):
                    return reply.result()
            except eventlet.Timeout:
                raise NoAnswer(service, f"did not answer within {timeout:g} seconds")

        return call
