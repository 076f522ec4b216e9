"""The care service ("Safe at home") in real Nameko containers on the real RabbitMQ, with the notifications service
telling people, and a clock the test sets instead of waiting for deadlines."""
import contextlib
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import eventlet
import pytest
from nameko.events import event_handler
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_hook, entrypoint_waiter, replace_dependencies

from services.care.models import Alert
from services.care.service import CareService
from services.common.errors import Forbidden, Invalid, NotFound
from services.common.events import new_event
from services.notifications.service import NotificationsService
from tests.support.database import drop_databases

BERLIN = ZoneInfo("Europe/Berlin")
COMMUNITY = "c-altona"


def person(member_id, name, role="resident", **extra):
    return {"member_id": member_id, "community_id": COMMUNITY, "role": role, "display_name": name,
            "timezone": "Europe/Berlin", "preferred_language": "de", **extra}


AYSE = person("ayse", "Ayşe Kaya", phone="040 111", household="Haus B, 2. OG links")
BORA = person("bora", "Bora", phone="040 222", household="Haus A")
CEM = person("cem", "Cem", phone="040 333", household="Haus C")
OLGA = person("olga", "Olga", role="organiser", phone="040 999", household="Büro")
PEOPLE = (AYSE, BORA, CEM, OLGA)
DAY = date(2026, 12, 1)


def berlin(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN).astimezone(timezone.utc)


class SetClock:
    """The time the care service sees: set by the test (services.common.clock.Clock's stand-in)."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


class AlertRecorder:
    """Hears the care service's events. One worker: events of a type are handled in the order they came."""

    name = "alert_recorder"
    heard: list = []

    @event_handler("care", "checkin.recorded")
    def checkin_recorded(self, event):
        self.heard.append(event)

    @event_handler("care", "alert.raised")
    def alert_raised(self, event):
        self.heard.append(event)

    @event_handler("care", "alert.escalated")
    def alert_escalated(self, event):
        self.heard.append(event)

    @event_handler("care", "alert.acknowledged")
    def alert_acknowledged(self, event):
        self.heard.append(event)

    @event_handler("care", "alert.resolved")
    def alert_resolved(self, event):
        self.heard.append(event)


def heard(type_: str) -> list[dict]:
    return [e for e in AlertRecorder.heard if e["type"] == type_ and e["community_id"] == COMMUNITY]


@pytest.fixture
def config(service_config):
    # The timer does not fire by itself during a test: the test runs it when the clock says so.
    return {**service_config, "CHECKIN_TIMER_SECONDS": 3600}


@pytest.fixture
def clock():
    return SetClock(berlin(DAY, 8))


@pytest.fixture
def recorder(container_factory, config):
    AlertRecorder.heard = []
    container = container_factory(AlertRecorder, {**config, "max_workers": 1})
    container.start()
    return container


@pytest.fixture
def notifications(container_factory, config, recorder, database_uri):
    """The notifications service, on a database of its own as in production: it handles member.joined,
    .deactivated and .erased like the care service, each once by `event_id:handler` in its service's ledger
    (`handled_events`); sharing care's database, whichever finished first made the other skip the event (a
    Housemate missing, an erasure not done, under load)."""
    own = {**config, "DATABASE_NAME": f"{config['DATABASE_NAME']}_notifications"}
    container = container_factory(NotificationsService, own)
    container.start()
    yield container
    drop_databases(database_uri, own["DATABASE_NAME"])


def start_care(container_factory, config, clock):
    container = container_factory(CareService, config)
    replace_dependencies(container, clock=clock)
    container.start()
    return container


@pytest.fixture
def care(container_factory, config, clock, notifications):
    return start_care(container_factory, config, clock)


@pytest.fixture
def dispatch(config):
    return event_dispatcher(config)


@pytest.fixture
def house(care, notifications, dispatch):
    """Ayşe, her neighbours Bora and Cem, and Olga the organiser, known to the care and notifications services."""
    for someone in PEOPLE:
        event = new_event("member.joined", community_id=COMMUNITY, occurred_at=datetime.now(timezone.utc), payload={
            "member_id": someone["member_id"], "display_name": someone["display_name"], "phone": someone["phone"],
            "household": someone["household"], "role": someone["role"], "preferred_language": "de",
            "timezone": "Europe/Berlin", "languages": ["de"], "email": None, "active": True})
        with entrypoint_waiter(care, "member_joined", callback=handled(event)), \
                entrypoint_waiter(notifications, "member_joined", callback=handled(event)):
            dispatch("members", "member.joined", event)


def succeeded(worker_ctx, result, exc_info):
    """An entrypoint_waiter callback: the worker finished without an error (a handler that found the database
    busy gives its event back to the queue, and the next delivery is the one to wait for)."""
    return exc_info is None


def handled(event):
    """An entrypoint_waiter callback: this event's handler finished without an error."""
    def done(worker_ctx, result, exc_info):
        return succeeded(worker_ctx, result, exc_info) and worker_ctx.args[0].get("event_id") == event["event_id"]
    return done


def call(container, method, *args, **kwargs):
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


def watch(*containers) -> list[dict]:
    """Run the timer of every container at the same moment."""
    runs = [eventlet.spawn(call, container, "watch") for container in containers]
    return [run.wait() for run in runs]


def inbox(notifications, someone) -> list[dict]:
    """The messages about alerts in someone's inbox, newest first (the welcome message left out)."""
    return [item for item in call(notifications, "inbox", someone, {})["items"] if item["kind"].startswith("checkin")]


def all_heard(recorder, dispatch, type_: str) -> list[dict]:
    """Every event of `type_` published so far, once the recorder has them all: a marker of the same type is
    sent after them through the same queue, and it arrives last."""
    marker = new_event(type_, community_id="marker", occurred_at=datetime.now(timezone.utc),
                       payload={"notify": [], "alerted": []})

    def arrived(worker, result, exc):
        return any(e["event_id"] == marker["event_id"] for e in AlertRecorder.heard)

    with entrypoint_waiter(recorder, type_.replace(".", "_"), callback=arrived, timeout=20):
        dispatch("care", type_, marker)
    return heard(type_)


def switch_on(care, *, buddies=("bora", "cem"), grace=30, escalation=15):
    settings = call(care, "set_settings", AYSE, {"enabled": True, "daily_by": "10:00", "grace_minutes": grace,
                                                 "escalation_minutes": escalation, "buddies": list(buddies)})
    for buddy in (BORA, CEM, OLGA):
        for request in call(care, "buddy_requests", buddy)["items"]:
            call(care, "accept_buddy_request", buddy, request["id"])
    return settings


def test_one_missed_deadline_raises_one_alert_and_one_message_per_step_with_two_instances(
        container_factory, config, clock, care, notifications, recorder, dispatch, house):
    switch_on(care)
    call(care, "set_sheet", AYSE, {"contacts": [{"name": "Deniz Kaya", "phone": "0171 5550123", "relation": "Sohn"}],
                                   "medication_location": "Küche, oberste Schublade", "readers": []})
    second = start_care(container_factory, config, clock)

    clock.set(berlin(DAY, 10, 30))  # 10:00 + 30 minutes of grace
    with entrypoint_waiter(notifications, "alert_raised", callback=succeeded):
        first_runs = watch(care, second)
    raised = all_heard(recorder, dispatch, "alert.raised")
    assert len(raised) == 1 and raised[0]["payload"]["notify"] == ["bora"]
    assert sum(run["alerts"] for run in first_runs) == 1 and sum(run["steps"] for run in first_runs) == 1
    assert raised[0]["payload"]["phone"] == "040 111" and raised[0]["payload"]["household"] == "Haus B, 2. OG links"
    (message,) = inbox(notifications, BORA)
    assert message["kind"] == "checkin_alert" and message["urgent"]
    assert "Ayşe Kaya" in message["title"] and "040 111" in message["body"] and "Haus B" in message["body"]
    assert inbox(notifications, CEM) == []

    assert watch(care, second) == [{"deadlines": 0, "alerts": 0, "steps": 0}] * 2  # nothing due before 10:45

    clock.advance(minutes=15)
    with entrypoint_waiter(notifications, "alert_escalated", callback=succeeded):
        watch(care, second)
    escalated = all_heard(recorder, dispatch, "alert.escalated")
    assert [e["payload"]["notify"] for e in escalated] == [["cem"]]
    assert [m["kind"] for m in inbox(notifications, CEM)] == ["checkin_alert"]
    assert len(inbox(notifications, BORA)) == 1

    alert_id = raised[0]["payload"]["alert_id"]
    with entrypoint_waiter(notifications, "alert_acknowledged", callback=succeeded):
        looked_after = call(care, "acknowledge_alert", CEM, alert_id)
    assert looked_after["status"] == "acknowledged" and looked_after["acknowledged_by"] == "cem"
    assert [m["kind"] for m in inbox(notifications, BORA)] == ["checkin_alert_acknowledged", "checkin_alert"]

    clock.advance(minutes=15)  # the organisers' turn, had nobody acknowledged
    watch(care, second)
    assert len(all_heard(recorder, dispatch, "alert.escalated")) == 1
    assert inbox(notifications, OLGA) == []

    sheet = call(second, "read_sheet", CEM, "ayse")
    assert sheet["medication_location"] == "Küche, oberste Schublade"
    for not_looking_after in (BORA, OLGA):
        with pytest.raises(Forbidden):
            call(care, "read_sheet", not_looking_after, "ayse")

    seen = call(care, "get_alert", OLGA, alert_id)
    assert [(e["step"], e["who"]) for e in seen["timeline"]] == [
        ("raised", None), ("notified", "bora"), ("notified", "cem"), ("acknowledged", "cem")]
    assert seen["display_name"] == "Ayşe Kaya" and seen["phone"] == "040 111"

    with entrypoint_waiter(notifications, "alert_resolved", callback=succeeded):
        call(care, "resolve_alert", CEM, alert_id, {"outcome": "fine", "note": "Sie hatte das Handy verlegt."})
    assert inbox(notifications, BORA)[0]["kind"] == "checkin_alert_closed"
    with pytest.raises(Forbidden):
        call(care, "read_sheet", CEM, "ayse")

    reads = call(care, "sheet_reads", AYSE, {})["items"]
    assert [(r["member_id"], r["display_name"], r["during_alert"]) for r in reads] == [("cem", "Cem", True)]
    assert len(heard("alert.raised")) == 1


def test_a_late_check_in_resolves_the_alert_and_everyone_told_gets_the_all_clear(
        clock, care, notifications, recorder, dispatch, house):
    switch_on(care)
    clock.set(berlin(DAY, 10, 31))
    with entrypoint_waiter(notifications, "alert_raised", callback=succeeded):
        watch(care)
    assert call(care, "get_settings", AYSE)["today"]["status"] == "missed"

    clock.set(berlin(DAY, 10, 50))
    with entrypoint_waiter(notifications, "alert_resolved", callback=succeeded):
        assert call(care, "check_in", AYSE, {}) == {"at": "2026-12-01T09:50:00Z"}

    (resolved,) = all_heard(recorder, dispatch, "alert.resolved")
    assert resolved["payload"]["outcome"] == "checked_in" and resolved["payload"]["alerted"] == ["bora"]
    assert [m["kind"] for m in inbox(notifications, BORA)] == ["checkin_all_clear", "checkin_alert"]
    alert = call(care, "get_alert", BORA, resolved["payload"]["alert_id"])
    assert alert["status"] == "resolved" and alert["actions"] == []
    today = call(care, "get_settings", AYSE)["today"]
    assert today == {"day": "2026-12-01", "status": "done", "done_at": "2026-12-01T09:50:00Z"}
    clock.advance(hours=2)
    assert watch(care)[0]["steps"] == 0  # no escalation of a resolved alert


def test_a_check_in_racing_the_deadline_cancels_the_alert_before_anyone_is_told(
        clock, care, notifications, recorder, dispatch, house):
    from services.care import commands
    from services.care.repository import CareRepository

    switch_on(care)
    clock.set(berlin(DAY, 10, 30))
    repo = CareRepository()
    # The timer has just stored the day's alert when the check-in arrives, before the alert is raised.
    assert commands.look_at_deadline(repo, repo.settings("ayse"), clock()) == 1
    call(care, "check_in", AYSE, {})
    assert watch(care)[0]["steps"] == 0

    assert Alert.objects(id="ayse:2026-12-01").first().status == "cancelled"
    assert all_heard(recorder, dispatch, "alert.raised") == []
    assert call(care, "list_alerts", OLGA, {})["items"] == []
    assert inbox(notifications, BORA) == []


def test_no_alert_when_checked_in_in_time_away_or_without_an_accepted_buddy(clock, care, house):
    switch_on(care)
    clock.set(berlin(DAY, 9, 15))
    call(care, "check_in", AYSE, {})
    assert call(care, "get_settings", AYSE)["today"]["status"] == "done"
    clock.set(berlin(DAY, 11))
    assert watch(care)[0] == {"deadlines": 1, "alerts": 0, "steps": 0}

    call(care, "set_away", AYSE, {"from": "2026-12-02", "until": "2026-12-03"})
    assert call(care, "get_settings", AYSE)["away"] == {"from": "2026-12-02", "until": "2026-12-03"}
    clock.set(berlin(DAY + timedelta(days=2), 11))
    assert call(care, "get_settings", AYSE)["today"]["status"] == "away"
    assert watch(care)[0] == {"deadlines": 2, "alerts": 0, "steps": 0}

    call(care, "clear_away", AYSE)
    for request in call(care, "buddy_requests", BORA)["items"] + call(care, "buddy_requests", CEM)["items"]:
        call(care, "decline_buddy_request", BORA if request["id"].endswith(":bora") else CEM, request["id"])
    assert [b["accepted"] for b in call(care, "get_settings", AYSE)["buddies"]] == [False, False]
    clock.set(berlin(DAY + timedelta(days=3), 11))
    assert watch(care)[0] == {"deadlines": 1, "alerts": 0, "steps": 0}
    assert call(care, "list_alerts", OLGA, {})["items"] == []


def test_on_the_night_the_clocks_go_back_a_0230_deadline_raises_one_alert(clock, care, notifications, house):
    clock.set(datetime(2026, 10, 24, 12, 0, tzinfo=timezone.utc))
    call(care, "set_settings", AYSE, {"enabled": True, "daily_by": "02:30", "grace_minutes": 0,
                                      "escalation_minutes": 240, "buddies": ["bora"]})
    call(care, "accept_buddy_request", BORA, "ayse:bora")

    clock.set(datetime(2026, 10, 25, 0, 30, tzinfo=timezone.utc))  # 02:30 summer time, the first of the two
    with entrypoint_waiter(notifications, "alert_raised", callback=succeeded):
        assert watch(care)[0]["alerts"] == 1
    clock.set(datetime(2026, 10, 25, 1, 30, tzinfo=timezone.utc))  # 02:30 winter time: the same day, no second
    assert watch(care)[0] == {"deadlines": 0, "alerts": 0, "steps": 0}
    assert [a["day"] for a in call(care, "list_alerts", OLGA, {})["items"]] == ["2026-10-25"]


def test_a_deactivated_resident_stops_checking_in_their_alert_closes_and_their_sheet_is_erased(
        clock, care, notifications, dispatch, house):
    switch_on(care)
    call(care, "set_sheet", AYSE, {"contacts": [], "readers": ["bora"]})
    clock.set(berlin(DAY, 10, 30))
    with entrypoint_waiter(notifications, "alert_raised", callback=succeeded):
        watch(care)

    gone = new_event("member.deactivated", community_id=COMMUNITY, occurred_at=datetime.now(timezone.utc),
                     payload={"member_id": "ayse"})
    with entrypoint_waiter(notifications, "alert_resolved", callback=succeeded), \
            entrypoint_waiter(care, "member_deactivated", callback=handled(gone)):
        dispatch("members", "member.deactivated", gone)

    (alert,) = call(care, "list_alerts", OLGA, {})["items"]
    assert (alert["status"], alert["outcome"]) == ("resolved", "member_left")
    assert call(care, "get_settings", AYSE)["enabled"] is False
    with pytest.raises(Forbidden):
        call(care, "read_sheet", BORA, "ayse")
    clock.advance(days=1)
    assert watch(care)[0] == {"deadlines": 0, "alerts": 0, "steps": 0}


def erase(care, notifications, dispatch, member_id, *also_waiting_for):
    erased = new_event("member.erased", community_id=COMMUNITY, occurred_at=datetime.now(timezone.utc),
                       payload={"member_id": member_id})
    with contextlib.ExitStack() as waiting:
        for waiter in (entrypoint_waiter(care, "member_erased", callback=handled(erased)),
                       entrypoint_waiter(notifications, "member_erased", callback=handled(erased)),
                       *(entrypoint_waiter(notifications, handler, callback=succeeded)
                         for handler in also_waiting_for)):
            waiting.enter_context(waiter)
        dispatch("members", "member.erased", erased)


def test_erasure_leaves_no_check_in_data_and_takes_the_flat_and_phone_out_of_the_alerts_told(
        clock, care, notifications, dispatch, house):
    switch_on(care)
    call(care, "set_sheet", AYSE, {"contacts": [], "allergies": "Penicillin", "readers": ["cem"]})
    call(care, "set_sheet", CEM, {"contacts": [], "readers": ["bora"]})
    call(care, "read_sheet", CEM, "ayse")
    clock.set(berlin(DAY, 10, 30))
    with entrypoint_waiter(notifications, "alert_raised", callback=succeeded):
        watch(care)
    assert "040 111" in inbox(notifications, BORA)[0]["body"]

    erase(care, notifications, dispatch, "ayse", "alert_resolved")

    export = call(care, "export_member", AYSE)
    assert export["check_in"]["enabled"] is False and export["check_in"]["buddies"] == []
    assert export["check_ins"] == [] and export["emergency_sheet"]["contacts"] == []
    assert export["emergency_sheet"]["allergies"] is None and export["emergency_sheet_reads"] == []
    (alert,) = call(care, "list_alerts", OLGA, {})["items"]
    assert (alert["status"], alert["outcome"], alert["display_name"], alert["phone"]) == (
        "resolved", "member_left", None, None)
    told = inbox(notifications, BORA)[-1]
    assert told["kind"] == "checkin_alert" and "Ayşe" not in told["title"] + told["body"]
    assert "040 111" not in told["body"] and "Haus B" not in told["body"]

    erase(care, notifications, dispatch, "bora")
    assert call(care, "get_own_sheet", CEM)["readers"] == []  # an erased member reads no sheet any more


def test_the_export_holds_settings_check_ins_alerts_and_sheet_reads(clock, care, notifications, house):
    switch_on(care)
    call(care, "set_sheet", AYSE, {"contacts": [], "allergies": "Penicillin", "readers": ["bora"]})
    call(care, "check_in", AYSE, {})
    call(care, "read_sheet", BORA, "ayse")
    clock.set(berlin(DAY + timedelta(days=1), 10, 30))
    with entrypoint_waiter(notifications, "alert_raised", callback=succeeded):
        watch(care)

    export = call(care, "export_member", AYSE)

    assert export["check_in"]["enabled"] is True
    assert export["check_ins"] == [{"at": "2026-12-01T07:00:00Z", "acted_by": None, "recorded": False, "note": None}]
    assert [a["day"] for a in export["alerts"]] == ["2026-12-02"]
    assert export["emergency_sheet"]["allergies"] == "Penicillin"
    assert [(r["member_id"], r["during_alert"]) for r in export["emergency_sheet_reads"]] == [("bora", False)]
    assert call(care, "export_member", BORA)["emergency_sheets_read"][0]["member_id"] == "ayse"


def test_bad_input_is_refused_with_the_field_at_fault(care, house):
    with pytest.raises(Invalid) as refused:
        call(care, "set_settings", AYSE, {"enabled": True, "daily_by": "25:00", "buddies": ["ayse"]})
    assert "daily_by" in refused.value.errors
    with pytest.raises(Invalid) as refused:
        call(care, "set_settings", AYSE, {"enabled": True, "daily_by": "10:00", "buddies": ["ayse", "nobody"]})
    assert len(refused.value.errors["buddies"]) == 2
    with pytest.raises(Invalid):
        call(care, "set_away", AYSE, {"from": "2026-12-05", "until": "2026-12-04"})
    with pytest.raises(Invalid):
        call(care, "resolve_alert", BORA, "ayse:2026-12-01", {"outcome": "all good"})
    with pytest.raises(NotFound):
        call(care, "get_alert", BORA, {"$gt": ""})
    with pytest.raises(NotFound):
        call(care, "read_sheet", {**BORA, "community_id": "c-park"}, "ayse")


def test_a_whole_house_at_one_deadline_is_looked_at_in_bulk_once(clock, care, config):
    """250 residents due at 10:30 (more than two `$in` chunks of the repository's bulk queries): exactly those
    who missed it get an alert; not those who checked in, are away, or whose buddies are of another house
    or gone; everyone moves on to the next day, and a second run finds nothing."""
    import pymongo

    residents, other_house = 250, "c-elsewhere"
    ids = [f"r{number}" for number in range(residents)]
    due_at = berlin(DAY, 10, 30)
    missed = {ids[number] for number in range(0, residents, 10)}
    checked_in = set(ids) - missed
    away, foreign_buddies, buddies_gone = ids[20], ids[40], ids[60]
    with pymongo.MongoClient(config["MONGODB_URI"]) as client:
        db = client[config["DATABASE_NAME"]]
        db.neighbours.insert_many(
            [{"_id": member, "community_id": COMMUNITY, "display_name": member, "role": "resident",
              "active": member != ids[61]} for member in ids]
            + [{"_id": "far", "community_id": other_house, "role": "resident", "active": True}])
        settings, requests = [], []
        for number, member in enumerate(ids):
            buddies = ["far"] if member == foreign_buddies else [ids[(number + 1) % residents]]
            settings.append({"_id": member, "community_id": COMMUNITY, "enabled": True, "daily_by": "10:00",
                             "grace_minutes": 30, "escalation_minutes": 15, "buddies": buddies,
                             "timezone": "Europe/Berlin", "due_day": DAY.isoformat(), "due_at": due_at, "version": 0,
                             **({"away_from": DAY.isoformat(), "away_until": DAY.isoformat()} if member == away
                                else {})})
            requests += [{"_id": f"{member}:{buddy}", "community_id": COMMUNITY, "member_id": member,
                          "buddy_id": buddy, "status": "accepted", "asked_at": due_at} for buddy in buddies]
        db.buddy_requests.insert_many(requests)
        db.checkins.insert_many([{"_id": f"in-{member}", "community_id": COMMUNITY, "member_id": member,
                                  "at": berlin(DAY, 9, 55), "outbox": []} for member in checked_in]
                                + [{"_id": "yesterday", "community_id": COMMUNITY, "member_id": ids[0],
                                    "at": berlin(DAY - timedelta(days=1), 9, 0), "outbox": []}])
        db.checkin_settings.insert_many(settings)

        clock.set(due_at)
        alerting = missed - {away, foreign_buddies, buddies_gone}
        assert watch(care)[0] == {"deadlines": residents, "alerts": len(alerting), "steps": len(alerting)}
        assert {a["member_id"] for a in db.alerts.find()} == alerting
        assert db.checkin_settings.count_documents({"due_day": (DAY + timedelta(days=1)).isoformat(),
                                                    "due_at": berlin(DAY + timedelta(days=1), 10, 30)}) == residents
        assert watch(care)[0] == {"deadlines": 0, "alerts": 0, "steps": 0}
