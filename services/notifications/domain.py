"""Who hears of what, and when an email may go: the notification rules as pure functions.

- `plan` turns one event of another service into the notifications it causes: who receives which kind,
  with which facts (the texts are rendered later, in each recipient's language, by `messages`).
- `email_due_at` applies a member's quiet hours (on the community's wall clock, across midnight and on the
  days the clocks change); urgent notices ignore them.
- `notice_audience` picks the recipients of an organiser's notice; `notice_text` the language version a
  recipient reads; only organisers publish notices and read their receipts.

No Nameko, no database, no clock: `now` is passed in. A refusal raises one of the exceptions below; the service
answers each with its wire error (`commands.wire_errors`).
"""
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from services.contracts.care import (
    BUDDY_REQUESTS_PAGE, CHECK_IN_LINK_PAGE, CHECK_IN_PAGE, EMERGENCY_SHEET_PAGE,
)
from services.contracts.activities import ACTIVITY_PAGE
from services.contracts.events import CARE_DONE_FOR, current_name
from services.contracts.vocabulary import EASY_GERMAN, spoken_language

DEFAULT_QUIET_FROM = time(21, 0)
DEFAULT_QUIET_UNTIL = time(8, 0)
DIGEST_HOUR = time(8, 0)


class NotificationsError(Exception):
    """Base of every refusal of the notification rules."""


class NotAllowed(NotificationsError):
    """Only organisers may do this."""


class NobodyMatches(NotificationsError):
    """A notice whose audience names nobody in the community."""

    errors = {"audience": ["Nobody matches."]}


@dataclass(frozen=True)
class Planned:
    """One notification to create: for `member_id`, of `kind`, with the facts its text needs. `name_of` in
    the facts names the member whose display name the text mentions; it is looked up when the text is
    rendered, so a renamed or erased neighbour shows as they are now."""

    member_id: str
    kind: str
    facts: dict = field(default_factory=dict)
    link: str | None = None
    urgent: bool = False  # quiet hours and the daily digest do not hold it back
    # An email only, never in the inbox, sent whatever the member's email preference: one they asked for
    # elsewhere (the daily check-in link). Its link is a secret, kept only until the email is sent.
    email_only: bool = False


def plan(event: dict, *, organisers: list[str]) -> list[Planned]:
    """The notifications an event causes. Unknown event types cause none (consumers ignore what they do not
    know); fields a payload lacks are simply left out of the facts."""
    kind = current_name(event.get("type", ""))
    payload = event.get("payload") or {}
    planner = PLANNERS.get(kind)
    return [*(planner(payload, organisers) if planner else []), *done_for_them(kind, payload)]


def done_for_them(kind: str, payload: dict) -> list[Planned]:
    """What a trusted person did for a resident (or an organiser recorded for them) lands in the resident's
    inbox, whatever the event; these entries are also the resident's list of everything done for them."""
    acted_by = payload.get("acted_by")
    if not isinstance(acted_by, dict) or not acted_by.get("for") or acted_by.get("member_id") in (None, acted_by["for"]):
        return []
    facts = {"name_of": acted_by["member_id"], "action": kind,
             "subject": payload.get("space_name") or payload.get("title")}
    if acted_by.get("recorded"):
        facts["note"] = acted_by.get("note")
    return [Planned(acted_by["for"], "recorded_for_you" if acted_by.get("recorded") else "done_for_you", facts)]


def _booking_facts(payload: dict) -> dict:
    return {"space": payload.get("space_name"), "start": payload.get("start"), "end": payload.get("end"),
            "name_of": payload.get("member_id"), "booking_id": payload.get("booking_id")}


def _booking_link(payload: dict) -> str:
    return f"/bookings/{payload.get('booking_id')}"


def _to_booker(kind, payload, organisers):
    return [Planned(payload["member_id"], kind, _booking_facts(payload), _booking_link(payload))]


def _booking_requested(payload, organisers):
    facts, link = _booking_facts(payload), _booking_link(payload)
    return [Planned(payload["member_id"], "booking_pending", facts, link)] + [
        Planned(organiser, "booking_approval_needed", facts, link)
        for organiser in organisers if organiser != payload["member_id"]]


def _booking_cancelled(payload, organisers):
    by = payload.get("cancelled_by")
    if by == payload["member_id"]:
        return []  # the booker cancelled it themselves: nothing to tell them
    facts = {**_booking_facts(payload), "by_organiser": by not in (None, "system")}
    return [Planned(payload["member_id"], "booking_cancelled", facts, _booking_link(payload))]


def _help_facts(payload: dict) -> dict:
    return {key: payload.get(key) for key in ("title", "category", "request_id")}


def _help_link(payload: dict) -> str:
    return f"/help/{payload.get('request_id')}"


def _help_requested(payload, organisers):
    facts = {**_help_facts(payload), "name_of": payload.get("requester_id")}
    return [Planned(member, "help_requested", facts, _help_link(payload))
            for member in payload.get("audience", []) if member != payload.get("requester_id")]


def _help_offered(payload, organisers):
    facts = {**_help_facts(payload), "name_of": payload.get("helper_id")}
    return [Planned(payload["requester_id"], "help_offer_received", facts, _help_link(payload))]


def _to_helper(kind, payload, organisers):
    helper = payload.get("helper_id")
    facts = {**_help_facts(payload), "name_of": payload.get("requester_id")}
    return [Planned(helper, kind, facts, _help_link(payload))] if helper else []


def _help_cancelled(payload, organisers):
    planned = _to_helper("help_cancelled", payload, organisers)
    if payload.get("cancelled_by") not in (None, payload.get("requester_id")):
        planned.append(Planned(payload["requester_id"], "help_cancelled",
                               {**_help_facts(payload), "name_of": payload.get("requester_id")}, _help_link(payload)))
    return planned


def _to_requester(kind, payload, organisers):
    facts = {**_help_facts(payload), "name_of": payload.get("helper_id")}
    return [Planned(payload["requester_id"], kind, facts, _help_link(payload))]


def _welcome(payload, organisers):
    return [Planned(payload["member_id"], "welcome", {"name_of": payload["member_id"]}, "/")]


# An alert of the daily check-in is urgent from first to last message: whoever was woken at 03:00 must also hear
# at once that someone is looking after it, or that all is well.
def _alert_facts(payload: dict) -> dict:
    return {"name_of": payload.get("member_id"), "alert_id": payload.get("alert_id")}


def _alert_link(payload: dict) -> str:
    return f"/alerts/{payload.get('alert_id')}"


def _alert_told(payload, organisers):
    """alert.raised and alert.escalated: those told at this step, with the resident's flat and phone."""
    facts = {**_alert_facts(payload), "flat": payload.get("household"), "phone": payload.get("phone")}
    return [Planned(member, "checkin_alert", facts, _alert_link(payload), urgent=True)
            for member in payload.get("notify", [])]


def _alert_acknowledged(payload, organisers):
    by = payload.get("acknowledged_by")
    return [Planned(member, "checkin_alert_acknowledged", _alert_facts(payload), _alert_link(payload), urgent=True)
            for member in payload.get("alerted", []) if member != by]


def _alert_resolved(payload, organisers):
    """By a late check-in: the all-clear to everyone told. By a person: everyone else told hears it is closed."""
    by = payload.get("resolved_by")
    kind = "checkin_all_clear" if payload.get("outcome") == "checked_in" else "checkin_alert_closed"
    return [Planned(member, kind, _alert_facts(payload), _alert_link(payload), urgent=True)
            for member in payload.get("alerted", []) if member != by]


# The daily email of a resident who chose it: a link that checks them in with one press. Not in the inbox (they
# are logged in there, and the start page has the button); not held back by quiet hours (it goes at the time
# their own daily_by sets, two hours before it, and a quiet-hours end of 08:00 would hold a 06:00 email until
# after a daily_by of 08:00); not in the digest.
def _check_in_link(payload, organisers):
    token = payload.get("token")
    if not token or not payload.get("member_id"):
        return []
    facts = {"name_of": payload["member_id"], "time": payload.get("daily_by"), "day": payload.get("day")}
    return [Planned(payload["member_id"], "checkin_link", facts, CHECK_IN_LINK_PAGE.format(token=token),
                    urgent=True, email_only=True)]


def _sheet_review(payload, organisers):
    return [Planned(payload["member_id"], "sheet_review", {}, EMERGENCY_SHEET_PAGE)]


def _buddy_asked(payload, organisers):
    """To the neighbour asked, in their language, naming the resident who asks."""
    return [Planned(payload["buddy_id"], "buddy_asked", {"name_of": payload.get("member_id")}, BUDDY_REQUESTS_PAGE)]


def _buddy_answered(kind, payload, organisers):
    """To the resident who asked, naming the neighbour who answered."""
    return [Planned(payload["member_id"], kind, {"name_of": payload.get("buddy_id")}, CHECK_IN_PAGE)]


# The planners of several kinds are called with their kind at each event (`partial`), not built once at import:
# each call then goes through the function as it is at that moment, which mutation testing relies on.
# Deciding together: the decision's texts travel in the event, in every language it was written in.
def _decision_facts(payload: dict) -> dict:
    return {"title": payload.get("title"), "titles": payload.get("titles") or {}, "language": payload.get("language"),
            "start": payload.get("closes_at"), "decision_id": payload.get("decision_id")}


def _decision_link(payload: dict) -> str:
    return f"/decisions/{payload.get('decision_id')}"


def _decision_opened(payload, organisers):
    facts = _decision_facts(payload)
    return [Planned(member, "decision_opened", facts, _decision_link(payload)) for member in payload.get("audience", [])]


def _decision_reminder(payload, organisers):
    """The day before the close, to those who have not voted: not urgent, so quiet hours hold the email back."""
    facts = _decision_facts(payload)
    return [Planned(member, "decision_reminder", facts, _decision_link(payload)) for member in payload.get("notify", [])]


def _decision_closed(payload, organisers):
    """The results to everyone in the audience."""
    results = payload.get("results") or {}
    facts = {key: value for key, value in _decision_facts(payload).items() if key != "start"}
    if payload.get("kind") == "consent":
        kind = "decision_passed" if payload.get("passed") else "decision_not_passed"
        facts.update({position: results.get(position, 0) for position in ("consent", "stand_aside", "objection")})
    else:
        kind = "decision_result"
        facts.update(options=payload.get("options") or {}, by_option=results.get("by_option") or {},
                     votes=results.get("votes", 0))
    return [Planned(member, kind, facts, _decision_link(payload)) for member in payload.get("audience", [])]


def _activity_facts(payload: dict) -> dict:
    return {"title": payload.get("title"), "start": payload.get("starts_at"), "end": payload.get("ends_at"),
            "activity_id": payload.get("activity_id")}


def _activity_link(payload: dict) -> str:
    return ACTIVITY_PAGE.format(activity_id=payload.get("activity_id"))


def _promoted(payload, organisers):
    """To the one who moved up from the waiting list, in their language."""
    return [Planned(payload["member_id"], "activity_promoted", _activity_facts(payload), _activity_link(payload))]


def _moved(payload, organisers):
    """A new time: everyone signed up hears it (a change of the title alone tells nobody)."""
    if not payload.get("moved"):
        return []
    return [Planned(member, "activity_moved", _activity_facts(payload), _activity_link(payload))
            for member in payload.get("notify", [])]


def _to_everyone_signed_up(kind, payload, organisers):
    return [Planned(member, kind, _activity_facts(payload), _activity_link(payload))
            for member in payload.get("notify", [])]


PLANNERS = {
    "member.joined": _welcome,
    "booking.confirmed": partial(_to_booker, "booking_confirmed"),
    "booking.requested": _booking_requested,
    "booking.approved": partial(_to_booker, "booking_approved"),
    "booking.rejected": partial(_to_booker, "booking_rejected"),
    "booking.cancelled": _booking_cancelled,
    "booking.reminder_came_due": partial(_to_booker, "booking_reminder"),
    "help.requested": _help_requested,
    "help.offered": _help_offered,
    "help.accepted": partial(_to_helper, "help_offer_accepted"),
    "help.completed": partial(_to_helper, "help_completed"),
    "help.cancelled": _help_cancelled,
    "help.expired": partial(_to_requester, "help_expired"),
    "help.reopened": partial(_to_requester, "help_reopened"),
    "alert.raised": _alert_told,
    "alert.escalated": _alert_told,
    "alert.acknowledged": _alert_acknowledged,
    "alert.resolved": _alert_resolved,
    "checkin.recorded": lambda payload, organisers: [],  # only when done for someone (`done_for_them`)
    **{kind: (lambda payload, organisers: []) for kind in CARE_DONE_FOR},  # likewise
    "checkin.link_issued": _check_in_link,
    "sheet.review_came_due": _sheet_review,
    "buddy.asked": _buddy_asked,
    "buddy.accepted": partial(_buddy_answered, "buddy_accepted"),
    "buddy.declined": partial(_buddy_answered, "buddy_declined"),
    "decision.opened": _decision_opened,
    "decision.reminder_came_due": _decision_reminder,
    "decision.closed": _decision_closed,
    "decision.vote_cast": lambda payload, organisers: [],  # only when done for someone (`done_for_them`)
    "signup.promoted": _promoted,
    "activity.changed": _moved,
    "activity.cancelled": partial(_to_everyone_signed_up, "activity_cancelled"),
    "activity.reminder_came_due": partial(_to_everyone_signed_up, "activity_reminder"),
}


# -- text messages ---------------------------------------------------------------------------------------------
# What is worth a text message to someone who chose them: the alerts of the daily check-in, reminders, and notices
# the organisers marked urgent; the rest waits in the inbox.
TEXT_KINDS = frozenset({"checkin_alert", "checkin_alert_acknowledged", "checkin_all_clear", "checkin_alert_closed",
                        "booking_reminder", "activity_reminder"})


def goes_by_text(kind: str, urgent: bool) -> bool:
    return kind in TEXT_KINDS or (kind == "notice" and urgent)


# -- quiet hours ------------------------------------------------------------------------------------------
def in_quiet_hours(moment: datetime, tz: ZoneInfo, quiet_from: time, quiet_until: time) -> bool:
    local = moment.astimezone(tz).time()
    if quiet_from == quiet_until:
        return False  # no quiet hours
    if quiet_from < quiet_until:
        return quiet_from <= local < quiet_until
    return local >= quiet_from or local < quiet_until  # across midnight, like 21:00–08:00


def email_due_at(now: datetime, tz: ZoneInfo, *, quiet_from: time = DEFAULT_QUIET_FROM,
                 quiet_until: time = DEFAULT_QUIET_UNTIL, urgent: bool = False) -> datetime:
    """When an email may go: now, unless the member's quiet hours hold it until they end. Urgent notices
    do not wait. The end is a wall-clock time of the community's zone, so it stays right across DST."""
    if urgent or not in_quiet_hours(now, tz, quiet_from, quiet_until):
        return now
    local = now.astimezone(tz)
    end_day = local.date() if local.time() < quiet_until else local.date() + timedelta(days=1)
    return datetime.combine(end_day, quiet_until, tzinfo=tz).astimezone(now.tzinfo)


def next_digest_at(now: datetime, tz: ZoneInfo, hour: time = DIGEST_HOUR) -> datetime:
    """The next morning digest: today at `hour` local if still ahead, otherwise tomorrow."""
    local = now.astimezone(tz)
    day = local.date() if local.time() < hour else local.date() + timedelta(days=1)
    return datetime.combine(day, hour, tzinfo=tz).astimezone(now.tzinfo)


# -- notices --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Neighbour:
    member_id: str
    active: bool
    household: str | None
    languages: tuple[str, ...]
    preferred_language: str


def notice_audience(audience, neighbours: list[Neighbour]) -> list[str]:
    """`"all"`, `{"household": ...}` or `{"language": ...}` (members who speak it or read their pages in it):
    active members only."""
    active = [n for n in neighbours if n.active]
    if audience == "all":
        chosen = active
    elif isinstance(audience, dict) and "household" in audience:
        chosen = [n for n in active if n.household == audience["household"]]
    elif isinstance(audience, dict) and "language" in audience:
        wanted = audience["language"]
        # Readers of Leichte Sprache read German too; `{"language": "de-x-ls"}` reaches only them.
        chosen = [n for n in active if wanted in (n.preferred_language, spoken_language(n.preferred_language))
                  or wanted in n.languages]
    else:
        raise ValueError(f"unknown audience {audience!r}")
    return sorted(n.member_id for n in chosen)


def check_may_publish(role: str) -> None:
    if role != "organiser":
        raise NotAllowed("Only organisers publish notices.")


def check_may_read_receipts(role: str) -> None:
    """Who has not read a notice is for the organisers' call round, nobody else."""
    if role != "organiser":
        raise NotAllowed("Only organisers see who has read a notice.")


def check_someone_hears(recipients: list[str]) -> None:
    if not recipients:
        raise NobodyMatches("Nobody in the community matches this audience.")


def notice_text(original: dict, translations: dict, language: str) -> tuple[str, str, str]:
    """The notice as a recipient reads it: their language if the organiser wrote it, else the original. A reader
    of Leichte Sprache gets its version, else the German one, else the original.
    Returns (title, body, language of the text)."""
    wanted = (language, spoken_language(language)) if language == EASY_GERMAN else (language,)
    for code in dict.fromkeys(wanted):
        if code == original["language"]:
            return original["title"], original["body"], code
        version = translations.get(code)
        if version:
            return version["title"], version["body"], code
    return original["title"], original["body"], original["language"]
