"""Deciding together in the inbox: who is told that a decision opened, who is reminded, everyone in the audience
hears the result, each in their language (the decision's title as the organiser translated it, the options of a
poll too); a vote someone else cast for a member lands in that member's inbox."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from services.common.clock import as_utc, parse_iso
from services.notifications import commands, domain, messages
from services.notifications.models import Delivery, Preferences, Recipient
from tests.support.fakes import FakeUnitOfWork
from tests.support.fakes.notifications import FakeNotificationsRepository

BERLIN = ZoneInfo("Europe/Berlin")
TEXTS = {"decision_id": "d1", "kind": "poll", "secret": False, "title": "Farbe des Treppenhauses", "language": "de",
         "titles": {"de": "Farbe des Treppenhauses", "tr": "Merdiven boşluğunun rengi"},
         "options": {"de": ["Gelb", "Blau"], "tr": ["Sarı", "Mavi"]}, "closes_at": "2026-12-08T17:00:00Z"}


def event(type_, **payload):
    return {"event_id": "e1", "type": type_, "community_id": "c", "payload": {**TEXTS, **payload}}


def rendered(planned, language):
    facts = commands._renderable(planned.facts, {}, language)
    return messages.render(planned.kind, language, facts, BERLIN)


def test_the_audience_hears_of_a_new_decision_in_their_language_with_its_closing_time():
    planned = domain.plan(event("decision.opened", audience=["ayse", "bora"]), organisers=[])
    assert [(p.member_id, p.kind, p.link, p.urgent) for p in planned] == [
        ("ayse", "decision_opened", "/decisions/d1", False), ("bora", "decision_opened", "/decisions/d1", False)]
    title, body = rendered(planned[0], "tr")
    assert title == "Lütfen oy verin: Merdiven boşluğunun rengi" and "8 Aralık 2026" in body and "18:00" in body
    title, _ = rendered(planned[0], "ru")  # no Russian version: the original
    assert title == "Пожалуйста, проголосуйте: Farbe des Treppenhauses"


def test_the_reminder_goes_to_those_it_names_and_waits_for_quiet_hours():
    planned = domain.plan(event("decision.reminder_came_due", notify=["cem"]), organisers=[])
    assert [(p.member_id, p.kind, p.urgent) for p in planned] == [("cem", "decision_reminder", False)]
    repo = FakeNotificationsRepository(
        Recipient(id="cem", community_id="c", email="cem@example.org", preferred_language="de",
                  timezone="Europe/Berlin", active=True),
        Preferences(id="cem", community_id="c", email=True, quiet_from="21:00", quiet_until="08:00"))
    at_night = datetime(2026, 12, 7, 22, 30, tzinfo=timezone.utc)  # 23:30 in Hamburg
    commands.handle_event(FakeUnitOfWork(repo), event("decision.reminder_came_due", notify=["cem"]), at_night)
    (delivery,) = repo.all(Delivery)
    assert as_utc(delivery.due_at) == parse_iso("2026-12-08T07:00:00Z")  # 08:00 in Hamburg


def test_everyone_in_the_audience_reads_the_poll_s_result_with_the_options_in_their_language():
    closed = event("decision.closed", audience=["ayse", "bora"], passed=None,
                   results={"votes": 3, "by_option": {"0": 2, "1": 1}})
    planned = domain.plan(closed, organisers=[])
    assert [(p.member_id, p.kind) for p in planned] == [("ayse", "decision_result"), ("bora", "decision_result")]
    title, body = rendered(planned[0], "tr")
    assert title == "Sonuç: Merdiven boşluğunun rengi" and "Sarı: 2\nMavi: 1" in body and "3" in body
    _, body = rendered(planned[0], "ar")
    assert "Gelb: 2\nBlau: 1" in body


def test_a_consent_round_s_outcome_is_said_as_agreed_or_not():
    consent = {**TEXTS, "kind": "consent", "options": {}}
    agreed = {"event_id": "e2", "type": "decision.closed", "community_id": "c", "payload": {
        **consent, "audience": ["ayse"], "passed": True,
        "results": {"votes": 2, "consent": 1, "stand_aside": 1, "objection": 0, "objections": []}}}
    (planned,) = domain.plan(agreed, organisers=[])
    assert planned.kind == "decision_passed"
    assert rendered(planned, "de")[0] == "Beschlossen: Farbe des Treppenhauses"
    agreed["payload"].update(passed=False, results={"votes": 1, "consent": 0, "stand_aside": 0, "objection": 1,
                                                    "objections": [{"reason": "zu laut"}]})
    (planned,) = domain.plan(agreed, organisers=[])
    assert planned.kind == "decision_not_passed" and "zu laut" not in str(planned.facts)
    assert "(1)" in rendered(planned, "de")[1]


def test_a_vote_cast_for_a_member_lands_in_their_inbox_and_nothing_else_does():
    by_organiser = event("decision.vote_cast", member_id="cem", acted_by={
        "member_id": "olga", "display_name": "Olga", "for": "cem", "recorded": True, "note": "am Telefon"})
    (planned,) = domain.plan(by_organiser, organisers=[])
    assert (planned.member_id, planned.kind, planned.facts["action"]) == ("cem", "recorded_for_you",
                                                                          "decision.vote_cast")
    assert domain.plan(event("decision.vote_cast", member_id="cem"), organisers=[]) == []
