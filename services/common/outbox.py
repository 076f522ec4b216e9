"""The outbox: an event is stored in the same document as the state change it announces, then published.

A single-document write is atomic in MongoDB, so a change and its pending events are stored together or
not at all. After the write the worker publishes them (with publisher confirms, Nameko's default) and
removes each from the document. If the process dies in between, or the broker is away, the events stay
in the document and the relay, run by a timer in every service, publishes them later. An event may thus
be published twice; consumers are idempotent by `event_id`.

A document with events to publish carries `outbox_since` (when the oldest was recorded), and only those do:
the relay finds them through a sparse index on it, instead of reading the whole collection every few
seconds (a collection scan per relay tick and instance, over every booking ever made).

A command that answers a caller may leave the publishing for right after its answer (`send_after_reply`):
the change and its events are stored already, so the caller need not wait for the broker's confirm.
"""
import logging
import weakref
from datetime import timedelta

from mongoengine import DateTimeField, DictField, Document, ListField
from nameko.events import EventDispatcher

from services.common.clock import parse_iso, utcnow

log = logging.getLogger(__name__)


class OutboxDocument(Document):
    """Base of every document that announces its changes: pending events ride along with the state."""

    outbox = ListField(DictField())
    outbox_since = DateTimeField()  # set while the outbox holds events; the relay looks only at these
    meta = {"abstract": True, "indexes": [{"fields": ["outbox_since"], "sparse": True}]}

    def record(self, event: dict) -> None:
        self.outbox.append(event)
        if self.outbox_since is None:
            self.outbox_since = utcnow()


def pending_since(moment) -> dict:
    """The update that records, beside a `$push` of an event, that the document has events to publish."""
    return {"$min": {"outbox_since": moment}}


class Outbox(EventDispatcher):
    """Publishes the pending events of outbox documents, on `<service>.events` with the type as routing key."""

    def __init__(self, *documents: type[OutboxDocument], **kwargs):
        self.documents = documents
        self._senders = weakref.WeakKeyDictionary()
        self._marked: set[type] = set()  # collections whose documents from before `outbox_since` are marked
        super().__init__(**kwargs)

    def get_dependency(self, worker_ctx):
        sender = OutboxSender(super().get_dependency(worker_ctx), self.documents, self._marked)
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
    def __init__(self, dispatch, documents, marked: set | None = None):
        self._dispatch = dispatch
        self._documents = documents
        self._marked = set() if marked is None else marked
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
            if not self._send_events(type(document), document.pk, list(document.outbox)):
                return False
            document.outbox = []
            document.outbox_since = None
        return True

    def relay(self, grace: timedelta = timedelta(seconds=10)) -> int:
        """Publish events left unsent for longer than `grace`; returns how many were published."""
        cutoff = utcnow() - grace
        published = 0
        for document_class in self._documents:
            collection = document_class._get_collection()
            if document_class not in self._marked:
                _mark_pending(collection)
                self._marked.add(document_class)
            for raw in collection.find({"outbox_since": {"$lte": cutoff}}, {"outbox": 1}):
                due = []
                for event in raw.get("outbox") or []:
                    if parse_iso(event["occurred_at"]) > cutoff:
                        break  # a worker is probably publishing it right now
                    due.append(event)
                if not self._send_events(document_class, raw["_id"], due):
                    return published
                published += len(due)
        return published

    def _send_events(self, document_class, pk, events: list[dict]) -> bool:
        """Publish `events` of one document in order, then take them out of its outbox in one update: all of
        them, or those that went before a publish failed. True if all went."""
        if events and not self._publish(events[0]):
            return False
        sent = [events[0]["event_id"]] if events else []
        for event in events[1:]:
            if not self._publish(event):
                break
            sent.append(event["event_id"])
        collection = document_class._get_collection()
        # Emptied: no longer pending. Unless another worker added an event meanwhile (the outbox is then not
        # exactly what was sent), which keeps the document pending for the relay.
        exactly = {"_id": pk, "outbox": {"$size": len(sent)}}
        if sent:
            exactly["outbox.event_id"] = {"$all": sent}
        emptied = collection.update_one(exactly, {"$set": {"outbox": []}, "$unset": {"outbox_since": ""}})
        if not emptied.matched_count and sent:
            collection.update_one({"_id": pk}, {"$pull": {"outbox": {"event_id": {"$in": sent}}}})
        return len(sent) == len(events)

    def _publish(self, event) -> bool:
        try:
            self._dispatch(event["type"], event)
        except Exception:  # the broker is away: the event stays stored and the relay tries again
            log.warning("could not publish %s %s; the relay will retry", event["type"], event["event_id"],
                        exc_info=True)
            return False
        return True


def _mark_pending(collection) -> None:
    """Once per process and collection: documents stored with events before `outbox_since` existed get it, so
    the relay finds them too (the only full read of a collection the relay makes)."""
    collection.update_many({"outbox.0": {"$exists": True}, "outbox_since": {"$exists": False}},
                           {"$set": {"outbox_since": utcnow()}})
