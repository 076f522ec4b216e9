"""Persistence: one MongoEngine connection per service database, and the repository a worker gets (its unit of
work, which writes through it, is `services.common.unit_of_work`).

Every service talks to a MongoDB (or the MongoDB-compatible server that `make run` and the tests start) at
`MONGODB_URI` through the real pymongo driver. Writes wait for the journal (`j=True`): a write the server has
acknowledged survives a kill of the server (without it, SecantusDB lost acknowledged writes after a SIGKILL in
3 of 6 runs). Server selection is bounded well below the gateway's RPC timeout, so that a database that is
down makes a call fail fast with `Unavailable` (a 503) instead of holding a worker for pymongo's 30 s default.
Connections are made in `setup()`, after Nameko has forked and patched, never at import time.
"""
import logging
import threading
import time

import mongoengine
from nameko.extensions import DependencyProvider
from pymongo.errors import ConnectionFailure, DuplicateKeyError, OperationFailure, PyMongoError

from services.common.clock import as_utc
from services.common.config import database_name, env, env_bool, env_int

log = logging.getLogger(__name__)

_lock = threading.Lock()
_users: dict[str, int] = {}


def is_database_unreachable(error: BaseException) -> bool:
    """Whether `error` says the database cannot be reached now (and a later try may succeed), as opposed to
    an answer about the request itself (a duplicate key, a bad query)."""
    if isinstance(error, ConnectionFailure):  # includes AutoReconnect, NetworkTimeout, ServerSelectionTimeout
        return True
    return isinstance(error, PyMongoError) and not isinstance(error, OperationFailure) and (
        error.has_error_label("RetryableWriteError") or error.has_error_label("TransientTransactionError"))


def client_options() -> dict:
    """The driver's settings, the same for every service (and `make backup`)."""
    options = dict(
        tz_aware=True, uuidRepresentation="standard", connect=False,
        w=env("MONGODB_WRITE_CONCERN", "majority"), journal=env_bool("MONGODB_JOURNAL", True),
        serverSelectionTimeoutMS=env_int("MONGODB_SERVER_SELECTION_TIMEOUT_MS", 2000),
        connectTimeoutMS=env_int("MONGODB_CONNECT_TIMEOUT_MS", 2000),
    )
    if env("MONGODB_RETRY_WRITES"):  # else the URI's `retryWrites` or the driver's default (on)
        options["retryWrites"] = env_bool("MONGODB_RETRY_WRITES", True)
    return options


def connect(alias: str, db_name: str, uri: str) -> None:
    """Register the connection for `alias` once per process; later callers share it."""
    if not uri:
        raise RuntimeError("MONGODB_URI is not set: every service needs a MongoDB (`make run` starts one)")
    with _lock:
        _users[alias] = _users.get(alias, 0) + 1
        if _users[alias] > 1:
            return
        mongoengine.connect(db=db_name, alias=alias, host=uri, **client_options())


def disconnect(alias: str) -> None:
    with _lock:
        _users[alias] = _users.get(alias, 1) - 1
        if _users[alias] <= 0:
            _users.pop(alias, None)
            mongoengine.disconnect(alias)


class Repository:
    """Base of each service's repository: how a unit of work writes a document, and the infrastructure records
    every service keeps (which use `_id` uniqueness, enforced by every MongoDB without a declared index).

    A service's repository adds the questions its commands ask, its conditional operations, and, where a kind
    of document is written its own way (conditionally, or refusing a taken email), `insert` and `update` for it.
    """

    alias: str = ""
    documents: tuple = ()  # the service's MongoEngine documents, whose indexes are made at start

    def __init__(self):
        self.db = mongoengine.get_db(self.alias)

    # -- the writes of a unit of work, one document each ----------------------------------------------------
    def insert(self, document) -> None:
        document.save(force_insert=True)

    def update(self, document) -> None:
        """Write a changed document (MongoEngine sets only the fields that changed), or a new one in place of
        the one with its id."""
        document.save()

    # -- events handled once ------------------------------------------------------------------------
    def was_handled(self, event_id: str) -> bool:
        return self.db.handled_events.find_one({"_id": event_id}, {"_id": 1}) is not None

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
    """Gives each worker a repository of its own on the service's own database."""

    def __init__(self, repository_class: type[Repository]):
        self.repository_class = repository_class

    def setup(self):
        config = self.container.config
        alias = self.repository_class.alias
        uri = config.get("MONGODB_URI") or env("MONGODB_URI")
        db_name = config.get("DATABASE_NAME") or database_name(alias)
        connect(alias, db_name, uri)
        self._alias = alias
        self._make_indexes(config)

    def _make_indexes(self, config) -> None:
        """Make the documents' indexes, waiting while the database cannot be reached: a service that starts
        with (or just before) its database, or on a machine too busy to answer within the driver's selection
        timeout, waits for it instead of exiting."""
        patience = config.get("MONGODB_STARTUP_WAIT_SECONDS")
        patience = float(env_int("MONGODB_STARTUP_WAIT_SECONDS", 60) if patience is None else patience)
        deadline = time.monotonic() + patience
        while True:
            try:
                for document in self.repository_class.documents:
                    document.ensure_indexes()
                return
            except PyMongoError as error:
                if not is_database_unreachable(error) or time.monotonic() >= deadline:
                    raise
                log.warning("%s: the database is not reachable yet (%s); trying again", self._alias, error)
                time.sleep(1)

    def stop(self):
        disconnect(self._alias)

    def kill(self):
        disconnect(self._alias)

    def get_dependency(self, worker_ctx):
        return self.repository_class()
