"""What the chaos tests share: a community to load, careful clients, the checks after a fault, the report.

A test sets up a `Community` (an organiser, residents, two rooms, everyone known to the notifications
service), runs `Load` on it (residents book rooms, ask for and offer help; the organiser publishes notices and
books) while it injects its faults, and then `audit`s what is stored against what the clients were told:

- every request answered 2xx is stored: each booking, help request, offer and notice is looked up through
  the API; and nothing is stored twice: no two help requests or notices carry the title of one operation
  (a repeat that ran a command again after an earlier attempt had stored its result would leave one more);
- every event is consumed: the vhost's queues drain to 0 messages and 0 unacked (management API), nothing is
  dead-lettered, and each event's effect is in the inbox it belongs in (a booking's confirmation, an offer's
  notice to the requester, a notice in every member's inbox);
- no inbox holds the same notification twice (same kind, link, title and body);
- no two bookings of one space overlap, cleaning buffer included.

`report` prints the figures as a table and writes them to test-artifacts/<name>.json.
"""
import json
import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

from tests.support.processes import eventually

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
RESIDENTS = 5
MAX_ROUNDS = 150  # a bound on each thread's operations; the load normally stops well before
BUFFER = timedelta(minutes=15)
RETRY_FOR_SECONDS = 45
BERLIN_WINTER = timezone(timedelta(hours=1))
PROBLEM = "application/problem+json"
# The gateway's reply queues: a reply to a call repeated after a fault waits there for the proxy's next call,
# which drops it. Not an event; counted apart.
REPLY_QUEUES = "rpc.reply-"


class Worker(threading.Thread):
    """A thread of the load whose failure fails the test: `finish` raises what it raised (an uncaught exception
    in a plain thread is only printed, and the test would go on without its load)."""

    def __init__(self, target, *args):
        super().__init__(target=target, args=args, daemon=True)
        self.failure: BaseException | None = None

    def run(self):
        try:
            super().run()
        except BaseException as failure:  # raised again in the test's own thread
            self.failure = failure


def finish(workers: list[Worker], timeout: float) -> None:
    """Wait for the workers; fail if one is still running or failed."""
    for worker in workers:
        worker.join(timeout=timeout)
    assert not [worker for worker in workers if worker.is_alive()], "the load did not finish"
    for worker in workers:
        if worker.failure is not None:
            raise AssertionError(f"a thread of the load failed: {worker.failure!r}") from worker.failure


def log_dir(name: str) -> Path:
    """Where a chaos test's platform writes its logs: test-artifacts/logs/<name>."""
    folder = ARTIFACTS / "logs" / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Ledger:
    """Every attempt's status and time, and every request answered 2xx with what it created."""

    def __init__(self):
        self.lock = threading.Lock()
        self.statuses: Counter = Counter()
        self.answered: list[tuple[str, dict, dict]] = []  # (kind, what was sent, the 2xx body)
        self.finished = 0
        self.in_progress_refusals = 0
        self.outcomes: Counter = Counter()  # (kind, the last status an operation got)
        self.refused: list[tuple[str, dict, dict]] = []  # (kind, what was sent, the final 409 body)
        self.attempts: list[tuple[float, float, object]] = []  # (sent at, answered at, status), monotonic
        self.improper: list[tuple[object, str]] = []  # a 503 that is no problem document, with its content type

    def send(self, client, kind: str, path: str, body: dict, **context) -> dict | None:
        """POST like a careful client: one Idempotency-Key, repeated on 503 or no answer, for a while."""
        key = str(uuid.uuid4())
        deadline = time.monotonic() + RETRY_FOR_SECONDS
        status = None
        try:
            while True:
                began = time.monotonic()
                try:
                    response = client.post(path, json=body, headers={"Idempotency-Key": key}, timeout=15)
                    status = response.status_code
                except requests.RequestException:
                    response, status = None, "no answer"
                with self.lock:
                    self.statuses[status] += 1
                    self.attempts.append((began, time.monotonic(), status))
                    if status == 503 and not response.headers.get("Content-Type", "").startswith(PROBLEM):
                        self.improper.append((status, response.headers.get("Content-Type", "")))
                if response is not None and 200 <= status < 300:
                    created = response.json()
                    with self.lock:
                        self.answered.append((kind, {**body, **context}, created))
                    return created
                if status == 409 and "still being processed" in response.text:
                    with self.lock:
                        self.in_progress_refusals += 1
                if status == 409 and "still being processed" not in response.text:
                    with self.lock:
                        self.refused.append((kind, {**body, **context}, response.json()))
                    return None
                if status not in (503, "no answer", 409) or time.monotonic() > deadline:
                    return None
                time.sleep(0.2)  # a client's back-off before repeating, not a wait for an event
        finally:
            with self.lock:
                self.finished += 1
                final = "409 still being processed" if status == 409 and "still being processed" in (
                    response.text if response is not None else "") else status
                self.outcomes[(kind, final)] += 1

    def record_created(self, kind: str, sent: dict, created: dict) -> None:
        """A 2xx got outside `send` (a probe of the test's own), to be checked like the others."""
        with self.lock:
            self.answered.append((kind, sent, created))

    def created(self, kind: str) -> list[tuple[dict, dict]]:
        return [(sent, body) for k, sent, body in self.answered if k == kind]

    def slower_than(self, seconds: float) -> list[float]:
        """How long each attempt took that took longer than `seconds`."""
        with self.lock:
            return [round(end - start, 1) for start, end, _ in self.attempts if end - start > seconds]

    def between(self, start: float, end: float) -> Counter:
        """The statuses of the attempts answered between two moments (monotonic)."""
        with self.lock:
            return Counter(status for _, answered, status in self.attempts if start <= answered <= end)

    def figures(self) -> dict:
        """The figures every chaos test with this load reports about the answers."""
        statuses = self.statuses
        return {
            "requests sent (attempts)": sum(statuses.values()),
            "operations": self.finished,
            "answered 2xx": sum(n for s, n in statuses.items() if isinstance(s, int) and 200 <= s < 300),
            "answered 4xx": sum(n for s, n in statuses.items() if isinstance(s, int) and 400 <= s < 500),
            "of which 409 still being processed": self.in_progress_refusals,
            "answered 503": statuses.get(503, 0),
            "answered other 5xx (server errors)": self.server_errors(),
            "no answer": statuses.get("no answer", 0),
            "operations left without an answer": self.unanswered(),
        }

    def server_errors(self) -> int:
        return sum(n for s, n in self.statuses.items() if isinstance(s, int) and s >= 500 and s != 503)

    def unanswered(self) -> int:
        """Operations whose last answer was still "try again" when the client gave up."""
        return sum(n for (kind, final), n in self.outcomes.items()
                   if final in (503, "no answer", "409 still being processed"))


def slot(rng, days_from=2):
    start = (datetime.now(BERLIN_WINTER) + timedelta(days=rng.randint(days_from, days_from + 6))).replace(
        hour=rng.randint(0, 22), minute=rng.choice((0, 30)), second=0, microsecond=0)
    return start, start + timedelta(minutes=rng.choice((30, 60, 90)))


def every_page(client, path, **params):
    items, cursor = [], None
    while True:
        response = client.get(path, params={**params, "limit": 200, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.text
        page = response.json()
        items.extend(page["items"])
        cursor = page["next"]
        if not cursor:
            return items


def utc(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class Community:
    organiser: object  # the organiser's client
    organiser_id: str
    residents: list  # (client, profile)
    rooms: list[str]

    @property
    def members(self) -> dict:
        return {self.organiser_id: self.organiser, **{profile["id"]: client for client, profile in self.residents}}


def community(platform, residents: int = RESIDENTS) -> Community:
    """An organiser, `residents` residents and two rooms bookable day and night, everyone known to the
    notifications service (a notice reaches the members it knows)."""
    organiser = platform.organiser()
    organiser_id = organiser.get("/api/v1/members/me").json()["id"]
    joined = [platform.join(organiser, f"resident{n}@example.org", display_name=f"Nachbar {n}")
              for n in range(residents)]
    rules = {"open_from": "00:00", "open_until": "00:00", "max_duration_minutes": 600, "max_days_ahead": 60,
             "buffer_minutes": int(BUFFER.total_seconds() // 60)}
    rooms = [organiser.post("/api/v1/spaces", json={"name": name, "capacity": 10, "rules": rules}).json()["id"]
             for name in ("Gemeinschaftsraum", "Werkstatt")]
    found = Community(organiser, organiser_id, joined, rooms)
    for member, client in found.members.items():
        assert eventually(lambda: any(entry["kind"] == "welcome" for entry in every_page(
            client, "/api/v1/notifications")), seconds=30), f"{member} never got a welcome"
    return found


class Load:
    """Residents and the organiser at work in threads, every request through `ledger`, until `stop()`."""

    def __init__(self, ledger: Ledger, place: Community):
        self.ledger, self.community = ledger, place
        self.help_requests: list[tuple[str, str]] = []  # (request id, its owner)
        self.stopping = threading.Event()
        self.threads = [Worker(self.resident, client, profile["id"], n)
                        for n, (client, profile) in enumerate(place.residents)]
        self.threads.append(Worker(self.organiser, place.organiser, place.organiser_id, 99))
        self.started = None

    def start(self) -> "Load":
        self.started = time.monotonic()
        for thread in self.threads:
            thread.start()
        return self

    def after_more(self, operations: int, seconds: float = 120) -> None:
        """Return once `operations` more operations have finished (the load goes on)."""
        mark = self.ledger.finished
        assert eventually(lambda: self.ledger.finished >= mark + operations, seconds=seconds), "the load stalled"

    def stop(self) -> float:
        """Stop the load and wait for the threads; the seconds it ran."""
        self.stopping.set()
        finish(self.threads, timeout=120)
        return time.monotonic() - self.started

    def resident(self, client, me, seed):
        rng, ledger, rooms = random.Random(seed), self.ledger, self.community.rooms
        for round_ in range(MAX_ROUNDS):
            if self.stopping.is_set():
                return
            if round_ % 3 == 0:
                start, end = slot(rng)
                ledger.send(client, "booking", "/api/v1/bookings",
                            {"space_id": rng.choice(rooms), "start": start.isoformat(), "end": end.isoformat(),
                             "purpose": f"Runde {round_}"}, owner=me)
            elif round_ % 3 == 1:
                created = ledger.send(client, "help_request", "/api/v1/help-requests",
                                      {"title": f"Hilfe {seed}-{round_}", "category": rng.choice(
                                          ("shopping", "tech", "garden", "transport"))}, owner=me)
                if created:
                    with ledger.lock:
                        self.help_requests.append((created["id"], me))
            else:
                with ledger.lock:
                    others = [(rid, owner) for rid, owner in self.help_requests if owner != me]
                if others:
                    request_id, owner = rng.choice(others)
                    ledger.send(client, "offer", f"/api/v1/help-requests/{request_id}/offers",
                                {"message": f"Ich helfe gern ({seed}-{round_})"}, request_id=request_id,
                                requester=owner, helper=me)

    def organiser(self, client, me, seed):
        rng, ledger, rooms = random.Random(seed), self.ledger, self.community.rooms
        for round_ in range(MAX_ROUNDS // 2):
            if self.stopping.is_set():
                return
            ledger.send(client, "notice", "/api/v1/notices",
                        {"title": f"Aushang {round_}", "body": "Bitte lesen.", "audience": "all"}, owner=me)
            start, end = slot(rng)
            ledger.send(client, "booking", "/api/v1/bookings",
                        {"space_id": rng.choice(rooms), "start": start.isoformat(), "end": end.isoformat()},
                        owner=me)


def audit(platform, place: Community, ledger: Ledger) -> dict:
    """Everything the clients were told against what the platform stores and did, once the load is over."""
    members, organiser = place.members, place.organiser
    found = {"lost": lost_writes(members, organiser, ledger), "stored_twice": stored_twice(organiser),
             "self_clashes": self_clashes(members, ledger)}
    found.update(drained_queues(platform))
    found.update(inbox_effects(members, ledger))
    found["overlaps"] = overlapping_bookings(organiser, place.rooms)
    return found


def lost_writes(members, organiser, ledger) -> list:
    """Every request answered 2xx, looked up through the API: what is not there (or not as answered)."""
    lost = []
    for sent, booking in ledger.created("booking"):
        seen = members[sent["owner"]].get(f"/api/v1/bookings/{booking['id']}")
        if seen.status_code != 200 or (seen.json()["start"], seen.json()["end"]) != (booking["start"], booking["end"]):
            lost.append(("booking", booking["id"], seen.status_code))
    offers_by_request: dict[str, set] = {}
    for sent, offer in ledger.created("offer"):
        offers_by_request.setdefault(sent["request_id"], set()).add(offer["id"])
    for sent, request in ledger.created("help_request"):
        seen = members[sent["owner"]].get(f"/api/v1/help-requests/{request['id']}")
        if seen.status_code != 200:
            lost.append(("help_request", request["id"], seen.status_code))
            continue
        shown = {offer["id"] for offer in seen.json().get("offers", [])}
        lost += [("offer", offer_id, 200) for offer_id in offers_by_request.get(request["id"], set()) - shown]
    for sent, notice in ledger.created("notice"):
        seen = organiser.get(f"/api/v1/notices/{notice['id']}/receipts")
        if seen.status_code != 200:
            lost.append(("notice", notice["id"], seen.status_code))
    return lost


def stored_twice(organiser) -> list:
    """Help requests and notices stored more than once for one operation: the load gives each its own title.
    (Offers and bookings have ids made of what they are for, so one more attempt cannot store another.)"""
    titles = Counter(("help_request", r["title"]) for r in every_page(organiser, "/api/v1/help-requests"))
    titles.update(("notice", n["title"]) for n in every_page(organiser, "/api/v1/notices"))
    return sorted((kind, title, count) for (kind, title), count in titles.items() if count > 1)


def self_clashes(members, ledger) -> list:
    """Bookings refused because they clash with themselves: a first attempt, cut off before it answered, had
    claimed the time, and the repeat that took over its key ran the command again."""
    clashes = []
    answered_bookings = {booking["id"] for _, booking in ledger.created("booking")}
    for kind, sent, problem in ledger.refused:
        for clash in problem.get("conflicts", []) if kind == "booking" else []:
            if clash["id"] in answered_bookings:
                continue  # a booking of its own that its client knows about: a fair refusal
            seen = members[sent["owner"]].get(f"/api/v1/bookings/{clash['id']}")
            same_time = (utc(clash["start"]), utc(clash["end"])) == (utc(sent["start"]), utc(sent["end"]))
            if same_time and (seen.status_code == 404 or seen.json().get("member_id") == sent["owner"]):
                clashes.append((sent["owner"], clash["id"], seen.status_code))
    return clashes


def drained_queues(platform) -> dict:
    """Wait for the vhost's queues to drain (every event consumed); what is left, parked or stray."""
    def drained():
        queues = platform.queues()
        busy = [q["name"] for q in queues if not q["name"].startswith(REPLY_QUEUES)
                and (q.get("messages", 1) or q.get("messages_unacknowledged", 1))]
        return not busy and queues

    drained_since = None

    def drained_for_a_stats_interval():
        # The management API's figures lag (statistics every 5 s): believe "empty" once it has lasted longer.
        nonlocal drained_since
        if not drained():
            drained_since = None
            return False
        drained_since = drained_since or time.monotonic()
        return time.monotonic() - drained_since > 6

    queues_drained = bool(eventually(drained_for_a_stats_interval, seconds=90, interval=0.5))
    figures = {q["name"]: (q.get("messages"), q.get("messages_unacknowledged")) for q in platform.queues()}
    return {"queues_drained": queues_drained, "queues": figures,
            "stray_replies": sum(count or 0 for name, (count, _) in figures.items() if name.startswith(REPLY_QUEUES)),
            "parked": sum(count or 0 for name, (count, _) in figures.items() if name.startswith("dead-letters."))}


def inbox_effects(members, ledger) -> dict:
    """Each event's effect in the inbox it belongs in: what is missing, and what is there twice."""
    expected: Counter = Counter()
    for sent, booking in ledger.created("booking"):
        expected[(sent["owner"], "booking_confirmed", f"/bookings/{booking['id']}")] += 1
    for sent, offer in ledger.created("offer"):
        expected[(sent["requester"], "help_offer_received", f"/help/{sent['request_id']}")] += 1
    for sent, notice in ledger.created("notice"):
        for member in members:
            expected[(member, "notice", f"/notices/{notice['id']}")] += 1

    inboxes = {}

    def every_effect_arrived():
        for member, client in members.items():
            inboxes[member] = every_page(client, "/api/v1/notifications")
        found = Counter((member, entry["kind"], entry["link"]) for member, entries in inboxes.items()
                        for entry in entries)
        return all(found[key] >= count for key, count in expected.items())

    arrived = bool(eventually(every_effect_arrived, seconds=60, interval=1))
    found = Counter((member, entry["kind"], entry["link"]) for member, entries in inboxes.items() for entry in entries)
    return {"effects_arrived": arrived,
            "missing_effects": sorted(key for key, count in expected.items() if found[key] < count),
            "duplicates": [(member, key, count) for member, entries in inboxes.items()
                           for key, count in Counter((e["kind"], e["link"], e["title"], e["body"])
                                                     for e in entries).items() if count > 1]}


def overlapping_bookings(organiser, rooms) -> list:
    overlaps = []
    for room in rooms:
        standing = sorted((utc(b["start"]), utc(b["end"]), b["id"])
                          for b in every_page(organiser, "/api/v1/bookings", space_id=room)
                          if b["status"] in ("confirmed", "pending"))
        overlaps += [(a[2], b[2]) for a, b in zip(standing, standing[1:]) if a[1] + BUFFER > b[0]]
    return overlaps


def audit_figures(found: dict) -> dict:
    """The figures of an audit, as the reports name them."""
    return {
        "bookings refused as clashing with themselves": len(found["self_clashes"]),
        "writes lost (2xx not stored)": len(found["lost"]),
        "writes stored twice": len(found["stored_twice"]),
        "event effects missing": len(found["missing_effects"]),
        "events dead-lettered": found["parked"],
        "stray RPC replies (not events)": found["stray_replies"],
        "queues drained": found["queues_drained"],
        "duplicate notifications": len(found["duplicates"]),
        "overlapping bookings": len(found["overlaps"]),
    }


def audit_details(found: dict, ledger: Ledger) -> dict:
    """The lists behind the figures, for the JSON report."""
    return {"statuses": {str(k): v for k, v in sorted(ledger.statuses.items(), key=str)},
            "outcomes": {f"{kind} {final}": n for (kind, final), n in sorted(ledger.outcomes.items(), key=str)},
            "lost": found["lost"], "stored_twice": found["stored_twice"], "self_clashes": found["self_clashes"],
            "missing_effects": found["missing_effects"][:50], "duplicates": found["duplicates"][:50],
            "overlaps": found["overlaps"], "queues": found["queues"]}


def assert_audit(found: dict, ledger: Ledger, details: dict) -> None:
    """Nothing answered is lost, every event is consumed once, no overlap, no server error, every operation
    answered in the end."""
    assert not found["lost"], found["lost"]
    assert not found["stored_twice"], found["stored_twice"]
    assert found["queues_drained"], found["queues"]
    assert found["parked"] == 0, found["queues"]
    assert found["effects_arrived"] and not found["missing_effects"], found["missing_effects"][:20]
    assert not found["duplicates"], found["duplicates"][:20]
    assert not found["overlaps"], found["overlaps"]
    assert ledger.server_errors() == 0, details["statuses"]
    assert not found["self_clashes"], found["self_clashes"]
    assert ledger.unanswered() == 0, details["outcomes"]  # a repeat gets through once the fault is over


def report(name: str, figures: dict, details: dict | None = None) -> None:
    """Print the figures as a table and write them (with `details`) to test-artifacts/<name>.json."""
    ARTIFACTS.mkdir(exist_ok=True)
    document = {"figures": figures, **(details or {})} if details is not None else figures
    (ARTIFACTS / f"{name}.json").write_text(json.dumps(document, indent=2, default=str))
    width = max(map(len, figures))
    print("\n" + "\n".join(f"{key:<{width}}  {value}" for key, value in figures.items()))
    for key in ("statuses", "outcomes"):
        if details and key in details:
            print(f"{key}:", details[key])
