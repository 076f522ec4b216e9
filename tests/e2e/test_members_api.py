"""Members and auth through the HTTP API, with the gateway and the services running as processes."""
import pytest

from tests.support.processes import MEMBER_PASSWORD as PASSWORD
from tests.support.processes import ORGANISER


def assert_problem(response, status):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["title"] and body["type"]
    assert "Traceback" not in response.text
    return body


def directory_size(client):
    return len(client.get("/api/v1/members", params={"limit": 200}).json()["items"])


def test_invite_register_login_and_see_my_profile(platform):
    organiser = platform.organiser()
    ayse, registered = platform.join(organiser, "ayse@example.org", display_name="Ayşe Yılmaz",
                                           preferred_language="tr", languages=["tr", "de"], phone="040 123 45",
                                           share_phone=True, household="Haus B 2.1")
    me = ayse.get("/api/v1/members/me")
    assert me.status_code == 200
    profile = me.json()
    assert profile["id"] == registered["id"]
    assert profile["display_name"] == "Ayşe Yılmaz" and profile["preferred_language"] == "tr"
    assert profile["role"] == "resident" and profile["household"] == "Haus B 2.1"
    assert profile["created_at"].endswith("Z")

    changed = ayse.patch("/api/v1/members/me", json={"languages": ["tr", "de", "en"], "share_phone": False})
    assert changed.status_code == 200 and changed.json()["languages"] == ["tr", "de", "en"]
    entry = next(e for e in organiser.get("/api/v1/members").json()["items"] if e["id"] == registered["id"])
    assert "phone" not in entry


def test_login_answers_a_token_with_its_expiry_and_the_member(platform):
    response = platform.client().post("/api/v1/auth/login", json=ORGANISER)
    assert response.status_code == 200
    body = response.json()
    assert body["token"] and body["expires_at"].endswith("Z") and body["member"]["role"] == "organiser"


def test_a_resident_cannot_invite(platform):
    resident, _ = platform.join(platform.organiser(), "rosa@example.org")
    assert_problem(resident.post("/api/v1/invitations", json={"email": "x@example.org", "role": "resident"}), 403)


def test_a_resident_cannot_raise_their_own_role(platform):
    resident, _ = platform.join(platform.organiser(), "raise@example.org")
    assert_problem(resident.patch("/api/v1/members/me", json={"role": "organiser"}), 403)
    assert resident.get("/api/v1/members/me").json()["role"] == "resident"


def test_an_invitation_works_once(platform):
    organiser = platform.organiser()
    code = organiser.post("/api/v1/invitations", json={"email": "once@example.org", "role": "resident"}).json()["code"]
    body = {"invitation_code": code, "email": "once@example.org", "password": PASSWORD, "display_name": "Once",
            "preferred_language": "ru"}
    assert platform.client().post("/api/v1/members", json=body).status_code == 201
    assert_problem(platform.client().post("/api/v1/members", json={**body, "email": "twice@example.org"}), 410)


def test_another_communitys_member_is_not_found(platform):
    created = platform.cli("services.members.cli", "create-community", "--name", "Haus am Park",
                           "--organiser-email", "park@example.org", "--organiser-name", "Paula",
                           ORGANISER_PASSWORD=PASSWORD)
    assert created.returncode == 0, created.stderr
    park = platform.login("park@example.org", PASSWORD)
    park_id = park.get("/api/v1/members/me").json()["id"]
    altona = platform.organiser()
    assert_problem(altona.get(f"/api/v1/members/{park_id}"), 404)
    assert_problem(altona.patch(f"/api/v1/members/{park_id}", json={"active": False}), 404)
    assert park_id not in [entry["id"] for entry in altona.get("/api/v1/members").json()["items"]]


def test_a_deactivated_members_token_stops_working_at_once(platform):
    organiser = platform.organiser()
    leaving, registered = platform.join(organiser, "leaving@example.org")
    assert leaving.get("/api/v1/members/me").status_code == 200
    deactivated = organiser.patch(f"/api/v1/members/{registered['id']}", json={"active": False})
    assert deactivated.status_code == 200 and deactivated.json()["active"] is False
    assert_problem(leaving.get("/api/v1/members/me"), 401)
    assert_problem(platform.client().post("/api/v1/auth/login",
                                          json={"email": "leaving@example.org", "password": PASSWORD}), 401)


def test_role_changes_and_deactivation_hold_at_once_in_every_gateway_worker(platform):
    """The gateway runs two worker processes, each with its own copy of who may act: every request on a new
    connection may reach either, right after the change was answered."""
    organiser = platform.organiser()
    member, registered = platform.join(organiser, "promoted@example.org")
    token = member.session.headers["Authorization"].split()[1]

    def answers(method, path, **kwargs):
        return {platform.client(token).request(method, path, **kwargs).status_code for _ in range(12)}

    invite = {"email": "someone@example.org", "role": "resident"}
    assert answers("POST", "/api/v1/invitations", json=invite) == {403}
    assert organiser.patch(f"/api/v1/members/{registered['id']}", json={"role": "organiser"}).status_code == 200
    assert answers("POST", "/api/v1/invitations", json=invite) == {201}
    assert organiser.patch(f"/api/v1/members/{registered['id']}", json={"role": "resident"}).status_code == 200
    assert answers("POST", "/api/v1/invitations", json=invite) == {403}
    assert organiser.patch(f"/api/v1/members/{registered['id']}", json={"active": False}).status_code == 200
    assert answers("GET", "/api/v1/members/me") == {401}


def test_a_new_password_ends_the_other_logins_at_once(platform):
    member, _ = platform.join(platform.organiser(), "careful@example.org")
    other_device = platform.login("careful@example.org", PASSWORD)
    assert other_device.get("/api/v1/members/me").status_code == 200
    changed = member.patch("/api/v1/members/me", json={"password": "a new long password", "current_password": PASSWORD})
    assert changed.status_code == 200, changed.text
    assert_problem(other_device.get("/api/v1/members/me"), 401)
    assert platform.login("careful@example.org", "a new long password").get("/api/v1/members/me").status_code == 200


def test_a_wrong_password_is_401_and_repeated_failures_are_429(platform):
    platform.join(platform.organiser(), "forgetful@example.org")
    wrong = {"email": "forgetful@example.org", "password": "not my password"}
    for _ in range(5):
        assert_problem(platform.client().post("/api/v1/auth/login", json=wrong), 401)
    locked = platform.client().post("/api/v1/auth/login", json={**wrong, "password": PASSWORD})
    assert_problem(locked, 429)
    assert int(locked.headers["Retry-After"]) > 0


def test_a_repeated_idempotency_key_creates_nothing_new(platform):
    organiser = platform.organiser()
    headers = {"Idempotency-Key": "invite-emil-1"}
    body = {"email": "emil@example.org", "role": "resident"}
    first = organiser.post("/api/v1/invitations", json=body, headers=headers)
    again = organiser.post("/api/v1/invitations", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()


@pytest.mark.parametrize("body, status", [
    ("{not json", 400),
    ('["a", "list"]', 422),
    ('{"email": {"$gt": ""}, "role": "resident"}', 422),
    ('{"email": "a@example.org", "role": {"$where": "sleep(1000)"}}', 422),
    ('{"email": "a@example.org", "role": "resident", "admin": true}', 422),
    ('{"email": "' + "a" * 300 + '@example.org", "role": "resident"}', 422),
    ('{"email": "a@example.org", "role": "king"}', 422),
    ('{"email": 42, "role": "resident"}', 422),
])
def test_malformed_and_hostile_bodies_are_problems_and_store_nothing(platform, body, status):
    organiser = platform.organiser()
    problem = assert_problem(organiser.post("/api/v1/invitations", data=body,
                                            headers={"Content-Type": "application/json"}), status)
    if status == 422 and body.startswith("{"):
        assert problem["errors"]


def test_hostile_registrations_store_no_member(platform):
    organiser = platform.organiser()
    before = directory_size(organiser)
    code = organiser.post("/api/v1/invitations", json={"email": "h@example.org", "role": "resident"}).json()["code"]
    base = {"invitation_code": code, "email": "h@example.org", "password": PASSWORD, "display_name": "H",
            "preferred_language": "de"}
    for hostile in ({**base, "display_name": {"$gt": ""}}, {**base, "invitation_code": {"$ne": None}},
                    {**base, "preferred_language": "xx"}, {**base, "display_name": "x" * 10_000},
                    {**base, "languages": ["German"]}, {**base, "phone": "call me maybe"}):
        assert_problem(platform.client().post("/api/v1/members", json=hostile), 422)
    assert directory_size(organiser) == before


def test_wrong_content_types_and_huge_bodies_are_refused(platform):
    organiser = platform.organiser()
    assert_problem(organiser.post("/api/v1/invitations", data="email=a@example.org",
                                  headers={"Content-Type": "application/x-www-form-urlencoded"}), 415)
    huge = '{"email": "a@example.org", "role": "resident", "household": "' + "x" * 200_000 + '"}'
    assert_problem(organiser.post("/api/v1/invitations", data=huge, headers={"Content-Type": "application/json"}),
                   413)


def test_requests_without_a_valid_token_are_401(platform):
    anonymous = platform.client()
    assert_problem(anonymous.get("/api/v1/members/me"), 401)
    assert_problem(platform.client("not-a-token").get("/api/v1/members"), 401)
    assert_problem(anonymous.post("/api/v1/invitations", json={"email": "a@example.org", "role": "resident"}), 401)


def test_my_export_holds_my_profile(platform):
    member, registered = platform.join(platform.organiser(), "export@example.org")
    export = member.get("/api/v1/members/me/export")
    assert export.status_code == 200
    assert export.json()["services"]["members"]["profile"]["email"] == "export@example.org"


def test_unknown_addresses_and_methods_are_problems(platform):
    assert_problem(platform.client().get("/api/v1/nothing-here"), 404)
    assert_problem(platform.client().delete("/api/v1/auth/login"), 405)


def test_operations_endpoints(platform):
    client = platform.client()
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["members"] == "ok"
    metrics = client.get("/metrics")
    assert metrics.status_code == 200 and "gateway_http_requests_total" in metrics.text


def test_the_openapi_document_describes_every_members_endpoint(platform):
    spec = platform.client().get("/api/openapi.json").json()
    expected = {
        "/api/v1/auth/login": {"post"}, "/api/v1/invitations": {"post"},
        "/api/v1/members": {"get", "post"}, "/api/v1/members/me": {"get", "patch", "delete"},
        "/api/v1/members/me/export": {"get"}, "/api/v1/members/{member_id}": {"get", "patch"},
        "/healthz": {"get"}, "/readyz": {"get"}, "/metrics": {"get"},
    }
    for path, methods in expected.items():
        assert methods <= set(spec["paths"][path]), path
    register = spec["paths"]["/api/v1/members"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert register["$ref"].endswith("/Registration")
