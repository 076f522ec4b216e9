"""MongoEngine documents of the help database. Every document carries its community."""
from mongoengine import BooleanField, DateTimeField, Document, IntField, ListField, StringField

from services.common.outbox import OutboxDocument

ALIAS = "help"


class StoredRequest(OutboxDocument):
    id = StringField(primary_key=True)
    community_id = StringField(required=True)
    requester_id = StringField(required=True)
    title = StringField(required=True)
    description = StringField(default="")
    category = StringField(required=True)
    needed_from = DateTimeField()
    needed_until = DateTimeField()
    languages = ListField(StringField())
    status = StringField(required=True)
    created_at = DateTimeField(required=True)
    expires_at = DateTimeField(required=True)  # kept for the expiry timer's query
    accepted_offer_id = StringField()
    accepted_at = DateTimeField()
    completed_at = DateTimeField()
    cancelled_at = DateTimeField()
    cancelled_by = StringField()
    expired_at = DateTimeField()
    private_details_removed = BooleanField(default=False)
    acted_by = StringField()  # the trusted person who asked for the member
    version = IntField(default=0)  # every change is conditional on it: two simultaneous accepts, one wins
    meta = {
        "db_alias": ALIAS,
        "collection": "help_requests",
        "indexes": [("community_id", "status", "created_at"), ("status", "expires_at"), "requester_id"],
    }


class StoredOffer(OutboxDocument):
    id = StringField(primary_key=True)  # f"{request_id}:{helper_id}": one offer per helper and request
    community_id = StringField(required=True)
    request_id = StringField(required=True)
    helper_id = StringField(required=True)
    message = StringField(default="")
    created_at = DateTimeField(required=True)
    withdrawn = BooleanField(default=False)
    meta = {"db_alias": ALIAS, "collection": "help_offers", "indexes": ["request_id", "helper_id"]}


class Neighbour(Document):
    """What the help service keeps of a member, from the members service's events."""

    id = StringField(primary_key=True)  # the member id
    community_id = StringField(required=True)
    display_name = StringField()
    phone = StringField()
    household = StringField()
    languages = ListField(StringField())
    help_categories = ListField(StringField(), default=None)  # None: every category
    active = BooleanField(default=True)
    meta = {"db_alias": ALIAS, "collection": "neighbours", "indexes": [("community_id", "active")]}
