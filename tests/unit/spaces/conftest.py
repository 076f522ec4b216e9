"""The real spaces repository on an in-memory store, for the tests that race bookings through it."""
import uuid

import pytest

from services.common.unit_of_work import UnitOfWork
from services.spaces.repository import SpacesRepository
from tests.support import memory_store


class Outbox:
    """Publishes nothing: what a command leaves to publish after its reply is simply dropped."""

    def send_after_reply(self, *documents):
        for document in documents:
            document.outbox = []


def work(repo) -> UnitOfWork:
    """A request's unit of work on the shared store: each booking is a request of its own."""
    return UnitOfWork(repo, Outbox())


@pytest.fixture
def repo():
    memory_store.connect("spaces", f"spaces_{uuid.uuid4().hex[:8]}")
    for document in SpacesRepository.documents:
        document.ensure_indexes()
    yield SpacesRepository()
    memory_store.disconnect("spaces")
