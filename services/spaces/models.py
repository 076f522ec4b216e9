"""MongoEngine documents of the spaces database. Every document carries its community."""
import uuid

from mongoengine import (
    BooleanField, DateTimeField, DictField, Document, EmbeddedDocument, EmbeddedDocumentField, IntField, ListField,
    StringField,
)

from services.common.outbox import OutboxDocument

ALIAS = "spaces"


def new_id() -> str:
    return str(uuid.uuid4())


class StoredRules(EmbeddedDocument):
    open_from = StringField(required=True)  # "HH:MM" on the community's wall clock
    open_until = StringField(required=True)  # "HH:MM"; "24:00" or "00:00" is midnight at the end of the day
    slot_minutes = IntField(required=True)
    min_duration_minutes = IntField(required=True)
    max_duration_minutes = IntField(required=True)
    max_days_ahead = IntField(required=True)
    household_quota_minutes_per_week = IntField()
    requires_approval = BooleanField(required=True)
    buffer_minutes = IntField(required=True)


class WeekLedger(Document):
    """The claims of one space in one UTC week (Monday to Monday): the time its live bookings hold.

    Booking adds its claim to every week its blocked time touches, each with one conditional update on the
    ledger's `version`, so two bookings that would overlap always meet in a ledger they both must change,
    and the second change fails. Keeping a week per document keeps each read and write small, and bookings
    of different weeks never wait for each other. Maintained through raw updates (see the repository).
    """

    id = StringField(primary_key=True)  # f"{space_id}:{week_start:%Y-%m-%d}"
    community_id = StringField(required=True)
    space_id = StringField(required=True)
    week_start = DateTimeField(required=True)
    week_end = DateTimeField(required=True)
    version = IntField(default=0)
    claims = ListField(DictField())  # {booking_id, start, end, member_id, household, claimed_at}
    meta = {"db_alias": ALIAS, "collection": "week_ledgers", "indexes": [("space_id", "week_start"), "week_end"]}


class Space(Document):
    id = StringField(primary_key=True, default=new_id)
    community_id = StringField(required=True)
    name = StringField(required=True)
    description = StringField(default="")
    capacity = IntField(required=True)
    rules = EmbeddedDocumentField(StoredRules, required=True)
    active = BooleanField(default=True)
    created_at = DateTimeField(required=True)
    updated_at = DateTimeField(required=True)
    meta = {"db_alias": ALIAS, "collection": "spaces", "indexes": [("community_id", "name")]}


class Booking(OutboxDocument):
    id = StringField(primary_key=True, default=new_id)
    community_id = StringField(required=True)
    space_id = StringField(required=True)
    space_name = StringField(required=True)
    member_id = StringField(required=True)
    member_name = StringField()
    household = StringField()
    timezone = StringField(required=True)
    start = DateTimeField(required=True)
    end = DateTimeField(required=True)
    purpose = StringField(default="")
    status = StringField(required=True)  # pending, confirmed, rejected, cancelled
    series_id = StringField()
    created_at = DateTimeField(required=True)
    updated_at = DateTimeField(required=True)
    decided_by = StringField()
    cancelled_by = StringField()
    acted_by = StringField()  # the trusted person who booked it for the member
    reminder_published_at = DateTimeField()
    sequence = IntField(default=0)  # iCalendar SEQUENCE: raised by every change a calendar should notice
    meta = {
        "db_alias": ALIAS,
        "collection": "bookings",
        "indexes": [
            ("community_id", "space_id", "start"),
            ("community_id", "member_id", "start"),
            ("community_id", "household", "space_id", "start"),
            ("status", "start", "reminder_published_at"),
            "series_id",
        ],
    }


class FeedLink(Document):
    """A member's secret calendar link; only the hash of its token is kept."""

    id = StringField(primary_key=True)  # the member id: one live link per member
    community_id = StringField(required=True)
    token_hash = StringField(required=True, unique=True)
    created_at = DateTimeField(required=True)
    meta = {"db_alias": ALIAS, "collection": "feed_links"}
