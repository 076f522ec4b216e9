"""The event envelope every service publishes: small JSON documents, `noun.past_verb` types, versioned.

    {"event_id", "type", "version", "occurred_at", "community_id", "payload"}

Consumers are idempotent by `event_id` and ignore fields they do not know.
"""
import uuid
from datetime import datetime

from services.common.clock import isoformat_z


def new_event(type: str, *, community_id: str, payload: dict, occurred_at: datetime, version: int = 1) -> dict:
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
