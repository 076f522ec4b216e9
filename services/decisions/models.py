"""MongoEngine documents of the decisions database. Every document carries its community.

A decision is one document with all of its votes in it, so that a vote and the close are single-document
conditional updates (`repository`): nothing of a decision is ever spread over two documents that could disagree.

What a decision keeps of its votes depends on whether the vote is secret:
- **open** (`secret: false`): `ballots`, a map member id → that member's ballot as a short list (a poll's option
  indexes `[0, 2]`, a consent round's `[position]` or `["objection", reason]`), and beside it, for the few
  ballots others cast, `recorded` (member id → `{by, note}`: an organiser recorded an answer given by phone or
  on paper) and `acted` (member id → the trusted person who voted for them). Voting again replaces the entry.
  Lists, not sub-documents: every vote rewrites the whole map, and a map of lists costs the database a third of
  one of documents (measured on the embedded server at 2,000 ballots).
- **secret**: `voters`, the sorted list of those who have voted (for the call list, and so that nobody votes
  twice), and apart from it `counters` (option index or position → how many), `reasons` (the objections' reasons,
  sorted) and `assisted` (how many answers organisers recorded). Nothing is stored per ballot: no ballot
  document, no id, no timestamp, no order (the voters are kept sorted, not in the order they voted), so nothing
  in the database links a member to a choice. A cast secret vote therefore cannot be changed.
"""
from mongoengine import (
    BooleanField, DateTimeField, DictField, Document, DynamicField, IntField, ListField, StringField,
)

from services.common.outbox import OutboxDocument

ALIAS = "decisions"


class Elector(Document):
    """What the decisions service keeps of a member, from the members service's events: who is in an audience
    (flat, languages), names for the call list and the objections, the phone organisers call.

    Named apart from the other services' copies of members (MongoEngine keeps one registry of documents by class
    name per process: `tests/unit/common/test_document_names.py`)."""

    id = StringField(primary_key=True)  # the member id
    community_id = StringField(required=True)
    display_name = StringField()
    phone = StringField()
    household = StringField()
    role = StringField(default="resident")
    preferred_language = StringField()
    languages = ListField(StringField())
    timezone = StringField()
    active = BooleanField(default=True)
    meta = {"db_alias": ALIAS, "collection": "electors", "indexes": [("community_id", "active")]}


class Audience(Document):
    """Who a decision is for, as it was when the decision opened (sorted member ids): who may vote and who is on
    the call list; a member who leaves drops out of it, one who joins later is not in it.

    Kept apart from the decision's document, which every vote rewrites: thousands of member ids there (and their
    index, to find the decisions addressed to someone) made each vote rewrite them too (measured by
    bench/decisions.py: 3 times the database's work per vote at 300 members). The audience does not change while
    votes come in."""

    id = StringField(primary_key=True)  # the decision's id
    community_id = StringField(required=True)
    members = ListField(StringField())
    opened_at = DateTimeField(required=True)
    meta = {"db_alias": ALIAS, "collection": "audiences", "indexes": ["members"]}


class Decision(OutboxDocument):
    """A poll or a consent round, with its votes (see the module's docstring); who it is for is its `Audience`.

    `version` grows with every vote, so that the close, conditional on the version it read, never loses a vote
    that came in while it counted: the vote is either in the count, or refused (409) because the decision is
    closed."""

    id = StringField(primary_key=True)
    community_id = StringField(required=True)
    author_id = StringField()
    kind = StringField(required=True)  # poll, consent
    title = StringField(required=True)
    body = StringField(required=True)
    language = StringField(required=True)
    options = ListField(StringField())
    multiple = BooleanField(default=False)
    max_choices = IntField()
    secret = BooleanField(default=False)
    translations = DictField()
    audience = DynamicField(required=True)
    audience_size = IntField(default=0)  # as it opened
    opened_at = DateTimeField(required=True)
    closes_at = DateTimeField(required=True)
    remind_at = DateTimeField()  # None: no reminder due (sent, or the decision is too short for one)
    status = StringField(required=True)  # open, closed
    closed_at = DateTimeField()
    closed_by = StringField()  # an organiser who closed it early; None: the timer at closes_at
    results = DictField(default=None)  # stored when it closes
    passed = BooleanField()
    # open votes
    ballots = DictField()
    recorded = DictField()
    acted = DictField()
    # secret votes
    voters = ListField(StringField())
    counters = DictField()
    reasons = ListField(StringField())
    assisted = IntField(default=0)
    votes = IntField(default=0)  # secret votes cast
    version = IntField(default=0)
    meta = {
        "db_alias": ALIAS,
        "collection": "decisions",
        "indexes": [("community_id", "-opened_at"), ("status", "closes_at"), ("status", "remind_at"), "author_id"],
    }
