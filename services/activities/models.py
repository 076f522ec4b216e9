"""MongoEngine documents of the activities database. Every document carries its community."""
from mongoengine import BooleanField, DateTimeField, DictField, Document, IntField, ListField, StringField

from services.common.outbox import OutboxDocument

ALIAS = "activities"


class Participant(Document):
    """What the activities service keeps of a member, from the members service's events: the name shown to those
    who come, the language of their messages, whether they are still active.

    Named for this service alone: MongoEngine keeps one registry of documents by class name per process (see
    `services.care.models.Housemate`)."""

    id = StringField(primary_key=True)  # the member id
    community_id = StringField(required=True)
    display_name = StringField()
    role = StringField(default="resident")
    preferred_language = StringField()
    active = BooleanField(default=True)
    meta = {"db_alias": ALIAS, "collection": "participants", "indexes": ["community_id"]}


class Activity(OutboxDocument):
    """An activity holds its sign-ups, so that a sign-up is one conditional update of this one document (see
    `ActivitiesRepository.sign_up`): places never exceed `capacity`, and nobody is in `signups` twice.

    `signups` are in the order people signed up: {m (member id), name, guests, role (a role's key or None),
    note, status ("confirmed" or "waitlisted"), at}. The counts beside them (`places_taken`, `confirmed`,
    `waitlisted`, `role_free`) are kept in the same writes. `version` goes up with every change of the sign-ups:
    leaving (which moves others up) writes the whole list back, conditionally on the version it read.

    A change of time (or title) keeps the sign-ups; with a room, the new time is booked before the old booking
    is released (`rebooking_key`, `release_keys`).

    Status: "pending" while its room is being booked (seen by nobody), "abandoned" when the booking did not
    finish (the timer withdraws the booking request, then removes it), "open", "cancelled"."""

    id = StringField(primary_key=True)
    community_id = StringField(required=True)
    title = StringField(required=True)
    description = StringField(default="")
    translations = DictField()
    starts_at = DateTimeField(required=True)
    ends_at = DateTimeField(required=True)
    space_id = StringField()
    space_name = StringField()
    place = StringField()
    capacity = IntField()  # None: no limit
    signup_until = DateTimeField()
    guests_per_signup = IntField(default=0)
    roles = ListField(DictField())  # [{key: "r0", name, needed}]
    role_free = DictField()  # {key: slots left}
    created_by = StringField(required=True)
    created_by_name = StringField()
    booker = DictField()  # the actor the room was booked as (to withdraw or release the booking as them)
    booking_key = StringField()  # the Idempotency-Key of the room's booking request
    booking_id = StringField()
    # Booking requests whose bookings must go (the activity was cancelled, or moved to another time): each is
    # withdrawn from the spaces service, then taken off this list; the timer retries while spaces is away.
    release_keys = ListField(StringField())
    # Moving the activity to another time books the room anew under this key first; should that not finish by
    # `rebooking_until`, the timer withdraws it.
    rebooking_key = StringField()
    rebooking_until = DateTimeField()
    status = StringField(required=True)
    pending_until = DateTimeField()
    signups = ListField(DictField())
    places_taken = IntField(default=0)
    confirmed = IntField(default=0)
    waitlisted = IntField(default=0)
    reminder_at = DateTimeField()  # the day before; None once reminded (or cancelled)
    timezone = StringField()
    created_at = DateTimeField(required=True)
    updated_at = DateTimeField()
    version = IntField(default=0)
    meta = {"db_alias": ALIAS, "collection": "activities", "indexes": [
        ("community_id", "status", "starts_at"), "signups.m", ("status", "pending_until"), "reminder_at",
        "release_keys", "rebooking_until"]}
