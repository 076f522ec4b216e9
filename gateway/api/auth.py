"""Logging in: email and password, or a one-time link sent by email, for a bearer token."""
from datetime import datetime, timezone

from flask import request
from marshmallow import Schema, fields

from gateway.api import Blueprint, call
from gateway.auth import issue_token
from services.common.clock import isoformat_z
from services.contracts.members import (
    LoginLinkAcceptedSchema, LoginLinkRedeemSchema, LoginLinkRequestSchema, LoginSchema, MemberSchema,
)

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
    return logged_in(call("members", "login", credentials, client_address()))


@blp.route("/login-link", methods=["POST"])
@blp.arguments(LoginLinkRequestSchema)
@blp.response(202, LoginLinkAcceptedSchema)
@blp.alt_response(429, description="Too many links asked for this address or from this client; see Retry-After")
def request_login_link(body):
    """Ask for a sign-in link by email (no password needed). The answer is the same whether or not the address
    belongs to a member; a member gets an email with a link that works once, for 15 minutes."""
    accepted = call("members", "request_login_link", body, client_address())
    minutes = max(1, accepted["valid_for_seconds"] // 60)
    return {"detail": f"If this address belongs to a member, a link is on its way. It works once, for {minutes} "
                      "minutes.", "valid_for_seconds": accepted["valid_for_seconds"]}


@blp.route("/login-link/redeem", methods=["POST"])
@blp.arguments(LoginLinkRedeemSchema)
@blp.response(200, TokenSchema)
@blp.alt_response(401, description="No such sign-in link, or its member may no longer log in")
@blp.alt_response(409, description="The sign-in link was used by another request at the same moment")
@blp.alt_response(410, description="The sign-in link was used already, or has expired")
@blp.alt_response(429, description="Too many failed attempts from this client; see Retry-After")
def redeem_login_link(body):
    """Log in with the token of an emailed sign-in link (the last part of its address); it works once."""
    return logged_in(call("members", "redeem_login_link", body, client_address()))


def client_address() -> str:
    return request.remote_addr or "unknown"


def logged_in(result: dict) -> dict:
    """The answer of a login: a bearer token for the member the members service let in."""
    token, expires = issue_token(result["actor"]["member_id"], result["actor"]["community_id"])
    return {
        "token": token,
        "expires_at": isoformat_z(datetime.fromtimestamp(expires, timezone.utc)),
        "member": result["member"],
    }
