"""Idempotency keys for commands that create things.

An RPC timeout does not mean the work was not done, and a client (or the gateway) may send the same
command again. A command called with the same key in the same scope returns the first result and
creates nothing new; the same key with a different request is refused, as is a repeat that arrives
while the first is still running.

"Still running" must not outlive the process that runs it: a service killed in the middle of a command
leaves its claim behind, and the request comes back at once (RabbitMQ redelivers it to the restarted
service) and again with every repeat of the client. So each claim names its process (`PROCESS`), every
process says it is alive every few seconds (`PlatformService.beat`), and a claim whose process has not
been seen for `OWNER_LOST_AFTER` is taken over. A claim that names no process falls back to `STALE_AFTER`.

A process that lives on may leave a claim behind too: when the database goes away in the middle of a
command, the worker can neither finish nor release its claim, and answers 503. Its process keeps beating, so
the claim would hold back every repeat ("still being processed") for good. So a process knows which claims
its workers are running now (`_running`); a claim of its own that no worker is running is taken over.
"""
import hashlib
import json
import uuid
from collections import Counter
from datetime import timedelta

from services.common.clock import as_utc, utcnow
from services.common.errors import Conflict, Invalid

# This process, as named in its claims; a restarted service is a new process.
PROCESS = uuid.uuid4().hex
BEAT_INTERVAL_SECONDS = 2
# A process not seen alive for this long is gone (several missed beats, so a busy one is not mistaken).
OWNER_LOST_AFTER = timedelta(seconds=10)
# A claim that names no process, left "running" this long, belongs to a worker that died.
STALE_AFTER = timedelta(seconds=60)
# How many calls of this process are at each claim (by record id) right now.
_running: Counter = Counter()


def abandoned(repository, earlier: dict, now) -> bool:
    """Whether a running claim's worker is gone, so that this call may take the claim over."""
    owner = earlier.get("owner")
    if not owner:
        return as_utc(earlier["at"]) < now - STALE_AFTER
    if owner == PROCESS:
        # Alive and still at it while another call of this process runs it (this call counts itself).
        return _running[earlier["_id"]] <= 1
    seen = repository.last_seen(owner)
    return seen is None or seen < now - OWNER_LOST_AFTER


def fingerprint(request) -> str:
    return hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()


def run_once(repository, *, scope: str, key: str | None, request, command):
    """Run `command()` once per (scope, key); without a key it simply runs."""
    if not key:
        return command()
    if len(key) > 200:
        raise Invalid("The Idempotency-Key is too long (at most 200 characters).")
    record_id = f"{scope}:{key}"
    _running[record_id] += 1
    try:
        return _run_claimed(repository, record_id, fingerprint(request), command)
    finally:
        _running[record_id] -= 1
        if _running[record_id] <= 0:
            del _running[record_id]


def _run_claimed(repository, record_id: str, print_: str, command):
    now = utcnow()
    earlier = repository.claim_idempotency_key(record_id, print_, now, PROCESS)
    if earlier is not None:
        if earlier.get("fingerprint") != print_:
            raise Invalid("This Idempotency-Key was already used for a different request.")
        if earlier.get("state") == "done":
            return earlier["result"]
        if not (abandoned(repository, earlier, now) and repository.retake_idempotency_key(earlier, now, PROCESS)):
            raise Conflict("A request with this Idempotency-Key is still being processed. Try again shortly.")
    try:
        result = command()
    except Exception:
        repository.release_idempotency_key(record_id)  # fails as well when the database went away
        raise
    repository.finish_idempotency_key(record_id, result)
    return result


# What a withdrawn key holds: no command ran under it, and none will.
WITHDRAWN = "withdrawn"


def withdraw(repository, *, scope: str, key: str) -> str:
    """Make sure no command runs under (scope, key) from now on: the caller gave up on a request it may or may not
    have sent, and settles it. Answers "withdrawn" (it never ran, and a late arrival of it is now refused as a
    different request), "done" (it ran: the caller undoes what it made, found by its key) or "abandoned" (it
    began in a process that is gone: the caller undoes whatever part of it was stored). Raises `Conflict` while
    it is running now in a live process (settle it again later)."""
    record_id = f"{scope}:{key}"
    now = utcnow()
    earlier = repository.claim_idempotency_key(record_id, WITHDRAWN, now, PROCESS)
    if earlier is None:
        repository.finish_idempotency_key(record_id, {WITHDRAWN: True})
        return WITHDRAWN
    if earlier.get("state") == "done":
        return WITHDRAWN if earlier.get("fingerprint") == WITHDRAWN else "done"
    if abandoned(repository, earlier, now) and repository.retake_idempotency_key(earlier, now, PROCESS):
        repository.db.idempotency_keys.update_one({"_id": record_id}, {"$set": {
            "fingerprint": WITHDRAWN, "state": "done", "result": {WITHDRAWN: True}}})
        return "abandoned"
    raise Conflict("A request with this Idempotency-Key is still being processed. Try again shortly.")
