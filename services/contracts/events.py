"""The events of the platform: which service publishes which, who listens to them, and the queues that follow.

An event's type is `noun.past_verb`; its envelope is built by `services.common.events.new_event` and its payload
by the publishing service's `events.py`. A consumer's handler of `booking.confirmed` is the method
`booking_confirmed` of that service; it consumes the queue Nameko names `evt-spaces-booking.confirmed--
notifications.booking_confirmed`, bound to the exchange `spaces.events`. The queues are data here, so that every
service can declare all of them as it starts without loading the others' code (`services.common.topology`).
"""
from kombu import Exchange, Queue

PUBLISHED = {
    # login_link.requested carries a one-time sign-in token: only the notifications service listens to it.
    "members": ("member.joined", "member.updated", "member.deactivated", "member.erased", "login_link.requested"),
    "spaces": ("booking.confirmed", "booking.requested", "booking.approved", "booking.rejected",
               "booking.cancelled", "booking.reminder_came_due"),
    "help": ("help.requested", "help.offered", "help.accepted", "help.completed", "help.cancelled", "help.expired",
             "help.reopened"),
    "notifications": ("preferences.updated", "notice.published", "notification.delivered"),
    "care": ("checkin.recorded", "alert.raised", "alert.escalated", "alert.acknowledged", "alert.resolved",
             "checkin.link_issued", "sheet.review_came_due", "buddy.asked", "buddy.accepted", "buddy.declined",
             "checkin.settings_changed", "checkin.away_set", "checkin.away_cleared", "sheet.saved"),
    "decisions": ("decision.opened", "decision.closed", "decision.reminder_came_due", "decision.vote_cast"),
    "activities": ("activity.created", "activity.changed", "activity.cancelled", "activity.reminder_came_due",
                   "signup.confirmed", "signup.waitlisted", "signup.promoted", "signup.cancelled"),
}

# Renamed event types, old name → new. The publisher uses the new name only; a consumer of the new one still
# handles the old for one version (what was queued, or waited in an outbox, when its publisher was upgraded).
# Remove an entry once a version has gone out with it.
RENAMED = {"booking.reminder_due": "booking.reminder_came_due"}

_MEMBER_LIFE = ("member.deactivated", "member.erased")
_MEMBERS = ("member.joined", "member.updated", *_MEMBER_LIFE)
# The care service's events that tell people something (checkin.recorded tells nobody).
ALERTS = ("alert.raised", "alert.escalated", "alert.acknowledged", "alert.resolved")
# The care service's other events that reach people: the daily email's link, the sheet's review, buddy requests.
CARE_MESSAGES = ("checkin.link_issued", "sheet.review_came_due", "buddy.asked", "buddy.accepted", "buddy.declined")
# Changes a trusted person made for a resident that no other event announces: published only then, so that the
# resident hears of them (`services.care.commands.done_for`).
CARE_DONE_FOR = ("checkin.settings_changed", "checkin.away_set", "checkin.away_cleared", "sheet.saved")

# The activities service's events that tell people something: moved up from the waiting list, a cancellation,
# the reminder the day before.
ACTIVITY_MESSAGES = ("signup.promoted", "activity.changed", "activity.cancelled", "activity.reminder_came_due")

SUBSCRIBED = {
    "spaces": _MEMBER_LIFE,
    "help": (*_MEMBERS, "preferences.updated"),
    "notifications": (*_MEMBERS, *PUBLISHED["spaces"], *PUBLISHED["help"], "booking.reminder_due", *ALERTS,
                      "checkin.recorded", *CARE_MESSAGES, *CARE_DONE_FOR, "login_link.requested", *ACTIVITY_MESSAGES),
    "care": _MEMBERS,
    "decisions": _MEMBERS,
    "activities": _MEMBERS,
}
# The decisions service's events, each told to people by the notifications service (decision.vote_cast only
# when someone else cast the vote for the member).
SUBSCRIBED["notifications"] += PUBLISHED["decisions"]


def publisher_of(event_type: str) -> str:
    current = RENAMED.get(event_type, event_type)
    return next(service for service, types in PUBLISHED.items() if current in types)


def current_name(event_type: str) -> str:
    """The name an event type has now (a renamed type's new name)."""
    return RENAMED.get(event_type, event_type)


def handler_name(event_type: str) -> str:
    """The consumer's method for an event type: `booking.confirmed` → `booking_confirmed`."""
    return event_type.replace(".", "_")


def exchange(service: str) -> Exchange:
    """Where `service` publishes its events (Nameko's event exchange: a durable topic exchange)."""
    return Exchange(f"{service}.events", type="topic", durable=True, auto_delete=False, delivery_mode=2)


def event_queues() -> list[Queue]:
    """Every consumer's queue of every event it listens to, as Nameko's service-pool event handlers declare them."""
    queues = []
    for consumer, event_types in SUBSCRIBED.items():
        for event_type in event_types:
            source = publisher_of(event_type)
            queues.append(Queue(f"evt-{source}-{event_type}--{consumer}.{handler_name(event_type)}",
                                exchange=exchange(source), routing_key=event_type, durable=True,
                                auto_delete=False, exclusive=False))
    return queues
