"""Who hears of what, and when an email may go: the notification rules without a broker."""
from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest

from services.notifications import domain

BERLIN = ZoneInfo("Europe/Berlin")


def event(type_, **payload):
    return {"event_id": "e1", "type": type_, "community_id": "c", "payload": payload}


def kinds(planned):
    return sorted((p.member_id, p.kind) for p in planned)


BOOKING = {"booking_id": "b1", "space_name": "Gemeinschaftsraum", "member_id": "ayse", "start": "2026-12-24T17:00:00Z",
           "end": "2026-12-24T19:00:00Z"}


class TestRouting:
    def test_a_confirmed_booking_is_told_to_the_booker(self):
        assert kinds(domain.plan(event("booking.confirmed", **BOOKING), organisers=["olga"])) == [
            ("ayse", "booking_confirmed")]

    def test_a_pending_booking_is_told_to_the_booker_and_every_organiser(self):
        planned = domain.plan(event("booking.requested", **BOOKING), organisers=["olga", "otto"])
        assert kinds(planned) == [("ayse", "booking_pending"), ("olga", "booking_approval_needed"),
                                  ("otto", "booking_approval_needed")]

    def test_an_organiser_who_books_is_not_asked_to_approve_their_own_booking(self):
        planned = domain.plan(event("booking.requested", **{**BOOKING, "member_id": "olga"}), organisers=["olga"])
        assert kinds(planned) == [("olga", "booking_pending")]

    @pytest.mark.parametrize("type_, kind", [("booking.approved", "booking_approved"),
                                             ("booking.rejected", "booking_rejected"),
                                             ("booking.reminder_came_due", "booking_reminder"),
                                             ("booking.reminder_due", "booking_reminder")])  # the old name
    def test_decisions_and_reminders_go_to_the_booker(self, type_, kind):
        assert kinds(domain.plan(event(type_, **BOOKING), organisers=[])) == [("ayse", kind)]

    def test_cancelling_ones_own_booking_tells_nobody(self):
        assert domain.plan(event("booking.cancelled", **BOOKING, cancelled_by="ayse"), organisers=[]) == []

    def test_a_booking_cancelled_by_an_organiser_is_told_to_the_booker_as_such(self):
        planned = domain.plan(event("booking.cancelled", **BOOKING, cancelled_by="olga"), organisers=[])
        assert kinds(planned) == [("ayse", "booking_cancelled")] and planned[0].facts["by_organiser"] is True

    def test_a_booking_cancelled_by_the_system_is_not_said_to_be_the_organisers_doing(self):
        planned = domain.plan(event("booking.cancelled", **BOOKING, cancelled_by="system"), organisers=[])
        assert planned[0].facts["by_organiser"] is False

    def test_a_help_request_reaches_its_audience_but_never_the_requester(self):
        planned = domain.plan(event("help.requested", request_id="r", requester_id="ayse", title="Einkauf",
                                    category="shopping", audience=["bora", "ayse", "cem"]), organisers=[])
        assert kinds(planned) == [("bora", "help_requested"), ("cem", "help_requested")]
        assert planned[0].facts["name_of"] == "ayse"

    def test_an_offer_is_told_to_the_requester_naming_the_helper(self):
        planned = domain.plan(event("help.offered", request_id="r", requester_id="ayse", helper_id="bora",
                                    title="Einkauf"), organisers=[])
        assert kinds(planned) == [("ayse", "help_offer_received")] and planned[0].facts["name_of"] == "bora"

    @pytest.mark.parametrize("type_, kind", [("help.accepted", "help_offer_accepted"),
                                             ("help.completed", "help_completed")])
    def test_acceptance_and_completion_are_told_to_the_helper(self, type_, kind):
        planned = domain.plan(event(type_, request_id="r", requester_id="ayse", helper_id="bora", title="x"),
                              organisers=[])
        assert kinds(planned) == [("bora", kind)]

    def test_a_request_cancelled_by_an_organiser_is_told_to_requester_and_helper(self):
        planned = domain.plan(event("help.cancelled", request_id="r", requester_id="ayse", helper_id="bora",
                                    title="x", cancelled_by="olga"), organisers=[])
        assert kinds(planned) == [("ayse", "help_cancelled"), ("bora", "help_cancelled")]

    def test_expiry_is_told_to_the_requester(self):
        assert kinds(domain.plan(event("help.expired", request_id="r", requester_id="ayse", title="x"),
                                 organisers=[])) == [("ayse", "help_expired")]

    def test_a_new_member_is_welcomed(self):
        assert kinds(domain.plan(event("member.joined", member_id="m1", display_name="Ayşe"), organisers=[])) == [
            ("m1", "welcome")]

    def test_an_unknown_event_type_causes_nothing(self):
        assert domain.plan(event("garden.watered", member_id="m1"), organisers=["olga"]) == []

    def test_a_help_request_without_an_audience_tells_nobody(self):
        assert domain.plan(event("help.requested", request_id="r", requester_id="ayse", title="x"),
                           organisers=["olga"]) == []

    def test_a_request_cancelled_by_its_requester_before_anyone_helped_tells_nobody(self):
        assert domain.plan(event("help.cancelled", request_id="r", requester_id="ayse", title="x",
                                 cancelled_by="ayse"), organisers=["olga"]) == []


BOOKING_FACTS = {"space": "Gemeinschaftsraum", "start": "2026-12-24T17:00:00Z", "end": "2026-12-24T19:00:00Z",
                 "name_of": "ayse", "booking_id": "b1"}
HELP = {"request_id": "r1", "requester_id": "ayse", "helper_id": "bora", "title": "Einkauf", "category": "shopping"}
HELP_FACTS = {"title": "Einkauf", "category": "shopping", "request_id": "r1"}


@pytest.mark.parametrize("type_, payload, expected", [
    ("booking.confirmed", BOOKING, [
        domain.Planned("ayse", "booking_confirmed", BOOKING_FACTS, "/bookings/b1")]),
    ("booking.requested", BOOKING, [
        domain.Planned("ayse", "booking_pending", BOOKING_FACTS, "/bookings/b1"),
        domain.Planned("olga", "booking_approval_needed", BOOKING_FACTS, "/bookings/b1")]),
    ("booking.cancelled", {**BOOKING, "cancelled_by": "olga"}, [
        domain.Planned("ayse", "booking_cancelled", {**BOOKING_FACTS, "by_organiser": True}, "/bookings/b1")]),
    ("booking.reminder_came_due", BOOKING, [
        domain.Planned("ayse", "booking_reminder", BOOKING_FACTS, "/bookings/b1")]),
    ("help.requested", {**HELP, "audience": ["cem", "dana"]}, [
        domain.Planned("cem", "help_requested", {**HELP_FACTS, "name_of": "ayse"}, "/help/r1"),
        domain.Planned("dana", "help_requested", {**HELP_FACTS, "name_of": "ayse"}, "/help/r1")]),
    ("help.offered", HELP, [
        domain.Planned("ayse", "help_offer_received", {**HELP_FACTS, "name_of": "bora"}, "/help/r1")]),
    ("help.accepted", HELP, [
        domain.Planned("bora", "help_offer_accepted", {**HELP_FACTS, "name_of": "ayse"}, "/help/r1")]),
    ("help.cancelled", {**HELP, "cancelled_by": "olga"}, [
        domain.Planned("bora", "help_cancelled", {**HELP_FACTS, "name_of": "ayse"}, "/help/r1"),
        domain.Planned("ayse", "help_cancelled", {**HELP_FACTS, "name_of": "ayse"}, "/help/r1")]),
    ("help.reopened", HELP, [
        domain.Planned("ayse", "help_reopened", {**HELP_FACTS, "name_of": "bora"}, "/help/r1")]),
    ("help.expired", {key: value for key, value in HELP.items() if key != "helper_id"}, [
        domain.Planned("ayse", "help_expired", {**HELP_FACTS, "name_of": None}, "/help/r1")]),
    ("member.joined", {"member_id": "m1", "display_name": "Ayşe"}, [
        domain.Planned("m1", "welcome", {"name_of": "m1"}, "/")]),
])
def test_each_notification_carries_the_facts_its_text_needs_and_links_to_what_it_is_about(type_, payload, expected):
    assert domain.plan(event(type_, **payload), organisers=["olga"]) == expected


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


class TestQuietHours:
    def test_an_email_in_the_afternoon_goes_at_once(self):
        now = utc(2026, 12, 1, 14, 0)
        assert domain.email_due_at(now, BERLIN) == now

    def test_an_email_late_in_the_evening_waits_until_eight_next_morning(self):
        assert domain.email_due_at(utc(2026, 12, 1, 21, 30), BERLIN) == utc(2026, 12, 2, 7, 0)  # 08:00 CET

    def test_an_email_after_midnight_waits_until_eight_the_same_morning(self):
        assert domain.email_due_at(utc(2026, 12, 2, 1, 0), BERLIN) == utc(2026, 12, 2, 7, 0)

    def test_quiet_hours_begin_exactly_at_nine_in_the_evening_local_time(self):
        assert domain.email_due_at(utc(2026, 12, 1, 19, 59), BERLIN) == utc(2026, 12, 1, 19, 59)
        assert domain.email_due_at(utc(2026, 12, 1, 20, 0), BERLIN) == utc(2026, 12, 2, 7, 0)

    def test_the_night_the_clocks_go_forward_ends_at_eight_summer_time(self):
        assert domain.email_due_at(utc(2026, 3, 28, 22, 0), BERLIN) == utc(2026, 3, 29, 6, 0)  # 08:00 CEST

    def test_the_night_the_clocks_go_back_ends_at_eight_winter_time(self):
        assert domain.email_due_at(utc(2026, 10, 24, 21, 0), BERLIN) == utc(2026, 10, 25, 7, 0)  # 08:00 CET

    def test_an_urgent_notice_does_not_wait(self):
        now = utc(2026, 12, 1, 23, 0)
        assert domain.email_due_at(now, BERLIN, urgent=True) == now

    def test_quiet_hours_within_one_day_are_respected(self):
        # 12:30 local is before a 13:00–15:00 siesta; 13:30 local waits until 14:00 local.
        assert domain.email_due_at(utc(2026, 12, 1, 11, 30), BERLIN, quiet_from=time(13, 0),
                                   quiet_until=time(15, 0)) == utc(2026, 12, 1, 11, 30)
        assert domain.email_due_at(utc(2026, 12, 1, 12, 30), BERLIN, quiet_from=time(13, 0),
                                   quiet_until=time(14, 0)) == utc(2026, 12, 1, 13, 0)

    def test_a_time_given_on_the_communitys_clock_is_answered_on_it(self):
        evening = datetime(2026, 12, 1, 22, 30, tzinfo=BERLIN)
        assert domain.email_due_at(evening, BERLIN).isoformat() == "2026-12-02T08:00:00+01:00"
        assert domain.next_digest_at(evening, BERLIN).isoformat() == "2026-12-02T08:00:00+01:00"

    def test_the_daily_digest_goes_at_eight_in_the_morning(self):
        assert domain.next_digest_at(utc(2026, 12, 1, 6, 0), BERLIN) == utc(2026, 12, 1, 7, 0)
        assert domain.next_digest_at(utc(2026, 12, 1, 9, 0), BERLIN) == utc(2026, 12, 2, 7, 0)

    def test_quiet_hours_end_exactly_at_eight_local_time(self):
        assert domain.email_due_at(utc(2026, 12, 2, 7, 0), BERLIN) == utc(2026, 12, 2, 7, 0)

    def test_quiet_hours_within_one_day_begin_at_their_start_and_end_at_their_end(self):
        siesta = dict(quiet_from=time(13, 0), quiet_until=time(14, 0))
        assert domain.email_due_at(utc(2026, 12, 1, 12, 0), BERLIN, **siesta) == utc(2026, 12, 1, 13, 0)
        assert domain.email_due_at(utc(2026, 12, 1, 13, 0), BERLIN, **siesta) == utc(2026, 12, 1, 13, 0)

    def test_quiet_hours_that_begin_and_end_at_the_same_time_hold_nothing(self):
        now = utc(2026, 12, 1, 22, 0)
        assert domain.email_due_at(now, BERLIN, quiet_from=time(23, 0), quiet_until=time(23, 0)) == now

    def test_a_digest_due_at_eight_sharp_is_the_one_of_the_next_morning(self):
        # The digest of this morning is being sent at this moment: what comes now waits for tomorrow's.
        assert domain.next_digest_at(utc(2026, 12, 1, 7, 0), BERLIN) == utc(2026, 12, 2, 7, 0)

    @pytest.mark.parametrize("zone", ["America/New_York", "Pacific/Auckland"])
    def test_quiet_hours_and_the_digest_follow_the_communitys_clock_far_from_utc(self, zone):
        tz = ZoneInfo(zone)
        five_in_the_morning = datetime(2026, 12, 1, 5, 0, tzinfo=tz)
        eight = datetime(2026, 12, 1, 8, 0, tzinfo=tz)
        assert domain.email_due_at(five_in_the_morning.astimezone(timezone.utc), tz) == eight
        assert domain.next_digest_at(five_in_the_morning.astimezone(timezone.utc), tz) == eight


class TestNotices:
    PEOPLE = [domain.Neighbour("ayse", True, "B 2.1", ("tr", "de"), "tr"),
              domain.Neighbour("bora", True, "C 1.3", ("de",), "de"),
              domain.Neighbour("gone", False, "B 2.1", ("tr",), "tr"),
              domain.Neighbour("yusuf", True, "B 2.1", ("ar",), "ar")]

    def test_a_notice_to_all_reaches_every_active_member(self):
        assert domain.notice_audience("all", self.PEOPLE) == ["ayse", "bora", "yusuf"]

    def test_a_notice_to_a_household_reaches_its_active_members(self):
        assert domain.notice_audience({"household": "B 2.1"}, self.PEOPLE) == ["ayse", "yusuf"]

    def test_a_notice_to_the_speakers_of_a_language_reaches_them(self):
        assert domain.notice_audience({"language": "tr"}, self.PEOPLE) == ["ayse"]

    def test_a_language_reaches_who_reads_pages_in_it_and_who_only_speaks_it(self):
        people = [domain.Neighbour("reads", True, None, (), "ru"),
                  domain.Neighbour("speaks", True, None, ("ru",), "de"),
                  domain.Neighbour("neither", True, None, ("uk",), "de")]
        assert domain.notice_audience({"language": "ru"}, people) == ["reads", "speaks"]

    @pytest.mark.parametrize("audience", ["everyone", {"floor": 2}, None])
    def test_an_audience_the_rules_do_not_know_is_refused_by_name(self, audience):
        with pytest.raises(ValueError, match=f"unknown audience {audience!r}"):
            domain.notice_audience(audience, self.PEOPLE)

    def test_each_reader_gets_their_language_where_it_was_written_else_the_original(self):
        original = {"title": "Wasser", "body": "Am Dienstag kein Wasser.", "language": "de"}
        translations = {"tr": {"title": "Su", "body": "Salı günü su yok."}}
        assert domain.notice_text(original, translations, "tr") == ("Su", "Salı günü su yok.", "tr")
        assert domain.notice_text(original, translations, "ar") == ("Wasser", "Am Dienstag kein Wasser.", "de")


# -- done for a resident -----------------------------------------------------------------------------------------
def _event(type_, **payload):
    return {"event_id": "e-1", "type": type_, "community_id": "altona", "payload": payload}


@pytest.mark.parametrize("type_", ["checkin.away_set", "checkin.recorded", "booking.confirmed"])
def test_what_a_trusted_person_did_tells_the_resident_whatever_the_event(type_):
    planned = domain.plan(_event(type_, member_id="ayse", space_name="Saal",
                                 acted_by={"member_id": "deniz", "display_name": "Deniz", "for": "ayse"}),
                          organisers=[])
    told = [p for p in planned if p.kind == "done_for_you"]
    assert [(p.member_id, p.facts["name_of"], p.facts["action"]) for p in told] == [("ayse", "deniz", type_)]


@pytest.mark.parametrize("acted_by", [None, {"member_id": "ayse", "for": "ayse"}, {"member_id": "deniz"}])
def test_nothing_is_told_when_nobody_acted_for_someone_else(acted_by):
    planned = domain.plan(_event("checkin.away_set", member_id="ayse", acted_by=acted_by), organisers=[])
    assert planned == []


def test_an_answer_an_organiser_recorded_is_told_as_recorded_with_the_note():
    [told] = domain.plan(_event("checkin.recorded", member_id="ayse", acted_by={
        "member_id": "olga", "for": "ayse", "recorded": True, "note": "am Telefon"}), organisers=[])
    assert (told.member_id, told.kind, told.facts["note"]) == ("ayse", "recorded_for_you", "am Telefon")
    EASY = {"title": "Kein Wasser", "body": "Am Dienstag kommt kein Wasser."}

    def test_a_reader_of_leichte_sprache_gets_its_version_where_it_was_written(self):
        original = {"title": "Wasser", "body": "Am Dienstag kein Wasser.", "language": "de"}
        assert domain.notice_text(original, {"de-x-ls": self.EASY}, "de-x-ls") == (
            "Kein Wasser", "Am Dienstag kommt kein Wasser.", "de-x-ls")
        assert domain.notice_text(original, {"de-x-ls": self.EASY}, "de") == (
            "Wasser", "Am Dienstag kein Wasser.", "de")
        assert domain.notice_text(original, {"de-x-ls": self.EASY}, "tr") == (
            "Wasser", "Am Dienstag kein Wasser.", "de")

    def test_else_a_reader_of_leichte_sprache_gets_german_before_the_original(self):
        english = {"title": "Water", "body": "No water on Tuesday.", "language": "en"}
        german = {"de": {"title": "Wasser", "body": "Am Dienstag kein Wasser."}}
        assert domain.notice_text(english, german, "de-x-ls") == ("Wasser", "Am Dienstag kein Wasser.", "de")
        assert domain.notice_text(english, {}, "de-x-ls") == ("Water", "No water on Tuesday.", "en")
        written_easy = {"title": "Kein Wasser", "body": "Am Dienstag kommt kein Wasser.", "language": "de-x-ls"}
        assert domain.notice_text(written_easy, german, "de-x-ls")[2] == "de-x-ls"

    def test_german_reaches_readers_of_leichte_sprache_and_leichte_sprache_only_them(self):
        people = [domain.Neighbour("easy", True, None, (), "de-x-ls"),
                  domain.Neighbour("german", True, None, ("de",), "de"),
                  domain.Neighbour("turkish", True, None, ("tr",), "tr")]
        assert domain.notice_audience({"language": "de"}, people) == ["easy", "german"]
        assert domain.notice_audience({"language": "de-x-ls"}, people) == ["easy"]
