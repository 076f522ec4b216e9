"""Acting for a resident through the gateway: the `X-Acting-For` header, the scope each route is marked with, and
supporters kept to their own few routes. Without a broker: the services are a fake that records what it was asked."""
import pytest

from gateway.app import create_app
from gateway.auth import issue_token
from services.common.errors import Forbidden, Unauthorized


def actor(member_id: str, role: str = "resident") -> dict:
    return {"member_id": member_id, "community_id": "c-1", "role": role, "timezone": "Europe/Berlin",
            "household": None, "preferred_language": "de", "display_name": member_id.title(),
            "tokens_valid_after": None}


class Services:
    """members.authenticate and members.act_for as the members service answers them (trusts: trusted person →
    resident → scopes); any other call answers what it was called with."""

    def __init__(self, trusts: dict):
        self.actors = {a["member_id"]: a for a in (actor("ayse"), actor("bora"), actor("deniz", "supporter"),
                                                    actor("olga", "organiser"))}
        self.trusts = trusts
        self.calls: list[tuple] = []

    def call(self, service, method, *args, **kwargs):
        self.calls.append((service, method, *args))
        if (service, method) == ("members", "authenticate"):
            if args[0] not in self.actors:
                raise Unauthorized("Please log in again.")
            return self.actors[args[0]]
        if (service, method) == ("members", "act_for"):
            trusted, resident_id, scope = args
            if scope not in self.trusts.get(trusted["member_id"], {}).get(resident_id, ()):
                raise Forbidden("You may not act for this member.")
            return {**self.actors[resident_id],
                    "acted_by": {"member_id": trusted["member_id"], "display_name": trusted["display_name"]}}
        return {"items": [], "next": None, "actor": args[0] if args else None}

    def asked_as(self, method: str) -> dict:
        return next(call[2] for call in self.calls if call[1] == method)


@pytest.fixture
def services():
    return Services({"bora": {"ayse": ("bookings",)}, "deniz": {"ayse": ("bookings", "messages")}})


@pytest.fixture
def client(services):
    app = create_app({"TESTING": True, "MEMBER_EVENTS": False})
    app.extensions["rpc"] = services
    client = app.test_client()

    def request(method, path, member, acting_for=None, **kwargs):
        with app.test_request_context():
            token = issue_token(member, "c-1")[0]
        headers = {"Authorization": f"Bearer {token}"}
        if acting_for:
            headers["X-Acting-For"] = acting_for
        return client.open(path, method=method, headers=headers, **kwargs)

    return request


def test_a_trusted_person_in_scope_is_answered_as_the_resident_and_the_service_hears_who_acted(client, services):
    answer = client("GET", "/api/v1/bookings", "bora", acting_for="ayse")

    assert answer.status_code == 200
    asked = services.asked_as("list_bookings")
    assert asked["member_id"] == "ayse" and asked["acted_by"] == {"member_id": "bora", "display_name": "Bora"}
    assert ("members", "act_for", services.actors["bora"], "ayse", "bookings") in services.calls


def test_outside_the_trusts_scopes_the_request_is_refused_before_any_service_is_asked(client, services):
    answer = client("GET", "/api/v1/notifications", "bora", acting_for="ayse")

    assert answer.status_code == 403
    assert [call[1] for call in services.calls] == ["authenticate", "act_for"]


@pytest.mark.parametrize("method, path", [("GET", "/api/v1/members/me/trusted-persons"),
                                          ("GET", "/api/v1/members/me/export"), ("DELETE", "/api/v1/members/me"),
                                          ("GET", "/api/v1/members")])
def test_what_has_no_scope_nobody_does_for_someone_else_and_the_members_service_is_not_even_asked(
        client, services, method, path):
    answer = client(method, path, "deniz", acting_for="ayse")

    assert answer.status_code == 403, answer.json
    assert [call[1] for call in services.calls] == ["authenticate"]


def test_naming_oneself_is_no_acting_at_all(client, services):
    assert client("GET", "/api/v1/bookings", "ayse", acting_for="ayse").status_code == 200
    assert "acted_by" not in services.asked_as("list_bookings")


def test_a_supporter_acting_for_nobody_sees_nothing_of_the_house_but_their_own_page(client, services):
    for path in ("/api/v1/bookings", "/api/v1/members", "/api/v1/spaces", "/api/v1/help-requests", "/api/v1/notices"):
        assert client("GET", path, "deniz").status_code == 403, path
    for path in ("/api/v1/members/me", "/api/v1/members/me/trusted-by", "/api/v1/notifications"):
        assert client("GET", path, "deniz").status_code == 200, path


def test_a_supporter_acts_for_the_resident_within_the_trust(client, services):
    assert client("GET", "/api/v1/notifications", "deniz", acting_for="ayse").status_code == 200
    assert services.asked_as("inbox")["member_id"] == "ayse"


def test_an_organiser_acted_for_cannot_be_used_to_reach_organiser_routes(client, services):
    services.trusts["bora"]["olga"] = ("bookings",)
    services.actors["olga"]["role"] = "organiser"
    answer = client("POST", "/api/v1/bookings/b-1/approve", "bora", acting_for="olga")
    assert answer.status_code == 403
