"""A write-through journal for the in-memory store, so that a test can SIGKILL a service and restart it with
its data.

Without `MONGODB_URI` every service keeps its data in mongomock, in its own process: a killed process loses
everything, and a test that kills a service could then check nothing about what it had stored. With
`IN_MEMORY_JOURNAL_DIR` set (tests only; production uses MongoDB), every write to a journaled database
appends the new state of each document it touched (or its removal) to `<dir>/<database>.journal` before the
write returns, so before the service answers; the page cache keeps what a killed process wrote. When the
service starts again it replays the journal into its fresh store and rewrites it compactly.

mongomock updates documents in place, so the journal notes which documents an operation touched (inserted,
replaced, updated or removed) and writes their state once the outermost write operation is over. Only the
store of this process is journaled; indexes are not (every service makes its own at start), and documents a
TTL index expires during a read come back after a restart until they expire again.
"""
import functools
import os
import threading
from pathlib import Path

import bson
from bson.codec_options import CodecOptions

_DECODE = CodecOptions(document_class=dict, tz_aware=False)

_lock = threading.RLock()
_journals: dict[str, "Journal"] = {}  # database name -> its journal
_operation = threading.local()


class Journal:
    def __init__(self, path: Path):
        self.path = path
        self.fd: int | None = None

    def replay(self) -> dict[str, dict]:
        """The collections as the journal left them: {collection: {key: document}}."""
        collections: dict[str, dict] = {}
        if not self.path.exists():
            return collections
        data = self.path.read_bytes()
        offset = 0
        while offset + 4 <= len(data):
            size = int.from_bytes(data[offset:offset + 4], "little")
            if size < 5 or offset + size > len(data):
                break  # the process was killed in the middle of its last record: that write never returned
            record = bson.decode(data[offset:offset + size], codec_options=_DECODE)
            offset += size
            documents = collections.setdefault(record["c"], {})
            if record.get("drop"):
                documents.clear()
            elif "d" in record:
                documents[record["k"]] = record["d"]
            else:
                documents.pop(record["k"], None)
        return collections

    def open(self, snapshot: dict[str, dict]) -> None:
        """Rewrite the journal as `snapshot` (atomically) and append to it from now on."""
        fresh = self.path.with_suffix(".compacting")
        with open(fresh, "wb") as stream:
            for collection, documents in snapshot.items():
                for key, document in documents.items():
                    stream.write(bson.encode({"c": collection, "k": key, "d": document}))
        os.replace(fresh, self.path)
        self.fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)

    def write(self, records: list[dict]) -> None:
        if records and self.fd is not None:
            os.write(self.fd, b"".join(bson.encode(record) for record in records))

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def attach(database, directory: str) -> None:
    """Load `database` (a mongomock Database) from its journal in `directory` and journal its writes."""
    install()
    with _lock:
        if database.name in _journals:
            return
        journal = Journal(Path(directory) / f"{database.name}.journal")
        snapshot = journal.replay()
        for collection, documents in snapshot.items():
            store = database[collection]._store
            for key, document in documents.items():
                store._documents[key] = document  # straight into the store: not journaled again
        journal.open(snapshot)
        _journals[database.name] = journal


def detach(database_name: str) -> None:
    with _lock:
        journal = _journals.pop(database_name, None)
        if journal:
            journal.close()


# -- hooks into mongomock ---------------------------------------------------------------------------------------
def install() -> None:
    from mongomock.collection import Collection
    from mongomock.store import CollectionStore

    if getattr(Collection, "_journaled", False):
        return
    for name in ("_insert", "_update", "_delete", "drop"):
        setattr(Collection, name, _journaled(getattr(Collection, name), drops=name == "drop"))
    for name in ("_apply_update_document", "_apply_update_pipeline"):
        setattr(Collection, name, _noting_the_document(getattr(Collection, name)))
    for name in ("__setitem__", "__delitem__"):
        setattr(CollectionStore, name, _noting_the_key(getattr(CollectionStore, name)))
    Collection._journaled = True


def _touched() -> set | None:
    return getattr(_operation, "touched", None)


def _journaled(write, drops=False):
    @functools.wraps(write)
    def journaled_write(collection, *args, **kwargs):
        journal = _journals.get(collection.database.name)
        if journal is None or _touched() is not None:  # not journaled, or inside an outer write
            return write(collection, *args, **kwargs)
        with _lock:
            _operation.touched = set()
            try:
                return write(collection, *args, **kwargs)
            finally:
                touched, _operation.touched = _operation.touched, None
                journal.write(_records(collection, touched, drops))

    return journaled_write


def _records(collection, touched: set, drops: bool) -> list[dict]:
    if drops:
        return [{"c": collection.name, "drop": True}]
    store = collection._store._documents
    return [{"c": collection.name, "k": key, "d": store[key]} if key in store else {"c": collection.name, "k": key}
            for key in touched if isinstance(key, (str, int, bson.ObjectId))]


def _noting_the_document(apply):
    @functools.wraps(apply)
    def noting(collection, existing_document, *args, **kwargs):
        touched = _touched()
        if touched is not None and "_id" in existing_document:
            touched.add(existing_document["_id"])
        return apply(collection, existing_document, *args, **kwargs)

    return noting


def _noting_the_key(change):
    @functools.wraps(change)
    def noting(store, key, *args):
        touched = _touched()
        if touched is not None:
            touched.add(key)
        return change(store, key, *args)

    return noting
