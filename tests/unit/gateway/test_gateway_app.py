"""The gateway's app factory and its problem documents, without a broker."""
import pytest

from gateway.app import DEMO_SECRET, create_app


def test_the_factory_builds_an_app_that_answers_healthz():
    client = create_app({"TESTING": True}).test_client()
    assert client.get("/healthz").json == {"status": "ok"}


def test_production_refuses_to_start_with_the_demo_secret():
    with pytest.raises(RuntimeError, match="GATEWAY_SECRET"):
        create_app({"PLATFORM_ENV": "production", "SECRET_KEY": DEMO_SECRET})


def test_production_refuses_a_short_secret():
    with pytest.raises(RuntimeError):
        create_app({"PLATFORM_ENV": "production", "SECRET_KEY": "short"})


def test_production_starts_with_a_long_random_secret():
    create_app({"PLATFORM_ENV": "production", "SECRET_KEY": "x" * 48})


@pytest.fixture
def client():
    return create_app({"TESTING": True}).test_client()


def test_malformed_json_is_a_400_problem(client):
    response = client.post("/api/v1/auth/login", data="{nope", content_type="application/json")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.json["type"] == "/problems/malformed-request"


def test_unknown_fields_and_operator_values_are_422_with_field_errors(client):
    response = client.post("/api/v1/auth/login", json={"email": {"$gt": ""}, "password": "x", "admin": True})
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"email", "admin"}


def test_a_body_that_is_not_json_is_415(client):
    response = client.post("/api/v1/auth/login", data="email=a", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415 and response.mimetype == "application/problem+json"


def test_a_request_without_a_token_is_401_before_its_body_is_read(client):
    response = client.post("/api/v1/invitations", json={"nonsense": True})
    assert response.status_code == 401


def test_an_unknown_address_is_a_404_problem(client):
    response = client.get("/api/v1/does-not-exist")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"


def test_a_request_that_gunicorn_refuses_itself_is_answered_with_a_problem_document():
    import json
    import socket

    from gateway.gunicorn_conf import refuse_with_a_problem_document

    ours, theirs = socket.socketpair()
    refuse_with_a_problem_document(ours, 414, "URI Too Long", "Request Line is too large (8696 > 8190)")
    ours.close()
    head, _, body = theirs.recv(65536).decode().partition("\r\n\r\n")
    assert head.startswith("HTTP/1.1 414 URI Too Long") and "Content-Type: application/problem+json" in head
    assert json.loads(body) == {"type": "/problems/address-too-long", "title": "Address too long", "status": 414,
                                "detail": "Request Line is too large (8696 > 8190)"}


def test_the_openapi_document_uses_problem_documents_for_errors(client):
    spec = client.get("/api/openapi.json").json
    assert "Problem" in spec["components"]["schemas"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_an_expired_token_is_refused_without_asking_any_service():
    app = create_app({"TESTING": True, "TOKEN_TTL_SECONDS": -5})
    with app.test_request_context():
        from gateway.auth import issue_token

        token, _ = issue_token("m1", "c1")
    response = app.test_client().get("/api/v1/members/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and "expired" in response.json["detail"]


def test_a_token_signed_with_another_secret_is_refused():
    other = create_app({"TESTING": True, "SECRET_KEY": "another-secret-that-is-long-enough-to-sign"})
    with other.test_request_context():
        from gateway.auth import issue_token

        token, _ = issue_token("m1", "c1")
    response = create_app({"TESTING": True}).test_client().get(
        "/api/v1/members/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_a_service_error_cannot_replace_the_standard_members_of_a_problem():
    from services.common.errors import Conflict

    app = create_app({"TESTING": True})

    @app.get("/boom")
    def boom():
        raise Conflict("Already completed.", extra={"status": "completed", "current_status": "completed"})

    response = app.test_client().get("/boom")
    assert response.status_code == 409
    assert response.json["status"] == 409 and response.json["current_status"] == "completed"


def test_a_token_with_a_wrong_signature_or_past_its_expiry_is_refused(client):
    import time

    import jwt

    from gateway.auth import ALGORITHM

    secret = client.application.config["SECRET_KEY"]
    claims = {"sub": "m-1", "cid": "c-1", "iat": time.time() - 100}
    forged = jwt.encode({**claims, "exp": int(time.time()) + 600}, "another secret" * 4, algorithm=ALGORITHM)
    expired = jwt.encode({**claims, "exp": int(time.time()) - 1}, secret, algorithm=ALGORITHM)
    for token, detail in ((forged, "Please log in."), (expired, "Your login has expired. Please log in again."),
                          (forged, "Please log in."), (expired, "Your login has expired. Please log in again.")):
        response = client.get("/api/v1/members/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401 and response.json["detail"] == detail


def test_behind_a_trusted_proxy_the_address_and_the_scheme_are_the_proxys():
    app = create_app({"TESTING": True, "TRUSTED_PROXIES": 1})
    seen = {}

    @app.route("/_probe")
    def probe():
        from flask import request
        seen.update(addr=request.remote_addr, secure=request.is_secure, url=request.host_url)
        return ""

    app.test_client().get("/_probe", headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
    assert seen == {"addr": "203.0.113.7", "secure": True, "url": "https://localhost/"}
