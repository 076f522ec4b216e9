"""The members service in a real Nameko container on the real RabbitMQ."""
from unittest import mock

import pytest
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from services.common.errors import Conflict, Gone, Invalid, NotFound, TooManyAttempts, Unauthorized, Unavailable
from services.common.events import is_envelope
from services.common.outbox import Outbox
from services.members.models import Member
from services.members.service import MembersService

PASSWORD = "a long enough password"


def new_community(call, name="Haus Altona", email="orga@example.org"):
    result = call("create_community", name, "Europe/Berlin",
                  {"email": email, "password": PASSWORD, "display_name": "Orga"})
    organiser = result["organiser"]
    actor = {"member_id": organiser["id"], "community_id": organiser["community_id"], "role": "organiser"}
    return result["community"], actor


def join(call, organiser, email, role="resident", **profile):
    invitation = call("create_invitation", organiser, {"email": email, "role": role})
    body = {"invitation_code": invitation["code"], "email": email, "password": PASSWORD,
            "display_name": profile.pop("display_name", email.split("@")[0]), "preferred_language": "tr", **profile}
    member = call("register", body)
    return {"member_id": member["id"], "community_id": member["community_id"], "role": member["role"]}, member


def joined_event_of(email):
    return lambda worker_ctx, result, exc_info: worker_ctx.args[0]["payload"]["email"] == email


def test_a_community_is_created_with_its_first_organiser_who_can_log_in(call):
    community, organiser = new_community(call)
    assert community["timezone"] == "Europe/Berlin"
    result = call("login", {"email": "ORGA@example.org", "password": PASSWORD}, "10.0.0.1")
    assert result["actor"]["member_id"] == organiser["member_id"]
    assert result["actor"]["role"] == "organiser"


def test_registration_with_an_invitation_publishes_member_joined_once(call, members, recorder, heard):
    _, organiser = new_community(call)
    with entrypoint_waiter(recorder, "member_joined", callback=joined_event_of("ayse@example.org")):
        _, member = join(call, organiser, "ayse@example.org", languages=["de", "ar"])
    event = [e for e in heard if e["payload"].get("email") == "ayse@example.org"]
    assert len(event) == 1 and is_envelope(event[0])
    assert event[0]["type"] == "member.joined" and event[0]["version"] == 1
    assert event[0]["community_id"] == member["community_id"]
    assert event[0]["payload"]["languages"] == ["tr", "de", "ar"]
    assert Member.objects(id=member["id"]).first().outbox == []  # sent, so the relay will not send it again


def test_an_invitation_works_only_once(call):
    _, organiser = new_community(call)
    invitation = call("create_invitation", organiser, {"email": "a@example.org", "role": "resident"})
    body = {"invitation_code": invitation["code"], "email": "a@example.org", "password": PASSWORD,
            "display_name": "A", "preferred_language": "de"}
    call("register", body)
    with pytest.raises(Gone):
        call("register", {**body, "email": "b@example.org"})


def test_a_resident_cannot_invite(call):
    _, organiser = new_community(call)
    resident, _ = join(call, organiser, "r@example.org")
    from services.common.errors import Forbidden

    with pytest.raises(Forbidden):
        call("create_invitation", resident, {"email": "x@example.org", "role": "resident"})


def test_another_communitys_member_is_not_found(call):
    _, organiser_a = new_community(call, "Haus A", "a@example.org")
    _, organiser_b = new_community(call, "Haus B", "b@example.org")
    with pytest.raises(NotFound):
        call("get_member", organiser_b, organiser_a["member_id"])


def test_repeated_wrong_passwords_lock_the_account_even_for_the_right_password(call):
    new_community(call)
    for _ in range(5):
        with pytest.raises(Unauthorized):
            call("login", {"email": "orga@example.org", "password": "wrong"}, "10.0.0.2")
    with pytest.raises(TooManyAttempts):
        call("login", {"email": "orga@example.org", "password": PASSWORD}, "10.0.0.3")


def test_a_deactivated_member_can_no_longer_authenticate_and_the_event_says_so(call, recorder):
    _, organiser = new_community(call)
    resident, _ = join(call, organiser, "r@example.org")
    assert call("authenticate", resident["member_id"])["member_id"] == resident["member_id"]
    with entrypoint_waiter(recorder, "member_deactivated") as waited:
        call("change_member", organiser, resident["member_id"], {"active": False})
    assert waited.get() is None
    with pytest.raises(Unauthorized):
        call("authenticate", resident["member_id"])


def test_a_deactivation_the_broker_would_not_take_is_not_answered_as_done(call, members):
    _, organiser = new_community(call)
    resident, _ = join(call, organiser, "r@example.org")
    outbox = next(ext for ext in members.dependencies if isinstance(ext, Outbox))
    with mock.patch.object(outbox.publisher, "publish", side_effect=OSError("broker went away")):
        with pytest.raises(Unavailable):
            call("change_member", organiser, resident["member_id"], {"active": False})
    stored = Member.objects(id=resident["member_id"]).first()
    assert stored.active is False and len(stored.outbox) == 1  # stored, and the relay will announce it
    with pytest.raises(Unauthorized):
        call("authenticate", resident["member_id"])


def test_the_directory_shows_a_phone_only_where_it_is_shared(call):
    _, organiser = new_community(call)
    join(call, organiser, "shares@example.org", display_name="Bora", phone="040 111", share_phone=True)
    join(call, organiser, "private@example.org", display_name="Cem", phone="040 222", share_phone=False)
    entries = {entry["display_name"]: entry for entry in call("directory", organiser)["items"]}
    assert entries["Bora"]["phone"] == "040 111"
    assert "phone" not in entries["Cem"]


def test_the_directory_pages_through_members_in_name_order(call):
    _, organiser = new_community(call)
    for name in ("Dora", "Emre", "Fatma"):
        join(call, organiser, f"{name.lower()}@example.org", display_name=name)
    first = call("directory", organiser, limit=2)
    second = call("directory", organiser, limit=2, cursor=first["next"])
    names = [entry["display_name"] for entry in first["items"] + second["items"]]
    assert names == ["Dora", "Emre", "Fatma", "Orga"]
    assert second["next"] is None


def test_a_repeated_idempotency_key_returns_the_first_invitation(call):
    _, organiser = new_community(call)
    body = {"email": "x@example.org", "role": "resident"}
    first = call("create_invitation", organiser, body, idempotency_key="k-1")
    again = call("create_invitation", organiser, body, idempotency_key="k-1")
    assert again == first
    with pytest.raises(Invalid):
        call("create_invitation", organiser, {**body, "email": "y@example.org"}, idempotency_key="k-1")


def test_invalid_input_is_refused_and_nothing_is_stored(call):
    _, organiser = new_community(call)
    with pytest.raises(Invalid) as raised:
        call("create_invitation", organiser, {"email": {"$gt": ""}, "role": "resident"})
    assert "email" in raised.value.errors
    assert Member.objects.count() == 1


def test_an_event_whose_publish_was_interrupted_is_published_by_the_relay(call, members, recorder):
    _, organiser = new_community(call)
    outbox = next(ext for ext in members.dependencies if isinstance(ext, Outbox))
    with mock.patch.object(outbox.publisher, "publish", side_effect=OSError("broker went away")):
        _, member = join(call, organiser, "late@example.org")
    assert len(Member.objects(id=member["id"]).first().outbox) == 1  # stored with the change, not lost

    with entrypoint_waiter(recorder, "member_joined", callback=joined_event_of("late@example.org")):
        with entrypoint_hook(members, "relay_outbox") as relay:
            relay()
    assert Member.objects(id=member["id"]).first().outbox == []


def test_the_first_start_creates_the_bootstrap_organiser_once(container_factory, service_config):
    config = {**service_config, "BOOTSTRAP_ORGANISER_EMAIL": "boot@example.org",
              "BOOTSTRAP_ORGANISER_PASSWORD": PASSWORD, "BOOTSTRAP_COMMUNITY": "Haus Boot"}
    container = container_factory(MembersService, config)
    container.start()
    bootstrap = next(ext for ext in container.dependencies if type(ext).__name__ == "Bootstrap")
    bootstrap.start()  # a second start (another instance, a restart) adds nobody
    with entrypoint_hook(container, "login") as login:
        actor = login({"email": "boot@example.org", "password": PASSWORD}, "10.0.0.9")["actor"]
    assert actor["role"] == "organiser"
    assert Member.objects(community_id=actor["community_id"]).count() == 1


def test_a_community_name_is_taken_only_once(call):
    new_community(call, "Haus Eins", "one@example.org")
    with pytest.raises(Conflict):
        new_community(call, "haus eins", "two@example.org")


def test_repeated_failures_from_one_address_lock_that_address_for_every_account(container_factory, service_config):
    container = container_factory(MembersService, {**service_config, "LOGIN_MAX_FAILURES_PER_ADDRESS": 3})
    container.start()

    def login(email, password, address):
        with entrypoint_hook(container, "login") as hook:
            return hook({"email": email, "password": password}, address)

    with entrypoint_hook(container, "create_community") as create:
        create("Haus Adresse", "Europe/Berlin", {"email": "real@example.org", "password": PASSWORD})
    for number in range(3):  # three different accounts guessed from one address
        with pytest.raises(Unauthorized):
            login(f"guess{number}@example.org", "wrong", "10.9.9.9")
    with pytest.raises(TooManyAttempts):
        login("real@example.org", PASSWORD, "10.9.9.9")
    assert login("real@example.org", PASSWORD, "10.1.1.1")["actor"]["role"] == "organiser"  # elsewhere: fine
