"""Idempotency keys for commands that create things.

An RPC timeout does not mean the work was not done, and a client (or the gateway) may send the same
command again. A command called with the same key in the same scope returns the first result and
creates nothing new; the same key with a different request is refused, as is a repeat that arrives
while the first is still running.
"""
import hashlib
import json
from datetime import timedelta

from services.common.clock import utcnow
from services.common.errors import Conflict, Invalid

# A claim left "running" this long belongs to a worker that died; the next attempt may take it over.
STALE_AFTER = timedelta(seconds=60)


def fingerprint(request) -> str:
    return hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()


def run_once(repository, *, scope: str, key: str | None, request, command):
    """Run `command()` once per (scope, key); without a key it simply runs."""
    if not key:
        return command()
    if len(key) > 200:
        raise Invalid("The Idempotency-Key is too long (at most 200 characters).")
    record_id = f"{scope}:{key}"
    print_ = fingerprint(request)
    now = utcnow()
    earlier = repository.claim_idempotency_key(record_id, print_, now)
    if earlier is not None:
        if earlier.get("fingerprint") != print_:
            raise Invalid("This Idempotency-Key was already used for a different request.")
        if earlier.get("state") == "done":
            return earlier["result"]
        if not repository.retake_stale_idempotency_key(record_id, now - STALE_AFTER, now):
            raise Conflict("A request with this Idempotency-Key is still being processed. Try again shortly.")
    try:
        result = command()
    except Exception:
        repository.release_idempotency_key(record_id)
        raise
    repository.finish_idempotency_key(record_id, result)
    return result
