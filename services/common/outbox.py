"""The outbox: an event is stored in the same document as the state change it announces, then published.

A single-document write is atomic in MongoDB, so a change and its pending events are stored together or
not at all. After the write the worker publishes them (with publisher confirms, Nameko's default) and
removes each from the document. If the process dies in between, or the broker is away, the events stay
in the document and the relay, run by a timer in every service, publishes them later. An event may thus
be published twice; consumers are idempotent by `event_id`.

A command that answers a caller may leave the publishing for right after its answer (`send_after_reply`):
the change and its events are stored already, so the caller need not wait for the broker's confirm.
"""
import logging
import weakref
from datetime import timedelta

from mongoengine import DictField, Document, ListField
from nameko.events import EventDispatcher

from services.common.clock import parse_iso, utcnow

log = logging.getLogger(__name__)


class OutboxDocument(Document):
    """Base of every document that announces its changes: pending events ride along with the state."""

    outbox = ListField(DictField())
    meta = {"abstract": True}

    def record(self, event: dict) -> None:
        self.outbox.append(event)


class Outbox(EventDispatcher):
    """Publishes the pending events of outbox documents, on `<service>.events` with the type as routing key."""

    def __init__(self, *documents: type[OutboxDocument], **kwargs):
        self.documents = documents
        self._senders = weakref.WeakKeyDictionary()
        super().__init__(**kwargs)

    def get_dependency(self, worker_ctx):
        sender = OutboxSender(super().get_dependency(worker_ctx), self.documents)
        self._senders[worker_ctx] = sender
        return sender

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        """The worker has answered (an RPC's reply is sent): now publish what it left for after the reply."""
        sender = self._senders.pop(worker_ctx, None)
        if sender is None:
            return
        try:
            sender.send_left()
        except Exception:  # the database went away: an error here would stop the whole service container
            log.warning("could not finish publishing after the reply; the relay will", exc_info=True)


class OutboxSender:
    def __init__(self, dispatch, documents):
        self._dispatch = dispatch
        self._documents = documents
        self._left: list[OutboxDocument] = []

    def send_after_reply(self, *documents: OutboxDocument) -> None:
        """Publish what these freshly saved documents carry once the caller has its answer: the caller need not
        wait for the broker's confirm of an event that is stored already (and goes out with the relay should
        this publish fail or the process die first)."""
        self._left.extend(documents)

    def send_left(self) -> bool:
        left, self._left = self._left, []
        return self.send(*left)

    def send(self, *documents: OutboxDocument) -> bool:
        """Publish what these freshly saved documents carry; what fails stays for the relay. True if all went."""
        for document in documents:
            for event in list(document.outbox):
                if not self._publish(type(document), document.pk, event):
                    return False
            document.outbox = []
        return True

    def relay(self, grace: timedelta = timedelta(seconds=10)) -> int:
        """Publish events left unsent for longer than `grace`; returns how many were published."""
        cutoff = utcnow() - grace
        published = 0
        for document_class in self._documents:
            collection = document_class._get_collection()
            for raw in collection.find({"outbox.0": {"$exists": True}}, {"outbox": 1}):
                for event in raw["outbox"]:
                    if parse_iso(event["occurred_at"]) > cutoff:
                        break  # a worker is probably publishing it right now
                    if not self._publish(document_class, raw["_id"], event):
                        return published
                    published += 1
        return published

    def _publish(self, document_class, pk, event) -> bool:
        try:
            self._dispatch(event["type"], event)
        except Exception:  # the broker is away: the event stays stored and the relay tries again
            log.warning("could not publish %s %s; the relay will retry", event["type"], event["event_id"],
                        exc_info=True)
            return False
        document_class._get_collection().update_one(
            {"_id": pk}, {"$pull": {"outbox": {"event_id": event["event_id"]}}}
        )
        return True
