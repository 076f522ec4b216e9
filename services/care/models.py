"""MongoEngine documents of the care database. Every document carries its community."""
from mongoengine import (
    BooleanField, DateTimeField, DictField, Document, IntField, ListField, StringField,
)

from services.common.outbox import OutboxDocument

ALIAS = "care"


class Housemate(Document):
    """What the care service keeps of a member, from the members service's events: names for buddies and
    timelines, phone and flat for the alert, who the organisers are.

    Not called `Neighbour` like the help service's copy: MongoEngine keeps one registry of documents by class
    name per process, and of two documents with one name only the last imported has its cached collection reset
    when its connection closes (seen in the tests, where services share a process: "Cannot use MongoClient after
    close")."""

    id = StringField(primary_key=True)  # the member id
    community_id = StringField(required=True)
    display_name = StringField()
    phone = StringField()
    household = StringField()
    role = StringField(default="resident")
    preferred_language = StringField()
    timezone = StringField()
    active = BooleanField(default=True)
    meta = {"db_alias": ALIAS, "collection": "neighbours", "indexes": [("community_id", "role", "active")]}


class CheckInSettings(Document):
    """A resident's daily check-in. `due_day` is the next day whose deadline the timer has to look at and
    `due_at` that deadline (None while switched off): the timer reads only the settings whose deadline passed."""

    id = StringField(primary_key=True)  # the resident's member id
    community_id = StringField(required=True)
    enabled = BooleanField(default=False)
    daily_by = StringField()
    grace_minutes = IntField()
    escalation_minutes = IntField()
    buddies = ListField(StringField())  # in the order they are told
    timezone = StringField(required=True)
    due_day = StringField()  # YYYY-MM-DD
    due_at = DateTimeField()
    away_from = StringField()  # YYYY-MM-DD, both included
    away_until = StringField()
    # The daily email with a one-click link, for those who chose it: `reminder_day` is the next day whose email
    # the reminder timer has to look at and `reminder_at` when (None while there is none to send).
    email_reminder = BooleanField(default=False)
    reminder_day = StringField()
    reminder_at = DateTimeField()
    updated_at = DateTimeField()
    version = IntField(default=0)  # two simultaneous changes: one wins, the other is told to look again
    meta = {"db_alias": ALIAS, "collection": "checkin_settings", "indexes": ["due_at", "reminder_at", "buddies"]}


class CheckInLink(OutboxDocument):
    """The one-click link of one day's email, announced by checkin.link_issued (which carries the token to the
    notifications service; it leaves this document once published). Its id is f"{member_id}:{day}": a day has
    one link, whatever the number of instances. Of the token only the digest of its nonce is kept; `used_at` is
    set once, by a conditional update, when the link is pressed."""

    id = StringField(primary_key=True)
    community_id = StringField(required=True)
    member_id = StringField(required=True)
    day = StringField(required=True)  # YYYY-MM-DD
    nonce_digest = StringField(required=True)
    issued_at = DateTimeField(required=True)
    expires_at = DateTimeField(required=True)
    used_at = DateTimeField()
    meta = {"db_alias": ALIAS, "collection": "checkin_links", "indexes": [("member_id", "day")]}


class BuddyRequest(OutboxDocument):
    """A resident asks a neighbour to be their buddy (buddy.asked); the answer is announced too (buddy.accepted,
    buddy.declined), so that each hears of it in their inbox."""

    id = StringField(primary_key=True)  # f"{member_id}:{buddy_id}": one request per resident and neighbour
    community_id = StringField(required=True)
    member_id = StringField(required=True)  # the resident who asks
    buddy_id = StringField(required=True)
    status = StringField(required=True)  # asked, accepted, declined, withdrawn
    asked_at = DateTimeField(required=True)
    answered_at = DateTimeField()
    meta = {"db_alias": ALIAS, "collection": "buddy_requests", "indexes": [("buddy_id", "-asked_at"), "member_id"]}


class DoneFor(OutboxDocument):
    """A change a trusted person made for a resident that no other event announces (their settings, away days,
    sheet): kept as a record of who did it, and announced (its event carries `acted_by`) so that the resident is
    told in their inbox. Nothing of the sheet's contents is in it."""

    id = StringField(primary_key=True)
    community_id = StringField(required=True)
    member_id = StringField(required=True)  # the resident
    acted_by = StringField(required=True)
    action = StringField(required=True)  # the event type
    at = DateTimeField(required=True)
    meta = {"db_alias": ALIAS, "collection": "done_for", "indexes": ["member_id"]}


class CheckIn(OutboxDocument):
    """One "I am fine", announced by checkin.recorded."""

    id = StringField(primary_key=True)
    community_id = StringField(required=True)
    member_id = StringField(required=True)
    at = DateTimeField(required=True)
    acted_by = StringField()  # a trusted person who checked in for them, or the organiser who recorded it
    recorded = BooleanField(default=False)  # recorded by an organiser: given by phone or on paper
    note = StringField()
    meta = {"db_alias": ALIAS, "collection": "checkins", "indexes": [("member_id", "at")]}


class Alert(OutboxDocument):
    """The alert of one missed day: its id is f"{member_id}:{day}", so a day can have one alert only, however
    many instances notice it. Every change is conditional on `version`: two instances taking the same step, or a
    step and an acknowledgement at the same moment, cannot both succeed."""

    id = StringField(primary_key=True)
    community_id = StringField(required=True)
    member_id = StringField(required=True)
    day = StringField(required=True)  # YYYY-MM-DD
    deadline = DateTimeField(required=True)
    status = StringField(required=True)  # pending, open, acknowledged, resolved, cancelled
    buddies = ListField(StringField())
    escalation_minutes = IntField(required=True)
    raised_at = DateTimeField()
    steps_done = IntField(default=0)
    next_step_at = DateTimeField()  # kept for the timer's query; None when no step is due any more
    alerted = ListField(StringField())
    acknowledged_by = StringField()
    acknowledged_at = DateTimeField()
    resolved_by = StringField()
    resolved_at = DateTimeField()
    outcome = StringField()
    note = StringField()
    timeline = ListField(DictField())
    version = IntField(default=0)
    meta = {
        "db_alias": ALIAS,
        "collection": "alerts",
        "indexes": [("status", "next_step_at"), ("member_id", "status"), ("community_id", "raised_at"),
                    ("alerted", "raised_at")],
    }


class EmergencySheet(OutboxDocument):
    """The resident's emergency sheet. `review_due_at` is when they are reminded to look it over (90 days after
    it was saved); the reminder (sheet.review_came_due) is stored with the next due date in one conditional
    update, so that one instance sends it."""

    id = StringField(primary_key=True)  # the resident's member id
    community_id = StringField(required=True)
    contacts = ListField(DictField())
    doctor = DictField(default=None)
    medication_location = StringField()
    allergies = StringField()
    key_holder = StringField()
    notes = StringField()
    readers = ListField(StringField())
    updated_at = DateTimeField()
    review_due_at = DateTimeField()
    review_reminded_at = DateTimeField()
    meta = {"db_alias": ALIAS, "collection": "emergency_sheets", "indexes": ["readers", "review_due_at"]}


class SheetRead(Document):
    """Somebody read a resident's emergency sheet; shown to the resident."""

    id = StringField(primary_key=True)
    community_id = StringField(required=True)
    member_id = StringField(required=True)  # whose sheet
    reader_id = StringField(required=True)
    at = DateTimeField(required=True)
    during_alert = BooleanField(default=False)
    alert_id = StringField()
    meta = {"db_alias": ALIAS, "collection": "sheet_reads", "indexes": [("member_id", "at"), "reader_id"]}
