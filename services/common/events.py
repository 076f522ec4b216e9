"""The event envelope every service publishes: small JSON documents, `noun.past_verb` types, versioned.

    {"event_id", "type", "version", "occurred_at", "community_id", "payload"}

Consumers are idempotent by `event_id` and ignore fields they do not know.

An event that happened because a trusted person acted for a resident says so in its payload, in every service
alike: `acted_by: {member_id, display_name, for}` (`for`: the resident). The worker that runs such a request sets
`ACTING` (`services.common.service.ActingFor`, from the actor the gateway sent), and `new_event` adds it.
"""
import contextvars
import uuid
from datetime import datetime

from services.common.clock import isoformat_z


# Who is acting for whom in this worker (each Nameko worker runs in a green thread of its own, with its own
# context), or None.
ACTING: contextvars.ContextVar[dict | None] = contextvars.ContextVar("acting", default=None)


def new_event(type: str, *, community_id: str, payload: dict, occurred_at: datetime, version: int = 1) -> dict:
    acting = ACTING.get()
    if acting is not None:
        payload = {**payload, "acted_by": acting}
    return {
        "event_id": str(uuid.uuid4()),
        "type": type,
        "version": version,
        "occurred_at": isoformat_z(occurred_at),
        "community_id": community_id,
        "payload": payload,
    }


def is_envelope(data) -> bool:
    return isinstance(data, dict) and all(
        key in data for key in ("event_id", "type", "version", "occurred_at", "community_id", "payload")
    )
