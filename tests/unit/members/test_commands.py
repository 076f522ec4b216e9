"""The members service's commands on a unit of work in memory: inviting, registering, logging in, changing and
leaving, and every change of a member published before the answer."""
from datetime import datetime, timedelta, timezone

import pytest

from services.common.errors import (
    Conflict, Forbidden, Gone, Invalid, NotFound, TooManyAttempts, Unauthorized, Unavailable,
)
from services.members import commands
from services.members.models import Community, Member
from tests.support.fakes import FakeUnitOfWork, done, fresh
from tests.support.fakes.members import FakeMembersRepository

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)
LOGIN_LIMITS = {"per_account": 5, "per_address": 50, "window_minutes": 15}
PASSWORD = "lange-genug-2026"


@pytest.fixture(autouse=True)
def quick_passwords(monkeypatch):
    """Passwords are hashed with argon2 in the service; here that would only cost time."""
    monkeypatch.setattr(commands, "hash_password", lambda password: f"hashed:{password}")
    monkeypatch.setattr(commands, "verify_password", lambda stored, password: stored == f"hashed:{password}")
    monkeypatch.setattr(commands, "needs_rehash", lambda stored: False)


@pytest.fixture
def uow():
    unit = FakeUnitOfWork(FakeMembersRepository())
    done(unit, commands.ensure_bootstrap, community_name="Mitte Altona", timezone="Europe/Berlin", now=NOW,
         organiser={"email": "olga@example.org", "password": PASSWORD, "display_name": "Olga"})
    return unit


def organiser(uow) -> dict:
    return commands.login(fresh(uow), {"email": "olga@example.org", "password": PASSWORD}, "10.0.0.1", LOGIN_LIMITS,
                          NOW)["actor"]


def joined(uow, email="ayse@example.org", **more) -> dict:
    code = done(uow, commands.create_invitation, organiser(uow), {"email": email, "role": "resident"}, NOW)["code"]
    return done(uow, commands.register, {"invitation_code": code, "email": email, "password": PASSWORD,
                                         "display_name": "Ayşe", "preferred_language": "tr", **more}, NOW)


def actor_of(uow, member: dict) -> dict:
    return commands.authenticate(fresh(uow), member["id"])


def test_the_first_start_makes_the_community_and_its_organiser_once(uow):
    [community] = uow.repository.all(Community)
    assert commands.get_community(fresh(uow), community.id)["timezone"] == "Europe/Berlin"
    assert organiser(uow)["role"] == "organiser"
    assert commands.ensure_bootstrap(fresh(uow), community_name="Mitte Altona", timezone="Europe/Berlin", now=NOW,
                                     organiser={"email": "other@example.org", "password": PASSWORD}) is None


def test_a_member_joined_is_published_before_the_answer(uow):
    code = done(uow, commands.create_invitation, organiser(uow), {"email": "ayse@example.org", "role": "resident"},
                NOW)["code"]
    commands.register(uow, {"invitation_code": code, "email": "ayse@example.org", "password": PASSWORD,
                            "display_name": "Ayşe", "preferred_language": "tr"}, NOW)
    assert [event["type"] for event in uow.outbox.published] == ["member.joined"]


def test_an_invitation_works_once(uow):
    code = done(uow, commands.create_invitation, organiser(uow), {"email": "ayse@example.org", "role": "resident"},
                NOW)["code"]
    body = {"invitation_code": code, "email": "ayse@example.org", "password": PASSWORD, "display_name": "Ayşe",
            "preferred_language": "tr"}
    done(uow, commands.register, body, NOW)
    with pytest.raises(Gone) as refused:
        commands.register(uow, {**body, "email": "bora@example.org"}, NOW)
    assert refused.value.errors == {"invitation_code": ["Already used."]}


def test_only_organisers_invite(uow):
    member = joined(uow)
    with pytest.raises(Forbidden):
        commands.create_invitation(uow, actor_of(uow, member), {"email": "x@example.org", "role": "resident"}, NOW)


def test_an_email_address_registers_once_and_the_invitation_stays_usable(uow):
    joined(uow)
    code = done(uow, commands.create_invitation, organiser(uow), {"email": "b@example.org", "role": "resident"},
                NOW)["code"]
    body = {"invitation_code": code, "email": "ayse@example.org", "password": PASSWORD, "display_name": "Ayşe",
            "preferred_language": "tr"}
    with pytest.raises(Conflict) as refused:
        commands.register(uow, body, NOW)
    assert refused.value.errors == {"email": ["Already registered."]} and uow.outbox.published == []
    assert done(uow, commands.register, {**body, "email": "bora@example.org"}, NOW)["email"] == "bora@example.org"


def test_wrong_passwords_lock_the_account_for_a_while(uow):
    wrong = {"email": "olga@example.org", "password": "falsch"}
    for _attempt in range(5):
        with pytest.raises(Unauthorized):
            commands.login(fresh(uow), wrong, "10.0.0.2", LOGIN_LIMITS, NOW)
    with pytest.raises(TooManyAttempts) as locked:
        organiser(uow)
    assert locked.value.extra == {"retry_after": 900}
    later = NOW + timedelta(minutes=16)
    assert commands.login(fresh(uow), {"email": "olga@example.org", "password": PASSWORD}, "10.0.0.1",
                          LOGIN_LIMITS, later)["member"]["role"] == "organiser"


def test_a_change_of_profile_is_published_before_the_answer(uow):
    member = joined(uow)
    changed = commands.change_profile(uow, actor_of(uow, member), {"display_name": "Ayşe K."}, NOW)
    assert changed["display_name"] == "Ayşe K."
    assert [event["type"] for event in uow.outbox.published] == ["member.updated"]
    assert uow.outbox.published[0]["payload"]["changed"] == ["display_name"]


def test_a_change_the_broker_refuses_is_stored_for_the_relay_and_answered_with_503(uow):
    member = joined(uow)
    refused_by_the_broker = fresh(uow, broker_up=False)
    with pytest.raises(Unavailable):
        commands.change_profile(refused_by_the_broker, actor_of(uow, member), {"display_name": "Ayşe K."}, NOW)
    stored = uow.repository.stored(Member, member["id"])
    assert stored.display_name == "Ayşe K." and [e["type"] for e in stored.outbox] == ["member.updated"]


def test_nothing_changed_announces_nothing(uow):
    member = joined(uow)
    commands.change_profile(uow, actor_of(uow, member), {"display_name": "Ayşe"}, NOW)
    assert uow.commits == 0 and uow.events() == []


def test_a_deactivated_member_loses_their_tokens_at_once(uow):
    member = joined(uow)
    commands.change_member(uow, organiser(uow), member["id"], {"active": False}, NOW)
    assert [event["type"] for event in uow.outbox.published] == ["member.deactivated"]
    assert uow.repository.stored(Member, member["id"]).tokens_valid_after == NOW
    with pytest.raises(Unauthorized):
        actor_of(uow, member)


def test_the_last_organiser_cannot_step_down(uow):
    with pytest.raises(Conflict):
        commands.change_profile(uow, organiser(uow), {"role": "resident"}, NOW)
    assert uow.commits == 0


def test_an_erased_member_keeps_no_name_nor_address(uow):
    member = joined(uow, phone="040 123")
    commands.erase(uow, actor_of(uow, member), NOW)
    assert [event["type"] for event in uow.outbox.published] == ["member.erased"]
    erased = uow.repository.stored(Member, member["id"])
    assert (erased.email, erased.display_name, erased.phone) == (f"erased-{member['id']}@invalid", "—", None)


# -- trusted persons --------------------------------------------------------------------------------------------
def trusting(uow, resident: dict, body: dict, when=NOW) -> dict:
    return done(uow, commands.grant_trust, actor_of(uow, resident), body, when)


def test_a_neighbour_trusted_with_bookings_acts_for_the_resident_as_her_and_only_within_that(uow):
    ayse, bora = joined(uow), joined(uow, "bora@example.org", display_name="Bora")
    trust = trusting(uow, ayse, {"member_id": bora["id"], "scopes": ["bookings"]})
    assert (trust["status"], trust["display_name"], trust["granted_by"]["member_id"]) == ("active", "Bora", ayse["id"])

    acting = commands.act_for(fresh(uow), actor_of(uow, bora), ayse["id"], "bookings", NOW)
    assert acting["member_id"] == ayse["id"] and acting["preferred_language"] == "tr"
    assert acting["acted_by"] == {"member_id": bora["id"], "display_name": "Bora"}
    for scope in ("messages", None):
        with pytest.raises(Forbidden):
            commands.act_for(fresh(uow), actor_of(uow, bora), ayse["id"], scope, NOW)
    with pytest.raises(Forbidden):  # the trust goes one way
        commands.act_for(fresh(uow), actor_of(uow, ayse), bora["id"], "bookings", NOW)


def test_an_organiser_acted_for_is_only_a_resident_to_the_trusted_person(uow):
    bora = joined(uow, "bora@example.org", display_name="Bora")
    done(uow, commands.grant_trust, organiser(uow), {"member_id": bora["id"], "scopes": ["help"]}, NOW)
    olga_id = organiser(uow)["member_id"]
    assert commands.act_for(fresh(uow), actor_of(uow, bora), olga_id, "help", NOW)["role"] == "resident"


def test_revoking_ends_the_trust_at_once_and_twice_is_harmless(uow):
    ayse, bora = joined(uow), joined(uow, "bora@example.org", display_name="Bora")
    trust = trusting(uow, ayse, {"member_id": bora["id"], "scopes": ["bookings"]})
    done(uow, commands.revoke_trust, actor_of(uow, ayse), trust["id"], NOW)
    done(uow, commands.revoke_trust, actor_of(uow, ayse), trust["id"], NOW)

    with pytest.raises(Forbidden):
        commands.act_for(fresh(uow), actor_of(uow, bora), ayse["id"], "bookings", NOW)
    assert commands.list_trusts(fresh(uow), actor_of(uow, ayse), NOW)["items"][0]["status"] == "ended"
    assert commands.trusted_by(fresh(uow), actor_of(uow, bora), NOW)["items"] == []


def test_someone_else_cannot_end_a_trust_nor_learn_it_exists(uow):
    ayse, bora = joined(uow), joined(uow, "bora@example.org", display_name="Bora")
    cem = joined(uow, "cem@example.org", display_name="Cem")
    trust = trusting(uow, ayse, {"member_id": bora["id"], "scopes": ["bookings"]})
    with pytest.raises(NotFound):
        commands.revoke_trust(fresh(uow), actor_of(uow, cem), trust["id"], NOW)
    assert commands.act_for(fresh(uow), actor_of(uow, bora), ayse["id"], "bookings", NOW)["member_id"] == ayse["id"]


def test_a_trust_that_expired_no_longer_works(uow):
    ayse, bora = joined(uow), joined(uow, "bora@example.org", display_name="Bora")
    trusting(uow, ayse, {"member_id": bora["id"], "scopes": ["bookings"], "expires_at": "2026-06-02T09:00:00Z"})
    assert commands.act_for(fresh(uow), actor_of(uow, bora), ayse["id"], "bookings", NOW)
    with pytest.raises(Forbidden):
        commands.act_for(fresh(uow), actor_of(uow, bora), ayse["id"], "bookings", NOW + timedelta(days=1))


@pytest.mark.parametrize("body, refused", [
    ({"scopes": ["bookings"]}, Invalid),  # nobody named
    ({"member_id": "x", "invite": {"email": "d@example.org", "display_name": "D"}, "scopes": ["help"]}, Invalid),
    ({"member_id": "x", "scopes": []}, Invalid),
    ({"member_id": "x", "scopes": ["bookings", "bookings"]}, Invalid),
    ({"member_id": "x", "scopes": ["everything"]}, Invalid),
    ({"member_id": "nobody", "scopes": ["help"]}, NotFound),
    ({"member_id": "x", "scopes": ["help"], "expires_at": "2026-05-01T00:00:00Z"}, Forbidden),
    ({"member_id": "x", "scopes": ["help"], "on_behalf_of": "x"}, Forbidden),  # only organisers
])
def test_a_trust_asked_for_wrongly_is_refused_and_nothing_is_stored(uow, body, refused):
    ayse, bora = joined(uow), joined(uow, "bora@example.org", display_name="Bora")
    body = {key: (bora["id"] if value == "x" else value) for key, value in body.items()}
    with pytest.raises(refused):
        commands.grant_trust(fresh(uow), actor_of(uow, ayse), body, NOW)
    assert commands.list_trusts(fresh(uow), actor_of(uow, ayse), NOW)["items"] == []


def test_trusting_oneself_or_the_same_person_twice_is_refused(uow):
    ayse, bora = joined(uow), joined(uow, "bora@example.org", display_name="Bora")
    with pytest.raises(Forbidden):
        commands.grant_trust(fresh(uow), actor_of(uow, ayse), {"member_id": ayse["id"], "scopes": ["help"]}, NOW)
    trusting(uow, ayse, {"member_id": bora["id"], "scopes": ["help"]})
    with pytest.raises(Conflict):
        commands.grant_trust(fresh(uow), actor_of(uow, ayse), {"member_id": bora["id"], "scopes": ["bookings"]}, NOW)


def test_an_invited_supporter_joins_outside_the_directory_and_acts_for_the_resident(uow):
    ayse = joined(uow)
    trust = trusting(uow, ayse, {"invite": {"email": "deniz@example.org", "display_name": "Deniz",
                                            "relation": "Sohn"}, "scopes": ["bookings", "messages"]})
    assert (trust["status"], trust["member_id"], trust["display_name"]) == ("invited", None, "Deniz")
    deniz = done(uow, commands.register, {"invitation_code": trust["invitation_code"], "email": "deniz@example.org",
                                          "password": PASSWORD, "display_name": "Deniz K.", "preferred_language": "de",
                                          "household": "Bremen"}, NOW)

    assert (deniz["role"], deniz["household"]) == ("supporter", None)
    listed = [e["id"] for e in commands.directory(fresh(uow), actor_of(uow, ayse), limit=50, cursor=None)["items"]]
    assert ayse["id"] in listed and deniz["id"] not in listed
    with pytest.raises(NotFound):
        commands.get_member(fresh(uow), actor_of(uow, ayse), deniz["id"])
    assert commands.list_trusts(fresh(uow), actor_of(uow, ayse), NOW)["items"][0]["display_name"] == "Deniz K."
    assert commands.act_for(fresh(uow), actor_of(uow, deniz), ayse["id"], "messages", NOW)["member_id"] == ayse["id"]
    with pytest.raises(Forbidden):  # supporters name nobody themselves
        commands.grant_trust(fresh(uow), actor_of(uow, deniz), {"member_id": ayse["id"], "scopes": ["help"]}, NOW)
    exported = commands.export(fresh(uow), actor_of(uow, deniz), NOW)
    assert [(t["member_id"], t["status"]) for t in exported["acts_for"]] == [(ayse["id"], "active")]
    assert commands.export(fresh(uow), actor_of(uow, ayse), NOW)["trusted_persons"][0]["relation"] == "Sohn"


def test_a_revoked_invitation_no_longer_lets_the_supporter_join(uow):
    ayse = joined(uow)
    trust = trusting(uow, ayse, {"invite": {"email": "deniz@example.org", "display_name": "Deniz"},
                                 "scopes": ["bookings"]})
    done(uow, commands.revoke_trust, actor_of(uow, ayse), trust["id"], NOW)
    with pytest.raises(Gone):
        commands.register(fresh(uow), {"invitation_code": trust["invitation_code"], "email": "deniz@example.org",
                                       "password": PASSWORD, "display_name": "Deniz", "preferred_language": "de"},
                          NOW + timedelta(seconds=1))


@pytest.mark.parametrize("leaving", ["resident", "trusted"])
@pytest.mark.parametrize("how", ["deactivated", "erased"])
def test_deactivating_or_erasing_either_person_ends_the_trust(uow, leaving, how):
    ayse, bora = joined(uow), joined(uow, "bora@example.org", display_name="Bora")
    trusting(uow, ayse, {"member_id": bora["id"], "scopes": ["bookings"]})
    gone = ayse if leaving == "resident" else bora
    if how == "deactivated":
        done(uow, commands.change_member, organiser(uow), gone["id"], {"active": False}, NOW)
    else:
        done(uow, commands.erase, actor_of(uow, gone), NOW)

    with pytest.raises((Forbidden, Unauthorized)):
        commands.act_for(fresh(uow), commands.actor_view(uow.repository.stored(Member, bora["id"]).to_mongo().to_dict(),
                                                         None), ayse["id"], "bookings", NOW)
    if leaving == "trusted" and how == "deactivated":
        assert commands.list_trusts(fresh(uow), actor_of(uow, ayse), NOW)["items"][0]["status"] == "ended"
    if leaving == "resident" and how == "erased":
        assert uow.repository.trusts_of(ayse["id"]) == []  # whom she trusted left with her
