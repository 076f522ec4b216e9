"""Who may call the API: the bearer token names the member, the members service says whether they may still act,
and organiser-only views refuse everyone else. Without a broker: the members service is a fake."""
import time
from datetime import datetime, timezone

import jwt
import pytest

from gateway.app import create_app
from gateway.auth import ALGORITHM, current_actor, issue_token, member_required, organiser_required
from gateway.openapi import CompletedDocument
from services.common.errors import Unauthorized

RENEWED = datetime(2026, 3, 1, 9, 0, 0, 250000, tzinfo=timezone.utc)  # when the member's tokens were renewed


class Members:
    """The members service as the gateway asks it: `members.authenticate(member_id)`."""

    def __init__(self, *actors: dict):
        self.actors = {actor["member_id"]: actor for actor in actors}
        self.asked: list[str] = []

    def call(self, service: str, method: str, *args, **kwargs):
        assert (service, method) == ("members", "authenticate")
        member_id = args[0]
        self.asked.append(member_id)
        if member_id not in self.actors:
            raise Unauthorized("Please log in again.")
        return self.actors[member_id]


def actor(member_id: str, role: str = "resident", tokens_valid_after: str | None = None) -> dict:
    return {"member_id": member_id, "community_id": "c-1", "role": role, "timezone": "Europe/Berlin",
            "household": None, "preferred_language": "de", "display_name": member_id,
            "tokens_valid_after": tokens_valid_after}


@pytest.fixture
def members():
    return Members(actor("ayse"), actor("olga", role="organiser"))


@pytest.fixture
def app(members):
    app = create_app({"TESTING": True, "MEMBER_EVENTS": False})
    app.extensions["rpc"] = members

    @app.get("/_probe/member")
    @member_required
    def for_members():
        current_actor()  # asked again within the request
        return {"member_id": current_actor()["member_id"]}

    @app.get("/_probe/organiser")
    @organiser_required
    def for_organisers():
        return {"member_id": current_actor()["member_id"]}

    return app


def token_for(app, member_id: str) -> str:
    with app.test_request_context():
        return issue_token(member_id, "c-1")[0]


def signed(app, **claims) -> str:
    return jwt.encode(claims, app.config["SECRET_KEY"], algorithm=ALGORITHM)


def get(app, path: str, authorization: str | None):
    headers = {"Authorization": authorization} if authorization is not None else {}
    return app.test_client().get(path, headers=headers)


def test_a_token_acts_as_the_member_it_was_issued_to_asking_the_members_service_once(app, members):
    response = get(app, "/_probe/member", f"Bearer {token_for(app, 'ayse')}")
    assert response.status_code == 200 and response.json == {"member_id": "ayse"}
    assert members.asked == ["ayse"]


def test_the_bearer_scheme_may_be_written_in_any_case(app):
    assert get(app, "/_probe/member", f"bearer {token_for(app, 'ayse')}").status_code == 200


def test_the_token_may_follow_the_scheme_after_more_than_one_space(app):
    # HTTP allows one or more spaces between the scheme and the credentials (RFC 9110, 11.4).
    assert get(app, "/_probe/member", f"Bearer   {token_for(app, 'ayse')}").status_code == 200


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Bearer   ", "Token {token}", "Basic {token}",
                                           "{token}"])
def test_a_request_without_a_bearer_token_is_asked_to_log_in(app, members, authorization):
    token = token_for(app, "ayse")
    response = get(app, "/_probe/member", None if authorization is None else authorization.format(token=token))
    assert response.status_code == 401 and response.json["detail"] == "Please log in."
    assert members.asked == []


def test_a_member_the_members_service_no_longer_knows_as_active_is_refused(app, members):
    del members.actors["ayse"]  # deactivated or erased since the token was issued
    response = get(app, "/_probe/member", f"Bearer {token_for(app, 'ayse')}")
    assert response.status_code == 401 and response.json["detail"] == "Please log in again."


def test_only_organisers_pass_an_organisers_view(app):
    resident = get(app, "/_probe/organiser", f"Bearer {token_for(app, 'ayse')}")
    organiser = get(app, "/_probe/organiser", f"Bearer {token_for(app, 'olga')}")
    assert resident.status_code == 403 and resident.json["detail"] == "Only organisers may do this."
    assert organiser.status_code == 200 and organiser.json == {"member_id": "olga"}


def test_an_organisers_view_asks_for_a_login_first(app):
    assert get(app, "/_probe/organiser", None).status_code == 401


def test_tokens_issued_before_the_members_tokens_were_renewed_stop_working(app, members):
    members.actors["ayse"] = actor("ayse", tokens_valid_after="2026-03-01T09:00:00.250Z")
    renewed = RENEWED.timestamp()
    for issued_at, status in ((renewed - 0.001, 401), (renewed, 200), (renewed + 1, 200)):
        token = signed(app, sub="ayse", iat=issued_at, exp=int(time.time()) + 600)
        response = get(app, "/_probe/member", f"Bearer {token}")
        assert response.status_code == status, issued_at
        if status == 401:
            assert response.json["detail"] == "Please log in again."


def test_a_token_is_refused_from_the_second_its_expiry_names(app, members, monkeypatch):
    now = float(int(time.time()))
    monkeypatch.setattr(time, "time", lambda: now)
    at_expiry = signed(app, sub="ayse", iat=now - 60, exp=int(now))
    before_expiry = signed(app, sub="ayse", iat=now - 60, exp=int(now) + 1)
    assert get(app, "/_probe/member", f"Bearer {at_expiry}").status_code == 401
    assert get(app, "/_probe/member", f"Bearer {before_expiry}").status_code == 200


def test_a_token_lasts_as_long_as_configured(members):
    app = create_app({"TESTING": True, "MEMBER_EVENTS": False, "TOKEN_TTL_SECONDS": 3600})
    before = time.time()
    with app.test_request_context():
        token, expires = issue_token("ayse", "c-1")
    claims = jwt.decode(token, app.config["SECRET_KEY"], algorithms=[ALGORITHM])
    assert claims["sub"] == "ayse" and before <= claims["iat"] <= time.time()
    assert claims["exp"] == int(expires) and 3600 <= expires - before <= 3600 + (time.time() - before)


@pytest.mark.parametrize("path, statuses", [("/_probe/member", {401, 403}), ("/_probe/organiser", {401, 403})])
def test_the_api_document_says_which_views_want_a_token_and_which_an_organiser(app, path, statuses):
    """gateway.openapi documents each view as its decorator marks it: the bearer token and 401; and 403, for
    organisers' views as for members' (a supporter acting for nobody, or someone acting outside a trust)."""
    [rule] = [rule for rule in app.url_map.iter_rules() if rule.rule == path]
    operations = {"get": {"responses": {"200": {"description": "OK"}}}}
    CompletedDocument(app).operation_helper(path=path, operations=operations, rule=rule)
    assert operations["get"]["security"] == [{"bearerAuth": []}]
    assert {401, 403} & set(operations["get"]["responses"]) == statuses
