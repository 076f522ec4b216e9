"""Make mongomock, the in-memory store of development, tests and the benchmark, answer faster, with the same answers.

Only the in-memory store is touched; with `MONGODB_URI` the services talk to MongoDB and none of this runs.
mongomock 4.3 (pinned) spends most of its time in three places, each replaced here by an equivalent:

- It answers every query by testing every document, even a query by `_id`: with thousands of bookings each
  update of one booking cost tens of milliseconds. A query that names its `_id` (or a list of them with `$in`)
  now starts from those documents; the rest of the filter still applies.
- It copies every document it hands out, keeps or snapshots (before each update), with `copy.copy` on each
  string, number and datetime in it, or with `copy.deepcopy`, which reconstructs every datetime and ordered
  dict through pickling's protocol. Values that cannot change are now shared; lists and dicts are still copied
  all the way down, so no caller can change what is stored.
- With `tz_aware` it walks every document it returns once more to mark its datetimes as UTC; the walk now skips
  what holds no datetime at a glance (strings, numbers).

`tests/unit/common/test_mongomock_speedups.py` holds the answers unchanged.
"""
import copy
from collections import OrderedDict
from datetime import datetime

from bson.tz_util import utc as _UTC  # what mongomock (and pymongo with tz_aware) marks datetimes with

_SHARED = frozenset((str, int, float, bool, type(None), bytes, datetime))


_originals: dict = {}


def install() -> None:
    from mongomock import collection, helpers

    if _originals:
        return
    _originals.update(iter_documents=collection.Collection._iter_documents, copy_field=collection._copy_field,
                      copy=collection.copy, utc_aware=helpers.make_datetime_timezone_aware_in_document)
    _look_up_ids_directly(collection)
    collection._copy_field = _copy_field
    collection.copy = _Copying
    helpers.make_datetime_timezone_aware_in_document = _utc_aware


def uninstall() -> None:
    """mongomock as it comes (the tests compare its answers with and without the speed-ups)."""
    from mongomock import collection, helpers

    if not _originals:
        return
    collection.Collection._iter_documents = _originals["iter_documents"]
    collection._copy_field = _originals["copy_field"]
    collection.copy = _originals["copy"]
    helpers.make_datetime_timezone_aware_in_document = _originals["utc_aware"]
    _originals.clear()


def _look_up_ids_directly(collection) -> None:
    from mongomock.filtering import filter_applies

    scan_all = collection.Collection._iter_documents

    def iter_documents(self, filter):
        ids = _named_ids(filter)
        if ids is None:
            return scan_all(self, filter)
        store = self._store
        store._remove_expired_documents()
        with store._rwlock.reader():  # once, rather than twice for each id
            documents = store._documents
            candidates = [documents[_id] for _id in ids if _id in documents]
        return (document for document in candidates if filter_applies(filter, document))

    collection.Collection._iter_documents = iter_documents


def _named_ids(filter) -> list | None:
    if not isinstance(filter, dict) or "_id" not in filter:
        return None
    wanted = filter["_id"]
    if isinstance(wanted, str):
        return [wanted]
    if isinstance(wanted, dict) and list(wanted) == ["$in"] and all(isinstance(i, str) for i in wanted["$in"]):
        return list(dict.fromkeys(wanted["$in"]))
    return None


def _copy_field(value, container):
    """mongomock's `_copy_field`: lists and dicts copied all the way down, values that cannot change shared."""
    kind = type(value)
    if kind in _SHARED:
        return value
    if kind is list or isinstance(value, list):
        return [_copy_field(item, container) for item in value]
    if isinstance(value, dict):
        new = container()
        for key, item in value.items():
            new[key] = _copy_field(item, container)
        return new
    return copy.copy(value)


def _deepcopy(value, memo=None):
    """`copy.deepcopy` for documents (trees of dicts and lists: no cycles, no shared parts to preserve)."""
    kind = type(value)
    if kind in _SHARED:
        return value
    if kind is dict:
        return {key: _deepcopy(item) for key, item in value.items()}
    if kind is list:
        return [_deepcopy(item) for item in value]
    if kind is OrderedDict:
        return OrderedDict((key, _deepcopy(item)) for key, item in value.items())
    return copy.deepcopy(value, memo)


class _Copying:
    """Stands in for the `copy` module inside `mongomock.collection`."""

    copy = staticmethod(copy.copy)
    deepcopy = staticmethod(_deepcopy)


def _utc_aware(value):
    """mongomock's `make_datetime_timezone_aware_in_document`: every stored (naive, UTC) datetime made aware."""
    kind = type(value)
    if kind is dict:
        return {key: item if type(item) in _PLAIN else _utc_aware(item) for key, item in value.items()}
    if kind is list or kind is tuple:
        return [item if type(item) in _PLAIN else _utc_aware(item) for item in value]
    if kind is datetime:
        return value.replace(tzinfo=_UTC)
    if isinstance(value, dict):
        return {key: _utc_aware(item) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        return [_utc_aware(item) for item in value]
    if isinstance(value, datetime):
        return value.replace(tzinfo=_UTC)
    return value


_PLAIN = frozenset((str, int, float, bool, type(None), bytes))
