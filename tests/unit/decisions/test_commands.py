"""The decisions commands on the real repository (in memory): opening, votes replaced until the close, secret votes
final and unlinkable, recorded answers, the call list, the close and the timer, export and erasure."""
from datetime import timedelta

import pytest

from services.common.clock import isoformat_z
from services.common.errors import Conflict, Forbidden, Invalid, NotFound
from services.decisions import commands
from services.decisions.models import Decision
from tests.unit.decisions.conftest import NOW


@pytest.fixture
def people(house):
    olga = house.join("olga", role="organiser", household="Büro", phone="040 999")
    ayse = house.join("ayse", language="tr", languages=("tr", "de"), phone="040 111", household="B2")
    bora = house.join("bora", phone="040 222", household="A1")
    cem = house.join("cem", language="ar", languages=("ar",), household="C3")
    return olga, ayse, bora, cem


def open_poll(house, olga, **extra):
    body = {"title": "Farbe des Treppenhauses", "body": "Welche Farbe soll das Treppenhaus bekommen?",
            "kind": "poll", "options": ["Gelb", "Blau", "Grün"],
            "closes_at": isoformat_z(NOW + timedelta(days=7)),
            "translations": {"tr": {"title": "Merdiven boşluğunun rengi", "body": "Hangi renk?",
                                    "options": ["Sarı", "Mavi", "Yeşil"]}}, **extra}
    return commands.open_decision(house.work(), olga, body, NOW)


def open_consent(house, olga, **extra):
    body = {"title": "Gartenküche für private Feiern", "body": "Darf man sie privat buchen?", "kind": "consent",
            "closes_at": isoformat_z(NOW + timedelta(days=3)), **extra}
    return commands.open_decision(house.work(), olga, body, NOW)


def vote(house, who, decision, body, now=NOW):
    return commands.vote(house.work(), who, decision["id"], body, now)


def test_a_poll_opens_for_its_audience_in_each_reader_s_language(house, people):
    olga, ayse, bora, cem = people
    poll = open_poll(house, olga)
    assert poll["status"] == "open" and poll["audience_size"] == 4
    (opened,) = house.events("decision.opened")
    assert opened["payload"]["audience"] == ["ayse", "bora", "cem", "olga"]
    assert opened["payload"]["titles"] == {"de": "Farbe des Treppenhauses", "tr": "Merdiven boşluğunun rengi"}
    seen = commands.get_decision(house.work(), ayse, poll["id"])
    assert (seen["title"], seen["options"], seen["language"]) == ("Merdiven boşluğunun rengi",
                                                                  ["Sarı", "Mavi", "Yeşil"], "tr")
    arabic = commands.get_decision(house.work(), cem, poll["id"])
    assert (arabic["title"], arabic["language"], arabic["direction"]) == ("Farbe des Treppenhauses", "de", "ltr")
    assert "translations" not in seen and "tr" in commands.get_decision(house.work(), olga, poll["id"])["translations"]


def test_only_organisers_open_and_the_audience_must_name_someone(house, people):
    olga, ayse, *_ = people
    with pytest.raises(Forbidden):
        open_poll(house, ayse)
    with pytest.raises(Invalid) as nobody:
        open_poll(house, olga, audience={"household": "Z9"})
    assert nobody.value.errors == {"audience": ["Nobody matches."]}
    with pytest.raises(Invalid) as too_soon:
        open_poll(house, olga, closes_at=isoformat_z(NOW + timedelta(minutes=1)))
    assert "closes_at" in too_soon.value.errors


def test_a_flat_s_decision_is_seen_and_voted_only_by_the_flat(house, people):
    olga, ayse, bora, cem = people
    flat = open_poll(house, olga, audience={"household": "B2"})
    assert vote(house, ayse, flat, {"options": [0]})["my_vote"]["options"] == [0]
    with pytest.raises(NotFound):
        commands.get_decision(house.work(), bora, flat["id"])
    with pytest.raises(Forbidden):
        vote(house, bora, flat, {"options": [0]})
    assert [d["id"] for d in commands.list_decisions(house.work(), bora, {})["items"]] == []
    assert [d["id"] for d in commands.list_decisions(house.work(), olga, {})["items"]] == [flat["id"]]


def test_an_open_vote_is_replaced_until_the_close_and_refused_after_it(house, people):
    olga, ayse, bora, cem = people
    poll = open_poll(house, olga)
    vote(house, ayse, poll, {"options": [0]})
    vote(house, bora, poll, {"options": [0]})
    vote(house, ayse, poll, {"options": [2]})  # changed her mind
    seen = commands.get_decision(house.work(), ayse, poll["id"])
    assert seen["my_vote"]["options"] == [2]
    assert seen["results"]["by_option"] == {"0": 1, "1": 0, "2": 1} and seen["results"]["votes"] == 2
    closed = commands.close(house.work(), olga, poll["id"], NOW + timedelta(hours=1))
    assert closed["status"] == "closed" and closed["results"]["by_option"] == {"0": 1, "1": 0, "2": 1}
    with pytest.raises(Conflict):
        vote(house, cem, poll, {"options": [1]})
    with pytest.raises(Conflict):
        commands.close(house.work(), olga, poll["id"], NOW + timedelta(hours=2))
    (event,) = house.events("decision.closed")
    assert event["payload"]["results"]["by_option"] == {"0": 1, "1": 0, "2": 1}
    assert event["payload"]["audience"] == ["ayse", "bora", "cem", "olga"]


def test_a_ballot_that_does_not_fit_is_a_422_naming_the_field(house, people):
    olga, ayse, *_ = people
    poll = open_poll(house, olga, multiple=True, max_choices=2)
    with pytest.raises(Invalid) as too_many:
        vote(house, ayse, poll, {"options": [0, 1, 2]})
    assert too_many.value.errors == {"options": ["At most 2."]}
    with pytest.raises(Invalid):
        vote(house, ayse, poll, {"position": "consent"})
    with pytest.raises(Invalid):
        vote(house, ayse, poll, {"options": [0], "note": "Telefon"})  # a note only with on_behalf_of


def test_a_consent_round_passes_without_objections_and_fails_with_one_whose_reason_everyone_reads(house, people):
    olga, ayse, bora, cem = people
    quiet = open_consent(house, olga)
    vote(house, ayse, quiet, {"position": "consent"})
    vote(house, bora, quiet, {"position": "stand_aside"})
    assert commands.close(house.work(), olga, quiet["id"], NOW)["passed"] is True

    disputed = open_consent(house, olga)
    vote(house, ayse, disputed, {"position": "consent"})
    vote(house, bora, disputed, {"position": "objection", "reason": "Zu laut am Abend"})
    while_open = commands.get_decision(house.work(), cem, disputed["id"])
    assert while_open["results"]["objections"] == [{"display_name": "Bora", "reason": "Zu laut am Abend"}]
    closed = commands.close(house.work(), olga, disputed["id"], NOW)
    assert closed["passed"] is False and closed["results"]["objection"] == 1
    seen = commands.get_decision(house.work(), cem, disputed["id"])
    assert seen["results"]["objections"] == [{"display_name": "Bora", "reason": "Zu laut am Abend"}]


def test_a_secret_vote_is_final_and_keeps_nothing_that_links_a_member_to_a_choice(house, people):
    olga, ayse, bora, cem = people
    secret = open_poll(house, olga, secret=True)
    assert vote(house, ayse, secret, {"options": [1]})["my_vote"] == {"cast": True, "secret": True, "recorded": False}
    with pytest.raises(Conflict, match="final"):
        vote(house, ayse, secret, {"options": [0]})
    vote(house, cem, secret, {"options": [0]})
    vote(house, olga, secret, {"options": [1], "on_behalf_of": "bora", "note": "am Telefon: Blau"})
    seen = commands.get_decision(house.work(), ayse, secret["id"])
    assert seen["results"] is None and seen["my_vote"] == {"cast": True, "secret": True} and seen["voted"] == 3
    assert commands.not_voted(house.work(), olga, secret["id"]) == [
        {"member_id": "olga", "display_name": "Olga", "phone": "040 999", "household": "Büro",
         "preferred_language": "de"}]
    stored = Decision._get_collection().find_one({"_id": secret["id"]})
    assert stored["voters"] == ["ayse", "bora", "cem"]  # sorted, not in the order they voted
    assert stored["counters"] == {"1": 2, "0": 1} and stored["assisted"] == 1 and stored["ballots"] == {}
    assert "am Telefon" not in str(stored)  # the note of a secret answer is not kept: it could name the choice
    assert commands.export(house.work(), ayse)["decisions"][0]["my_vote"] == {"cast": True, "secret": True}
    closed = commands.close(house.work(), olga, secret["id"], NOW)
    assert closed["results"] == {"votes": 3, "by_option": {"0": 1, "1": 2, "2": 0}, "assisted": 1}


def test_a_secret_consent_round_shows_the_reasons_without_names(house, people):
    olga, ayse, bora, cem = people
    secret = open_consent(house, olga, secret=True)
    vote(house, bora, secret, {"position": "objection", "reason": "Zu teuer"})
    vote(house, ayse, secret, {"position": "objection", "reason": "Aber die Nachbarn"})
    closed = commands.close(house.work(), olga, secret["id"], NOW)
    assert closed["passed"] is False
    assert closed["results"]["objections"] == [{"display_name": None, "reason": "Aber die Nachbarn"},
                                               {"display_name": None, "reason": "Zu teuer"}]  # sorted, no order


def test_an_organiser_records_a_phone_answer_flagged_and_the_call_list_shrinks(house, people):
    olga, ayse, bora, cem = people
    poll = open_poll(house, olga)
    assert [p["member_id"] for p in commands.not_voted(house.work(), olga, poll["id"])] == [
        "bora", "ayse", "olga", "cem"]  # by flat: A1, B2, Büro, C3
    recorded = vote(house, olga, poll, {"options": [1], "on_behalf_of": "cem", "note": "am Telefon"})
    assert recorded["member_id"] == "cem" and recorded["my_vote"]["recorded"] is True
    assert commands.get_decision(house.work(), cem, poll["id"])["my_vote"] == {
        "cast": True, "secret": False, "recorded": True, "note": "am Telefon", "options": [1]}
    assert [p["member_id"] for p in commands.not_voted(house.work(), olga, poll["id"])] == ["bora", "ayse", "olga"]
    (cast,) = house.events("decision.vote_cast")
    assert cast["payload"]["member_id"] == "cem" and cast["payload"]["acted_by"]["recorded"] is True
    assert commands.get_decision(house.work(), olga, poll["id"])["results"]["recorded"] == 1
    with pytest.raises(Forbidden):
        vote(house, ayse, poll, {"options": [1], "on_behalf_of": "bora"})
    with pytest.raises(Forbidden):
        commands.not_voted(house.work(), ayse, poll["id"])
    with pytest.raises(NotFound):
        vote(house, olga, poll, {"options": [1], "on_behalf_of": "nobody"})


def test_a_vote_that_lands_between_the_close_s_read_and_its_write_makes_it_count_again(house, people, monkeypatch):
    olga, ayse, bora, cem = people
    poll = open_poll(house, olga)
    vote(house, ayse, poll, {"options": [0]})
    real_close = house.repo.close
    raced = []

    def close_after_a_vote(*args, **kwargs):
        if not raced:
            raced.append(vote(house, bora, poll, {"options": [2]}))  # after the close read, before it writes
        return real_close(*args, **kwargs)

    monkeypatch.setattr(house.repo, "close", close_after_a_vote)
    closed = commands.close(house.work(), olga, poll["id"], NOW)
    assert raced and closed["results"]["by_option"] == {"0": 1, "1": 0, "2": 1}
    assert len(house.events("decision.closed")) == 1


def test_the_timer_reminds_those_who_have_not_voted_the_day_before_and_closes_once(house, people):
    olga, ayse, bora, cem = people
    poll = open_poll(house, olga)  # closes in 7 days
    vote(house, ayse, poll, {"options": [0]})
    assert commands.watch(house.work(), NOW + timedelta(days=5)) == {"closed": 0, "reminded": 0}
    assert commands.watch(house.work(), NOW + timedelta(days=6)) == {"closed": 0, "reminded": 1}
    assert commands.watch(house.work(), NOW + timedelta(days=6, hours=1)) == {"closed": 0, "reminded": 0}
    (reminder,) = house.events("decision.reminder_came_due")
    assert reminder["payload"]["notify"] == ["bora", "cem", "olga"]
    assert commands.watch(house.work(), NOW + timedelta(days=7)) == {"closed": 1, "reminded": 0}
    assert commands.watch(house.work(), NOW + timedelta(days=8)) == {"closed": 0, "reminded": 0}
    assert commands.get_decision(house.work(), ayse, poll["id"])["closed_at"] == isoformat_z(NOW + timedelta(days=7))
    assert len(house.events("decision.closed")) == 1


def test_leaving_and_erasure(house, people):
    olga, ayse, bora, cem = people
    poll = open_consent(house, olga)
    vote(house, bora, poll, {"position": "objection", "reason": "Meine Worte"})
    commands.on_member_gone(house.work(), "cem", erased=False)
    assert "cem" not in [p["member_id"] for p in commands.not_voted(house.work(), olga, poll["id"])]
    commands.close(house.work(), olga, poll["id"], NOW)
    commands.on_member_gone(house.work(), "bora", erased=True)
    commands.on_member_gone(house.work(), "bora", erased=True)  # a second delivery changes nothing
    stored = Decision._get_collection().find_one({"_id": poll["id"]})
    assert "Meine Worte" not in str(stored) and "bora" not in str(stored)
    assert stored["results"]["objection"] == 1  # the house's decision stands
    assert commands.export(house.work(), {"member_id": "bora", "community_id": "c-altona"}) == {"decisions": []}
