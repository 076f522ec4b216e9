"""The members' rules as pure functions: invitations, roles, the directory's privacy, login lock-out.

No Nameko, no database, no clock: `now` is always passed in. A rule that refuses raises one of the exceptions
below; the service answers each with its wire error (`commands.wire_errors`).
"""
from datetime import datetime, timedelta, timezone

from services.contracts.members import ROLES
from services.contracts.vocabulary import DEFAULT_TIMEZONE, LANGUAGE_CODE

INVITATION_LIFETIME = timedelta(days=14)


# -- refusals ---------------------------------------------------------------------------------------------
class MembersError(Exception):
    """Base of every refusal of the members' rules: a sentence for the person, and the fields at fault."""

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.errors = errors or {}


class NotAllowed(MembersError):
    """This member may not do this, whatever else is true."""


class UnknownInvitation(MembersError):
    """No invitation has this code."""


class InvitationUnusable(MembersError):
    """The invitation was used already, or has expired."""


class MemberErased(MembersError):
    """The member left and their data was erased: nothing about them can change any more."""


class LastOrganiser(MembersError):
    """The change would leave the community without an active organiser."""


class LockedOut(MembersError):
    """Too many wrong passwords lately; `retry_after` seconds until the window has passed."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class NotALanguageCode(MembersError):
    """Languages are given as short codes."""


class UnknownMember(MembersError):
    """No such (active) member in the community."""


class NotTrusted(MembersError):
    """No trust of the resident, or not one that covers this: the trusted person may not act so for them."""


class TrustExists(MembersError):
    """The resident trusts this person already: change the trust by ending it and granting a new one."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def name_key(display_name: str) -> str:
    return display_name.strip().casefold()


# -- invitations ------------------------------------------------------------------------------------
def invitation_expires_at(now: datetime, lifetime: timedelta = INVITATION_LIFETIME) -> datetime:
    return now + lifetime


def check_can_invite(actor_role: str) -> None:
    if actor_role != "organiser":
        raise NotAllowed("Only organisers can invite new members.")


def check_invitation_usable(invitation, now: datetime) -> None:
    """An invitation works once, and only until it expires."""
    if invitation is None:
        raise UnknownInvitation("This invitation code is not known. Please check it, or ask an organiser.",
                                errors={"invitation_code": ["Unknown invitation code."]})
    if invitation.used_at is not None:
        raise InvitationUnusable("This invitation has already been used. Please ask an organiser for a new one.",
                                 errors={"invitation_code": ["Already used."]})
    if invitation.expires_at <= now:
        raise InvitationUnusable("This invitation has expired. Please ask an organiser for a new one.",
                                 errors={"invitation_code": ["Expired."]})


# -- sign-in links ---------------------------------------------------------------------------------------
class UnknownLoginLink(MembersError):
    """No sign-in link has this token, or its member may no longer sign in."""


class LoginLinkUnusable(MembersError):
    """The sign-in link was used already, or has expired."""


def check_link_requests_allowed(account_requests: int, address_requests: int, *, per_account: int,
                                per_address: int, window: timedelta) -> None:
    """Sign-in links are asked for a limited number of times per address and per client. The requests are
    counted whether or not the address is a member's, so this refusal says nothing about who is a member."""
    if account_requests >= per_account or address_requests >= per_address:
        minutes = int(window.total_seconds() // 60)
        raise LockedOut(f"Too many sign-in links were asked for. Please wait {minutes} minutes and try again, "
                        "or ask an organiser.", retry_after=int(window.total_seconds()))


def check_login_link_usable(link, now: datetime) -> None:
    """A sign-in link works once, until it expires, and only if it was sent to a member."""
    if link is None or link.member_id is None:
        raise UnknownLoginLink("This sign-in link is not valid. Please ask for a new one on the login page.",
                               errors={"token": ["Unknown sign-in link."]})
    if link.used_at is not None:
        raise LoginLinkUnusable("This sign-in link has already been used. Please ask for a new one on the "
                                "login page.", errors={"token": ["Already used."]})
    if link.expires_at <= now:
        raise LoginLinkUnusable("This sign-in link has expired. Please ask for a new one on the login page.",
                                errors={"token": ["Expired."]})


def check_may_sign_in_with(member, link) -> None:
    """The member of a link may still sign in: active, not erased, and their tokens were not all ended (a new
    password, a deactivation) after the link was sent."""
    ended = member is not None and member.tokens_valid_after is not None and \
        link.requested_at < member.tokens_valid_after
    if member is None or not member.active or member.erased or ended:
        raise UnknownLoginLink("This sign-in link no longer works. Please ask for a new one on the login page, "
                               "or ask an organiser.", errors={"token": ["No longer valid."]})


# -- roles and changes --------------------------------------------------------------------------------
def check_own_profile_change(member, changes: dict, active_organisers: int) -> None:
    """A member may change their own profile, but never raise their own role."""
    new_role = changes.get("role", member.role)
    if new_role != member.role:
        if ROLES.index(new_role) > ROLES.index(member.role):
            raise NotAllowed("You cannot give yourself a higher role.")
        check_organisers_remain(member, active_organisers)


def check_member_change(actor_id: str, actor_role: str, member, changes: dict, active_organisers: int) -> None:
    """Organisers change others' role, household and active state; nobody locks the community out."""
    if actor_role != "organiser":
        raise NotAllowed("Only organisers can change other members.")
    if member.erased:
        raise MemberErased("This member has left and their data was erased.")
    demoted = changes.get("role", member.role) != member.role and member.role == "organiser"
    deactivated = changes.get("active", member.active) is False and member.active
    if member.id == actor_id and deactivated:
        raise NotAllowed("You cannot deactivate yourself.")
    if demoted or (deactivated and member.role == "organiser"):
        check_organisers_remain(member, active_organisers)


def check_organisers_remain(member, active_organisers: int) -> None:
    if member.role == "organiser" and member.active and active_organisers <= 1:
        raise LastOrganiser("The community must keep at least one active organiser.")


# -- privacy --------------------------------------------------------------------------------------------
def directory_entry(member) -> dict:
    """What every member of the community may see of another: the phone only where it is shared."""
    entry = {
        "id": member.id,
        "display_name": member.display_name,
        "household": member.household,
        "languages": list(member.languages),
        "role": member.role,
    }
    if member.share_phone and member.phone:
        entry["phone"] = member.phone
    return entry


# -- login lock-out ---------------------------------------------------------------------------------------
def check_not_locked_out(account_failures: int, address_failures: int, *, per_account: int, per_address: int,
                         window: timedelta) -> None:
    if account_failures >= per_account or address_failures >= per_address:
        minutes = int(window.total_seconds() // 60)
        raise LockedOut(f"Too many wrong passwords. Please wait {minutes} minutes and try again, or ask an organiser.",
                        retry_after=int(window.total_seconds()))


def check_language_codes(codes) -> None:
    bad = [code for code in codes if not LANGUAGE_CODE.regex.match(code)]
    if bad:
        raise NotALanguageCode("Languages are given as short codes such as de, tr or ar.",
                               errors={"languages": [f"Not a language code: {code}" for code in bad]})


# -- trusted persons ----------------------------------------------------------------------------------------
def trust_status(trust, now: datetime) -> str:
    """`ended` (revoked, or either person left), `expired`, `invited` (a supporter who has not joined yet)
    or `active`."""
    if trust.ended_at is not None:
        return "ended"
    if trust.expires_at is not None and _aware(trust.expires_at) <= now:
        return "expired"
    if trust.trusted_id is None:
        return "invited"
    return "active"


def resident_granting(actor: dict, on_behalf_of: str | None) -> str:
    """Whose trust is granted: the caller's own, or, for an organiser with the resident present, theirs.
    A supporter grants none (they act for others, nobody acts for them on this platform)."""
    if on_behalf_of is not None:
        if actor["role"] != "organiser":
            raise NotAllowed("Only organisers grant a trust for a resident who is present.",
                             errors={"on_behalf_of": ["Only organisers."]})
        return on_behalf_of
    if actor["role"] == "supporter":
        raise NotAllowed("Supporters act for residents; they do not name trusted persons themselves.")
    return actor["member_id"]


def check_can_be_trusted(resident_id: str, person) -> None:
    if person is None or not person.active or person.erased:
        raise UnknownMember("No such member in your community.", errors={"member_id": ["Unknown member."]})
    if person.id == resident_id:
        raise NotAllowed("You act for yourself already.", errors={"member_id": ["That is you."]})


def check_expiry(expires_at: datetime | None, now: datetime) -> None:
    if expires_at is not None and expires_at <= now:
        raise NotAllowed("A trust must end in the future.", errors={"expires_at": ["In the past."]})


def check_may_act(trust, scope: str | None, now: datetime) -> None:
    """A trusted person acts for the resident only through a trust that is active now and covers `scope`;
    what has no scope (their password, their trusted persons, leaving the platform) nobody does for them."""
    if trust is None or trust_status(trust, now) != "active":
        raise NotTrusted("You may not act for this member (no trust, or it has ended).")
    if scope is None:
        raise NotTrusted("This only the member can do themselves.")
    if scope not in trust.scopes:
        raise NotTrusted(f"The member has not trusted you with this ({scope}).")


def acting_actor(resident: dict, trusted: dict) -> dict:
    """The actor of a request made for a resident: the resident (what it creates is theirs, in their
    community, language and time zone), never with more than a resident's rights, naming who acted."""
    return {**resident, "role": "resident" if resident["role"] == "organiser" else resident["role"],
            "acted_by": {"member_id": trusted["member_id"], "display_name": trusted["display_name"]}}


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
