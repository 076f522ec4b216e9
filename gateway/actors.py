"""Who may act, known in each gateway process without asking the members service on every request.

Each gateway process keeps a copy of the members who act through it (their role, household, language, time
zone, since when their tokens are valid, whether they are still active), fed by the members service's events
(`member.joined`, `member.updated`, `member.deactivated`, `member.erased`) on a queue of its own. A member
not in the copy is asked of the members service once (`members.authenticate`) and remembered.

Why a deactivation still ends a member's access at once, even through another gateway process:
1. The members service publishes the change's event, with a publisher confirm, before it answers; if it
   cannot, it answers an error, never success (`services.members.commands`). A confirmed event is already in
   every bound queue, so it is in this process's queue before the organiser sees the 200.
2. Before a request reads the copy, it waits for a *fence*: a message this process publishes to its own queue
   after the request arrived. A queue is first in, first out, so when the fence comes back every event that
   was in the queue before it (the deactivation among them) has been applied. Requests that arrive while a
   fence is on its way share the next one, so under load one round trip through the broker serves many.
3. Each stored copy carries the member's `revision`: an answer of the members service that is older than an
   event already applied never replaces it, whichever arrives first.
4. While the listener is not connected, or a fence does not come back in time, the copy is not used: every
   request asks the members service, as before. When the listener connects again the copy starts empty,
   since events may have been missed in between (its queue is exclusive and went away with the connection).
"""
import logging
import os
import threading
import time
import uuid

from kombu import Connection, Consumer, Exchange, Producer, Queue, binding

from services.common.clock import parse_iso
from services.common.errors import Unauthorized
from services.contracts.vocabulary import DEFAULT_TIMEZONE

log = logging.getLogger(__name__)

MEMBER_EVENTS = ("member.joined", "member.updated", "member.deactivated", "member.erased")
# The members service's events exchange, declared exactly as Nameko declares it.
MEMBERS_EXCHANGE = Exchange("members.events", type="topic", durable=True, delivery_mode=2)


def actor_from_profile(event: dict) -> dict:
    """The actor as `members.authenticate` answers it, from a `member.joined`/`member.updated` payload."""
    profile = event["payload"]
    return {
        "member_id": profile["member_id"],
        "community_id": event["community_id"],
        "timezone": profile.get("timezone") or DEFAULT_TIMEZONE,
        "role": profile["role"],
        "household": profile.get("household"),
        "preferred_language": profile["preferred_language"],
        "display_name": profile["display_name"],
        "tokens_valid_after": profile.get("tokens_valid_after"),
        "revision": profile["revision"],
    }


class ActorCopy:
    """Member id → what the gateway knows of them: `(revision, actor or None when they may not act)`.

    `generation` changes whenever the copy is emptied; an answer fetched in an earlier generation is not stored
    (it may predate events the copy no longer has)."""

    def __init__(self, max_entries: int = 100_000):
        self.max_entries = max_entries
        self.generation = 0
        self._entries: dict[str, tuple[int, dict | None]] = {}
        self._lock = threading.Lock()

    def empty(self) -> None:
        with self._lock:
            self._entries = {}
            self.generation += 1

    def get(self, member_id: str) -> tuple[int, dict | None] | None:
        return self._entries.get(member_id)

    def apply(self, event: dict) -> None:
        """Take in one member event (in any order, any number of times)."""
        payload = event.get("payload") or {}
        if "member_id" not in payload:
            return
        revision = payload.get("revision")
        if revision is None:
            # From a members service older than revisions (during a rolling update): the change cannot be
            # ordered against answers on their way, so start afresh (which also refuses those answers).
            self.empty()
            return
        if event["type"] in ("member.joined", "member.updated"):
            actor = actor_from_profile(event) if payload.get("active", True) else None
        else:  # member.deactivated, member.erased
            actor = None
        self._store(payload["member_id"], revision, actor, generation=None)

    def remember(self, actor: dict, generation: int) -> None:
        """Store the members service's answer, unless the copy was emptied since it was asked."""
        if "revision" in actor:
            self._store(actor["member_id"], actor["revision"], actor, generation=generation)

    def _store(self, member_id: str, revision: int, actor: dict | None, generation: int | None) -> None:
        with self._lock:
            if generation is not None and generation != self.generation:
                return
            known = self._entries.get(member_id)
            if known is not None and known[0] >= revision:
                return
            if known is None and len(self._entries) >= self.max_entries:
                self._entries = {}  # rather than evict one by one: emptying is always safe
                self.generation += 1
                if generation is not None:
                    return
            self._entries[member_id] = (revision, actor)


class Fences:
    """Group commit of fences: `wait()` returns True once a fence sent after the call began has come back.

    `send(number)` publishes fence `number`; the listener calls `came_back(number)` when it consumes it."""

    def __init__(self, send, timeout: float):
        self._send = send
        self.timeout = timeout
        self._condition = threading.Condition()
        self._sent = 0
        self._back = 0
        self._sent_at = 0.0
        self.epoch = 0  # changes when the listener's connection changes: fences of an older one never return

    def wait(self) -> bool:
        deadline = time.monotonic() + self.timeout
        with self._condition:
            epoch = self.epoch
            target = self._sent + 1
            while self._back < target:
                if self.epoch != epoch:
                    return False
                if self._sent < target and self._back == self._sent:
                    self._sent = target
                    self._sent_at = time.monotonic()
                    try:
                        self._send(target)
                    except Exception:
                        log.warning("could not publish a fence", exc_info=True)
                        self.lost()
                        return False
                    continue
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._condition.wait(remaining)
            return self.epoch == epoch

    def came_back(self, number: int) -> None:
        with self._condition:
            if number > self._back:
                self._back = number
                self._condition.notify_all()

    def overdue(self) -> bool:
        with self._condition:
            return self._back < self._sent and time.monotonic() - self._sent_at > self.timeout

    def lost(self) -> None:
        """Fences on their way will not come back: wake their waiters (who fall back) and start afresh."""
        with self._condition:
            self.epoch += 1
            self._back = self._sent
            self._condition.notify_all()


class Actors:
    """What `gateway.auth` asks: the actor behind a member id, from the copy when it can be trusted."""

    def __init__(self, amqp_uri: str, *, fence_timeout: float = 1.0, listen: bool = True):
        self.amqp_uri = amqp_uri
        self.copy = ActorCopy()
        self.listen = listen
        self.fence_timeout = fence_timeout
        self._listener: MemberEventsListener | None = None
        self._pid = None
        self._lock = threading.Lock()

    def actor(self, member_id: str, fetch) -> dict:
        """The actor for `member_id`; `fetch()` asks the members service (and raises if they may not act)."""
        listener = self._started()
        if listener is None or not listener.ready.is_set():
            return fetch()
        generation = self.copy.generation
        if not listener.fences.wait():
            listener.reconnect_if_overdue()
            return fetch()
        known = self.copy.get(member_id)
        if known is None:
            actor = fetch()
            self.copy.remember(actor, generation)
            return actor
        if known[1] is None:
            raise Unauthorized("Please log in again.")
        return known[1]

    def stop(self) -> None:
        if self._listener is not None and self._pid == os.getpid():
            self._listener.stop()

    def _started(self):
        """The listener of this process, started at the first request (after gunicorn forked)."""
        if not self.listen:
            return None
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():
                    self.copy.empty()
                    self._listener = MemberEventsListener(self.amqp_uri, self.copy, self.fence_timeout)
                    self._listener.start()
                    self._pid = os.getpid()
        return self._listener


class MemberEventsListener(threading.Thread):
    """Consumes member events and this process's fences from an exclusive queue; reconnects when cut off."""

    RETRY_SECONDS = (0.2, 0.5, 1, 2, 5)

    def __init__(self, amqp_uri: str, copy: ActorCopy, fence_timeout: float):
        super().__init__(name="member-events", daemon=True)
        self.amqp_uri = amqp_uri
        self.copy = copy
        self.queue_name = f"gateway-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.ready = threading.Event()
        self.fences = Fences(self._publish_fence, fence_timeout)
        self._stopping = threading.Event()
        self._reconnect = threading.Event()
        self._producer = None
        self._producer_lock = threading.Lock()

    def run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                self._listen()
                failures = 0
            except Exception as error:
                log.warning("member events listener cut off (%s); using the members service meanwhile",
                            type(error).__name__)
                failures += 1
            finally:
                self._lost()
            self._stopping.wait(self.RETRY_SECONDS[min(failures, len(self.RETRY_SECONDS) - 1)])

    def stop(self) -> None:
        self._stopping.set()

    def reconnect_if_overdue(self) -> None:
        if self.fences.overdue():
            self._reconnect.set()

    def _listen(self) -> None:
        queue = Queue(self.queue_name, exchange=MEMBERS_EXCHANGE, exclusive=True, auto_delete=True,
                      bindings=[binding(MEMBERS_EXCHANGE, routing_key=kind) for kind in MEMBER_EVENTS])
        # No heartbeats: a connection the broker closed fails at once, and one that silently died shows up as
        # a fence that does not come back (then the copy is not used and the listener connects again).
        with Connection(self.amqp_uri) as connection, Connection(self.amqp_uri) as publishing:
            channel = connection.channel()
            MEMBERS_EXCHANGE(channel).declare()
            queue(channel).declare()
            with Consumer(channel, [queue], callbacks=[self._on_message], no_ack=True, accept=["json"]):
                with self._producer_lock:
                    self._producer = Producer(publishing.channel(), serializer="json")
                self._reconnect.clear()
                self.copy.empty()  # events may have been missed while not listening
                self.ready.set()
                log.info("listening to member events on %s", self.queue_name)
                while not self._stopping.is_set() and not self._reconnect.is_set():
                    try:
                        connection.drain_events(timeout=1)
                    except TimeoutError:
                        if self.fences.overdue():
                            raise TimeoutError("a fence did not come back")

    def _lost(self) -> None:
        self.ready.clear()
        with self._producer_lock:
            self._producer = None
        self.copy.empty()
        self.fences.lost()

    def _publish_fence(self, number: int) -> None:
        with self._producer_lock:
            if self._producer is None:
                raise ConnectionError("not connected")
            try:
                self._producer.publish({"fence": number}, exchange="", routing_key=self.queue_name, retry=False,
                                       delivery_mode=1)
            except Exception:
                self._reconnect.set()
                raise

    def _on_message(self, body, message) -> None:
        if isinstance(body, dict) and "fence" in body:
            self.fences.came_back(body["fence"])
            return
        try:
            self.copy.apply(body)
        except Exception:
            # A malformed event must not stop the listener; but the copy may now miss a change: start afresh.
            log.exception("could not apply a member event; emptying the copy")
            self.copy.empty()
