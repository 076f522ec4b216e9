"""The help service's commands on a unit of work in memory: asking, offering, accepting, finishing, leaving."""
from datetime import datetime, timedelta, timezone

import pytest

from services.common.errors import Conflict, Forbidden, Invalid
from services.help import commands
from services.help.models import StoredOffer, StoredRequest
from tests.support.fakes import FakeUnitOfWork, done, fresh
from tests.support.fakes.help import FakeHelpRepository

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)
COMMUNITY = "altona"
AYSE = {"member_id": "ayse", "community_id": COMMUNITY, "role": "resident", "display_name": "Ayşe"}
BORA = {**AYSE, "member_id": "bora", "display_name": "Bora"}
CEM = {**AYSE, "member_id": "cem", "display_name": "Cem"}
OLGA = {**AYSE, "member_id": "olga", "role": "organiser", "display_name": "Olga"}


def joined(actor: dict, languages=("de",), phone=None) -> dict:
    return {"event_id": f"joined-{actor['member_id']}", "type": "member.joined", "community_id": COMMUNITY,
            "payload": {"member_id": actor["member_id"], "display_name": actor["display_name"], "phone": phone,
                        "household": f"Haus {actor['display_name']}", "languages": list(languages), "active": True}}


@pytest.fixture
def uow():
    unit = FakeUnitOfWork(FakeHelpRepository())
    for actor, languages in ((AYSE, ("tr", "de")), (BORA, ("de",)), (CEM, ("ru",)), (OLGA, ("de",))):
        done(unit, commands.remember_member, joined(actor, languages, phone=f"040 {actor['member_id']}"))
    return unit


def ask(uow, category="shopping", **more) -> dict:
    return done(uow, commands.create_request, AYSE, {"title": "Einkauf", "category": category, **more}, NOW)


def offered(uow, request: dict, helper: dict, message="Ich kann um 10.") -> dict:
    return done(uow, commands.offer, helper, request["id"], {"message": message}, NOW)


def test_asking_stores_the_request_and_tells_the_neighbours_who_speak_its_language(uow):
    asked = commands.create_request(uow, AYSE, {"title": "Brief übersetzen", "category": "translation",
                                                "languages": ["de"]}, NOW)
    assert asked["status"] == "open" and uow.commits == 1
    assert uow.events() == ["help.requested"]
    assert uow.outbox.published[0]["payload"]["audience"] == ["bora", "olga"]  # not Cem (Russian), not Ayşe


def test_a_request_whose_time_has_passed_is_refused_field_by_field(uow):
    with pytest.raises(Invalid) as refused:
        commands.create_request(uow, AYSE, {"title": "Gestern", "category": "other",
                                            "needed_until": (NOW - timedelta(days=1)).isoformat()}, NOW)
    assert list(refused.value.errors) == ["needed_until"] and uow.commits == 0


def test_a_repeat_of_the_same_request_finds_what_the_first_stored(uow):
    body = {"title": "Einkauf", "category": "shopping"}
    first = done(uow, commands.create_request, AYSE, body, NOW, request_key="help:ayse:k1")
    again = commands.create_request(uow, AYSE, body, NOW, request_key="help:ayse:k1")
    assert again["id"] == first["id"] and len(uow.repository.all(StoredRequest)) == 1


def test_a_neighbour_offers_once_and_the_requester_never(uow):
    request = ask(uow)
    offer = commands.offer(uow, BORA, request["id"], {"message": "Gern"}, NOW)
    assert uow.events() == ["help.offered"]
    with pytest.raises(Conflict) as twice:
        commands.offer(fresh(uow), BORA, request["id"], {"message": "Nochmal"}, NOW)
    assert twice.value.extra == {"offer_id": offer["id"]}
    with pytest.raises(Forbidden):
        commands.offer(fresh(uow), AYSE, request["id"], {}, NOW)


def test_once_accepted_the_two_see_each_others_phone_and_nobody_else_does(uow):
    request = ask(uow)
    offer = offered(uow, request, BORA)
    offered(uow, request, CEM)
    accepted = commands.accept(uow, AYSE, request["id"], {"offer_id": offer["id"]}, NOW)
    assert uow.events() == ["help.accepted"]
    assert accepted["helper"]["phone"] == "040 bora"
    assert commands.get_request(fresh(uow), BORA, request["id"])["requester"]["phone"] == "040 ayse"
    for outsider in (CEM, OLGA):
        seen = commands.get_request(fresh(uow), outsider, request["id"])
        assert "phone" not in seen["requester"] and "phone" not in seen["helper"]


def test_a_change_of_a_request_read_before_another_change_is_not_written(uow):
    request = ask(uow)
    read_before = uow.repository.stored(StoredRequest, request["id"])
    done(uow, commands.cancel, AYSE, request["id"], NOW)
    read_before.status = "accepted"
    with pytest.raises(Conflict):
        uow.save_and_commit(read_before)
    assert uow.repository.stored(StoredRequest, request["id"]).status == "cancelled"


def test_accepting_needs_an_open_request(uow):
    request = ask(uow)
    offer = offered(uow, request, BORA)
    done(uow, commands.cancel, AYSE, request["id"], NOW)
    with pytest.raises(Conflict) as refused:
        commands.accept(uow, AYSE, request["id"], {"offer_id": offer["id"]}, NOW)
    assert refused.value.extra == {"current_status": "cancelled"} and uow.events() == []


def test_finishing_help_with_a_doctor_erases_what_was_written_about_it(uow):
    request = ask(uow, category="accompany", description="Zur Kardiologie")
    offer = offered(uow, request, BORA, message="Ich fahre Sie")
    done(uow, commands.accept, AYSE, request["id"], {"offer_id": offer["id"]}, NOW)
    finished = commands.complete(uow, AYSE, request["id"], NOW)
    assert uow.events() == ["help.completed"] and uow.commits == 1
    assert finished["description"] == "" and finished["private_details_removed"]
    assert [stored.message for stored in uow.repository.all(StoredOffer)] == [""]


def test_only_the_requester_or_an_organiser_calls_a_request_off(uow):
    request = ask(uow)
    with pytest.raises(Forbidden):
        commands.cancel(uow, BORA, request["id"], NOW)
    assert commands.cancel(uow, OLGA, request["id"], NOW)["status"] == "cancelled"
    assert uow.events() == ["help.cancelled"]
    assert uow.outbox.published[0]["payload"]["cancelled_by"] == "olga"


def test_open_requests_past_their_time_expire_once(uow):
    ask(uow, needed_until=(NOW + timedelta(hours=2)).isoformat())
    later = NOW + timedelta(hours=3)
    assert commands.expire_due(uow, later) == 1
    assert commands.expire_due(fresh(uow), later) == 0
    assert uow.events() == ["help.expired"]


def test_a_helper_who_leaves_gives_the_request_back_to_the_neighbours(uow):
    request = ask(uow)
    offer = offered(uow, request, BORA)
    done(uow, commands.accept, AYSE, request["id"], {"offer_id": offer["id"]}, NOW)
    commands.on_member_gone(uow, "bora", erased=True, now=NOW)
    assert uow.events() == ["help.reopened"]
    again = commands.get_request(fresh(uow), AYSE, request["id"])
    assert again["status"] == "open" and again["offer_count"] == 0
    assert uow.repository.neighbour("bora") is None


def test_the_categories_a_member_chose_decide_what_they_hear_of(uow):
    done(uow, commands.remember_help_categories, {"community_id": COMMUNITY, "payload": {
        "member_id": "bora", "help_categories": ["garden"]}})
    commands.create_request(uow, AYSE, {"title": "Einkauf", "category": "shopping"}, NOW)
    uow.events()
    assert "bora" not in uow.outbox.published[0]["payload"]["audience"]
