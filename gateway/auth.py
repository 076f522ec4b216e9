"""Bearer tokens signed by the gateway, and the decorators that require a logged-in member or organiser.

A token names the member; on every request the gateway checks that the member is still active and that the
token was issued after `tokens_valid_after`, so deactivation ends a member's access at once. It knows this
from its own copy of the members, kept current by their events (`gateway.actors`, which also explains why
that copy is never behind a change the members service has answered), or else from the members service.
"""
import functools
import time

import jwt
from flask import current_app, g, request

from gateway.delegation import ACTING_HEADER, effective_actor
from services.common.clock import parse_iso
from services.common.errors import Forbidden, Unauthorized

ALGORITHM = "HS256"


def issue_token(member_id: str, community_id: str) -> tuple[str, float]:
    now = time.time()
    expires = now + current_app.config["TOKEN_TTL_SECONDS"]
    claims = {"sub": member_id, "cid": community_id, "iat": now, "exp": int(expires)}
    return jwt.encode(claims, current_app.config["SECRET_KEY"], algorithm=ALGORITHM), expires


def actor_from_token(token: str) -> dict:
    try:
        claims = _verified_claims(token, current_app.config["SECRET_KEY"])
    except jwt.InvalidTokenError:
        raise Unauthorized("Please log in.")
    if claims["exp"] <= time.time():
        raise Unauthorized("Your login has expired. Please log in again.")
    member_id = claims["sub"]
    actor = current_app.extensions["actors"].actor(
        member_id, fetch=lambda: current_app.extensions["rpc"].call("members", "authenticate", member_id))
    valid_after = actor.get("tokens_valid_after")
    if valid_after and float(claims["iat"]) < _timestamp(valid_after):
        raise Unauthorized("Please log in again.")
    return actor


@functools.lru_cache(maxsize=4096)
def _verified_claims(token: str, secret: str) -> dict:
    """The claims of a token whose signature is right; remembered, as a member sends the same token with every
    request (checking the signature again each time was a tenth of the gateway's own time). The expiry is
    checked by the caller at every request; a token that fails verification raises and is not remembered."""
    claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "iat", "exp"],
                                                                         "verify_exp": False})
    if not isinstance(claims["exp"], (int, float)) or isinstance(claims["exp"], bool):
        raise jwt.InvalidTokenError("exp is not a number")
    return claims


@functools.lru_cache(maxsize=4096)
def _timestamp(moment: str) -> float:
    return parse_iso(moment).timestamp()


def current_actor() -> dict:
    """The member this request is made as, from the bearer token: the logged-in member, or the resident they act
    for with the `X-Acting-For` header (`gateway.delegation`)."""
    if "actor" not in g:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Please log in.")
        g.actor = effective_actor(actor_from_token(token.strip()), request.headers.get(ACTING_HEADER, "").strip())
    return g.actor


def member_required(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        current_actor()
        return view(*args, **kwargs)

    wrapper.requires = "member"  # read by gateway.openapi: a bearer token, else 401
    return wrapper


def organiser_required(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if current_actor()["role"] != "organiser":
            raise Forbidden("Only organisers may do this.")
        return view(*args, **kwargs)

    wrapper.requires = "organiser"  # read by gateway.openapi: also 403 for residents
    return wrapper
