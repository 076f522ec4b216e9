"""A database that goes away and comes back, under a real Nameko container on the real broker: a call answers
`Unavailable` (the gateway's 503) within the RPC timeout instead of hanging or failing as an internal error, an
event waits in its queue instead of being parked, and both work again by themselves when the database returns."""
import time
from datetime import datetime, timezone

import pytest
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_waiter

from scripts.embedded_db import EmbeddedDatabase
from services.common.errors import Unavailable
from services.common.events import new_event
from services.common.handlers import DeadLetters, on_event
from services.common.mongo import MongoDatabase, Repository
from services.common.rpc import rpc

RPC_TIMEOUT = 5  # the gateway's default


class CounterRepository(Repository):
    alias = "counter"

    def add(self, name: str) -> int:
        self.db.counts.update_one({"_id": name}, {"$inc": {"n": 1}}, upsert=True)
        return self.count(name)

    def count(self, name: str) -> int:
        found = self.db.counts.find_one({"_id": name})
        return found["n"] if found else 0


class Counter:
    name = "counter"
    db = MongoDatabase(CounterRepository)
    dead_letters = DeadLetters()

    @rpc
    def add(self, name):
        return self.db.add(name)

    @rpc
    def parked(self):
        return self.db.db.parked_events.count_documents({})

    @on_event("members", "member.joined")
    def joined(self, event):
        self.db.add("joined")


@pytest.fixture
def database(tmp_path):
    """A server of this test's own: it is killed and started again on the same port and data."""
    server = EmbeddedDatabase(tmp_path / "db").start()
    yield server
    server.stop()


@pytest.fixture
def counter(container_factory, service_config, database):
    container = container_factory(Counter, {**service_config, "MONGODB_URI": database.uri})
    container.start()
    return container


def succeeded(worker_ctx, result, exc_info):
    return exc_info is None


def test_a_call_while_the_database_is_down_is_unavailable_within_the_timeout_and_works_when_it_returns(
        counter, service_config, database):
    with ServiceRpcProxy("counter", service_config, timeout=RPC_TIMEOUT) as proxy:
        assert proxy.add("bookings") == 1
        database.kill()
        began = time.monotonic()
        with pytest.raises(Unavailable):
            proxy.add("bookings")
        assert time.monotonic() - began < RPC_TIMEOUT
        database.start()
        assert proxy.add("bookings") == 2  # the acknowledged first write survived the kill (journaled)


def test_an_event_while_the_database_is_down_waits_in_its_queue_and_is_handled_once_when_it_returns(
        counter, service_config, database):
    database.kill()
    event = new_event("member.joined", community_id="c1", payload={"member_id": "m1"},
                      occurred_at=datetime.now(timezone.utc))
    with entrypoint_waiter(counter, "joined", callback=lambda *args: True) as failed:
        event_dispatcher(service_config)("members", "member.joined", event)
    with pytest.raises(Exception) as raised:
        failed.get()
    assert "ServerSelectionTimeoutError" in type(raised.value).__name__ + repr(raised.value)
    with entrypoint_waiter(counter, "joined", callback=succeeded, timeout=30):
        database.start()  # the broker delivers the event again until the handler can do its part
    with ServiceRpcProxy("counter", service_config, timeout=RPC_TIMEOUT) as proxy:
        assert proxy.add("joined") == 2  # the event's one increment, then this one
        assert proxy.parked() == 0  # not parked as if the event were at fault
