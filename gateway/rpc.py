"""A thread-safe, pooled RPC client for calling the Nameko services from Flask.

Nameko's standalone `ClusterRpcProxy` is single-threaded: one proxy shared by threads deadlocks. So each
call borrows a started proxy that no other thread uses meanwhile, and gives it back. Proxies are made
lazily in the process that uses them (after gunicorn forks), every call has a timeout, and a proxy that
timed out or lost its connection is thrown away rather than reused.
"""
import logging
import os
import queue
import threading

from kombu import Consumer
from kombu.common import maybe_declare
from kombu.exceptions import KombuError
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
from nameko.standalone.rpc import ClusterRpcProxy, PollingQueueConsumer, SingleThreadedReplyListener

from services.common import nameko_patches
from services.common.errors import ServiceError

log = logging.getLogger(__name__)


class UnacknowledgedReplies(PollingQueueConsumer):
    """Nameko's reply consumer, taking replies without acknowledging each one.

    Replies come to this proxy's own queue and are only ever read by it; a reply lost with the connection is a
    timeout for its caller either way (and the proxy is then thrown away). An acknowledgement per reply only
    costs the broker and the gateway a frame each."""

    def _setup_consumer(self):
        if self.consumer is not None:
            try:
                self.consumer.cancel()
            except OSError:  # the connection is gone already, and with it the consumer
                pass
        channel = self.connection.channel()
        self.queue = self.queue.bind(channel)
        maybe_declare(self.queue, channel)
        consumer = Consumer(channel, queues=[self.queue], accept=self.accept, no_ack=True)
        consumer.callbacks = [self.on_message]
        consumer.consume()
        self.consumer = consumer

    def ack_message(self, msg):
        pass


class ReplyListener(SingleThreadedReplyListener):
    def __init__(self, timeout=None):
        super().__init__(timeout=timeout)
        self.queue_consumer = UnacknowledgedReplies(timeout=timeout)


class ServiceUnavailable(Exception):
    """A service (or the broker) did not answer: the gateway answers 503 naming it."""

    def __init__(self, service: str, reason: str):
        super().__init__(service, reason)
        self.service = service
        self.reason = reason


class RpcClient:
    def __init__(self, amqp_uri: str, *, timeout: float, max_idle: int = 16):
        nameko_patches.install_for_gateway()
        self.amqp_uri = amqp_uri
        self.timeout = timeout
        self.max_idle = max_idle
        self._lock = threading.Lock()
        self._pid = None
        self._idle: queue.LifoQueue = queue.LifoQueue()

    def call(self, service: str, method: str, *args, **kwargs):
        handle, proxy = self._acquire()
        try:
            result = getattr(getattr(proxy, service), method)(*args, **kwargs)
        except (ServiceError, RemoteError):
            self._release(handle, proxy)  # the service answered, with an error: the proxy is fine
            raise
        except UnknownService:
            self._release(handle, proxy)
            raise ServiceUnavailable(service, "is not running")
        except RpcTimeout:
            self._discard(handle)  # a late reply would confuse the next caller
            raise ServiceUnavailable(service, f"did not answer within {self.timeout:g} seconds")
        except (OSError, KombuError, ConnectionError) as error:
            self._discard(handle)
            raise ServiceUnavailable("broker", f"cannot be reached ({type(error).__name__})")
        except Exception:
            # Anything unexpected: do not trust the proxy's state any more.
            self._discard(handle)
            raise
        self._release(handle, proxy)
        return result

    def close(self) -> None:
        while True:
            try:
                handle, _ = self._idle.get_nowait()
            except queue.Empty:
                return
            self._discard(handle)

    # -- the pool ------------------------------------------------------------------------------------------
    def _acquire(self):
        self._forget_parents_proxies()
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        handle = ClusterRpcProxy({"AMQP_URI": self.amqp_uri}, timeout=self.timeout, reply_listener_cls=ReplyListener)
        try:
            return handle, handle.start()
        except Exception as error:
            raise ServiceUnavailable("broker", f"cannot be reached ({type(error).__name__})")

    def _release(self, handle, proxy) -> None:
        if self._idle.qsize() >= self.max_idle:
            self._discard(handle)
        else:
            self._idle.put((handle, proxy))

    def _discard(self, handle) -> None:
        try:
            handle.stop()
        except Exception:  # its connection is already gone
            log.debug("closing an RPC proxy failed", exc_info=True)

    def _forget_parents_proxies(self) -> None:
        """A forked worker must not use connections its parent opened."""
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():
                    self._idle = queue.LifoQueue()
                    self._pid = os.getpid()
