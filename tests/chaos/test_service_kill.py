"""`make chaos`: services are SIGKILLed one after another under load, restarted, and nothing is lost or doubled.

Residents book rooms, ask for and offer help, and an organiser publishes notices and books, from several
threads through the gateway. Mid-load the spaces, then the help, then the notifications service process is
killed with SIGKILL (no graceful stop: running workers die, unacked messages go back to their queues) and
started again. The clients behave as the API asks them to: every POST carries an Idempotency-Key and is
repeated with the same key while the answer is a 503 or no answer at all. When the load is over:

- every request answered 2xx is stored: each booking, help request, offer and notice is looked up through
  the API;
- every event is consumed: the vhost's queues drain to 0 messages and 0 unacked (management API), nothing is
  dead-lettered, and each event's effect is in the inbox it belongs in (a booking's confirmation, an offer's
  notice to the requester, a notice in every member's inbox);
- no inbox holds the same notification twice (same kind, link, title and body);
- no two bookings of one space overlap, cleaning buffer included.

Storage across the kill. Without MONGODB_URI each service keeps its data in mongomock, inside its process, so
a killed service would come back empty: "every 2xx is stored" could then not be checked for the killed
services at all, and the restarted service would answer 404 for everything it had confirmed. Running the
data in another long-lived process is not possible with mongomock. So the platform runs with
IN_MEMORY_JOURNAL_DIR: every write is appended to a journal file before the write returns (hence before any
answer), and a restarted service replays it (services/common/memory_journal.py). The page cache keeps what a
killed process wrote, which is what a database server would do for it; the kill itself is as real as it
gets. With MONGODB_URI set the journal is not used and the services use the real database.

The figures (requests sent, answers by class, faults injected, writes lost, duplicates, server errors) are
printed as a table and written to test-artifacts/chaos-kill.json.
"""
import json
import random
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests

from tests.support.processes import Platform, eventually

pytestmark = pytest.mark.chaos

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
RESIDENTS = 5
MAX_ROUNDS = 150  # a bound on each thread's operations; the load normally stops well before
BETWEEN_FAULTS = 40  # operations finished after the platform is ready again, before the next kill or the end
KILLED = ("spaces", "help", "notifications")
BUFFER = timedelta(minutes=15)
RETRY_FOR_SECONDS = 45
BERLIN_WINTER = timezone(timedelta(hours=1))
# The gateway's reply queues: a reply to a call repeated after a kill waits there for the proxy's next call,
# which drops it. Not an event; counted apart.
REPLY_QUEUES = "rpc.reply-"



class Ledger:
    """Every attempt's status, and every request answered 2xx with what it created."""

    def __init__(self):
        self.lock = threading.Lock()
        self.statuses: Counter = Counter()
        self.answered: list[tuple[str, dict, dict]] = []  # (kind, what was sent, the 2xx body)
        self.finished = 0
        self.in_progress_refusals = 0
        self.outcomes: Counter = Counter()  # (kind, the last status an operation got)
        self.refused: list[tuple[str, dict, dict]] = []  # (kind, what was sent, the final 409 body)

    def send(self, client, kind: str, path: str, body: dict, **context) -> dict | None:
        """POST like a careful client: one Idempotency-Key, repeated on 503 or no answer, for a while."""
        key = str(uuid.uuid4())
        deadline = time.monotonic() + RETRY_FOR_SECONDS
        status = None
        try:
            while True:
                try:
                    response = client.post(path, json=body, headers={"Idempotency-Key": key}, timeout=15)
                    status = response.status_code
                except requests.RequestException:
                    response, status = None, "no answer"
                with self.lock:
                    self.statuses[status] += 1
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

    def created(self, kind: str) -> list[tuple[dict, dict]]:
        return [(sent, body) for k, sent, body in self.answered if k == kind]


def slot(rng, days_from=2):
    start = (datetime.now(BERLIN_WINTER) + timedelta(days=rng.randint(days_from, days_from + 6))).replace(
        hour=rng.randint(0, 22), minute=rng.choice((0, 30)), second=0, microsecond=0)
    return start, start + timedelta(minutes=rng.choice((30, 60, 90)))


def resident_load(ledger, stop, client, me, rooms, help_requests, seed):
    rng = random.Random(seed)
    for round_ in range(MAX_ROUNDS):
        if stop.is_set():
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
                    help_requests.append((created["id"], me))
        else:
            with ledger.lock:
                others = [(rid, owner) for rid, owner in help_requests if owner != me]
            if others:
                request_id, owner = rng.choice(others)
                ledger.send(client, "offer", f"/api/v1/help-requests/{request_id}/offers",
                            {"message": f"Ich helfe gern ({seed}-{round_})"}, request_id=request_id,
                            requester=owner, helper=me)


def organiser_load(ledger, stop, client, me, rooms, seed):
    rng = random.Random(seed)
    for round_ in range(MAX_ROUNDS // 2):
        if stop.is_set():
            return
        ledger.send(client, "notice", "/api/v1/notices",
                    {"title": f"Aushang {round_}", "body": "Bitte lesen.", "audience": "all"}, owner=me)
        start, end = slot(rng)
        ledger.send(client, "booking", "/api/v1/bookings",
                    {"space_id": rng.choice(rooms), "start": start.isoformat(), "end": end.isoformat()}, owner=me)


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


@pytest.fixture
def platform(tmp_path):
    log_dir = ARTIFACTS / "logs" / "chaos-kill"
    log_dir.mkdir(parents=True, exist_ok=True)
    journal = tmp_path / "journal"
    journal.mkdir()
    running = Platform(log_dir, IN_MEMORY_JOURNAL_DIR=str(journal), RPC_TIMEOUT_SECONDS="5").start()
    yield running
    running.stop()


def test_killed_services_lose_no_answered_write_and_consume_every_event_once(platform):
    organiser = platform.organiser()
    organiser_id = organiser.get("/api/v1/members/me").json()["id"]
    residents = [platform.join(organiser, f"resident{n}@example.org", display_name=f"Nachbar {n}")
                 for n in range(RESIDENTS)]
    members = {organiser_id: organiser, **{profile["id"]: client for client, profile in residents}}
    rules = {"open_from": "00:00", "open_until": "00:00", "max_duration_minutes": 600, "max_days_ahead": 60,
             "buffer_minutes": int(BUFFER.total_seconds() // 60)}
    rooms = [organiser.post("/api/v1/spaces", json={"name": name, "capacity": 10, "rules": rules}).json()["id"]
             for name in ("Gemeinschaftsraum", "Werkstatt")]

    # A notice reaches the members the notifications service knows: let it hear of everyone first.
    for member, client in members.items():
        assert eventually(lambda: any(entry["kind"] == "welcome" for entry in every_page(
            client, "/api/v1/notifications")), seconds=30), f"{member} never got a welcome"

    ledger, help_requests, stop = Ledger(), [], threading.Event()
    threads = [threading.Thread(target=resident_load,
                                args=(ledger, stop, client, profile["id"], rooms, help_requests, n))
               for n, (client, profile) in enumerate(residents)]
    threads.append(threading.Thread(target=organiser_load, args=(ledger, stop, organiser, organiser_id, rooms, 99)))
    started = time.monotonic()
    for thread in threads:
        thread.start()

    faults = []
    try:
        for service in (*KILLED, None):
            mark = ledger.finished
            assert eventually(lambda: ledger.finished >= mark + BETWEEN_FAULTS, seconds=120), "the load stalled"
            if service is None:
                break
            platform.kill_service(service)
            faults.append({"service": service, "signal": "SIGKILL", "after_operations": ledger.finished})
            platform.start_service(service)
            platform.wait_until_ready(timeout=60)
            faults[-1]["ready_again_after_operations"] = ledger.finished
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
    total = ledger.finished
    assert not any(thread.is_alive() for thread in threads), "the load did not finish"
    load_seconds = time.monotonic() - started

    # -- every request answered 2xx is stored --------------------------------------------------------------------
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

    # A booking refused because it clashes with itself: a first attempt, killed before it answered, had
    # claimed the time, and the repeat that took over its key ran the command again.
    self_clashes = []
    answered_bookings = {booking["id"] for _, booking in ledger.created("booking")}
    for kind, sent, problem in ledger.refused:
        for clash in problem.get("conflicts", []) if kind == "booking" else []:
            if clash["id"] in answered_bookings:
                continue  # a booking of its own that its client knows about: a fair refusal
            seen = members[sent["owner"]].get(f"/api/v1/bookings/{clash['id']}")
            same_time = (utc(clash["start"]), utc(clash["end"])) == (utc(sent["start"]), utc(sent["end"]))
            if same_time and (seen.status_code == 404 or seen.json().get("member_id") == sent["owner"]):
                self_clashes.append((sent["owner"], clash["id"], seen.status_code))

    # -- every event consumed: the queues drain, nothing is parked ----------------------------------------------
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
    queue_figures = {q["name"]: (q.get("messages"), q.get("messages_unacknowledged")) for q in platform.queues()}
    stray_replies = sum(count or 0 for name, (count, _) in queue_figures.items() if name.startswith(REPLY_QUEUES))
    parked = sum(count or 0 for name, (count, _) in queue_figures.items() if name.startswith("dead-letters."))

    # -- ... and each event's effect is in the inbox it belongs in, once ---------------------------------------
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

    eventually(every_effect_arrived, seconds=60, interval=1)
    found = Counter((member, entry["kind"], entry["link"]) for member, entries in inboxes.items() for entry in entries)
    missing_effects = sorted(key for key, count in expected.items() if found[key] < count)
    duplicates = [(member, key, count) for member, entries in inboxes.items()
                  for key, count in Counter((e["kind"], e["link"], e["title"], e["body"]) for e in entries).items()
                  if count > 1]

    # -- no two bookings of one space overlap ------------------------------------------------------------------------
    overlaps = []
    for room in rooms:
        standing = sorted((utc(b["start"]), utc(b["end"]), b["id"])
                          for b in every_page(organiser, "/api/v1/bookings", space_id=room)
                          if b["status"] in ("confirmed", "pending"))
        overlaps += [(a[2], b[2]) for a, b in zip(standing, standing[1:]) if a[1] + BUFFER > b[0]]

    statuses = ledger.statuses
    unanswered = sum(n for (kind, final), n in ledger.outcomes.items()
                     if final in (503, "no answer", "409 still being processed"))
    figures = {
        "requests sent (attempts)": sum(statuses.values()),
        "operations": total,
        "answered 2xx": sum(n for s, n in statuses.items() if isinstance(s, int) and 200 <= s < 300),
        "answered 4xx": sum(n for s, n in statuses.items() if isinstance(s, int) and 400 <= s < 500),
        "of which 409 still being processed": ledger.in_progress_refusals,
        "answered 503": statuses.get(503, 0),
        "answered other 5xx (server errors)": sum(n for s, n in statuses.items()
                                                  if isinstance(s, int) and s >= 500 and s != 503),
        "no answer": statuses.get("no answer", 0),
        "operations left without an answer": unanswered,
        "bookings refused as clashing with themselves": len(self_clashes),
        "faults injected": len(faults),
        "writes lost (2xx not stored)": len(lost),
        "event effects missing": len(missing_effects),
        "events dead-lettered": parked,
        "stray RPC replies (not events)": stray_replies,
        "queues drained": queues_drained,
        "duplicate notifications": len(duplicates),
        "overlapping bookings": len(overlaps),
        "load seconds": round(load_seconds, 1),
    }
    report = {"figures": figures, "statuses": {str(k): v for k, v in sorted(statuses.items(), key=str)},
              "outcomes": {f"{kind} {final}": n for (kind, final), n in sorted(ledger.outcomes.items(), key=str)},
              "faults": faults, "lost": lost, "self_clashes": self_clashes, "missing_effects": missing_effects[:50],
              "duplicates": duplicates[:50], "overlaps": overlaps, "queues": queue_figures}
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "chaos-kill.json").write_text(json.dumps(report, indent=2, default=str))
    width = max(map(len, figures))
    print("\n" + "\n".join(f"{name:<{width}}  {value}" for name, value in figures.items()))
    print("answers by status:", report["statuses"])
    print("operations by last answer:", report["outcomes"])

    assert not lost, lost
    assert queues_drained, queue_figures
    assert parked == 0, queue_figures
    assert not missing_effects, missing_effects[:20]
    assert not duplicates, duplicates[:20]
    assert not overlaps, overlaps
    assert figures["answered other 5xx (server errors)"] == 0, report["statuses"]
    assert not self_clashes, self_clashes
    assert unanswered == 0, report["outcomes"]  # a repeat gets through once the killed service is back
