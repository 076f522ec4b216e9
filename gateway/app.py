"""The gateway's app factory: configuration, the RPC client, problem documents, metrics, the API areas and the
web pages."""
import logging

from flask import Flask, request
from flask_smorest import Api
from werkzeug.middleware.proxy_fix import ProxyFix

from gateway import metrics, openapi, problems
from gateway.actors import Actors
from gateway.rpc import RpcClient
from services.common.config import amqp_uri, env, env_bool, env_int

DEMO_SECRET = "demo-secret-for-development-only-change-me-in-production"
MIN_SECRET_LENGTH = 32
JSON_BODY_METHODS = ("POST", "PUT", "PATCH")


class PlatformApi(Api):
    """flask-smorest, answering with problem documents; `gateway.openapi` documents them, status by status, so
    there is no catch-all `default` response."""

    ERROR_SCHEMA = problems.ProblemSchema  # else flask-smorest adds an `Error` schema of its own to the document
    DEFAULT_ERROR_RESPONSE_NAME = None

    def handle_http_exception(self, error):
        return problems.http_error(error)


def settings_from_environment() -> dict:
    return {
        "SECRET_KEY": env("GATEWAY_SECRET", DEMO_SECRET),
        "PLATFORM_ENV": env("PLATFORM_ENV", "development"),
        "AMQP_URI": amqp_uri(),
        "RPC_TIMEOUT": float(env("RPC_TIMEOUT_SECONDS", "5")),
        "HEALTH_TIMEOUT": float(env("HEALTH_TIMEOUT_SECONDS", "2")),
        "TOKEN_TTL_SECONDS": env_int("TOKEN_TTL_SECONDS", 12 * 3600),
        "MAX_CONTENT_LENGTH": env_int("MAX_BODY_BYTES", 64 * 1024),
        "TRUSTED_PROXIES": env_int("TRUSTED_PROXIES", 0),
        # Off: every request asks the members service who is acting (the gateway keeps no copy of members).
        "MEMBER_EVENTS": env_bool("GATEWAY_MEMBER_EVENTS", True),
    }


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(settings_from_environment())
    app.config.update(
        API_TITLE="Cohousing platform — Baugemeinschaft Mitte Altona",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        JSON_SORT_KEYS=False,
    )
    app.config.update(test_config or {})
    refuse_demo_secret_in_production(app)
    logging.basicConfig(level=env("LOG_LEVEL", "INFO"))
    if app.config["TRUSTED_PROXIES"]:
        # The proxy terminates TLS: believe its X-Forwarded-Proto too, so that links the pages hand out (the join
        # link, the calendar feed) say https, and the language cookie is Secure like the session cookie.
        trusted = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted, x_proto=trusted)

    app.extensions["rpc"] = RpcClient(app.config["AMQP_URI"], timeout=app.config["RPC_TIMEOUT"])
    app.extensions["health_rpc"] = RpcClient(app.config["AMQP_URI"], timeout=app.config["HEALTH_TIMEOUT"])
    app.extensions["actors"] = Actors(app.config["AMQP_URI"], listen=app.config["MEMBER_EVENTS"])

    api = PlatformApi(app, spec_kwargs={"extra_plugins": [openapi.CompletedDocument(app)]})
    problems.register(app)
    metrics.register(app)
    app.before_request(require_json_bodies)

    from gateway.api import activities, auth, care, decisions, help, members, notifications, operations, spaces

    for blueprint in (operations.blp, auth.blp, members.blp, spaces.blp, help.blp, notifications.blp, care.blp,
                      decisions.blp, activities.blp):
        api.register_blueprint(blueprint)

    from gateway import web

    web.register(app)
    return app


def refuse_demo_secret_in_production(app: Flask) -> None:
    secret = app.config["SECRET_KEY"] or ""
    if app.config["PLATFORM_ENV"] == "production" and (secret == DEMO_SECRET or len(secret) < MIN_SECRET_LENGTH):
        raise RuntimeError(
            f"GATEWAY_SECRET must be set to a random value of at least {MIN_SECRET_LENGTH} characters in production."
        )


def require_json_bodies():
    if request.method in JSON_BODY_METHODS and request.path.startswith("/api/v1/"):
        has_body = (request.content_length or 0) > 0 or request.headers.get("Transfer-Encoding")
        if has_body and not request.is_json:
            return problems.problem(415, "Send the request body as JSON (Content-Type: application/json).")
    return None
