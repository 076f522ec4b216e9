"""Events the activities service publishes (version 1 of each).

The events that tell people something name them (`member_id`, or `notify` for everyone signed up), with the
activity's title and time, so that the notifications service needs no copy of the activities.
"""
from datetime import datetime

from services.common.clock import isoformat_z
from services.common.events import new_event


def _facts(activity) -> dict:
    return {"activity_id": activity.id, "title": activity.title, "starts_at": isoformat_z(activity.starts_at),
            "ends_at": isoformat_z(activity.ends_at), "space_name": activity.space_name, "place": activity.place}


def activity_created(activity, now: datetime) -> dict:
    return new_event("activity.created", community_id=activity.community_id, occurred_at=now, payload={
        **_facts(activity), "created_by": activity.created_by, "capacity": activity.capacity,
        "space_id": activity.space_id, "booking_id": activity.booking_id})


def activity_cancelled(activity, notify: list[str], by: str, now: datetime) -> dict:
    return new_event("activity.cancelled", community_id=activity.community_id, occurred_at=now, payload={
        **_facts(activity), "cancelled_by": by, "notify": notify})


def activity_changed(activity, notify: list[str], *, moved: bool, by: str, now: datetime) -> dict:
    """Its title, texts or time changed; `moved`: to another time, and everyone signed up (`notify`) is told."""
    return new_event("activity.changed", community_id=activity.community_id, occurred_at=now, payload={
        **_facts(activity), "changed_by": by, "moved": moved, "notify": notify})


def reminder_came_due(activity, notify: list[str], now: datetime) -> dict:
    return new_event("activity.reminder_came_due", community_id=activity.community_id, occurred_at=now,
                     payload={**_facts(activity), "notify": notify})


def signup_event(type_: str, activity, signup: dict, now: datetime, **extra) -> dict:
    """signup.confirmed, signup.waitlisted, signup.promoted or signup.cancelled."""
    return new_event(type_, community_id=activity.community_id, occurred_at=now, payload={
        **_facts(activity), "member_id": signup["m"], "guests": signup["guests"], "role": signup.get("role"),
        **extra})
