"""The rules of deciding together, as pure functions: ballots and their limits, tallies, the consent outcome, the
audience, the closing rules and the language a member reads."""
from datetime import datetime, timedelta, timezone

import pytest

from services.decisions import domain
from services.decisions.domain import Elector

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def poll_ballot(options, *, count=4, multiple=False, max_choices=None):
    return domain.ballot("poll", option_count=count, multiple=multiple, max_choices=max_choices,
                         vote={"options": options})


# -- multiple-choice limits ----------------------------------------------------------------------------------------
def test_a_single_choice_poll_takes_exactly_one_option():
    assert poll_ballot([2]) == {"options": [2]}
    with pytest.raises(domain.InvalidBallot) as refused:
        poll_ballot([0, 1])
    assert refused.value.errors == {"options": ["At most 1."]}


def test_a_multiple_choice_poll_takes_up_to_its_limit_sorted_and_each_option_once():
    assert poll_ballot([3, 0], multiple=True) == {"options": [0, 3]}
    assert poll_ballot([0, 1, 2, 3], multiple=True) == {"options": [0, 1, 2, 3]}  # no limit: every option
    assert poll_ballot([1, 2], multiple=True, max_choices=2) == {"options": [1, 2]}
    with pytest.raises(domain.InvalidBallot, match="at most 2 options"):
        poll_ballot([0, 1, 2], multiple=True, max_choices=2)
    with pytest.raises(domain.InvalidBallot, match="once"):
        poll_ballot([1, 1], multiple=True)


@pytest.mark.parametrize("index", [4, 11, -1])
def test_an_option_the_poll_does_not_have_is_refused(index):
    with pytest.raises(domain.InvalidBallot, match="no such option"):
        poll_ballot([index])


def test_a_ballot_of_the_wrong_kind_is_refused():
    with pytest.raises(domain.InvalidBallot, match="poll"):
        domain.ballot("poll", option_count=2, multiple=False, max_choices=None, vote={"position": "consent"})
    with pytest.raises(domain.InvalidBallot, match="consent round"):
        domain.ballot("consent", option_count=0, multiple=False, max_choices=None, vote={"options": [0]})


def test_an_objection_needs_its_reason_and_other_positions_keep_theirs_optional():
    consent = dict(option_count=0, multiple=False, max_choices=None)
    with pytest.raises(domain.InvalidBallot, match="reason"):
        domain.ballot("consent", **consent, vote={"position": "objection", "reason": "   "})
    assert domain.ballot("consent", **consent, vote={"position": "objection", "reason": " Zu laut "}) == {
        "position": "objection", "reason": "Zu laut"}
    assert domain.ballot("consent", **consent, vote={"position": "stand_aside"}) == {
        "position": "stand_aside", "reason": None}


# -- tallies ----------------------------------------------------------------------------------------------------------
def test_a_poll_tally_counts_every_option_including_those_nobody_chose():
    ballots = [{"options": [0]}, {"options": [0, 2]}, {"options": [2]}]
    assert domain.tally("poll", 3, ballots) == {"votes": 3, "by_option": {"0": 2, "1": 0, "2": 2}}
    assert domain.tally("poll", 2, []) == {"votes": 0, "by_option": {"0": 0, "1": 0}}


def test_a_consent_tally_counts_positions_and_lists_the_objections_with_who_objected():
    ballots = [{"member_id": "a", "position": "consent"}, {"member_id": "b", "position": "objection", "reason": "Lärm"},
               {"member_id": "c", "position": "stand_aside"}, {"member_id": "d", "position": "consent"}]
    assert domain.tally("consent", 0, ballots) == {
        "votes": 4, "consent": 2, "stand_aside": 1, "objection": 1,
        "objections": [{"member_id": "b", "reason": "Lärm"}]}


def test_a_secret_tally_comes_from_the_counters_alone():
    assert domain.secret_tally("poll", 3, votes=5, counters={"0": 4, "2": 1}, reasons=[]) == {
        "votes": 5, "by_option": {"0": 4, "1": 0, "2": 1}}
    assert domain.secret_tally("consent", 0, votes=2, counters={"objection": 1, "consent": 1},
                               reasons=["Zu teuer"]) == {
        "votes": 2, "consent": 1, "stand_aside": 0, "objection": 1,
        "objections": [{"member_id": None, "reason": "Zu teuer"}]}
    assert domain.counter_keys("poll", {"options": [0, 3]}) == ["0", "3"]
    assert domain.counter_keys("consent", {"position": "stand_aside", "reason": None}) == ["stand_aside"]


# -- the consent outcome ------------------------------------------------------------------------------------------------
def test_a_consent_round_passes_with_no_objection_even_with_people_standing_aside_or_nobody_voting():
    assert domain.passed("consent", {"consent": 3, "stand_aside": 2, "objection": 0}) is True
    assert domain.passed("consent", {"votes": 0, "consent": 0, "stand_aside": 0, "objection": 0}) is True
    assert domain.passed("consent", {"consent": 9, "stand_aside": 0, "objection": 1}) is False
    assert domain.passed("poll", {"votes": 3}) is None


# -- the audience --------------------------------------------------------------------------------------------------------
HOUSE = [Elector("ayse", household="B2", languages=("tr", "de"), preferred_language="tr"),
         Elector("bora", household="B2", languages=("de",), preferred_language="de"),
         Elector("cem", household="A1", languages=("ar",), preferred_language="ar"),
         Elector("dora", active=False, household="B2", languages=("tr",), preferred_language="tr"),
         Elector("sina", household=None, languages=("tr",), preferred_language="tr", role="supporter")]


def test_the_audience_is_everybody_a_flat_or_the_speakers_of_a_language_active_members_of_the_house_only():
    assert domain.audience("all", HOUSE) == ["ayse", "bora", "cem"]
    assert domain.audience({"household": "B2"}, HOUSE) == ["ayse", "bora"]
    assert domain.audience({"language": "tr"}, HOUSE) == ["ayse"]
    assert domain.audience({"language": "ar"}, HOUSE) == ["cem"]
    with pytest.raises(domain.NobodyMatches):
        domain.audience({"household": "Z9"}, HOUSE)


# -- closing rules -------------------------------------------------------------------------------------------------------
def test_a_decision_closes_at_least_five_minutes_and_at_most_a_year_ahead():
    domain.check_new("poll", ["a", "b"], NOW + timedelta(minutes=5), NOW)
    domain.check_new("consent", None, NOW + timedelta(days=366), NOW)
    with pytest.raises(domain.InvalidDecision, match="five minutes"):
        domain.check_new("poll", ["a", "b"], NOW + timedelta(minutes=4), NOW)
    with pytest.raises(domain.InvalidDecision, match="year"):
        domain.check_new("poll", ["a", "b"], NOW + timedelta(days=367), NOW)
    with pytest.raises(domain.InvalidDecision, match="different"):
        domain.check_new("poll", ["Gelb", " gelb"], NOW + timedelta(days=3), NOW)


def test_it_is_due_at_its_closing_time_and_only_while_open():
    closes = NOW + timedelta(hours=1)
    assert not domain.is_due("open", closes, closes - timedelta(seconds=1))
    assert domain.is_due("open", closes, closes)
    assert not domain.is_due("closed", closes, closes + timedelta(days=1))


def test_the_reminder_comes_the_day_before_unless_the_decision_is_short():
    assert domain.reminder_at(NOW, NOW + timedelta(days=7)) == NOW + timedelta(days=6)
    assert domain.reminder_at(NOW, NOW + timedelta(hours=36)) == NOW + timedelta(hours=12)
    assert domain.reminder_at(NOW, NOW + timedelta(hours=35)) is None


def test_voting_is_refused_after_the_close_outside_the_audience_and_twice_in_a_secret_vote():
    domain.check_may_vote(status="open", in_audience=True, secret=False, voted_before=True)
    with pytest.raises(domain.AlreadyClosed):
        domain.check_may_vote(status="closed", in_audience=True, secret=False, voted_before=False)
    with pytest.raises(domain.NotInAudience):
        domain.check_may_vote(status="open", in_audience=False, secret=False, voted_before=False)
    with pytest.raises(domain.SecretVoteFinal):
        domain.check_may_vote(status="open", in_audience=True, secret=True, voted_before=True)


# -- languages ------------------------------------------------------------------------------------------------------------
ORIGINAL = {"title": "Farbe", "body": "Welche Farbe?", "options": ["Gelb", "Blau"], "language": "de"}
TRANSLATIONS = {"tr": {"title": "Renk", "body": "Hangi renk?", "options": ["Sarı", "Mavi"]},
                "en": {"title": "Colour", "body": "Which colour?"}}


def test_a_member_reads_their_language_else_the_original():
    assert domain.text_for(ORIGINAL, TRANSLATIONS, "tr") == (
        {"title": "Renk", "body": "Hangi renk?", "options": ["Sarı", "Mavi"]}, "tr")
    assert domain.text_for(ORIGINAL, TRANSLATIONS, "en")[0]["options"] == ["Gelb", "Blau"]  # none translated
    assert domain.text_for(ORIGINAL, TRANSLATIONS, "ar") == (
        {"title": "Farbe", "body": "Welche Farbe?", "options": ["Gelb", "Blau"]}, "de")
    assert domain.text_for(ORIGINAL, TRANSLATIONS, "de-x-ls")[1] == "de"  # Leichte Sprache: German without one
    assert domain.text_for(ORIGINAL, {**TRANSLATIONS, "de-x-ls": {"title": "Farbe leicht", "body": "B"}},
                           "de-x-ls")[0]["title"] == "Farbe leicht"
