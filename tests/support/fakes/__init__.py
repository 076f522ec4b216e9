"""A unit of work in memory, so that each service's commands are tested in milliseconds: no broker, no database.

cosmicpython's FakeUnitOfWork is the model. `FakeUnitOfWork` is the real `UnitOfWork` on a fake repository and a
fake outbox, so what a command begins, commits and leaves to publish is exactly what it does in a service. A
fake repository (one per service, in this package) keeps each document as MongoEngine would store it and reads
it back as a fresh document, so a command sees only what was committed, as on the database; it answers the
questions of the service's real repository with plain Python over what it holds, and writes each kind of
document by the rules the real one has (a help request only if unchanged, an email address once, ...).
"""
import copy
from collections import defaultdict
from datetime import datetime

from bson import ObjectId
from mongoengine import NotUniqueError

from services.common.clock import as_utc
from services.common.paging import decode_cursor, encode_cursor
from services.common.unit_of_work import UnitOfWork


class FakeOutbox:
    """A worker's outbox without a broker: the documents a command left to publish after its reply, and the
    events that went out (and left their stored documents). With `broker_up=False` every publish fails, and the
    events stay in their documents."""

    def __init__(self, repository, broker_up: bool = True):
        self.repository = repository
        self.broker_up = broker_up
        self.left: list = []
        self.published: list[dict] = []

    def send_after_reply(self, *documents) -> None:
        self.left.extend(documents)

    def send_left(self) -> bool:
        left, self.left = self.left, []
        if not self.broker_up:
            return False
        for document in left:
            self.published += document.outbox
            document.outbox = []
            self.repository.published(document)
        return True


class FakeUnitOfWork(UnitOfWork):
    """The real unit of work on a fake repository and outbox; counts its commits."""

    def __init__(self, repository, *, broker_up: bool = True):
        super().__init__(repository, FakeOutbox(repository, broker_up))
        self.outbox = self._outbox
        self.commits = 0

    def commit(self) -> None:
        super().commit()
        self.commits += 1

    def events(self) -> list[str]:
        """The types of the events the command published, before its answer and, as its worker ends, after it."""
        self.outbox.send_left()
        return [event["type"] for event in self.outbox.published]


def fresh(uow: FakeUnitOfWork, *, broker_up: bool = True) -> FakeUnitOfWork:
    """The unit of work of the next request, on the same store."""
    return FakeUnitOfWork(uow.repository, broker_up=broker_up)


def done(uow: FakeUnitOfWork, command, *args, **kwargs):
    """`command` as an earlier request on the same store: answered, and its worker's events out."""
    earlier = fresh(uow)
    result = command(earlier, *args, **kwargs)
    earlier.events()
    return result


class FakeRepository:
    """The part every fake repository shares: documents kept by kind and id, written as a unit of work writes."""

    def __init__(self, *documents):
        self._stored: dict[type, dict] = defaultdict(dict)
        for document in documents:
            self.insert(document)

    def insert(self, document) -> None:
        if document.pk is None:  # a document whose id the database makes
            document.pk = ObjectId()
        if document.pk in self._stored[type(document)]:
            raise NotUniqueError(f"{type(document).__name__} {document.pk} exists already")
        self._keep(document)

    def update(self, document) -> None:
        self._keep(document)

    def stored(self, kind, pk):
        """The document as it is stored now (None if it is not), a fresh copy."""
        raw = self._stored[kind].get(pk)
        return None if raw is None else kind._from_son(copy.deepcopy(raw))

    def all(self, kind) -> list:
        return [kind._from_son(copy.deepcopy(raw)) for raw in self._stored[kind].values()]

    def published(self, document) -> None:
        """The outbox published what the document carried: the events leave its stored copy."""
        stored = self._stored[type(document)].get(document.pk)
        if stored is not None:
            stored["outbox"] = []
            stored.pop("outbox_since", None)

    def forget(self, kind, pk) -> None:
        self._stored[kind].pop(pk, None)

    def _keep(self, document) -> None:
        self._stored[type(document)][document.pk] = copy.deepcopy(document.to_mongo().to_dict())


def page(documents: list, *, field: str, kind: type, limit: int, cursor: str | None, newest_first: bool = False):
    """One page of documents in memory and the cursor of the next, as the real `keyset_page` pages a query."""
    def key(document):
        value = getattr(document, field)
        return (as_utc(value) if kind is datetime else value), document.id

    ordered = sorted(documents, key=key, reverse=newest_first)
    if cursor:
        after = decode_cursor(cursor, kind, str)
        ordered = [document for document in ordered
                   if (key(document) < after if newest_first else key(document) > after)]
    shown = ordered[:limit]
    more = len(ordered) > limit
    return shown, (encode_cursor(getattr(shown[-1], field), shown[-1].id) if more else None)
