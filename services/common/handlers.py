"""Event handlers that handle each event once and never silently drop one.

Delivery is at least once: the same event may arrive twice (a relay republished it, a consumer died
before acking). Nameko acks a message whose handler raised, losing it; so a failing handler is retried a
bounded number of times with backoff, and then the event is parked with the reason in the service's
dead-letter queue (`dead-letters.<service>` on the `dead-letters` exchange), where an operator can read it
and replay it. Other events are not held up. Should even that publish fail, the event is kept in the
service's `parked_events` collection instead.

A handler that fails because the database cannot be reached is not parked: nothing is wrong with the event.
After a pause (which also keeps a service from spinning through its queue while the database is away) the
message goes back to its queue, and the broker delivers it again until the database answers.
"""
import functools
import logging

import eventlet
from kombu import Connection, Exchange, Queue
from nameko.events import EventHandler
from nameko.extensions import DependencyProvider

from services.common.clock import isoformat_z, utcnow
from services.common.events import is_envelope
from services.common.mongo import is_database_unreachable

DEAD_LETTERS = Exchange("dead-letters", type="direct", durable=True)


def dead_letter_queue(service_name: str) -> Queue:
    return Queue(f"dead-letters.{service_name}", DEAD_LETTERS, routing_key=service_name, durable=True)


class DeadLetters(DependencyProvider):
    """Parks events a handler could not process, with the reason, in the service's dead-letter queue."""

    def setup(self):
        self.amqp_uri = self.container.config["AMQP_URI"]
        self.queue = dead_letter_queue(self.container.service_name)

    def get_dependency(self, worker_ctx):
        return self

    def park(self, letter: dict) -> None:
        with Connection(self.amqp_uri, transport_options={"confirm_publish": True}) as connection:
            producer = connection.Producer()
            producer.publish(letter, exchange=DEAD_LETTERS, routing_key=self.queue.routing_key, serializer="json",
                             declare=[self.queue], delivery_mode=2, retry=True, retry_policy={"max_retries": 3})

log = logging.getLogger(__name__)

RETRY_DELAYS = (0.1, 0.5, 2.0)
# How long a handler waits before it gives an event back to the broker when the database cannot be reached.
REQUEUE_PAUSE_SECONDS = 1.0


class AckingEventHandler(EventHandler):
    """Nameko's event handler, except that an acknowledgement the broker can no longer take is logged, not raised.

    Nameko acks the message after the handler returns; if the connection went away meanwhile (the broker
    restarted), the error would end the worker with an exception, and that stops the whole service container
    (seen here: the notifications service exited during a broker restart under load). The message was not
    acknowledged, so the broker delivers it again once the service is connected again, and the handler, once
    per `event_id`, leaves it at what it already did."""

    def handle_message_processed(self, message, result=None, exc_info=None):
        try:
            if exc_info is not None and is_database_unreachable(exc_info[1]):
                self.queue_consumer.requeue_message(message)
            else:
                super().handle_message_processed(message, result, exc_info)
        except Exception:
            log.warning("could not acknowledge an event; the broker will deliver it again", exc_info=True)


event_handler = AckingEventHandler.decorator


def on_event(source_service: str, event_type: str, *, repository: str = "db", retry_delays=RETRY_DELAYS):
    """Declare a Nameko event handler for `source_service`'s `event_type`, handled once by `event_id`.

    `repository` names the service attribute holding its `MongoDatabase` dependency; the service also has a
    `dead_letters` dependency (`PlatformService` declares one).
    """

    def decorate(method):
        @functools.wraps(method)
        def handle(self, event):
            store = getattr(self, repository)
            try:
                handle_once(self, store, method, event, retry_delays)
            except Exception as error:
                if is_database_unreachable(error):  # given back to the broker: see the module's docstring
                    log.warning("the database cannot be reached; an event goes back to its queue")
                    eventlet.sleep(REQUEUE_PAUSE_SECONDS)
                raise

        return event_handler(source_service, event_type)(handle)

    return decorate


def handle_once(service, store, method, event, retry_delays) -> None:
    if not is_envelope(event):
        park(service, store, event, "not an event envelope", handler=method.__name__)
        return
    # One ledger entry per event and handler: two handlers of one event type each do their part.
    ledger_key = f"{event['event_id']}:{method.__name__}"
    if store.was_handled(ledger_key):
        return
    for attempt, delay in enumerate((*retry_delays, None), start=1):
        try:
            method(service, event)
            break
        except Exception as error:
            if is_database_unreachable(error):
                raise
            if delay is None:
                park(service, store, event, f"{type(error).__name__}: {error}", attempts=attempt,
                     handler=method.__name__)
                return
            log.warning("handling %s failed (attempt %d), retrying", event["type"], attempt)
            eventlet.sleep(delay)
    store.mark_handled(ledger_key, event["type"], utcnow())


def park(service, store, event, reason: str, *, handler: str, attempts: int = 0) -> None:
    log.error("parking event %r: %s", event if not is_envelope(event) else event["event_id"], reason)
    letter = {"event": event, "reason": reason, "attempts": attempts, "handler": handler,
              "service": getattr(service, "name", ""), "parked_at": isoformat_z(utcnow())}
    try:
        service.dead_letters.park(letter)
    except Exception:  # the broker is away too: keep it where an operator still finds it
        log.exception("could not publish to the dead-letter queue; keeping the event in parked_events")
        store.db.parked_events.insert_one({**letter, "parked_at": utcnow()})
