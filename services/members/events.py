"""Events the members service publishes (version 1 of each).

Every payload carries the member's `revision` (it grows with each change), so a consumer that also asks the
members service directly, like the gateway, can tell which of two facts about a member is the newer.
"""
from datetime import datetime

from services.common.clock import isoformat_z
from services.common.events import new_event


def profile(member, timezone: str | None) -> dict:
    """What other services keep of a member. The phone travels with `share_phone`: each consumer applies
    its own rule (the directory shows shared phones; an accepted helper sees the phone regardless)."""
    return {
        "member_id": member.id,
        "display_name": member.display_name,
        "email": member.email,
        "preferred_language": member.preferred_language,
        "languages": list(member.languages),
        "household": member.household,
        "phone": member.phone,
        "share_phone": member.share_phone,
        "role": member.role,
        "active": member.active,
        "timezone": timezone,  # the community's: consumers speak of times on its wall clock
        # For the gateway, which refuses tokens issued before it (milliseconds, like the members service's answer).
        "tokens_valid_after": isoformat_z(member.tokens_valid_after, "milliseconds"),
        "revision": member.revision,
    }


def member_joined(member, timezone: str | None, now: datetime) -> dict:
    return new_event("member.joined", community_id=member.community_id, payload=profile(member, timezone),
                     occurred_at=now)


def member_updated(member, timezone: str | None, changed: list[str], now: datetime) -> dict:
    payload = {**profile(member, timezone), "changed": sorted(changed)}
    return new_event("member.updated", community_id=member.community_id, payload=payload, occurred_at=now)


def member_deactivated(member, by: str, now: datetime) -> dict:
    return new_event("member.deactivated", community_id=member.community_id,
                     payload={"member_id": member.id, "deactivated_by": by, "revision": member.revision}, occurred_at=now)


def member_erased(member, now: datetime) -> dict:
    return new_event("member.erased", community_id=member.community_id,
                     payload={"member_id": member.id, "revision": member.revision}, occurred_at=now)


def login_link_requested(link, member, token: str, timezone: str | None, now: datetime) -> dict:
    """A member asked for a sign-in link: the notifications service emails it. The only event that carries a
    credential: it stays in the link's outbox only until it is published, and its consumer keeps it nowhere."""
    return new_event("login_link.requested", community_id=member.community_id, occurred_at=now, payload={
        "member_id": member.id,
        "email": member.email,
        "display_name": member.display_name,
        "preferred_language": member.preferred_language,
        "timezone": timezone,
        "token": token,
        "expires_at": isoformat_z(link.expires_at),
    })
