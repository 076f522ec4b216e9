"""Signed single-use links: a token that says what it is for, for whom and until when, made and read by the one
service that owns what the link does.

    token = sign(secret, "check-in", {"m": member_id, "d": day, "n": nonce}, expires_at=end_of_day)
    claims = read(secret, "check-in", token, now)     # BadToken, ExpiredToken

The signature (itsdangerous, HMAC-SHA1 over the claims; the purpose is its salt, so that a token made for one
purpose is worthless for another) proves the service made it; the expiry is in the signed claims. Single use is
the owner's part: it stores only `digest(nonce)`, never the token, and redeems it with a conditional update
(from unused to used), so a token works once and a stolen database holds no working link.

Pure: no Nameko, no database, no clock (`now` is passed in).
"""
import hashlib
import secrets
from datetime import datetime

from itsdangerous import BadSignature, URLSafeSerializer

# Far more than a token of a few claims needs; a longer "token" is refused before anything is decoded.
MAX_TOKEN_LENGTH = 500


class BadToken(Exception):
    """Not a token this service signed for this purpose (mistyped, cut off, forged)."""


class ExpiredToken(BadToken):
    """A genuine token whose time is over; `claims` says what it was for."""

    def __init__(self, claims: dict):
        self.claims = claims
        super().__init__("This link has expired.")


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def digest(nonce: str) -> str:
    """What is stored of a nonce: its SHA-256, so the stored value cannot be turned back into a link."""
    return hashlib.sha256(nonce.encode()).hexdigest()


def sign(secret: str, purpose: str, claims: dict, *, expires_at: datetime) -> str:
    return URLSafeSerializer(secret, salt=purpose).dumps({**claims, "exp": int(expires_at.timestamp())})


def read(secret: str, purpose: str, token, now: datetime) -> dict:
    """The claims of a genuine token for `purpose` (with `exp`, in seconds since the epoch). Raises `BadToken`,
    or `ExpiredToken` from `exp` on."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise BadToken("This is not a link of ours.")
    try:
        claims = URLSafeSerializer(secret, salt=purpose).loads(token)
    except (BadSignature, ValueError, TypeError):
        raise BadToken("This is not a link of ours.")
    if not isinstance(claims, dict) or not isinstance(claims.get("exp"), int):
        raise BadToken("This is not a link of ours.")
    if now.timestamp() >= claims["exp"]:
        raise ExpiredToken(claims)
    return claims
