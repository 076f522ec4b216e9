"""Events the notifications service publishes (version 1 of each)."""
from datetime import datetime

from services.common.events import new_event


def preferences_updated(community_id: str, member_id: str, help_categories, now: datetime) -> dict:
    """A member's help categories changed: the help service shows them the requests they asked for."""
    return new_event("preferences.updated", community_id=community_id, occurred_at=now,
                     payload={"member_id": member_id, "help_categories": help_categories})


def notice_published(notice, recipients: int, now: datetime) -> dict:
    return new_event("notice.published", community_id=notice.community_id, occurred_at=now,
                     payload={"notice_id": notice.id, "urgent": notice.urgent, "recipients": recipients})


def notification_delivered(delivery, now: datetime) -> dict:
    """An email was sent, or given up on, after `attempts` tries."""
    return new_event("notification.delivered", community_id=delivery.community_id, occurred_at=now,
                     payload={"delivery_id": delivery.id, "member_id": delivery.member_id,
                              "notification_id": delivery.notification_id, "channel": delivery.channel,
                              "outcome": delivery.status, "attempts": delivery.attempts})
