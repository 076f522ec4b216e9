"""The care service's commands on a unit of work in memory: switching the check-in on, buddies, the timer that
raises and escalates one alert a missed day, acknowledging and resolving it, check-ins that settle it, the
emergency sheet and who reads it, members who leave."""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from services.care import commands
from services.care.models import Alert, BuddyRequest, CheckIn, CheckInSettings, EmergencySheet, SheetRead
from services.common.errors import Conflict, Forbidden, Invalid, NotFound
from tests.support.fakes import FakeUnitOfWork, done, fresh
from tests.support.fakes.care import FakeCareRepository

BERLIN = ZoneInfo("Europe/Berlin")
COMMUNITY = "altona"
DAY = date(2026, 12, 1)


def person(member_id: str, name: str, role: str = "resident") -> dict:
    return {"member_id": member_id, "community_id": COMMUNITY, "role": role, "display_name": name,
            "timezone": "Europe/Berlin"}


AYSE, BORA, CEM, OLGA = person("ayse", "Ayşe"), person("bora", "Bora"), person("cem", "Cem"), person(
    "olga", "Olga", "organiser")
ALERT_ID = "ayse:2026-12-01"


def berlin(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN).astimezone(timezone.utc)


def joined(actor: dict) -> dict:
    member_id = actor["member_id"]
    return {"event_id": f"joined-{member_id}", "type": "member.joined", "community_id": COMMUNITY,
            "payload": {"member_id": member_id, "display_name": actor["display_name"], "phone": f"040 {member_id}",
                        "household": f"Haus {actor['display_name']}", "role": actor["role"], "active": True}}


@pytest.fixture
def uow():
    unit = FakeUnitOfWork(FakeCareRepository())
    for actor in (AYSE, BORA, CEM, OLGA):
        done(unit, commands.remember_member, joined(actor))
    return unit


def switch_on(uow, buddies=("bora", "cem"), accepting=("bora", "cem")) -> dict:
    """Ayşe checks in by 10:00 (30 minutes of grace, 15 between steps); the buddies named accept."""
    settings = done(uow, commands.set_settings, AYSE, {"enabled": True, "daily_by": "10:00", "grace_minutes": 30,
                                                       "escalation_minutes": 15, "buddies": list(buddies)},
                    berlin(8))
    for buddy in (BORA, CEM):
        if buddy["member_id"] in accepting:
            done(uow, commands.answer_buddy_request, buddy, f"ayse:{buddy['member_id']}", accept=True, now=berlin(8))
    return settings


def raised(uow) -> dict:
    """The timer at 10:30, when Ayşe has not checked in: the alert is raised, Bora told."""
    switch_on(uow)
    return done(uow, commands.watch, berlin(10, 30))


def stored_alert(uow) -> Alert:
    return uow.repository.stored(Alert, ALERT_ID)


# -- settings and buddies ----------------------------------------------------------------------------------------
def test_switching_on_stores_the_settings_and_asks_the_buddies_in_one_unit_of_work(uow):
    settings = commands.set_settings(uow, AYSE, {"enabled": True, "daily_by": "10:00", "buddies": ["bora", "cem"]},
                                     berlin(8))
    assert uow.commits == 1 and uow.events() == ["buddy.asked", "buddy.asked"]  # each neighbour asked is told
    assert [(b["member_id"], b["status"], b["accepted"]) for b in settings["buddies"]] == [
        ("bora", "asked", False), ("cem", "asked", False)]
    assert settings["today"] == {"day": "2026-12-01", "status": "due", "done_at": None}
    stored = uow.repository.settings("ayse")
    assert (stored.due_day, stored.due_at) == ("2026-12-01", berlin(11))  # 10:00 + 60 minutes of grace
    asked = commands.buddy_requests(fresh(uow), BORA)["items"]
    assert [(r["id"], r["display_name"], r["status"]) for r in asked] == [("ayse:bora", "Ayşe", "asked")]


def test_only_accepted_buddies_count_and_one_no_longer_named_is_withdrawn(uow):
    switch_on(uow, accepting=("cem",))
    assert [b["accepted"] for b in commands.get_settings(fresh(uow), AYSE, berlin(9))["buddies"]] == [False, True]
    with pytest.raises(Forbidden):
        commands.answer_buddy_request(fresh(uow), CEM, "ayse:bora", accept=True, now=berlin(9))

    done(uow, commands.set_settings, AYSE, {"enabled": True, "daily_by": "10:00", "buddies": ["cem"]}, berlin(9))
    assert uow.repository.stored(BuddyRequest, "ayse:bora").status == "withdrawn"
    assert commands.buddy_requests(fresh(uow), BORA)["items"] == []
    with pytest.raises(Conflict) as refused:
        commands.answer_buddy_request(fresh(uow), BORA, "ayse:bora", accept=True, now=berlin(9))
    assert refused.value.extra == {"current_status": "withdrawn"}


def test_bad_settings_are_refused_field_by_field_and_nothing_is_written(uow):
    with pytest.raises(Invalid) as refused:
        commands.set_settings(uow, AYSE, {"enabled": True, "daily_by": "10:00", "buddies": ["ayse", "nobody"]},
                              berlin(8))
    assert refused.value.detail == "Some fields are not valid." and len(refused.value.errors["buddies"]) == 2
    assert uow.commits == 0 and uow.repository.all(CheckInSettings) == []
    with pytest.raises(Invalid) as past:
        commands.set_away(uow, AYSE, {"from": "2026-11-20", "until": "2026-11-30"}, berlin(8))
    assert past.value.detail == "These days have passed already." and list(past.value.errors) == ["until"]


def test_settings_read_before_another_change_are_not_written(uow):
    switch_on(uow)
    read_before = uow.repository.settings("ayse")
    done(uow, commands.set_away, AYSE, {"from": "2026-12-02", "until": "2026-12-03"}, berlin(9))
    read_before.enabled = False
    with pytest.raises(Conflict):
        uow.save_and_commit(read_before)
    assert uow.repository.settings("ayse").enabled and uow.repository.settings("ayse").away_from == "2026-12-02"


# -- the timer ---------------------------------------------------------------------------------------------------------
def test_a_missed_deadline_raises_one_alert_however_often_the_timer_runs(uow):
    switch_on(uow)
    assert commands.watch(uow, berlin(10, 30)) == {"deadlines": 1, "alerts": 1, "steps": 1}
    assert uow.events() == ["alert.raised"]
    payload = uow.outbox.published[0]["payload"]
    assert (payload["notify"], payload["phone"], payload["household"]) == (["bora"], "040 ayse", "Haus Ayşe")

    again = fresh(uow)
    assert commands.watch(again, berlin(10, 30)) == {"deadlines": 0, "alerts": 0, "steps": 0}
    assert again.events() == []


def test_of_two_instances_taking_the_same_step_only_one_tells_anybody(uow):
    switch_on(uow)
    settings = uow.repository.settings("ayse")
    assert commands.look_at_deadline(uow.repository, settings, berlin(10, 30)) == 1
    assert commands.look_at_deadline(uow.repository, settings, berlin(10, 30)) == 0  # the day has its alert
    read_by_the_other = stored_alert(uow)

    assert commands.take_due_steps(uow, stored_alert(uow), berlin(10, 30)) == 1
    other = fresh(uow)
    assert commands.take_due_steps(other, read_by_the_other, berlin(10, 30)) == 0
    assert uow.events() == ["alert.raised"] and other.events() == []
    assert stored_alert(uow).alerted == ["bora"]


def test_the_alert_escalates_to_the_next_buddy_then_to_the_organisers(uow):
    raised(uow)
    assert commands.watch(fresh(uow), berlin(10, 44))["steps"] == 0
    later = fresh(uow)
    assert commands.watch(later, berlin(10, 45))["steps"] == 1
    assert later.events() == ["alert.escalated"] and later.outbox.published[0]["payload"]["notify"] == ["cem"]
    last = fresh(uow)
    assert commands.watch(last, berlin(11, 30))["steps"] == 1
    assert last.events() == ["alert.escalated"] and last.outbox.published[0]["payload"]["notify"] == ["olga"]
    assert commands.watch(fresh(uow), berlin(13))["steps"] == 0  # every step taken
    assert stored_alert(uow).alerted == ["bora", "cem", "olga"]


def test_a_timer_that_was_away_catches_up_with_every_step_due(uow):
    switch_on(uow)
    assert commands.watch(uow, berlin(12))["steps"] == 1  # raised now: the next steps count from now
    assert commands.watch(fresh(uow), berlin(13))["steps"] == 2


def test_no_alert_when_checked_in_in_time_or_away(uow):
    switch_on(uow)
    done(uow, commands.check_in, AYSE, {}, berlin(9, 15))
    assert done(uow, commands.watch, berlin(11)) == {"deadlines": 1, "alerts": 0, "steps": 0}
    done(uow, commands.set_away, AYSE, {"from": "2026-12-02", "until": "2026-12-02"}, berlin(12))
    tomorrow = fresh(uow)
    assert commands.watch(tomorrow, berlin(11, day=DAY + timedelta(days=1)))["alerts"] == 0
    assert tomorrow.events() == [] and uow.repository.all(Alert) == []


# -- check-ins ---------------------------------------------------------------------------------------------------------
def test_a_late_check_in_resolves_the_alert_and_everyone_told_hears_the_all_clear(uow):
    raised(uow)
    assert commands.check_in(uow, AYSE, {}, berlin(10, 50)) == {"at": "2026-12-01T09:50:00Z"}
    assert uow.events() == ["checkin.recorded", "alert.resolved"]
    resolved = uow.outbox.published[1]["payload"]
    assert (resolved["outcome"], resolved["alerted"]) == ("checked_in", ["bora"])
    assert stored_alert(uow).status == "resolved"
    today = commands.get_settings(fresh(uow), AYSE, berlin(11))["today"]
    assert today == {"day": "2026-12-01", "status": "done", "done_at": "2026-12-01T09:50:00Z"}


def test_a_check_in_racing_the_deadline_cancels_the_alert_before_anyone_is_told(uow):
    switch_on(uow)
    assert commands.look_at_deadline(uow.repository, uow.repository.settings("ayse"), berlin(10, 30)) == 1
    commands.check_in(uow, AYSE, {}, berlin(10, 30))
    assert uow.events() == ["checkin.recorded"] and stored_alert(uow).status == "cancelled"
    assert done(uow, commands.watch, berlin(10, 31))["steps"] == 0


def test_a_step_read_before_a_check_in_is_not_taken(uow):
    switch_on(uow)
    commands.look_at_deadline(uow.repository, uow.repository.settings("ayse"), berlin(10, 30))
    read_before = stored_alert(uow)
    done(uow, commands.check_in, AYSE, {}, berlin(10, 30))
    timer = fresh(uow)
    assert commands.take_due_steps(timer, read_before, berlin(10, 30)) == 0
    assert timer.events() == [] and stored_alert(uow).status == "cancelled"


# -- acknowledging and resolving ---------------------------------------------------------------------------------------
def test_looking_after_it_stops_the_escalation_and_tells_the_others(uow):
    raised(uow)
    done(uow, commands.watch, berlin(10, 45))
    looked_after = commands.acknowledge(uow, CEM, ALERT_ID, berlin(10, 50))
    assert looked_after["status"] == "acknowledged" and looked_after["actions"] == ["resolve"]
    assert uow.events() == ["alert.acknowledged"]
    assert commands.acknowledge(fresh(uow), CEM, ALERT_ID, berlin(10, 51))["status"] == "acknowledged"  # harmless
    assert commands.watch(fresh(uow), berlin(12))["steps"] == 0
    with pytest.raises(Conflict) as taken:
        commands.acknowledge(fresh(uow), BORA, ALERT_ID, berlin(10, 52))
    assert taken.value.extra == {"current_status": "acknowledged"}


def test_an_acknowledgement_racing_a_step_is_made_again_on_what_the_step_wrote(uow):
    raised(uow)
    step_first = RaceOnce(lambda repository: done(FakeUnitOfWork(repository), commands.watch, berlin(10, 45)))
    racing = FakeUnitOfWork(step_first.around(uow.repository))

    looked_after = commands.acknowledge(racing, BORA, ALERT_ID, berlin(10, 45))

    assert step_first.ran and looked_after["status"] == "acknowledged"
    assert racing.events() == ["alert.acknowledged"]
    assert stored_alert(uow).alerted == ["bora", "cem"] and stored_alert(uow).acknowledged_by == "bora"


def test_only_those_told_and_organisers_see_and_resolve_an_alert(uow):
    raised(uow)
    with pytest.raises(Forbidden):
        commands.get_alert(fresh(uow), CEM, ALERT_ID)
    with pytest.raises(Forbidden):
        commands.acknowledge(fresh(uow), CEM, ALERT_ID, berlin(10, 40))
    with pytest.raises(NotFound):
        commands.get_alert(fresh(uow), {**OLGA, "community_id": "elsewhere"}, ALERT_ID)
    with pytest.raises(Invalid):
        commands.resolve(fresh(uow), OLGA, ALERT_ID, {"outcome": "all good"}, berlin(10, 40))
    closed = commands.resolve(uow, OLGA, ALERT_ID, {"outcome": "fine", "note": " Handy verlegt "}, berlin(10, 40))
    assert (closed["status"], closed["resolved_by"], closed["note"]) == ("resolved", "olga", "Handy verlegt")
    assert uow.events() == ["alert.resolved"]
    assert [a["id"] for a in commands.list_alerts(fresh(uow), BORA, {})["items"]] == [ALERT_ID]
    assert commands.list_alerts(fresh(uow), CEM, {})["items"] == []


# -- the emergency sheet -----------------------------------------------------------------------------------------------
def test_the_sheet_is_read_by_the_named_readers_and_by_the_one_looking_after_an_open_alert(uow):
    done(uow, commands.set_sheet, AYSE, {"contacts": [], "allergies": "Penicillin", "readers": ["bora"]}, berlin(8))
    assert commands.read_sheet(uow, BORA, "ayse", berlin(8, 5))["allergies"] == "Penicillin"
    assert uow.commits == 1
    with pytest.raises(Forbidden):
        commands.read_sheet(fresh(uow), OLGA, "ayse", berlin(8, 5))  # organisers included

    raised(uow)
    done(uow, commands.watch, berlin(10, 45))
    with pytest.raises(Forbidden):
        commands.read_sheet(fresh(uow), CEM, "ayse", berlin(10, 46))  # told, but not looking after it
    done(uow, commands.acknowledge, CEM, ALERT_ID, berlin(10, 47))
    assert commands.read_sheet(fresh(uow), CEM, "ayse", berlin(10, 48))["allergies"] == "Penicillin"
    done(uow, commands.resolve, CEM, ALERT_ID, {"outcome": "fine"}, berlin(11))
    with pytest.raises(Forbidden):
        commands.read_sheet(fresh(uow), CEM, "ayse", berlin(11, 1))

    reads = commands.sheet_reads(fresh(uow), AYSE, {})["items"]
    assert [(r["member_id"], r["display_name"], r["during_alert"]) for r in reads] == [
        ("cem", "Cem", True), ("bora", "Bora", False)]


def test_a_sheet_names_only_neighbours_as_readers(uow):
    with pytest.raises(Invalid) as refused:
        commands.set_sheet(uow, AYSE, {"contacts": [], "readers": ["ayse", "nobody"]}, berlin(8))
    assert len(refused.value.errors["readers"]) == 2 and uow.repository.all(EmergencySheet) == []


# -- members leaving ---------------------------------------------------------------------------------------------------
def test_a_deactivated_resident_stops_checking_in_and_their_alert_closes(uow):
    raised(uow)
    done(uow, commands.set_sheet, AYSE, {"contacts": [], "readers": ["bora"]}, berlin(10, 31))
    commands.on_member_gone(uow, "ayse", erased=False, now=berlin(10, 35))
    assert uow.events() == ["alert.resolved"]
    assert (stored_alert(uow).status, stored_alert(uow).outcome) == ("resolved", "member_left")
    assert uow.repository.settings("ayse").enabled is False and uow.repository.sheet("ayse") is None
    assert commands.watch(fresh(uow), berlin(11, day=DAY + timedelta(days=1))) == {
        "deadlines": 0, "alerts": 0, "steps": 0}
    commands.on_member_gone(fresh(uow), "ayse", erased=False, now=berlin(10, 40))  # again: nothing changes
    assert stored_alert(uow).resolved_at == berlin(10, 35)


def test_an_erased_member_leaves_no_check_in_data_and_is_no_longer_a_reader_or_a_buddy(uow):
    switch_on(uow)
    done(uow, commands.check_in, AYSE, {}, berlin(9))
    done(uow, commands.set_sheet, CEM, {"contacts": [], "readers": ["bora"]}, berlin(9))
    done(uow, commands.read_sheet, BORA, "cem", berlin(9, 5))

    commands.on_member_gone(uow, "bora", erased=True, now=berlin(9, 10))
    assert uow.repository.sheet("cem").readers == []
    assert uow.repository.settings("ayse").buddies == ["cem"]
    assert uow.repository.neighbour("bora") is None

    commands.on_member_gone(fresh(uow), "ayse", erased=True, now=berlin(9, 15))
    for kind in (CheckInSettings, CheckIn, BuddyRequest):
        assert uow.repository.all(kind) == []
    assert [r.member_id for r in uow.repository.all(SheetRead)] == ["cem"]


def test_the_export_holds_settings_check_ins_alerts_and_sheet_reads(uow):
    switch_on(uow)
    done(uow, commands.set_sheet, AYSE, {"contacts": [], "allergies": "Penicillin", "readers": ["bora"]}, berlin(8))
    done(uow, commands.check_in, AYSE, {}, berlin(8, 30))
    done(uow, commands.read_sheet, BORA, "ayse", berlin(8, 40))
    done(uow, commands.watch, berlin(11, day=DAY + timedelta(days=1)))

    export = commands.export(fresh(uow), AYSE, berlin(12, day=DAY + timedelta(days=1)))

    assert export["check_in"]["enabled"] is True and export["check_ins"] == [
        {"at": "2026-12-01T07:30:00Z", "acted_by": None, "recorded": False, "note": None}]
    assert [a["day"] for a in export["alerts"]] == ["2026-12-02"]
    assert export["emergency_sheet"]["allergies"] == "Penicillin"
    assert [(r["member_id"], r["during_alert"]) for r in export["emergency_sheet_reads"]] == [("bora", False)]
    assert [r["buddy_id"] for r in export["buddy_requests_made"]] == ["bora", "cem"]
    assert commands.export(fresh(uow), BORA, berlin(12))["emergency_sheets_read"][0]["member_id"] == "ayse"


class RaceOnce:
    """A repository whose next write of an alert lets something else write first (a timer step of another
    instance, between the command's read and its write)."""

    def __init__(self, first):
        self.first = first
        self.ran = False

    def around(self, repository):
        race = self

        class Racing(type(repository)):
            def update(self, document):
                if isinstance(document, Alert) and not race.ran:
                    race.ran = True
                    race.first(self)
                super().update(document)

        racing = Racing.__new__(Racing)
        racing.__dict__ = repository.__dict__  # the same store
        return racing


# -- done for the resident -----------------------------------------------------------------------------------------
def test_an_organiser_records_a_check_in_given_by_phone_and_it_settles_the_alert_marked_as_recorded(uow):
    raised(uow)
    commands.check_in(uow, OLGA, {"on_behalf_of": "ayse", "note": "hat angerufen"}, berlin(10, 40))

    assert stored_alert(uow).status == "resolved"
    assert "checkin.recorded" in uow.events()
    event = next(e for e in uow.outbox.published if e["type"] == "checkin.recorded")
    assert event["payload"]["member_id"] == "ayse"
    assert event["payload"]["acted_by"] == {"member_id": "olga", "display_name": "Olga", "for": "ayse",
                                            "recorded": True, "note": "hat angerufen"}
    exported = commands.export(fresh(uow), AYSE, berlin(12))["check_ins"]
    assert exported == [{"at": "2026-12-01T09:40:00Z", "acted_by": "olga", "recorded": True, "note": "hat angerufen"}]


@pytest.mark.parametrize("who, member, refused", [(BORA, "ayse", Forbidden), (OLGA, "nobody", NotFound)])
def test_only_an_organiser_records_a_check_in_and_only_for_a_member_of_the_house(uow, who, member, refused):
    with pytest.raises(refused):
        commands.check_in(uow, who, {"on_behalf_of": member, "note": "x"}, berlin(9))
    assert uow.repository.check_ins_since(member, berlin(0)) == [] and uow.events() == []


def test_a_trusted_persons_check_in_is_the_residents_and_names_who_did_it(uow):
    acting = {**AYSE, "acted_by": {"member_id": "deniz", "display_name": "Deniz"}}
    done(uow, commands.check_in, acting, {}, berlin(9))

    assert [(c.member_id, c.acted_by, c.recorded) for c in uow.repository.check_ins_since("ayse", berlin(0))] == [
        ("ayse", "deniz", False)]


@pytest.mark.parametrize("change", ["settings", "away", "clear_away", "sheet"])
def test_what_a_trusted_person_changes_for_the_resident_is_announced_so_she_is_told(uow, change):
    deniz = {**AYSE, "acted_by": {"member_id": "deniz", "display_name": "Deniz"}}
    settings = {"enabled": True, "daily_by": "10:00", "buddies": ["bora"]}
    calls = {"settings": (commands.set_settings, settings), "away": (commands.set_away, {
        "from": "2026-12-10", "until": "2026-12-12"}), "clear_away": (commands.clear_away,),
        "sheet": (commands.set_sheet, {"contacts": [], "readers": []})}
    if change == "clear_away":
        done(uow, commands.set_away, AYSE, {"from": "2026-12-10", "until": "2026-12-12"}, berlin(8))
    command, *body = calls[change]

    command(uow, deniz, *body, berlin(9))
    uow.events()
    [announced] = [event for event in uow.outbox.published if event["type"] != "buddy.asked"]
    assert announced["type"] == {"settings": "checkin.settings_changed", "away": "checkin.away_set",
                                 "clear_away": "checkin.away_cleared", "sheet": "sheet.saved"}[change]
    assert announced["payload"]["member_id"] == "ayse"
    assert announced["payload"]["acted_by"]["member_id"] == "deniz"
    assert "contacts" not in announced["payload"]

    again = fresh(uow)
    command(again, AYSE, *body, berlin(10))  # she herself: nothing to tell her
    assert [t for t in again.events() if t != "buddy.asked"] == []
    assert [(d["action"], d["acted_by"]) for d in commands.export(fresh(uow), AYSE, berlin(11))["done_for_me"]] == [
        (announced["type"], "deniz")]
