"""Liveness, readiness and metrics: what an orchestrator and a monitoring system ask."""
from concurrent.futures import ThreadPoolExecutor

from flask import current_app
from marshmallow import Schema, fields

from gateway import problems
from gateway.api import Blueprint
from gateway.metrics import exposition
from gateway.rpc import ServiceUnavailable

# The services the platform needs; readiness asks each of them.
SERVICES = ("members", "spaces", "help", "notifications", "care", "decisions", "activities")

blp = Blueprint("operations", __name__, description="Health and metrics")


class HealthSchema(Schema):
    status = fields.String(required=True)


class ReadinessSchema(Schema):
    status = fields.String(required=True)
    checks = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


@blp.route("/healthz")
@blp.response(200, HealthSchema)
def healthz():
    """The gateway process is alive."""
    return {"status": "ok"}


@blp.route("/readyz")
@blp.response(200, ReadinessSchema)
@blp.alt_response(503, description="The broker or a service does not answer")
def readyz():
    """Ready only when the broker and every service answer."""
    client = current_app.extensions["health_rpc"]

    def ask(service):
        try:
            client.call(service, "health")
            return service, "ok"
        except ServiceUnavailable as error:
            return service, f"{error.service} {error.reason}"

    with ThreadPoolExecutor(max_workers=len(SERVICES)) as pool:
        checks = dict(pool.map(ask, SERVICES))
    missing = [service for service, state in checks.items() if state != "ok"]
    if missing:
        broker_down = any(state.startswith("broker") for state in checks.values())
        names = "the message broker" if broker_down else ", ".join(missing)
        return problems.problem(503, f"Not ready: {names} did not answer.",
                                service="broker" if broker_down else missing[0], checks=checks)
    return {"status": "ready", "checks": checks}


@blp.route("/metrics")
@blp.response(200, description="Prometheus text format")
def metrics():
    """Prometheus metrics of the gateway."""
    return exposition()
