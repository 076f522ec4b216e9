"""Persistence: one MongoEngine connection per service database, and the repository a worker gets.

With `MONGODB_URI` set, services talk to a real MongoDB (write concern and retryable writes from the
environment). Without it they use mongomock, an in-memory store, and say loudly that nothing is kept.
Connections are made in `setup()`, after Nameko has forked and patched, never at import time.
"""
import logging
import threading

import mongoengine
from nameko.extensions import DependencyProvider
from pymongo.errors import DuplicateKeyError

from services.common import memory_journal, mongomock_speedups
from services.common.clock import as_utc
from services.common.config import database_name, env, env_bool

log = logging.getLogger(__name__)

_lock = threading.Lock()
_users: dict[str, int] = {}
_journaled: dict[str, str] = {}  # alias -> database name, for the stores kept in a journal

IN_MEMORY_WARNING = """
############################################################################
#  MONGODB_URI is not set: the %s service keeps its data IN MEMORY.
#  Everything it stores is GONE when it stops. Set MONGODB_URI to keep data.
############################################################################"""


def connect(alias: str, db_name: str, uri: str | None) -> None:
    """Register the connection for `alias` once per process; later callers share it."""
    with _lock:
        _users[alias] = _users.get(alias, 0) + 1
        if _users[alias] > 1:
            return
        if uri:
            mongoengine.connect(
                db=db_name, alias=alias, host=uri, tz_aware=True, uuidRepresentation="standard",
                connect=False, w=env("MONGODB_WRITE_CONCERN", "majority"),
                retryWrites=env_bool("MONGODB_RETRY_WRITES", True),
            )
        else:
            import mongomock

            log.warning(IN_MEMORY_WARNING, alias)
            mongomock_speedups.install()
            mongoengine.connect(
                db=db_name, alias=alias, host="mongodb://localhost", tz_aware=True,
                mongo_client_class=mongomock.MongoClient,
            )
            journal_dir = env("IN_MEMORY_JOURNAL_DIR")
            if journal_dir:  # tests that kill a service keep its data across the kill (see memory_journal)
                memory_journal.attach(mongoengine.get_db(alias), journal_dir)
                _journaled[alias] = db_name


def disconnect(alias: str) -> None:
    with _lock:
        _users[alias] = _users.get(alias, 1) - 1
        if _users[alias] <= 0:
            _users.pop(alias, None)
            memory_journal.detach(_journaled.pop(alias, ""))
            mongoengine.disconnect(alias)


class Repository:
    """Base of each service's repository: the infrastructure records every service keeps.

    Both use `_id` uniqueness, which every MongoDB (and mongomock) enforces without a declared index.
    """

    alias: str = ""
    documents: tuple = ()  # the service's MongoEngine documents, whose indexes are made at start

    def __init__(self):
        self.db = mongoengine.get_db(self.alias)

    # -- events handled once ------------------------------------------------------------------------
    def was_handled(self, event_id: str) -> bool:
        return self.db.handled_events.count_documents({"_id": event_id}, limit=1) > 0

    def mark_handled(self, event_id: str, event_type: str, at) -> None:
        try:
            self.db.handled_events.insert_one({"_id": event_id, "type": event_type, "at": at})
        except DuplicateKeyError:
            pass  # another instance handled it concurrently: the effect is the same

    # -- idempotency keys of commands ---------------------------------------------------------------
    def claim_idempotency_key(self, record_id: str, fingerprint: str, at, owner: str = "") -> dict | None:
        """Claim a key for `owner` (a process); return None when claimed now, or the record left before."""
        try:
            self.db.idempotency_keys.insert_one(
                {"_id": record_id, "fingerprint": fingerprint, "state": "running", "at": at, "owner": owner}
            )
            return None
        except DuplicateKeyError:
            return self.db.idempotency_keys.find_one({"_id": record_id})

    def retake_idempotency_key(self, earlier: dict, at, owner: str) -> bool:
        """Take over a running claim exactly as it was read; False if anyone changed it meanwhile."""
        result = self.db.idempotency_keys.update_one(
            {"_id": earlier["_id"], "state": "running", "at": earlier["at"], "owner": earlier.get("owner")},
            {"$set": {"at": at, "owner": owner}},
        )
        return result.modified_count == 1

    # -- the processes of the service that are alive ------------------------------------------------
    def beat(self, process: str, at) -> None:
        self.db.processes.update_one({"_id": process}, {"$set": {"seen_at": at}}, upsert=True)

    def last_seen(self, process: str):
        """When `process` last said it was alive (aware UTC), or None if it never did."""
        found = self.db.processes.find_one({"_id": process}, {"seen_at": 1})
        return as_utc(found["seen_at"]) if found else None

    def finish_idempotency_key(self, record_id: str, result) -> None:
        self.db.idempotency_keys.update_one(
            {"_id": record_id}, {"$set": {"state": "done", "result": result}}
        )

    def release_idempotency_key(self, record_id: str) -> None:
        self.db.idempotency_keys.delete_one({"_id": record_id, "state": "running"})


class MongoDatabase(DependencyProvider):
    """Gives each worker a fresh repository (a unit of work per call) on the service's own database."""

    def __init__(self, repository_class: type[Repository]):
        self.repository_class = repository_class

    def setup(self):
        config = self.container.config
        alias = self.repository_class.alias
        uri = config.get("MONGODB_URI") or env("MONGODB_URI")
        db_name = config.get("DATABASE_NAME") or database_name(alias)
        connect(alias, db_name, uri)
        self._alias = alias
        for document in self.repository_class.documents:
            document.ensure_indexes()

    def stop(self):
        disconnect(self._alias)

    def kill(self):
        disconnect(self._alias)

    def get_dependency(self, worker_ctx):
        return self.repository_class()
