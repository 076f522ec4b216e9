"""The unit of work: what a command names is written when it commits, in order, and its events go out after the
reply (or before it, when asked)."""
import pytest

from services.common.unit_of_work import UnitOfWork
from tests.support.fakes import FakeOutbox


class Document:
    def __init__(self, name: str, *events: str):
        self.name = name
        self.outbox = [{"type": event} for event in events]


class Repository:
    def __init__(self, refuse: str = ""):
        self.writes, self.refuse = [], refuse

    def insert(self, document):
        self.writes.append(("insert", document.name))

    def update(self, document):
        if document.name == self.refuse:
            raise RuntimeError("changed meanwhile")
        self.writes.append(("update", document.name))

    def published(self, document):
        pass


def unit(repository=None, broker_up=True) -> UnitOfWork:
    repository = repository or Repository()
    return UnitOfWork(repository, FakeOutbox(repository, broker_up))


def test_commit_writes_what_was_named_in_order_and_publishes_after_the_reply():
    uow = unit()
    with uow:
        uow.add(Document("booking", "booking.confirmed"))
        uow.save(Document("space"))
        assert uow.repository.writes == []
        uow.commit()
    assert uow.repository.writes == [("insert", "booking"), ("update", "space")]
    assert [d.name for d in uow._outbox.left] == ["booking"] and uow._outbox.published == []


def test_leaving_without_commit_writes_nothing():
    uow = unit()
    with pytest.raises(ValueError):
        with uow:
            uow.add(Document("booking", "booking.confirmed"))
            raise ValueError("a rule refused")
    with uow:
        uow.commit()
    assert uow.repository.writes == [] and uow._outbox.left == []


def test_a_write_the_repository_refuses_stops_the_rest_of_the_unit():
    uow = unit(Repository(refuse="request"))
    with pytest.raises(RuntimeError), uow:
        uow.save(Document("request", "help.completed"), Document("offer"))
        uow.commit()
    assert uow.repository.writes == [] and uow._outbox.left == []


def test_a_change_others_must_know_first_is_published_before_the_reply():
    uow = unit()
    uow.save_and_commit(Document("member", "member.updated"))
    assert uow.publish() and [event["type"] for event in uow._outbox.published] == ["member.updated"]
    refused = unit(broker_up=False)
    refused.save_and_commit(Document("member", "member.updated"))
    assert refused.publish() is False


def test_a_unit_of_work_is_begun_once_at_a_time():
    uow = unit()
    with uow, pytest.raises(RuntimeError):
        with uow:
            pass
