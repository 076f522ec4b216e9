"""The care service's messages beyond alerts, on a unit of work in memory: the daily email with a signed single-use
check-in link (once a day however many instances, never for a day that needs none), pressing the link (once, and
harmless again), the reminder to review the emergency sheet every 90 days, and the events of buddy requests."""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from services.care import commands, domain
from services.care.models import CheckIn, CheckInLink, CheckInSettings, EmergencySheet
from services.common import signed_links
from tests.support.fakes import FakeUnitOfWork, done, fresh
from tests.support.fakes.care import FakeCareRepository

BERLIN = ZoneInfo("Europe/Berlin")
COMMUNITY = "altona"
DAY = date(2026, 12, 1)
SECRET = "a-secret-of-the-tests-only-0123456789"


def person(member_id: str, name: str, language: str = "de") -> dict:
    return {"member_id": member_id, "community_id": COMMUNITY, "role": "resident", "display_name": name,
            "timezone": "Europe/Berlin", "preferred_language": language}


AYSE, BORA = person("ayse", "Ayşe", "tr"), person("bora", "Bora")


def berlin(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN).astimezone(timezone.utc)


def joined(actor: dict) -> dict:
    return {"event_id": f"joined-{actor['member_id']}", "type": "member.joined", "community_id": COMMUNITY,
            "payload": {"member_id": actor["member_id"], "display_name": actor["display_name"], "role": "resident",
                        "preferred_language": actor["preferred_language"], "timezone": "Europe/Berlin",
                        "active": True}}


@pytest.fixture
def uow():
    unit = FakeUnitOfWork(FakeCareRepository())
    for actor in (AYSE, BORA):
        done(unit, commands.remember_member, joined(actor))
    return unit


def switch_on(uow, *, email_reminder=True, daily_by="10:00", at=None):
    done(uow, commands.set_settings, AYSE, {"enabled": True, "daily_by": daily_by, "grace_minutes": 30,
                                            "buddies": ["bora"], "email_reminder": email_reminder},
         at or berlin(11, day=DAY - timedelta(days=1)))  # from 2026-12-01 on
    done(uow, commands.answer_buddy_request, BORA, "ayse:bora", accept=True, now=berlin(6))


def send(uow, now) -> tuple[dict, list[dict]]:
    """One run of the reminder timer: what it did, and the events it published."""
    unit = fresh(uow)
    did = commands.send_reminders(unit, now, secret=SECRET)
    unit.events()
    return did, unit.outbox.published


def token_of(uow, now=None) -> str:
    """Ayşe's link of the day, as the email carries it."""
    did, published = send(uow, now or berlin(8))
    (event,) = [e for e in published if e["type"] == "checkin.link_issued"]
    return event["payload"]["token"]


# -- the daily email ----------------------------------------------------------------------------------------------
def test_the_email_is_off_unless_chosen_and_the_settings_say_which():
    unit = FakeUnitOfWork(FakeCareRepository())
    done(unit, commands.remember_member, joined(AYSE))
    done(unit, commands.remember_member, joined(BORA))
    switch_on(unit, email_reminder=False)
    assert commands.get_settings(fresh(unit), AYSE, berlin(7))["email_reminder"] is False
    assert send(unit, berlin(9)) == ({"links": 0, "reviews": 0}, [])

    switch_on(unit)
    assert commands.get_settings(fresh(unit), AYSE, berlin(7))["email_reminder"] is True


def test_the_email_goes_two_hours_before_daily_by_once_however_often_the_timer_runs(uow):
    switch_on(uow)
    assert uow.repository.settings("ayse").reminder_at == berlin(8)
    assert send(uow, berlin(7, 59)) == ({"links": 0, "reviews": 0}, [])

    did, published = send(uow, berlin(8))
    assert did == {"links": 1, "reviews": 0}
    (event,) = published
    assert event["type"] == "checkin.link_issued"
    assert {key: event["payload"][key] for key in ("member_id", "day", "daily_by", "expires_at")} == {
        "member_id": "ayse", "day": "2026-12-01", "daily_by": "10:00", "expires_at": "2026-12-01T23:00:00Z"}

    assert send(uow, berlin(8, 1)) == ({"links": 0, "reviews": 0}, [])
    assert uow.repository.settings("ayse").reminder_at == berlin(8, day=DAY + timedelta(days=1))


def test_of_two_instances_at_the_same_moment_only_one_sends_the_day_s_email(uow):
    switch_on(uow)
    read_by_both = uow.repository.settings("ayse")
    first, second = fresh(uow), fresh(uow)
    assert commands.issue_link(first, read_by_both, berlin(8), SECRET) == 1
    assert commands.issue_link(second, read_by_both, berlin(8), SECRET) == 0  # the day's link exists
    first.events(), second.events()
    assert [e["type"] for e in first.outbox.published] == ["checkin.link_issued"]
    assert second.outbox.published == []


def test_an_instance_that_died_after_storing_the_link_leaves_no_second_email(uow):
    switch_on(uow)
    settings = uow.repository.settings("ayse")
    assert uow.repository.add_link(CheckInLink(
        id="ayse:2026-12-01", community_id=COMMUNITY, member_id="ayse", day="2026-12-01", nonce_digest="x",
        issued_at=berlin(8), expires_at=berlin(23)))  # stored, then the instance died before moving on
    assert uow.repository.settings("ayse").reminder_day == settings.reminder_day
    assert send(uow, berlin(8, 1)) == ({"links": 0, "reviews": 0}, [])
    assert uow.repository.settings("ayse").reminder_day == "2026-12-02"


def test_no_email_when_checked_in_already_away_switched_off_or_past_the_deadline(uow):
    switch_on(uow)
    done(uow, commands.check_in, AYSE, {}, berlin(7))
    assert send(uow, berlin(8))[0]["links"] == 0

    done(uow, commands.set_away, AYSE, {"from": "2026-12-02", "until": "2026-12-02"}, berlin(9))
    assert send(uow, berlin(8, day=DAY + timedelta(days=1)))[0]["links"] == 0

    assert send(uow, berlin(10, 31, day=DAY + timedelta(days=2)))[0]["links"] == 0  # the timer was away

    done(uow, commands.set_settings, AYSE, {"enabled": False, "daily_by": "10:00", "buddies": []}, berlin(12))
    assert uow.repository.settings("ayse").reminder_at is None
    assert send(uow, berlin(8, day=DAY + timedelta(days=4)))[0]["links"] == 0


def test_switched_on_after_the_email_s_time_today_s_email_goes_at_once(uow):
    switch_on(uow, at=berlin(9))
    assert send(uow, berlin(9, 1))[0]["links"] == 1


def test_a_deadline_after_midnight_keeps_the_link_working_until_then():
    schedule = domain.Schedule(time(23, 30), 60, BERLIN)
    assert domain.reminder_at(DAY, schedule) == berlin(21, 30)
    assert domain.link_expires_at(DAY, schedule) == berlin(0, 30, day=DAY + timedelta(days=1))
    early = domain.Schedule(time(1, 0), 0, BERLIN)
    assert domain.reminder_at(DAY, early) == berlin(0, 0)  # not on the day before


def test_on_the_day_the_clocks_go_forward_the_email_is_two_real_hours_before_daily_by():
    schedule = domain.Schedule(time(4, 0), 0, BERLIN)  # 2027-03-28: 02:00 becomes 03:00
    assert domain.reminder_at(date(2027, 3, 28), schedule) == datetime(2027, 3, 28, 0, 0, tzinfo=timezone.utc)


# -- the link -----------------------------------------------------------------------------------------------------
def test_the_stored_link_holds_only_a_digest_of_its_secret(uow):
    switch_on(uow)
    token = token_of(uow)
    (link,) = uow.repository.all(CheckInLink)
    claims = signed_links.read(SECRET, commands.LINK_PURPOSE, token, berlin(8))
    assert link.nonce_digest == signed_links.digest(claims["n"]) and claims["n"] not in str(link.to_mongo())
    assert token not in str(link.to_mongo()) and link.outbox == []  # the event left with its publication


def test_opening_the_link_changes_nothing_pressing_it_checks_in_once(uow):
    switch_on(uow)
    token = token_of(uow)
    opened = commands.check_in_link(fresh(uow), token, secret=SECRET, now=berlin(8, 5))
    assert opened == {"status": "ready", "day": "2026-12-01", "display_name": "Ayşe", "preferred_language": "tr",
                      "timezone": "Europe/Berlin", "at": None}
    assert commands.check_in_link(fresh(uow), token, secret=SECRET, now=berlin(8, 6))["status"] == "ready"
    assert uow.repository.all(CheckIn) == []

    pressed = fresh(uow)
    assert commands.redeem_check_in_link(pressed, token, secret=SECRET, now=berlin(9, 12))["status"] == "checked_in"
    assert pressed.events() == ["checkin.recorded"]
    assert commands.get_settings(fresh(uow), AYSE, berlin(9, 13))["today"]["status"] == "done"

    again = fresh(uow)
    assert commands.redeem_check_in_link(again, token, secret=SECRET, now=berlin(9, 20)) == {
        "status": "done", "day": "2026-12-01", "display_name": "Ayşe", "preferred_language": "tr",
        "timezone": "Europe/Berlin", "at": "2026-12-01T08:12:00Z"}
    assert again.events() == [] and len(uow.repository.all(CheckIn)) == 1
    assert commands.check_in_link(fresh(uow), token, secret=SECRET, now=berlin(9, 21))["status"] == "done"
    assert uow.repository.link("ayse:2026-12-01").used_at == berlin(9, 12)


def test_a_link_pressed_after_checking_in_on_the_start_page_adds_no_second_check_in(uow):
    switch_on(uow)
    token = token_of(uow)
    done(uow, commands.check_in, AYSE, {}, berlin(8, 30))
    assert commands.redeem_check_in_link(fresh(uow), token, secret=SECRET, now=berlin(9))["status"] == "done"
    assert len(uow.repository.all(CheckIn)) == 1


def test_a_press_that_died_between_taking_the_link_and_checking_in_is_finished_by_the_next(uow):
    switch_on(uow)
    token = token_of(uow)
    link = uow.repository.link("ayse:2026-12-01")
    assert uow.repository.use_link(link.id, link.nonce_digest, berlin(9))  # ...and the process died
    assert commands.redeem_check_in_link(fresh(uow), token, secret=SECRET, now=berlin(9, 1))["status"] == "checked_in"
    assert [c.id for c in uow.repository.all(CheckIn)] == ["link:ayse:2026-12-01"]


def test_a_link_pressed_late_settles_the_alert_it_came_too_late_to_prevent(uow):
    switch_on(uow)
    token = token_of(uow)
    done(uow, commands.watch, berlin(10, 30))
    pressed = fresh(uow)
    assert commands.redeem_check_in_link(pressed, token, secret=SECRET, now=berlin(10, 40))["status"] == "checked_in"
    assert pressed.events() == ["checkin.recorded", "alert.resolved"]


@pytest.mark.parametrize("token", ["", "nonsense", "x" * 5000, None, 42, ["a"], {"l": "ayse:2026-12-01"}])
def test_a_token_we_did_not_sign_is_invalid_and_tells_nothing(uow, token):
    switch_on(uow)
    token_of(uow)
    for command in (commands.check_in_link, commands.redeem_check_in_link):
        assert command(fresh(uow), token, secret=SECRET, now=berlin(9)) == {
            "status": "invalid", "day": None, "display_name": None, "preferred_language": None, "timezone": None,
            "at": None}
    assert uow.repository.all(CheckIn) == []


def test_a_link_signed_with_another_secret_or_for_another_purpose_is_invalid(uow):
    switch_on(uow)
    token = token_of(uow)
    claims = signed_links.read(SECRET, commands.LINK_PURPOSE, token, berlin(8))
    forged = signed_links.sign("another-secret", commands.LINK_PURPOSE, claims, expires_at=berlin(23))
    elsewhere = signed_links.sign(SECRET, "members.login-link", claims, expires_at=berlin(23))
    for other in (forged, elsewhere, token[:-2]):
        assert commands.redeem_check_in_link(fresh(uow), other, secret=SECRET, now=berlin(9))["status"] == "invalid"
    assert uow.repository.all(CheckIn) == []


def test_a_link_expires_at_the_end_of_its_day(uow):
    switch_on(uow)
    token = token_of(uow)
    next_morning = berlin(0, 0, day=DAY + timedelta(days=1))
    assert commands.check_in_link(fresh(uow), token, secret=SECRET, now=next_morning)["status"] == "expired"
    assert commands.redeem_check_in_link(fresh(uow), token, secret=SECRET, now=next_morning)["status"] == "expired"
    assert uow.repository.all(CheckIn) == []


def test_the_link_of_a_member_who_left_no_longer_works_and_an_erased_one_leaves_no_link(uow):
    switch_on(uow)
    token = token_of(uow)
    done(uow, commands.on_member_gone, "ayse", erased=False, now=berlin(8, 30))
    assert commands.redeem_check_in_link(fresh(uow), token, secret=SECRET, now=berlin(9))["status"] == "invalid"
    assert uow.repository.settings("ayse").reminder_at is None
    done(uow, commands.on_member_gone, "ayse", erased=True, now=berlin(8, 40))
    assert uow.repository.all(CheckInLink) == []


def test_the_export_lists_the_links_issued_and_when_they_were_used(uow):
    switch_on(uow)
    token = token_of(uow)
    commands.redeem_check_in_link(fresh(uow), token, secret=SECRET, now=berlin(9))
    export = commands.export(fresh(uow), AYSE, berlin(12))
    assert export["check_in_links"] == [{"day": "2026-12-01", "issued_at": "2026-12-01T07:00:00Z",
                                         "expires_at": "2026-12-01T23:00:00Z", "used_at": "2026-12-01T08:00:00Z"}]
    assert export["check_in"]["email_reminder"] is True
    assert token not in str(export)


# -- the emergency sheet's review -----------------------------------------------------------------------------------
def save_sheet(uow, now):
    return done(uow, commands.set_sheet, AYSE, {"contacts": [], "allergies": "Penicillin", "readers": []}, now)


def test_ninety_days_after_saving_the_sheet_one_reminder_goes_however_often_the_timer_runs(uow):
    saved = save_sheet(uow, berlin(12))
    assert saved["review_due_at"] == "2027-03-01T11:00:00Z"
    assert send(uow, berlin(11, day=date(2027, 3, 1)))[0]["reviews"] == 0

    did, published = send(uow, berlin(12, day=date(2027, 3, 1)))
    assert did["reviews"] == 1
    assert [(e["type"], e["payload"]["member_id"]) for e in published] == [("sheet.review_came_due", "ayse")]
    assert send(uow, berlin(13, day=date(2027, 3, 1)))[0]["reviews"] == 0
    assert uow.repository.sheet("ayse").review_due_at == berlin(12, day=date(2027, 3, 1)) + timedelta(days=90)
    assert commands.export(fresh(uow), AYSE, berlin(14, day=date(2027, 3, 1)))[
        "emergency_sheet_review_reminded_at"] == "2027-03-01T11:00:00Z"


def test_of_two_instances_only_one_reminds_and_saving_the_sheet_starts_the_period_again(uow):
    save_sheet(uow, berlin(12))
    read_by_both = uow.repository.sheet("ayse")
    later = berlin(12, day=date(2027, 3, 1))
    first, second = fresh(uow), fresh(uow)
    assert commands.remind_of_review(first, read_by_both, later) == 1
    assert commands.remind_of_review(second, read_by_both, later) == 0
    assert first.events() == ["sheet.review_came_due"] and second.events() == []

    save_sheet(uow, berlin(9, day=date(2027, 3, 2)))
    assert uow.repository.sheet("ayse").review_due_at == berlin(9, day=date(2027, 3, 2)) + timedelta(days=90)


def test_a_timer_that_was_away_for_periods_sends_one_reminder_not_one_per_period():
    due = berlin(12)
    assert domain.next_review_due_at(due, due + timedelta(days=200)) == due + timedelta(days=270)


# -- buddy requests --------------------------------------------------------------------------------------------------
def test_asking_and_answering_a_buddy_request_is_announced_to_the_other(uow):
    unit = fresh(uow)
    commands.set_settings(unit, AYSE, {"enabled": True, "daily_by": "10:00", "buddies": ["bora"]}, berlin(8))
    assert [(e["type"], e["payload"]) for e in (unit.events() and unit.outbox.published)] == [
        ("buddy.asked", {"request_id": "ayse:bora", "member_id": "ayse", "buddy_id": "bora"})]

    answered = fresh(uow)
    commands.answer_buddy_request(answered, BORA, "ayse:bora", accept=False, now=berlin(9))
    commands.answer_buddy_request(answered, BORA, "ayse:bora", accept=False, now=berlin(9, 1))  # no change
    assert answered.events() == ["buddy.declined"]
    changed_mind = fresh(uow)
    commands.answer_buddy_request(changed_mind, BORA, "ayse:bora", accept=True, now=berlin(10))
    assert changed_mind.events() == ["buddy.accepted"]

    saved_again = fresh(uow)
    commands.set_settings(saved_again, AYSE, {"enabled": True, "daily_by": "11:00", "buddies": ["bora"]}, berlin(11))
    assert saved_again.events() == []  # nobody is asked twice
