"""MongoEngine documents of the notifications database. Every document carries its community."""
from mongoengine import BooleanField, DateTimeField, DictField, Document, DynamicField, IntField, ListField, StringField

from services.common.outbox import OutboxDocument
from services.contracts.vocabulary import DEFAULT_TIMEZONE

ALIAS = "notifications"


class Recipient(Document):
    """What notifications keeps of a member, from the members service's events."""

    id = StringField(primary_key=True)  # the member id
    community_id = StringField(required=True)
    display_name = StringField()
    preferred_language = StringField(default="de")
    timezone = StringField(default=DEFAULT_TIMEZONE)
    email = StringField()
    phone = StringField()  # shown to organisers only (notice receipts)
    household = StringField()
    languages = ListField(StringField())
    role = StringField(default="resident")
    active = BooleanField(default=True)
    meta = {"db_alias": ALIAS, "collection": "recipients", "indexes": [("community_id", "role", "active")]}


class Preferences(OutboxDocument):
    id = StringField(primary_key=True)  # the member id
    community_id = StringField(required=True)
    email = BooleanField(default=False)
    sms = BooleanField(default=False)
    quiet_from = StringField(default="21:00")
    quiet_until = StringField(default="08:00")
    digest = StringField(default="off")  # off, daily
    help_categories = ListField(StringField(), default=None)  # None: every category
    meta = {"db_alias": ALIAS, "collection": "preferences"}


class Notification(Document):
    """One entry of a member's inbox. Its id is made of the event, the member and the kind, so an event
    delivered twice can never put the same entry in an inbox twice. The text is rendered when read, in the
    member's language at that moment."""

    id = StringField(primary_key=True)
    community_id = StringField(required=True)
    member_id = StringField(required=True)
    kind = StringField(required=True)
    facts = DictField()
    link = StringField()
    notice_id = StringField()
    urgent = BooleanField(default=False)
    created_at = DateTimeField(required=True)
    read_at = DateTimeField()
    meta = {
        "db_alias": ALIAS,
        "collection": "notifications",
        "indexes": [("member_id", "-created_at"), ("notice_id", "read_at")],
    }


class Delivery(OutboxDocument):
    """One email or text message for one notification (or a digest), with its outcome; announced by
    notification.delivered.

    An email that is no inbox entry (the daily check-in link) has no `notification_id` and carries its own
    `kind`, `facts` and `link`; the link is a secret, and is blanked once the email is sent or given up."""

    id = StringField(primary_key=True)
    community_id = StringField(required=True)
    member_id = StringField(required=True)
    notification_id = StringField()
    kind = StringField()
    facts = DictField()
    link = StringField()
    channel = StringField(required=True, default="email")  # email, sms
    status = StringField(required=True)  # pending, sending, sent, failed, digest, digest-sending
    due_at = DateTimeField(required=True)
    attempts = IntField(default=0)
    lease_until = DateTimeField()
    last_error = StringField()
    sent_at = DateTimeField()
    meta = {"db_alias": ALIAS, "collection": "deliveries",
            "indexes": [("status", "due_at"), "member_id", "notification_id"]}


class Notice(OutboxDocument):
    id = StringField(primary_key=True)
    community_id = StringField(required=True)
    author_id = StringField(required=True)
    title = StringField(required=True)
    body = StringField(required=True)
    language = StringField(required=True)
    translations = DictField()
    audience = DynamicField(required=True)
    urgent = BooleanField(default=False)
    published_at = DateTimeField(required=True)
    recipients = IntField(default=0)
    fanned_out = BooleanField(default=False)  # every recipient's inbox entry exists (a timer finishes the rest)
    meta = {"db_alias": ALIAS, "collection": "notices", "indexes": [("community_id", "-published_at")]}
