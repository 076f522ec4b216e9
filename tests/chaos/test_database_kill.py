"""`make chaos`: the database server goes away under load (SIGKILL, later a clean stop) and comes back.

Residents book rooms, ask for and offer help, and an organiser publishes notices and books, from several
threads through the gateway (the load of tests/chaos/load.py: one Idempotency-Key per operation, repeated on a
503). The platform runs on a database server of this test's own, on a fixed port and folder, so that it can
be killed and started again where the services expect it. Mid-load the server is killed with SIGKILL (nothing
flushed but its journal), and after more load stopped with SIGTERM; each time it stays away for a while and is
started again. The services are never restarted. Measured and held to:

- while the database is away every answer is a 503 problem document (application/problem+json) or a normal
  answer, never another 5xx, and each comes within the RPC timeout + 2 s: no worker hangs on the database,
  no request waits for a connection pool that never frees up; readiness says 503 as well;
- no service process is restarted or exits: the same PIDs run from start to end;
- the services' AMQP connections (the vhost's connections in the management API, told apart by the client
  ports each service process holds) are the same connections before and after: none was closed for missed
  heartbeats and opened again, so no green thread held a service's event loop while the database was away
  (the services run with a heartbeat of HEARTBEAT seconds here, and each outage lasts three; a service
  process frozen with SIGSTOP for as long does lose its consumer connection, and this check sees it);
- once the server answers again, /readyz is 200 and a booking succeeds within 10 s, by itself;
- when the load is over: every 2xx is found through the API (0 acknowledged writes lost) and nothing is
  stored twice, every event is consumed once (queues drained, effects in the inboxes, 0 duplicate
  notifications), no two bookings of one space overlap, and every operation got its answer in the end (a
  claim on an Idempotency-Key that a worker left "running" when the database went away would hold its
  repeats back with 409 "still being processed": such claims are counted from the databases).

The figures are printed as a table and written to test-artifacts/chaos-database.json; the platform's logs go
to test-artifacts/logs/chaos-database, the server's beside its data in the test's temporary folder.
"""
import os
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pymongo
import pytest
import requests

from scripts.embedded_db import EmbeddedDatabase
from tests.chaos.load import (
    BERLIN_WINTER, PROBLEM, Ledger, Load, assert_audit, audit, audit_details, audit_figures, community, log_dir,
    report,
)
from tests.support.processes import SERVICES, Platform, eventually

pytestmark = pytest.mark.chaos

RPC_TIMEOUT = 5
ANSWER_WITHIN = RPC_TIMEOUT + 2
HEARTBEAT = 5  # seconds; RabbitMQ closes a connection that has been silent for one to two of them
OUTAGE_SECONDS = 3 * HEARTBEAT  # the least an outage lasts: a service whose loop it blocked would miss heartbeats
READY_WITHIN = 10
BETWEEN_FAULTS = 30  # operations finished after the platform is ready again, before the next fault or the end
FAULTS = ("SIGKILL", "SIGTERM")
AMQP_PORT = 5672


@pytest.fixture
def database(tmp_path):
    """A database server of this test's own: it is killed and started again on the same port and folder."""
    server = EmbeddedDatabase(tmp_path / "database").start()
    yield server
    server.stop()


@pytest.fixture
def platform(database):
    running = Platform(log_dir("chaos-database"), database.uri, RPC_TIMEOUT_SECONDS=str(RPC_TIMEOUT),
                       AMQP_HEARTBEAT=str(HEARTBEAT)).start()
    yield running
    if database.process.poll() is not None:  # a failed test may leave it down; the platform drops its databases
        database.start()
    running.stop()


# -- what the service processes are -------------------------------------------------------------------------------
def service_processes(platform) -> dict[str, int]:
    """Each running service process (spaces, help#2, ...) by its PID; the gateway is not a service."""
    return {key: platform.processes[key].pid for name in SERVICES for key in platform.processes_of(name)
            if platform.processes[key].poll() is None}


def broker_ports(pid: int) -> set[int]:
    """The local ports of the process's TCP connections to the broker (from /proc: its sockets' inodes, then
    the kernel's TCP table)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:["):-1])
    ports = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            local, remote, inode = fields[1], fields[2], fields[9]
            if inode in inodes and int(remote.rsplit(":", 1)[1], 16) == AMQP_PORT:
                ports.add(int(local.rsplit(":", 1)[1], 16))
    return ports


def service_connections(platform) -> dict[str, dict]:
    """The services' AMQP connections on the platform's vhost, by the broker's name for them."""
    process_of_port = {port: key for key, pid in service_processes(platform).items() for port in broker_ports(pid)}
    response = requests.get(f"{platform.rabbit_api}/api/vhosts/{quote(platform.vhost, safe='')}/connections",
                            timeout=10)
    response.raise_for_status()
    return {c["name"]: {"process": process_of_port[c["peer_port"]], "connected_at": c.get("connected_at"),
                        "heartbeat": c.get("timeout")}
            for c in response.json() if c.get("peer_port") in process_of_port}


def connections_of_every_process(platform) -> dict[str, dict]:
    """`service_connections` once it holds a connection with heartbeats (the consumer's) of every service
    process: the management API lists a new connection only after its first statistics interval."""
    def complete():
        found = service_connections(platform)
        beating = {seen["process"] for seen in found.values() if seen["heartbeat"]}
        return found if beating >= set(service_processes(platform)) else None

    return eventually(complete, seconds=30, interval=0.5) or service_connections(platform)


def claims_left_running(platform) -> list[dict]:
    """Idempotency claims still "running" in the services' databases once every operation has finished: each
    holds back the repeats of its request ("still being processed") for as long as it stays."""
    with pymongo.MongoClient(platform.database_uri, serverSelectionTimeoutMS=5000, tz_aware=True) as client:
        return [{"database": name, **claim, "owner last seen": (client[name].processes.find_one(
                    {"_id": claim.get("owner")}) or {}).get("seen_at")}
                for name in platform.databases.values()
                for claim in client[name].idempotency_keys.find({"state": "running"}, {"result": 0})]


# -- the probes ------------------------------------------------------------------------------------------------------
def timed(request) -> tuple[requests.Response | None, float]:
    began = time.monotonic()
    try:
        answer = request()
    except requests.RequestException:
        answer = None
    return answer, time.monotonic() - began


def probe_while_down(platform, organiser) -> dict:
    """Readiness and a read while the database is away: 503 problem documents, each within the RPC timeout."""
    found = {}
    for what, request in (("/readyz", lambda: platform.client().get("/readyz", timeout=3 * RPC_TIMEOUT)),
                          ("GET /api/v1/spaces", lambda: organiser.get("/api/v1/spaces", timeout=3 * RPC_TIMEOUT))):
        answer, took = timed(request)
        found[what] = {"status": answer.status_code if answer is not None else "no answer",
                       "content_type": answer.headers.get("Content-Type", "") if answer is not None else "",
                       "seconds": round(took, 2)}
    return found


def ready_and_booking(platform, place, ledger, fault: int, deadline: float) -> float | None:
    """Poll /readyz until it is 200, then book until a booking is answered 201 (each attempt a fresh key and a
    time of its own, far from the load's); the moment it succeeded, or None by the deadline."""
    first = (datetime.now(BERLIN_WINTER) + timedelta(days=20 + 3 * fault)).replace(
        hour=0, minute=0, second=0, microsecond=0)
    attempt = 0
    while time.monotonic() < deadline:
        ready, _ = timed(lambda: platform.client().get("/readyz", timeout=RPC_TIMEOUT + 2))
        if ready is not None and ready.status_code == 200:
            start = first + timedelta(hours=attempt)
            attempt += 1
            body = {"space_id": place.rooms[0], "start": start.isoformat(),
                    "end": (start + timedelta(minutes=30)).isoformat(), "purpose": f"Probe {fault}"}
            booked, _ = timed(lambda: place.organiser.post("/api/v1/bookings", json=body, timeout=RPC_TIMEOUT + 2,
                                                           headers={"Idempotency-Key": str(uuid.uuid4())}))
            if booked is not None and booked.status_code == 201:
                ledger.record_created("booking", {**body, "owner": place.organiser_id}, booked.json())
                return time.monotonic()
        time.sleep(0.2)  # polling a restart: there is no event to wait on
    return None


def test_the_database_server_dies_under_load_requests_answer_503_and_everything_recovers_by_itself(
        platform, database):
    place = community(platform)
    ledger = Ledger()
    load = Load(ledger, place).start()

    processes_before = service_processes(platform)
    faults, connections_before = [], {}
    try:
        for number, signal_name in enumerate(FAULTS):
            load.after_more(BETWEEN_FAULTS)
            connections_before = connections_before or connections_of_every_process(platform)
            fault = {"signal": signal_name, "after_operations": ledger.finished}
            began = time.monotonic()
            if signal_name == "SIGKILL":
                database.kill()
            else:
                database.stop()
            down = time.monotonic()
            fault["stopping took (s)"] = round(down - began, 1)
            fault["probes while down"] = probe_while_down(platform, place.organiser)
            # The outage lasts until the load has met it, and long enough that a service whose event loop it
            # blocked would miss its heartbeats: this is the fault, not a wait for an event.
            assert eventually(lambda: ledger.between(down, float("inf"))[503] >= 5
                              and time.monotonic() - down >= OUTAGE_SECONDS, seconds=60), "the load met no outage"
            restarting = time.monotonic()
            database.start()
            back = time.monotonic()
            fault["database away (s)"] = round(back - down, 1)
            fault["restart took (s)"] = round(back - restarting, 1)
            recovered = ready_and_booking(platform, place, ledger, number, deadline=back + 60)
            fault["ready and booking after (s)"] = round(recovered - back, 1) if recovered else None
            fault["answers while away"] = {str(k): v for k, v in sorted(ledger.between(down, back).items(), key=str)}
            faults.append(fault)
        load.after_more(BETWEEN_FAULTS)
    finally:
        load_seconds = load.stop()
    connections_after = service_connections(platform)
    processes_after = service_processes(platform)

    found = audit(platform, place, ledger)
    claims = claims_left_running(platform)

    renewed = sorted(name for name, seen in connections_before.items() if connections_after.get(name) != seen)
    beating = {seen["process"] for seen in connections_before.values() if seen["heartbeat"]}
    probes = [probe for fault in faults for probe in fault["probes while down"].values()]
    improper_probes = [p for p in probes if p["status"] != 503 or not p["content_type"].startswith(PROBLEM)
                       or p["seconds"] > ANSWER_WITHIN]
    recoveries = [fault["ready and booking after (s)"] for fault in faults]
    slow = ledger.slower_than(ANSWER_WITHIN)
    figures = {
        **ledger.figures(),
        "faults injected": len(faults),
        "answers while the database was away": sum(sum(f["answers while away"].values()) for f in faults),
        "of which 503": sum(f["answers while away"].get("503", 0) for f in faults),
        f"answers slower than the RPC timeout + 2 s ({ANSWER_WITHIN} s)": len(slow),
        "slowest answer (s)": max((round(end - start, 1) for start, end, _ in ledger.attempts), default=0),
        "503 answers that are no problem document": len(ledger.improper),
        "probes while away not a prompt 503 problem": len(improper_probes),
        "database away (s)": [f["database away (s)"] for f in faults],
        "ready and booking after restart (s)": recoveries,
        "service processes restarted or gone": len(set(processes_before.items()) - set(processes_after.items())),
        "service AMQP connections (with heartbeats)": "{} ({})".format(
            len(connections_before), sum(1 for seen in connections_before.values() if seen["heartbeat"])),
        "service AMQP connections renewed": len(renewed),
        **audit_figures(found),
        "idempotency claims left running": len(claims),
        "load seconds": round(load_seconds, 1),
    }
    details = {**audit_details(found, ledger), "faults": faults, "slow answers (s)": slow,
               "improper 503s": ledger.improper, "processes before": processes_before,
               "processes after": processes_after, "connections before": connections_before,
               "connections after": connections_after, "renewed connections": renewed,
               "claims left running": claims}
    report("chaos-database", figures, details)

    assert len(faults) == len(FAULTS)
    assert not improper_probes, faults
    assert all(r is not None and r <= READY_WITHIN for r in recoveries), faults
    assert processes_after == processes_before, (processes_before, processes_after)
    assert beating == set(processes_before), connections_before  # each process's consumer is watched
    assert not renewed, (connections_before, connections_after)
    assert not ledger.improper, ledger.improper
    assert not slow, slow
    assert ledger.statuses.get("no answer", 0) == 0, details["statuses"]
    assert_audit(found, ledger, details)
