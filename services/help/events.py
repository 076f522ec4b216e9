"""Events the help service publishes (version 1 of each)."""
from datetime import datetime

from services.common.clock import isoformat_z
from services.common.events import new_event


def request_facts(request) -> dict:
    return {"request_id": request.id, "requester_id": request.requester_id, "title": request.title,
            "category": request.category, "status": request.status}


def help_requested(request, audience: list[str], requester_name: str | None, now: datetime) -> dict:
    payload = {**request_facts(request), "requester_name": requester_name, "languages": list(request.languages),
               "needed_from": isoformat_z(request.needed_from), "needed_until": isoformat_z(request.needed_until),
               "audience": audience}
    return new_event("help.requested", community_id=request.community_id, payload=payload, occurred_at=now)


def help_event(type_: str, request, now: datetime, **extra) -> dict:
    return new_event(type_, community_id=request.community_id, payload={**request_facts(request), **extra},
                     occurred_at=now)
