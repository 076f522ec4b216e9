"""Event handlers that handle each event once and never silently drop one.

Delivery is at least once: the same event may arrive twice (a relay republished it, a consumer died
before acking). Nameko acks a message whose handler raised, losing it; so a failing handler is retried a
bounded number of times with backoff, and then the event is parked in the service's `parked_events`
collection with the reason, where an operator can see and replay it. Other events are not held up.
"""
import functools
import logging

import eventlet
from nameko.events import event_handler

from services.common.clock import utcnow
from services.common.events import is_envelope

log = logging.getLogger(__name__)

RETRY_DELAYS = (0.1, 0.5, 2.0)


def on_event(source_service: str, event_type: str, *, repository: str = "db", retry_delays=RETRY_DELAYS):
    """Declare a Nameko event handler for `source_service`'s `event_type`, handled once by `event_id`.

    `repository` names the service attribute holding its `MongoDatabase` dependency.
    """

    def decorate(method):
        @functools.wraps(method)
        def handle(self, event):
            store = getattr(self, repository)
            if not is_envelope(event):
                park(store, event, "not an event envelope")
                return
            # One ledger entry per event and handler: two handlers of one event type each do their part.
            ledger_key = f"{event['event_id']}:{method.__name__}"
            if store.was_handled(ledger_key):
                return
            for attempt, delay in enumerate((*retry_delays, None), start=1):
                try:
                    method(self, event)
                    break
                except Exception as error:
                    if delay is None:
                        park(store, event, f"{type(error).__name__}: {error}", attempts=attempt)
                        return
                    log.warning("handling %s failed (attempt %d), retrying", event["type"], attempt)
                    eventlet.sleep(delay)
            store.mark_handled(ledger_key, event["type"], utcnow())

        return event_handler(source_service, event_type)(handle)

    return decorate


def park(store, event, reason: str, attempts: int = 0) -> None:
    log.error("parking event %r: %s", event if not is_envelope(event) else event["event_id"], reason)
    store.db.parked_events.insert_one(
        {"event": event, "reason": reason, "attempts": attempts, "parked_at": utcnow()}
    )
