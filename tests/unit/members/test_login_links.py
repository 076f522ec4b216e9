"""Signing in by emailed link, on a unit of work in memory: the same answer for every address, a token kept only as
its hash and only in an event until it is published, a link that works once and only for its lifetime, and the
limits per address and per client."""
import json
from datetime import timedelta

import pytest

from services.common.errors import Gone, Invalid, TooManyAttempts, Unauthorized
from services.members import commands, login_links
from services.members.models import LoginLink
from tests.support.fakes import FakeUnitOfWork, done, fresh
from tests.support.fakes.members import FakeMembersRepository
from tests.unit.members.test_commands import LOGIN_LIMITS, NOW, PASSWORD, quick_passwords  # noqa: F401

LINKS = {"lifetime_seconds": 900, "per_account": 5, "per_address": 50, "window_minutes": 15}
CLIENT = "10.0.0.7"


@pytest.fixture
def uow():
    unit = FakeUnitOfWork(FakeMembersRepository())
    done(unit, commands.ensure_bootstrap, community_name="Mitte Altona", timezone="Europe/Berlin", now=NOW,
         organiser={"email": "olga@example.org", "password": PASSWORD, "display_name": "Olga"})
    return unit


@pytest.fixture
def ayse(uow) -> dict:
    olga = commands.login(fresh(uow), {"email": "olga@example.org", "password": PASSWORD}, CLIENT, LOGIN_LIMITS,
                          NOW)["actor"]
    code = done(uow, commands.create_invitation, olga, {"email": "ayse@example.org", "role": "resident"}, NOW)["code"]
    return done(uow, commands.register, {"invitation_code": code, "email": "ayse@example.org", "password": PASSWORD,
                                         "display_name": "Ayşe", "preferred_language": "tr"}, NOW)


def ask(uow, email: str, *, at=NOW, client=CLIENT) -> tuple[dict, list[dict]]:
    """Ask for a link as one request: the answer, and the events its worker published."""
    unit = fresh(uow)
    answer = login_links.request_login_link(unit, {"email": email}, client, LINKS, at)
    unit.events()
    return answer, unit.outbox.published


def token_sent(uow, email: str = "ayse@example.org", **kwargs) -> str:
    _answer, published = ask(uow, email, **kwargs)
    [event] = published
    return event["payload"]["token"]


def redeem(uow, token: str, *, at=NOW, client=CLIENT) -> dict:
    return login_links.redeem_login_link(fresh(uow), {"token": token}, client, LOGIN_LIMITS, at)


def test_a_member_is_sent_a_link_in_their_language_and_only_its_hash_is_stored(uow, ayse):
    answer, published = ask(uow, "Ayse@Example.org")
    [event] = published
    assert event["type"] == "login_link.requested"
    payload = event["payload"]
    assert (payload["member_id"], payload["email"], payload["preferred_language"]) == \
        (ayse["id"], "ayse@example.org", "tr")
    assert payload["timezone"] == "Europe/Berlin" and payload["expires_at"] == "2026-06-01T09:15:00Z"
    assert answer == {"valid_for_seconds": 900}
    [link] = uow.repository.all(LoginLink)
    assert link.token_hash == login_links.token_hash(payload["token"])
    # Published: the outbox is empty, and the token is nowhere in what is stored.
    assert payload["token"] not in json.dumps(link.to_mongo().to_dict(), default=str)


def test_an_unknown_address_gets_the_same_answer_after_the_same_work_and_no_email(uow, ayse):
    known, sent = ask(uow, "ayse@example.org")
    unknown, not_sent = ask(uow, "nobody@example.org")
    assert unknown == known
    assert len(sent) == 1 and not_sent == []
    stored = {link.member_id is None: link for link in uow.repository.all(LoginLink)}
    assert set(stored) == {True, False}  # one stored request each
    assert stored[True].community_id is None


def test_a_deactivated_member_is_sent_no_link(uow, ayse):
    olga = commands.login(fresh(uow), {"email": "olga@example.org", "password": PASSWORD}, CLIENT, LOGIN_LIMITS,
                          NOW)["actor"]
    done(uow, commands.change_member, olga, ayse["id"], {"active": False}, NOW)
    answer, published = ask(uow, "ayse@example.org", at=NOW + timedelta(minutes=1))
    assert answer == {"valid_for_seconds": 900} and published == []


def test_a_malformed_address_is_refused_as_such(uow):
    with pytest.raises(Invalid) as refused:
        login_links.request_login_link(fresh(uow), {"email": "not an address"}, CLIENT, LINKS, NOW)
    assert "email" in refused.value.errors


def test_a_link_signs_the_member_in_once(uow, ayse):
    token = token_sent(uow)
    signed_in = redeem(uow, token, at=NOW + timedelta(minutes=3))
    assert signed_in["member"]["id"] == ayse["id"] and signed_in["actor"]["member_id"] == ayse["id"]
    assert signed_in["actor"]["timezone"] == "Europe/Berlin"
    with pytest.raises(Gone) as again:
        redeem(uow, token, at=NOW + timedelta(minutes=4))
    assert again.value.errors == {"token": ["Already used."]}


def test_a_link_works_until_its_lifetime_ends_and_not_after(uow, ayse):
    first, second = token_sent(uow), token_sent(uow)
    assert redeem(uow, first, at=NOW + timedelta(minutes=15) - timedelta(seconds=1))["member"]["id"] == ayse["id"]
    with pytest.raises(Gone) as expired:
        redeem(uow, second, at=NOW + timedelta(minutes=15))
    assert expired.value.errors == {"token": ["Expired."]}


def test_an_unknown_token_is_refused(uow, ayse):
    token_sent(uow)
    with pytest.raises(Unauthorized) as refused:
        redeem(uow, "made-up-token")
    assert refused.value.errors == {"token": ["Unknown sign-in link."]}


def test_the_link_of_a_member_deactivated_since_does_not_sign_them_in(uow, ayse):
    token = token_sent(uow)
    olga = commands.login(fresh(uow), {"email": "olga@example.org", "password": PASSWORD}, CLIENT, LOGIN_LIMITS,
                          NOW)["actor"]
    done(uow, commands.change_member, olga, ayse["id"], {"active": False}, NOW + timedelta(minutes=1))
    with pytest.raises(Unauthorized):
        redeem(uow, token, at=NOW + timedelta(minutes=2))


def test_a_link_sent_before_a_new_password_no_longer_works(uow, ayse):
    token = token_sent(uow)
    actor = commands.authenticate(fresh(uow), ayse["id"])
    done(uow, commands.change_profile, actor, {"password": "ein ganz neues Passwort", "current_password": PASSWORD},
         NOW + timedelta(minutes=1))
    with pytest.raises(Unauthorized):
        redeem(uow, token, at=NOW + timedelta(minutes=2))


@pytest.mark.parametrize("email", ["ayse@example.org", "nobody@example.org"])
def test_links_are_limited_per_address_whether_or_not_it_is_a_members(uow, ayse, email):
    for minute in range(LINKS["per_account"]):
        ask(uow, email, at=NOW + timedelta(minutes=minute), client=f"10.0.1.{minute}")
    with pytest.raises(TooManyAttempts) as refused:
        ask(uow, email, at=NOW + timedelta(minutes=5), client="10.0.2.1")
    assert refused.value.extra == {"retry_after": 15 * 60}
    # The window passes: the address may ask again.
    assert ask(uow, email, at=NOW + timedelta(minutes=16), client="10.0.2.1")[0] == {"valid_for_seconds": 900}


def test_links_are_limited_per_client(uow, ayse):
    for number in range(LINKS["per_address"]):
        ask(uow, f"person{number}@example.org")
    with pytest.raises(TooManyAttempts):
        ask(uow, "ayse@example.org")
    assert ask(uow, "ayse@example.org", client="10.0.0.8")[1]  # another client is not held back


def test_guessing_tokens_counts_against_the_client_like_wrong_passwords(uow, ayse):
    token = token_sent(uow)
    for guess in range(LOGIN_LIMITS["per_address"]):
        with pytest.raises(Unauthorized):
            redeem(uow, f"guess-{guess}")
    with pytest.raises(TooManyAttempts):
        redeem(uow, token)
    assert redeem(uow, token, client="10.0.0.8")["member"]["id"] == ayse["id"]
