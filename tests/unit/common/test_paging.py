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
