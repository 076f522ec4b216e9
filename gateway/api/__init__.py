"""The HTTP API, one blueprint per area."""
import functools

import flask_smorest
import marshmallow
from flask import current_app, request
from webargs.flaskparser import FlaskParser


class SchemaReusingParser(FlaskParser):
    """webargs builds a new instance of an argument schema for every request when given its class (a fifth of
    the gateway's own time per booking). A marshmallow schema holds no state between loads, so one instance
    per class serves every request, as flask-smorest's response schemas already do."""

    def _get_schema(self, argmap, req):
        if isinstance(argmap, type) and issubclass(argmap, marshmallow.Schema):
            return _instance(argmap)
        return super()._get_schema(argmap, req)


@functools.cache
def _instance(schema_class: type) -> marshmallow.Schema:
    return schema_class()


class Blueprint(flask_smorest.Blueprint):
    """The blueprint of every area of the API."""

    ARGUMENTS_PARSER = SchemaReusingParser()


def call(service: str, method: str, *args, **kwargs):
    """Call a service through the app's pooled RPC client."""
    return current_app.extensions["rpc"].call(service, method, *args, **kwargs)


def idempotency_key() -> str | None:
    return request.headers.get("Idempotency-Key") or None


IDEMPOTENCY_PARAMETER = {
    "in": "header", "name": "Idempotency-Key", "required": False, "schema": {"type": "string", "maxLength": 200},
    "description": "Send the same key again to repeat a request safely: the first result is returned.",
}
