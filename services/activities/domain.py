"""The rules of activities and sign-ups, as pure functions: what a sign-up takes, who may sign up, who moves up
from the waiting list when someone leaves.

Places: each person signed up takes one place and each of their guests one more; `capacity` bounds the places of
the confirmed sign-ups. A role (cook, cleaning) fills separately: someone signing up for a role takes one of the
role's slots instead of a place (their guests still take places), and a role whose slots are taken refuses more.
The waiting list keeps the order of sign-up; when places come free, the first in line who fits moves up, then the
next who fits, and so on (someone whose guests do not fit waits on, without holding back those behind).

No Nameko, no database, no clock: `now` is passed in.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

CONFIRMED, WAITLISTED = "confirmed", "waitlisted"
REMINDER_BEFORE = timedelta(days=1)


class ActivitiesError(Exception):
    """Base of every refusal of the rules."""


class SignupsClosed(ActivitiesError):
    """Too late to sign up (after `signup_until`, or it has begun), or the activity is cancelled."""


class AlreadySignedUp(ActivitiesError):
    pass


class NotSignedUp(ActivitiesError):
    pass


class RoleTaken(ActivitiesError):
    """Every slot of the role is taken."""


class NoRoomForGuests(ActivitiesError):
    """Someone signing up for a role brings more guests than places are left."""


class InvalidSignup(ActivitiesError):
    def __init__(self, message: str, errors: dict):
        super().__init__(message)
        self.errors = errors


class NotAllowed(ActivitiesError):
    pass


def places_of(guests: int, role: str | None) -> int:
    """The places a sign-up takes: the person (unless they come for a role, which fills separately) and guests."""
    return guests + (0 if role else 1)


def fits(places: int, places_taken: int, capacity: int | None) -> bool:
    return capacity is None or places_taken + places <= capacity


def check_may_sign_up(*, status: str, starts_at: datetime, signup_until: datetime | None, now: datetime) -> None:
    if status != "open":
        raise SignupsClosed("This activity has been cancelled.")
    if now >= (signup_until or starts_at) or now >= starts_at:
        raise SignupsClosed("Sign-ups for this activity have closed.")


def role_key(roles: list[dict], name: str | None) -> str | None:
    """The key of the role named (case and spaces do not matter); None without a role."""
    if name is None:
        return None
    wanted = name.strip().lower()
    for role in roles:
        if role["name"].strip().lower() == wanted:
            return role["key"]
    raise InvalidSignup("This activity has no such role.",
                        {"role": [f"One of: {', '.join(r['name'] for r in roles) or 'none'}."]})


def check_guests(guests: int, guests_per_signup: int) -> None:
    if guests > guests_per_signup:
        raise InvalidSignup(f"At most {guests_per_signup} guests per sign-up.",
                            {"guests": [f"At most {guests_per_signup}."]})


@dataclass(frozen=True)
class Counts:
    places_taken: int
    confirmed: int
    waitlisted: int
    role_taken: dict


def counts(signups: list[dict]) -> Counts:
    confirmed = [s for s in signups if s["status"] == CONFIRMED]
    role_taken: dict = {}
    for s in confirmed:
        if s.get("role"):
            role_taken[s["role"]] = role_taken.get(s["role"], 0) + 1
    return Counts(places_taken=sum(places_of(s["guests"], s.get("role")) for s in confirmed),
                  confirmed=len(confirmed), waitlisted=len(signups) - len(confirmed), role_taken=role_taken)


def promote(signups: list[dict], capacity: int | None) -> list[dict]:
    """Move up, in the order of the waiting list, everyone who fits into the places left; returns them (the
    entries are changed in place). Someone whose guests do not fit stays, and those behind them may move up."""
    taken = counts(signups).places_taken
    promoted = []
    for signup in signups:
        if signup["status"] != WAITLISTED:
            continue
        places = places_of(signup["guests"], signup.get("role"))
        if fits(places, taken, capacity):
            signup["status"] = CONFIRMED
            taken += places
            promoted.append(signup)
    return promoted


def leave(signups: list[dict], member_id: str, capacity: int | None) -> tuple[dict, list[dict], list[dict]]:
    """(the sign-up removed, the sign-ups left, those who moved up). Raises NotSignedUp."""
    mine = next((s for s in signups if s["m"] == member_id), None)
    if mine is None:
        raise NotSignedUp("You are not signed up for this activity.")
    left = [dict(s) for s in signups if s["m"] != member_id]
    return mine, left, promote(left, capacity)


def position(signups: list[dict], member_id: str) -> int | None:
    """Place on the waiting list, from 1; None when confirmed or not signed up."""
    waiting = [s["m"] for s in signups if s["status"] == WAITLISTED]
    return waiting.index(member_id) + 1 if member_id in waiting else None


def may_see_participants(*, signups: list[dict], viewer_id: str, viewer_role: str, created_by: str) -> bool:
    """Participants (also those waiting) and organisers see who comes; others see only the counts."""
    return (viewer_role == "organiser" or viewer_id == created_by
            or any(s["m"] == viewer_id for s in signups))


def check_may_cancel(*, viewer_id: str, viewer_role: str, created_by: str) -> None:
    if viewer_id != created_by and viewer_role != "organiser":
        raise NotAllowed("Only whoever created the activity, or an organiser, may cancel it.")


def reminder_at(starts_at: datetime, now: datetime) -> datetime | None:
    """The reminder goes a day before it starts; made less than a day ahead, none goes."""
    at = starts_at - REMINDER_BEFORE
    return at if at > now else None
