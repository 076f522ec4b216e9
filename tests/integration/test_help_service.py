"""The help service in real Nameko containers on the real RabbitMQ."""
from datetime import datetime, timedelta, timezone

import eventlet
import pytest
from nameko.events import event_handler
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from services.common.errors import Conflict, Forbidden, NotFound
from services.common.events import new_event
from services.help.models import StoredRequest
from services.help.service import HelpService

COMMUNITY = "c-altona"
AYSE = {"member_id": "ayse", "community_id": COMMUNITY, "role": "resident", "display_name": "Ayşe"}
BORA = {"member_id": "bora", "community_id": COMMUNITY, "role": "resident", "display_name": "Bora"}
CEM = {"member_id": "cem", "community_id": COMMUNITY, "role": "resident", "display_name": "Cem"}
ORGANISER = {"member_id": "olga", "community_id": COMMUNITY, "role": "organiser", "display_name": "Olga"}


class HelpRecorder:
    name = "help_recorder"
    heard: list = []

    @event_handler("help", "help.requested")
    def requested(self, event):
        self.heard.append(event)

    @event_handler("help", "help.offered")
    def offered(self, event):
        self.heard.append(event)

    @event_handler("help", "help.accepted")
    def accepted(self, event):
        self.heard.append(event)

    @event_handler("help", "help.completed")
    def completed(self, event):
        self.heard.append(event)

    @event_handler("help", "help.cancelled")
    def cancelled(self, event):
        self.heard.append(event)

    @event_handler("help", "help.expired")
    def expired(self, event):
        self.heard.append(event)


@pytest.fixture
def recorder(container_factory, service_config):
    HelpRecorder.heard = []
    container = container_factory(HelpRecorder, service_config)
    container.start()
    return container


@pytest.fixture
def help_service(container_factory, service_config, recorder):
    container = container_factory(HelpService, service_config)
    container.start()
    return container


@pytest.fixture
def call(help_service):
    def invoke(method, *args, **kwargs):
        with entrypoint_hook(help_service, method) as entrypoint:
            return entrypoint(*args, **kwargs)

    return invoke


@pytest.fixture
def members_event(help_service, service_config):
    """Deliver a members event to the help service and wait until it has handled it."""
    dispatch = event_dispatcher(service_config)

    def deliver(event_type, payload, event=None):
        event = event or new_event(event_type, community_id=COMMUNITY, payload=payload,
                                   occurred_at=datetime.now(timezone.utc))
        handler = {"member.joined": "member_joined", "member.updated": "member_updated",
                   "member.deactivated": "member_deactivated", "member.erased": "member_erased"}[event_type]
        with entrypoint_waiter(help_service, handler):
            dispatch("members", event_type, event)
        return event

    return deliver


@pytest.fixture
def neighbours(members_event):
    for person, languages, phone in ((AYSE, ["tr", "de"], "040 111"), (BORA, ["de"], "040 222"),
                                     (CEM, ["ar"], "040 333")):
        members_event("member.joined", {"member_id": person["member_id"], "display_name": person["display_name"],
                                        "languages": languages, "phone": phone, "household": "Haus",
                                        "active": True})


def heard(type_):
    return [event for event in HelpRecorder.heard if event["type"] == type_]


def test_a_request_is_announced_once_to_the_neighbours_who_speak_its_language(call, recorder, neighbours):
    with entrypoint_waiter(recorder, "requested"):
        request = call("create_request", AYSE, {"title": "Brief übersetzen", "category": "translation",
                                                "languages": ["de"]})
    assert request["status"] == "open"
    events = heard("help.requested")
    assert len(events) == 1
    assert events[0]["payload"]["audience"] == ["bora"]  # not the requester, not Cem (Arabic only)
    assert StoredRequest.objects(id=request["id"]).first().outbox == []


def test_offer_accept_complete_each_announced_once_and_phones_shared_only_then(call, recorder, neighbours):
    request = call("create_request", AYSE, {"title": "Zum Arzt begleiten", "category": "accompany",
                                            "description": "Termin beim Kardiologen"})
    with pytest.raises(Forbidden):
        call("offer", AYSE, request["id"], {"message": "myself"})
    with entrypoint_waiter(recorder, "offered"):
        offer = call("offer", BORA, request["id"], {"message": "Ich komme mit"})
    with pytest.raises(Conflict):
        call("offer", BORA, request["id"], {"message": "again"})
    call("offer", CEM, request["id"], {"message": "Ich auch"})
    before = call("get_request", BORA, request["id"])  # an offerer, before acceptance: names only
    assert "phone" not in before["requester"] and before["offer_count"] == 2
    assert [o["display_name"] for o in call("get_request", AYSE, request["id"])["offers"]] == ["Bora", "Cem"]

    with entrypoint_waiter(recorder, "accepted"):
        accepted = call("accept", AYSE, request["id"], {"offer_id": offer["id"]})
    assert accepted["helper"]["phone"] == "040 222"
    assert call("get_request", BORA, request["id"])["requester"]["phone"] == "040 111"
    seen_by_cem = call("get_request", CEM, request["id"])
    assert "phone" not in seen_by_cem["requester"] and (seen_by_cem["helper"] or {}).get("phone") is None

    with entrypoint_waiter(recorder, "completed"):
        done = call("complete", AYSE, request["id"])
    assert done["status"] == "completed"
    assert done["description"] == "" and done["private_details_removed"]  # accompany: health details go
    assert [len(heard(t)) for t in ("help.offered", "help.accepted", "help.completed")] == [2, 1, 1]
    with pytest.raises(Conflict) as again:
        call("complete", AYSE, request["id"])
    assert again.value.extra["current_status"] == "completed"


def test_only_the_requester_or_an_organiser_can_cancel(call, neighbours):
    request = call("create_request", AYSE, {"title": "Einkauf", "category": "shopping"})
    with pytest.raises(Forbidden):
        call("cancel", BORA, request["id"])
    assert call("cancel", ORGANISER, request["id"])["status"] == "cancelled"


def test_another_communitys_request_is_not_found(call):
    request = call("create_request", AYSE, {"title": "Einkauf", "category": "shopping"})
    with pytest.raises(NotFound):
        call("get_request", {**BORA, "community_id": "c-park"}, request["id"])


def test_an_open_request_expires_once_at_the_end_of_its_window(call, recorder, help_service):
    request = call("create_request", AYSE, {"title": "Blumen gießen", "category": "garden",
                                            "needed_until": (datetime.now(timezone.utc)
                                                             + timedelta(seconds=2)).isoformat()})
    stored = StoredRequest.objects(id=request["id"]).first()
    past = datetime.now(timezone.utc) - timedelta(seconds=1)
    stored.update(set__expires_at=past, set__needed_until=past)  # as if its window had just ended
    with entrypoint_waiter(recorder, "expired"):
        with entrypoint_hook(help_service, "expire_requests") as expire:
            assert expire() == 1
    with entrypoint_hook(help_service, "expire_requests") as expire:
        assert expire() == 0
    assert len(heard("help.expired")) == 1


def run_expiry(container):
    with entrypoint_hook(container, "expire_requests") as expire:
        return expire()


def test_two_instances_expiring_at_the_same_moment_expire_a_request_once(container_factory, service_config,
                                                                         call, recorder, help_service):
    requests = [call("create_request", AYSE, {"title": f"Blumen gießen {n}", "category": "garden"})
                for n in range(5)]
    past = datetime.now(timezone.utc) - timedelta(seconds=1)
    StoredRequest.objects(id__in=[r["id"] for r in requests]).update(set__expires_at=past, set__needed_until=past)
    second = container_factory(HelpService, service_config)
    second.start()
    with entrypoint_waiter(recorder, "expired", timeout=20,
                           callback=lambda _worker, _result, _exc: len(heard("help.expired")) == 5):
        runs = [eventlet.spawn(run_expiry, container) for container in (help_service, second)]
        expired = [run.wait() for run in runs]
    assert sum(expired) == 5
    assert sorted(e["payload"]["request_id"] for e in heard("help.expired")) == sorted(r["id"] for r in requests)


def test_a_deactivated_requester_delivered_twice_cancels_once(call, recorder, neighbours, members_event):
    call("create_request", AYSE, {"title": "Einkauf", "category": "shopping"})
    event = new_event("member.deactivated", community_id=COMMUNITY, payload={"member_id": "ayse"},
                      occurred_at=datetime.now(timezone.utc))
    with entrypoint_waiter(recorder, "cancelled"):
        members_event("member.deactivated", None, event=event)
    members_event("member.deactivated", None, event=event)  # the same event again
    cancelled = heard("help.cancelled")
    assert len(cancelled) == 1 and cancelled[0]["payload"]["cancelled_by"] == "system"


def test_an_erased_requesters_request_ends_without_a_word_of_hers_in_the_event(call, recorder, neighbours,
                                                                              members_event):
    request = call("create_request", AYSE, {"title": "Steuerbescheid übersetzen", "category": "translation",
                                            "description": "Brief vom Finanzamt"})
    offer = call("offer", BORA, request["id"], {"message": "Ich kann Deutsch"})
    call("accept", AYSE, request["id"], {"offer_id": offer["id"]})
    with entrypoint_waiter(recorder, "cancelled"):
        members_event("member.erased", {"member_id": "ayse"})
    cancelled = heard("help.cancelled")
    assert [event["payload"]["helper_id"] for event in cancelled] == ["bora"]  # the helper is told, in no words of hers
    assert cancelled[0]["payload"]["title"] == "—"
    assert call("get_request", BORA, request["id"])["title"] == "—"


def test_a_repeat_after_a_killed_attempt_returns_that_request_instead_of_asking_twice(call):
    body = {"title": "Einkauf für Frau Kaya", "category": "shopping"}
    first = call("create_request", AYSE, body, idempotency_key="k-1")
    # What a SIGKILL (or the database going away) after the request was stored leaves: the key still "running".
    StoredRequest._get_db().idempotency_keys.update_one({"_id": "help:ayse:k-1"}, {
        "$set": {"state": "running", "owner": "killed-process"}, "$unset": {"result": ""}})

    again = call("create_request", AYSE, body, idempotency_key="k-1")

    assert again["id"] == first["id"]
    assert StoredRequest.objects(community_id=COMMUNITY, title=body["title"]).count() == 1
