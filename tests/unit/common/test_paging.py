"""Keyset paging over a MongoEngine query, on the in-memory store."""
from datetime import datetime, timedelta, timezone

import mongoengine
import mongomock
import pytest
from mongoengine import DateTimeField, Document, StringField

from services.common.errors import Invalid
from services.common.paging import keyset_page


class Entry(Document):
    id = StringField(primary_key=True)
    created_at = DateTimeField()
    meta = {"db_alias": "paging-test", "collection": "entries"}


@pytest.fixture
def entries():
    mongoengine.connect(db="paging", alias="paging-test", host="mongodb://localhost",
                        mongo_client_class=mongomock.MongoClient, tz_aware=True)
    start = datetime(2026, 12, 1, tzinfo=timezone.utc)
    for number in range(7):  # two entries share each moment, so the id breaks the tie
        Entry(id=f"e{number}", created_at=start + timedelta(minutes=number // 2)).save()
    yield
    mongoengine.disconnect("paging-test")


def all_pages(newest_first):
    seen, cursor = [], None
    while True:
        page, cursor = keyset_page(Entry.objects, field="created_at", kind=datetime, limit=3, cursor=cursor,
                                   newest_first=newest_first)
        seen += [entry.id for entry in page]
        if cursor is None:
            return seen


def test_pages_walk_every_entry_once_oldest_first(entries):
    assert all_pages(newest_first=False) == ["e0", "e1", "e2", "e3", "e4", "e5", "e6"]


def test_pages_walk_every_entry_once_newest_first(entries):
    assert all_pages(newest_first=True) == ["e6", "e5", "e4", "e3", "e2", "e1", "e0"]


def test_a_cursor_that_was_not_made_here_is_refused(entries):
    with pytest.raises(Invalid):
        keyset_page(Entry.objects, field="created_at", kind=datetime, limit=3, cursor="bm90LWpzb24=")


@pytest.mark.parametrize("newest_first", [True, False], ids=["newest first", "oldest first"])
def test_entries_within_one_second_are_not_skipped_between_pages(newest_first):
    """Found by make chaos: the cursor kept whole seconds only, so entries made in the same second as a
    page's last one, but not identical to it, fell between two pages (a busy inbox lost notifications)."""
    mongoengine.connect(db="paging-ms", alias="paging-test", host="mongodb://localhost",
                        mongo_client_class=mongomock.MongoClient, tz_aware=True)
    try:
        second = datetime(2026, 12, 1, 10, 0, 0, tzinfo=timezone.utc)
        for number in range(10):
            Entry(id=f"m{number}", created_at=second + timedelta(milliseconds=90 * number + 5)).save()
        seen, cursor = [], None
        for _ in range(10):  # bounded: with the old cursor, oldest-first paging went round in circles
            page, cursor = keyset_page(Entry.objects, field="created_at", kind=datetime, limit=3, cursor=cursor,
                                       newest_first=newest_first)
            seen += [entry.id for entry in page]
            if cursor is None:
                break
        assert sorted(seen) == [f"m{number}" for number in range(10)] and len(seen) == 10
    finally:
        mongoengine.disconnect("paging-test")
