"""Events the spaces service publishes (version 1 of each). Each carries what the notifications service
needs to tell a resident about it without asking back: the space's name, the times, the member."""
from datetime import datetime

from services.common.clock import isoformat_z
from services.common.events import new_event


def booking_facts(booking) -> dict:
    return {
        "booking_id": booking.id,
        "space_id": booking.space_id,
        "space_name": booking.space_name,
        "member_id": booking.member_id,
        "member_name": booking.member_name,
        "household": booking.household,
        "start": isoformat_z(booking.start),
        "end": isoformat_z(booking.end),
        "timezone": booking.timezone,
        "status": booking.status,
        "series_id": booking.series_id,
    }


def booking_event(type_: str, booking, now: datetime, **extra) -> dict:
    return new_event(type_, community_id=booking.community_id, payload={**booking_facts(booking), **extra},
                     occurred_at=now)
