"""The members' rules as pure functions: invitations, roles, the directory's privacy, login lock-out.

No Nameko, no database, no clock: `now` is always passed in. A rule that refuses raises one of the exceptions
below; the service answers each with its wire error (`commands.wire_errors`).
"""
from datetime import datetime, timedelta

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
