"""Alerts of the daily check-in in the inbox: who is told at each step, that every message of an alert is urgent,
and that an email about an alert goes at 03:00 although the buddy's quiet hours run until 08:00."""
from datetime import datetime, timezone

import pytest

from services.common.clock import as_utc
from services.notifications import commands, domain
from services.notifications.models import Delivery, Preferences, Recipient
from tests.support.fakes import FakeUnitOfWork
from tests.support.fakes.notifications import FakeNotificationsRepository

ALERT = {"alert_id": "ayse:2026-12-01", "member_id": "ayse", "day": "2026-12-01", "display_name": "Ayşe",
         "household": "Haus B, 2. OG", "phone": "040 111"}


def event(type_, **payload):
    return {"event_id": "e1", "type": type_, "community_id": "c", "payload": {**ALERT, **payload}}


def told(type_, **payload):
    return sorted((p.member_id, p.kind) for p in domain.plan(event(type_, **payload), organisers=["olga"]))


def test_each_step_tells_exactly_those_it_names_with_the_flat_and_the_phone():
    raised = domain.plan(event("alert.raised", step=0, notify=["bora"], alerted=["bora"]), organisers=["olga"])

    assert [(p.member_id, p.kind, p.urgent) for p in raised] == [("bora", "checkin_alert", True)]
    assert raised[0].facts == {"name_of": "ayse", "alert_id": "ayse:2026-12-01", "flat": "Haus B, 2. OG",
                               "phone": "040 111"}
    assert raised[0].link == "/alerts/ayse:2026-12-01"
    assert told("alert.escalated", step=2, notify=["olga", "otto"], alerted=["bora", "cem", "olga", "otto"]) == [
        ("olga", "checkin_alert"), ("otto", "checkin_alert")]


def test_the_others_told_hear_that_someone_looks_after_it():
    assert told("alert.acknowledged", acknowledged_by="cem", alerted=["bora", "cem"]) == [
        ("bora", "checkin_alert_acknowledged")]


def test_a_late_check_in_sends_the_all_clear_to_everyone_told():
    assert told("alert.resolved", resolved_by="ayse", outcome="checked_in", alerted=["bora", "cem"]) == [
        ("bora", "checkin_all_clear"), ("cem", "checkin_all_clear")]


def test_an_alert_closed_by_someone_is_told_to_the_others():
    assert told("alert.resolved", resolved_by="cem", outcome="fine", alerted=["bora", "cem"]) == [
        ("bora", "checkin_alert_closed")]


def test_whoever_is_told_later_hears_of_the_same_alert_and_is_led_to_it():
    facts, link = {"name_of": "ayse", "alert_id": "ayse:2026-12-01"}, "/alerts/ayse:2026-12-01"

    assert domain.plan(event("alert.acknowledged", acknowledged_by="cem", alerted=["bora", "cem"]),
                       organisers=[]) == [domain.Planned("bora", "checkin_alert_acknowledged", facts, link, True)]
    for outcome, kind in (("checked_in", "checkin_all_clear"), ("fine", "checkin_alert_closed")):
        assert domain.plan(event("alert.resolved", resolved_by="cem", outcome=outcome, alerted=["bora", "cem"]),
                           organisers=[]) == [domain.Planned("bora", kind, facts, link, True)]


@pytest.mark.parametrize("type_", ["alert.raised", "alert.escalated", "alert.acknowledged", "alert.resolved"])
def test_an_alert_event_naming_nobody_to_tell_tells_nobody(type_):
    assert domain.plan(event(type_), organisers=["olga"]) == []


def test_every_message_of_an_alert_is_urgent():
    for type_, payload in (("alert.raised", {"notify": ["bora"]}), ("alert.acknowledged", {"alerted": ["bora"]}),
                           ("alert.resolved", {"alerted": ["bora"], "outcome": "checked_in"})):
        assert all(p.urgent for p in domain.plan(event(type_, **payload), organisers=[]))


def store() -> FakeUnitOfWork:
    """Bora chose email and the daily digest, with quiet hours until 08:00."""
    return FakeUnitOfWork(FakeNotificationsRepository(
        Preferences(id="bora", community_id="c", email=True, quiet_from="21:00", quiet_until="08:00",
                    digest="daily"),
        Recipient(id="bora", community_id="c", email="bora@example.org", timezone="Europe/Berlin")))


def emails(uow: FakeUnitOfWork) -> list[Delivery]:
    return uow.repository.all(Delivery)


def test_an_alert_at_three_in_the_morning_is_emailed_at_once_despite_quiet_hours_and_the_digest():
    uow = store()
    three_in_berlin = datetime(2026, 12, 2, 2, 0, tzinfo=timezone.utc)

    commands.handle_event(uow, event("alert.raised", step=0, notify=["bora"]), three_in_berlin)

    (email,) = emails(uow)
    assert (email.status, as_utc(email.due_at)) == ("pending", three_in_berlin)


def test_a_help_request_at_three_still_waits_for_the_digest():
    uow = store()
    three_in_berlin = datetime(2026, 12, 2, 2, 0, tzinfo=timezone.utc)

    commands.handle_event(uow, {"event_id": "e2", "type": "help.requested", "community_id": "c", "payload": {
        "request_id": "r", "requester_id": "ayse", "title": "Einkauf", "category": "shopping",
        "audience": ["bora"]}}, three_in_berlin)

    assert [d.status for d in emails(uow)] == ["digest"]
