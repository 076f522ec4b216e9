"""Logging in: email and password for a bearer token."""
from datetime import datetime, timezone

from flask import request
from marshmallow import Schema, fields

from gateway.api import Blueprint, call
from gateway.auth import issue_token
from services.common.clock import isoformat_z
from services.contracts.members import LoginSchema, MemberSchema

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Logging in")


class TokenSchema(Schema):
    token = fields.String(required=True)
    expires_at = fields.String(required=True, metadata={"format": "date-time"})
    member = fields.Nested(MemberSchema, required=True)


@blp.route("/login", methods=["POST"])
@blp.arguments(LoginSchema)
@blp.response(200, TokenSchema)
@blp.alt_response(401, description="Wrong email or password")
@blp.alt_response(429, description="Too many failed attempts; see Retry-After")
def login(credentials):
    """Log in with email and password; send the token as `Authorization: Bearer <token>`."""
    result = call("members", "login", credentials, request.remote_addr or "unknown")
    token, expires = issue_token(result["actor"]["member_id"], result["actor"]["community_id"])
    return {
        "token": token,
        "expires_at": isoformat_z(datetime.fromtimestamp(expires, timezone.utc)),
        "member": result["member"],
    }
