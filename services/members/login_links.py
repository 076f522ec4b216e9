"""Signing in by emailed link (WCAG 2.2 SC 3.3.8, accessible authentication): the members service's commands.

Asking for a link answers the same, after the same work, whether or not the address is a member's: every request
is counted and stored as one `LoginLink` (an unknown address gets a token that is thrown away at once), so that
neither the answer, its timing nor the rate limit tells anyone who is a member. For an active member the link's
`login_link.requested` event carries the token to the notifications service, which emails it; the database keeps
only the token's hash, and the event leaves the link's outbox once it is published.

Redeeming a link is a conditional update (unused, unexpired), so a link works once whatever the number of
simultaneous attempts; then the member must still be allowed in, as for a password login. Failed redemptions
count against the client like wrong passwords do.

Kept apart from `commands` (login with a password, profiles, invitations) because it is one self-contained way in;
it shares the member's views and the password login's lock-out with it.
"""
import hashlib
import secrets
from datetime import timedelta

from services.common.errors import Conflict, Gone, TooManyAttempts, Unauthorized, WireErrors
from services.common.schemas import load
from services.contracts.members import LoginLinkRedeemSchema, LoginLinkRequestSchema
from services.members import domain, events
from services.members.commands import actor_view, member_view
from services.members.models import LoginFailure, LoginLink

wire_errors = WireErrors({
    domain.UnknownLoginLink: Unauthorized,
    domain.LoginLinkUnusable: Gone,
    domain.LockedOut: lambda locked: TooManyAttempts(str(locked), extra={"retry_after": locked.retry_after}),
})


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@wire_errors
def request_login_link(uow, body: dict, address: str, settings: dict, now) -> dict:
    """`settings`: `lifetime_seconds`, `per_account` and `per_address` (requests within `window_minutes`)."""
    repo = uow.repository
    data = load(LoginLinkRequestSchema, body)
    email = domain.normalise_email(data["email"])
    window = timedelta(minutes=settings["window_minutes"])
    account_key, address_key = f"account:{token_hash(email)}", f"address:{address}"
    domain.check_link_requests_allowed(
        repo.link_requests_since(account_key=account_key, since=now - window),
        repo.link_requests_since(address_key=address_key, since=now - window),
        per_account=settings["per_account"], per_address=settings["per_address"], window=window,
    )
    member = repo.member_by_email(email)
    usable = member is not None and member.active and not member.erased
    token = secrets.token_urlsafe(32)
    link = LoginLink(token_hash=token_hash(token), account_key=account_key, address_key=address_key,
                     requested_at=now, expires_at=now + timedelta(seconds=settings["lifetime_seconds"]))
    if usable:
        link.member_id, link.community_id = member.id, member.community_id
        link.record(events.login_link_requested(link, member, token, repo.community_timezone(member.community_id),
                                                now))
    with uow:
        uow.add(link)
        uow.commit()  # the email's event goes out after the answer, which is the same for everyone
    return {"valid_for_seconds": settings["lifetime_seconds"]}


@wire_errors
def redeem_login_link(uow, body: dict, address: str, settings: dict, now) -> dict:
    """Sign in with the token of an emailed link: the answer of a password login. `settings` as the password
    login's: failed redemptions count per client (`per_address` within `window_minutes`)."""
    repo = uow.repository
    data = load(LoginLinkRedeemSchema, body)
    window = timedelta(minutes=settings["window_minutes"])
    address_key = f"address:{address}"
    address_failures = repo.failures_since(address_key, now - window)
    domain.check_not_locked_out(0, address_failures, per_account=settings["per_account"],
                                per_address=settings["per_address"], window=window)
    hashed = token_hash(data["token"])
    link = repo.claim_login_link(hashed, now)
    if link is None:
        with uow:
            uow.add(LoginFailure(key=address_key, at=now))
            uow.commit()
        domain.check_login_link_usable(repo.login_link(hashed), now)
        raise Conflict("This sign-in link was used a moment ago.")  # usable when read: someone else was first
    member = repo.member(link.community_id, link.member_id)
    domain.check_may_sign_in_with(member, link)
    return {"member": member_view(member),
            "actor": actor_view(member.to_mongo().to_dict(), repo.community_timezone(member.community_id))}
