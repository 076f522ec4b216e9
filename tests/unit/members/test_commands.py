"""The members service's commands on a unit of work in memory: inviting, registering, logging in, changing and
leaving, and every change of a member published before the answer."""
from datetime import datetime, timedelta, timezone

import pytest

from services.common.errors import Conflict, Forbidden, Gone, TooManyAttempts, Unauthorized, Unavailable
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
