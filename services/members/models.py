"""MongoEngine documents of the members database. Every document carries its community."""
import uuid

from mongoengine import (
    BooleanField, DateTimeField, Document, IntField, ListField, StringField,
)

from services.common.outbox import OutboxDocument
from services.contracts.vocabulary import DEFAULT_TIMEZONE

ALIAS = "members"


def new_id() -> str:
    return str(uuid.uuid4())


class Community(Document):
    id = StringField(primary_key=True, default=new_id)
    name = StringField(required=True)
    name_key = StringField(required=True, unique=True)  # casefolded, so "Haus A" and "haus a" are one
    timezone = StringField(required=True, default=DEFAULT_TIMEZONE)
    created_at = DateTimeField(required=True)
    meta = {"db_alias": ALIAS, "collection": "communities"}


class Member(OutboxDocument):
    id = StringField(primary_key=True, default=new_id)
    community_id = StringField(required=True)
    email = StringField(required=True, unique=True)  # lowercased; one login per person on the platform
    password_hash = StringField()
    display_name = StringField(required=True)
    name_key = StringField(required=True)  # casefolded display name, for the directory's order
    household = StringField()
    preferred_language = StringField(required=True, default="de")
    languages = ListField(StringField())
    phone = StringField()
    share_phone = BooleanField(default=False)
    role = StringField(required=True, default="resident")
    active = BooleanField(default=True)
    erased = BooleanField(default=False)
    tokens_valid_after = DateTimeField()  # tokens issued before this moment no longer work
    revision = IntField(default=1)
    created_at = DateTimeField(required=True)
    updated_at = DateTimeField(required=True)
    meta = {
        "db_alias": ALIAS,
        "collection": "members",
        "indexes": [("community_id", "name_key", "id"), ("community_id", "role", "active")],
    }


class Invitation(Document):
    id = StringField(primary_key=True, default=new_id)
    community_id = StringField(required=True)
    code_hash = StringField(required=True, unique=True)  # the code is a credential: only its hash is kept
    email = StringField(required=True)
    role = StringField(required=True)
    household = StringField()
    created_by = StringField(required=True)
    created_at = DateTimeField(required=True)
    expires_at = DateTimeField(required=True)
    used_at = DateTimeField()
    used_by = StringField()
    meta = {"db_alias": ALIAS, "collection": "invitations", "indexes": ["community_id"]}


class LoginFailure(Document):
    """One failed login, counted per account and per address within a window."""

    key = StringField(required=True)
    at = DateTimeField(required=True)
    meta = {
        "db_alias": ALIAS,
        "collection": "login_failures",
        "indexes": [("key", "at"), {"fields": ["at"], "expireAfterSeconds": 24 * 3600}],
    }


class Trust(Document):
    """A resident's trust in a person who may act for them: a member of the house, or a supporter invited from
    outside it (`trusted_id` is empty until they join with `invitation_id`'s code)."""

    id = StringField(primary_key=True, default=new_id)
    community_id = StringField(required=True)
    resident_id = StringField(required=True)
    trusted_id = StringField()
    invitation_id = StringField()
    invited_name = StringField()  # the supporter's name as the resident wrote it, until they join
    relation = StringField()
    scopes = ListField(StringField(), required=True)
    expires_at = DateTimeField()
    granted_by = StringField(required=True)  # the resident, or the organiser who granted it with them present
    created_at = DateTimeField(required=True)
    ended_at = DateTimeField()
    ended_by = StringField()
    ended_reason = StringField()  # revoked, deactivated, erased
    meta = {
        "db_alias": ALIAS,
        "collection": "trusts",
        "indexes": [("trusted_id", "resident_id"), ("resident_id", "created_at"), "invitation_id"],
    }


class LoginLink(OutboxDocument):
    """One request for a sign-in link by email, whether or not the address is a member's: every request is stored
    the same way (so that answering takes as long either way, and requests are counted per address and client).
    Only the hash of the token is kept; the token itself rides in the `login_link.requested` event in the outbox
    until it is published (then the outbox is emptied), and only for a request from an active member."""

    id = StringField(primary_key=True, default=new_id)
    token_hash = StringField(required=True, unique=True)
    member_id = StringField()  # None: the address is nobody's, and the token was thrown away
    community_id = StringField()
    account_key = StringField(required=True)  # a hash of the address asked for, to count requests per address
    address_key = StringField(required=True)  # the client's network address, to count requests per client
    requested_at = DateTimeField(required=True)
    expires_at = DateTimeField(required=True)
    used_at = DateTimeField()
    meta = {
        "db_alias": ALIAS,
        "collection": "login_links",
        "indexes": [("account_key", "requested_at"), ("address_key", "requested_at"),
                    {"fields": ["requested_at"], "expireAfterSeconds": 24 * 3600}],
    }
