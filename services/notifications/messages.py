"""The words of every notification: a kind and its facts become a title and a body in the reader's language.

The wording lives in gettext catalogs, one per language, in `translations/<lang>/LC_MESSAGES/messages.po`;
the msgids are the English source with named placeholders (`{space}`, `{when}`, `{name}`, `{title}`,
`{category}`, `{flat}`, `{phone}`). The .po files are read and compiled in memory on first use, so there are no
.mo files to build.

German is the community's common language, so German is the fallback twice over: a member whose language has
no catalog (Polish, Farsi, ...) reads German, and a msgid that is missing, empty or fuzzy in a catalog is shown
in German, never as the English msgid. The German catalog must therefore be complete (a test holds it to that).

Compiling catalogs, text direction and spelling out dates and times live in `services.common.i18n`, shared with
the gateway's web pages.

Pure: no Nameko, no database, no clock. Callers pass the community's `tz`.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import cache
from pathlib import Path

from babel.support import NullTranslations

from services.common.i18n import (  # noqa: F401  (re-exported: the notifications' callers and tests use them)
    FALLBACK_LANGUAGE, RTL_LANGUAGES, MessageCatalogs, format_span, format_when, primary_language, text_direction,
)

TRANSLATIONS_DIR = Path(__file__).with_name("translations")

# Unicode "first strong isolate" ... "pop directional isolate": keeps a Latin name or a title ending in "!"
# from being reordered inside right-to-left text.
_ISOLATE, _POP_ISOLATE = "\u2068", "\u2069"


def N_(msgid: str) -> str:
    """Marks a msgid for extraction (`pybabel extract -k N_`); the lookup happens at render time."""
    return msgid


@dataclass(frozen=True)
class Wording:
    title: str
    body: str
    needs: tuple[str, ...]
    body_by_organiser: str | None = None  # booking_cancelled: said differently when an organiser did it
    # The email ends with the full address of the message's page (in the inbox the page is a button already):
    # the one-click check-in link, the emergency sheet, the buddy requests.
    link_in_email: bool = False


_BOOKING = ("space", "start")  # `end` is optional: without it only the start is spelled out
_WORDINGS: dict[str, Wording] = {
    "welcome": Wording(
        N_("Welcome, {name}!"),
        N_("You are now a member of your house community. Here you can book shared rooms, ask your neighbours "
           "for help, offer help yourself and read notices for the house."),
        ("name",)),
    "booking_confirmed": Wording(
        N_("Booked: {space}"),
        N_("Your booking is confirmed.\nRoom: {space}\nWhen: {when}\n"
           "If you cannot come, please cancel the booking. Then others can use the room."),
        _BOOKING),
    "booking_pending": Wording(
        N_("Request sent: {space}"),
        N_("Thank you for your request. The organisers still have to agree. "
           "We will let you know as soon as they have decided.\nRoom: {space}\nWhen: {when}"),
        _BOOKING),
    "booking_approval_needed": Wording(
        N_("Please decide: {space}"),
        N_("{name} would like to book a room and is waiting for your answer.\nRoom: {space}\nWhen: {when}\n"
           "Please approve or decline the request."),
        ("name", *_BOOKING)),
    "booking_approved": Wording(
        N_("Approved: {space}"),
        N_("Good news: your request has been approved. The room is booked for you.\nRoom: {space}\nWhen: {when}"),
        _BOOKING),
    "booking_rejected": Wording(
        N_("Not approved: {space}"),
        N_("We are sorry: your request was not approved. The room is not booked for you.\nRoom: {space}\n"
           "When: {when}\nIf you have questions, please ask the organisers."),
        _BOOKING),
    "booking_cancelled": Wording(
        N_("Cancelled: {space}"),
        N_("Your booking has been cancelled.\nRoom: {space}\nWhen: {when}\n"
           "If you have questions, please ask the organisers."),
        _BOOKING,
        body_by_organiser=N_("The organisers have cancelled your booking.\nRoom: {space}\nWhen: {when}\n"
                             "If you have questions, please ask the organisers.")),
    "booking_reminder": Wording(
        N_("Reminder: {space}"),
        N_("This is a reminder of your booking.\nRoom: {space}\nWhen: {when}\n"
           "If you no longer need the room, please cancel the booking."),
        _BOOKING),
    "help_requested": Wording(
        N_("{name} is asking for help"),
        N_("{name} is asking for help.\nWhat: {title}\nKind of help: {category}\n"
           "If you can help, please open the request and offer your help."),
        ("name", "title", "category")),
    "help_offer_received": Wording(
        N_("{name} would like to help you"),
        N_("{name} has offered to help you.\nYour request: {title}\n"
           "If that suits you, please open your request and accept the offer."),
        ("name", "title")),
    "help_offer_accepted": Wording(
        N_("Your offer of help was accepted"),
        N_("{name} has accepted your offer. Thank you!\nWhat: {title}\n"
           "You can now see the phone number. Please open the request and get in touch."),
        ("name", "title")),
    "help_completed": Wording(
        N_("Thank you for your help!"),
        N_("The help is done. Thank you very much for helping {name}!\nWhat: {title}"),
        ("name", "title")),
    "help_cancelled": Wording(
        N_("No longer needed: {title}"),
        N_("The request for help from {name} has been cancelled. You do not need to do anything. "
           "Thank you for being willing to help.\nWhat: {title}"),
        ("name", "title")),
    "help_expired": Wording(
        N_("Your request has ended"),
        N_("Unfortunately nobody offered help in time, so your request has ended. "
           "You are welcome to ask again at any time.\nYour request: {title}"),
        ("title",)),
    "help_reopened": Wording(
        N_("{name} can no longer help"),
        N_("Unfortunately {name} can no longer help you. Your request is open again, "
           "so other neighbours can offer their help.\nYour request: {title}"),
        ("name", "title")),
    # The daily check-in. {flat} and {phone} are the resident's; "—" where unknown.
    "checkin_alert": Wording(
        N_("Please check on {name}"),
        N_("{name} has not said today that all is well. Please check on them now: ring the doorbell or call.\n"
           "Flat: {flat}\nPhone: {phone}\n"
           "Then open the alert and press \"I am looking after it\", so the others know."),
        ("name",)),
    "checkin_alert_acknowledged": Wording(
        N_("Someone is looking after {name}"),
        N_("A neighbour is now looking after {name}. You do not need to do anything. Thank you."),
        ("name",)),
    "checkin_all_clear": Wording(
        N_("All clear: {name} is fine"),
        N_("{name} has now said that all is well. You do not need to do anything. Thank you for being there."),
        ("name",)),
    "checkin_alert_closed": Wording(
        N_("Alert closed: {name}"),
        N_("The alert about {name} has been closed. You do not need to do anything. Thank you."),
        ("name",)),
    # Trusted persons. {action} is one of ACTION_LABELS; {subject} a room or a help request, "—" where none.
    "done_for_you": Wording(
        N_("{name} did something for you"),
        N_("{name} did this for you: {action}\nAbout: {subject}\n"
           "You trusted {name} with this. If that should end, open \"Trusted persons\" on your page."),
        ("name", "action")),
    "recorded_for_you": Wording(
        N_("{name} recorded your answer"),
        N_("You gave an answer by phone or on paper. {name} has recorded it for you: {action}\nNote: {note}"),
        ("name", "action")),
    # The daily email of those who chose it (never in the inbox): {time} is the resident's daily_by, "10:00".
    # "I am fine" is the button on the link's page; the link itself follows the body.
    "checkin_link": Wording(
        N_("Good morning, {name}: are you well today?"),
        N_("If all is well, please open the link below and press the button \"I am fine\". That is all.\n"
           "You wanted to check in by {time}. If you do not, your buddies will be told, so that someone looks "
           "in on you.\nThe link works for today only, and only for you. Please do not pass it on."),
        ("name", "time"), link_in_email=True),
    "sheet_review": Wording(
        N_("Please look over your emergency sheet"),
        N_("You last saved your emergency sheet three months ago. Are the phone numbers, your doctor, your "
           "medication and who holds a key still right?\nPlease open the sheet, correct what has changed and "
           "save it. Saving it again, even unchanged, tells us that it is up to date."),
        (), link_in_email=True),
    "buddy_asked": Wording(
        N_("{name} asks you to be a buddy"),
        N_("{name} would like you to be a buddy for the daily check-in. If {name} does not say one day that all "
           "is well, you will be told, so that you can ring the doorbell or call.\n"
           "Please open the buddy requests and accept or decline."),
        ("name",), link_in_email=True),
    "buddy_accepted": Wording(
        N_("{name} is now your buddy"),
        N_("{name} has agreed to be your buddy. If you do not check in one day, {name} will be told."),
        ("name",)),
    "buddy_declined": Wording(
        N_("{name} cannot be your buddy"),
        N_("{name} has declined to be your buddy. Please ask another neighbour, so that someone is told if you "
           "need help."),
        ("name",), link_in_email=True),
    # Deciding together. {title} in the reader's language where the organiser wrote it; {when} the closing time.
    "decision_opened": Wording(
        N_("Please vote: {title}"),
        N_("The house is deciding together: {title}\nYou can vote until {when}.\n"
           "Please open the decision, read it and cast your vote. You can also give your answer to the organisers "
           "by phone or on paper."),
        ("title", "start")),
    "decision_reminder": Wording(
        N_("Reminder: please vote on {title}"),
        N_("The vote on {title} closes on {when}. You have not voted yet.\n"
           "Please open the decision and cast your vote, or give your answer to the organisers by phone."),
        ("title", "start")),
    "decision_result": Wording(
        N_("Result: {title}"),
        N_("The vote on {title} has closed. This is the result:\n{result}\nVotes cast: {votes}"),
        ("title",)),
    "decision_passed": Wording(
        N_("Agreed: {title}"),
        N_("The proposal {title} has been agreed: nobody objected.\n"
           "Consent: {consent}\nStand aside: {stand_aside}"),
        ("title",)),
    "decision_not_passed": Wording(
        N_("Not agreed: {title}"),
        N_("The proposal {title} has not been agreed: there were objections ({objection}).\n"
           "Consent: {consent}\nStand aside: {stand_aside}\n"
           "The reasons are shown on the decision's page."),
        ("title",)),
    # Activities and shared meals. {title} is the activity's title as its creator wrote it; {when} its time.
    "activity_promoted": Wording(
        N_("You have a place: {title}"),
        N_("A place has become free, and you have moved up from the waiting list. You are now signed up.\n"
           "What: {title}\nWhen: {when}\nIf you cannot come, please sign off, so that the next person can come."),
        ("title", "start")),
    "activity_cancelled": Wording(
        N_("Cancelled: {title}"),
        N_("This activity has been cancelled. You do not need to do anything.\nWhat: {title}\nWhen: {when}"),
        ("title", "start")),
    "activity_moved": Wording(
        N_("New time: {title}"),
        N_("The time of this activity has changed. You are still signed up.\nWhat: {title}\nNew time: {when}\n"
           "If you cannot come at the new time, please sign off, so that someone else can come."),
        ("title", "start")),
    "activity_reminder": Wording(
        N_("Tomorrow: {title}"),
        N_("This is a reminder: you are signed up.\nWhat: {title}\nWhen: {when}\n"
           "If you cannot come, please sign off, so that someone else can come."),
        ("title", "start")),
}
KINDS = tuple(_WORDINGS)

# The help service's category codes; a code this module does not know yet is shown as "Other help".
CATEGORY_LABELS: dict[str, str] = {
    "shopping": N_("Shopping"),
    "accompany": N_("Going along to appointments"),
    "tech": N_("Phone and computer"),
    "translation": N_("Translating"),
    "household": N_("Help in the home"),
    "garden": N_("Garden and plants"),
    "transport": N_("Rides and transport"),
    "other": N_("Other help"),
}

# What a trusted person (or an organiser, recording) did for a resident: by event type. An event type this
# module does not know yet reads as "something else".
ACTION_LABELS: dict[str, str] = {
    "booking.confirmed": N_("booked a room"),
    "booking.requested": N_("asked to book a room"),
    "booking.cancelled": N_("cancelled a booking"),
    "help.requested": N_("asked the neighbours for help"),
    "help.offered": N_("offered help to a neighbour"),
    "help.accepted": N_("accepted an offer of help"),
    "help.completed": N_("marked help as done"),
    "help.cancelled": N_("withdrew a request for help"),
    "checkin.recorded": N_("said that all is well today (check-in)"),
    "checkin.settings_changed": N_("changed the settings of the daily check-in"),
    "checkin.away_set": N_("set days when you are away"),
    "checkin.away_cleared": N_("cleared your days away"),
    "sheet.saved": N_("saved your emergency sheet"),
    "decision.vote_cast": N_("voted in a decision of the house"),
    "other": N_("something else"),
}

# Words of the pages and emails around the notifications.
PHRASES = {
    "someone": N_("A neighbour"),
    "digest_subject": N_("News from your house ({count})"),
    "board_title": N_("Notice board"),
    "board_week": N_("Week from"),
    "board_urgent": N_("Urgent"),
    "board_empty": N_("No notices this week."),
    "login_link_subject": N_("Your sign-in link"),
    "login_link_body": N_("Hello {name},\n\nyou asked to sign in without your password. Open this link and press "
                          "the button \"Log in\":\n\n{link}\n\nThe link works once, until {until}.\n"
                          "If you did not ask for it, you can ignore this email: nobody can sign in without the link."),
    "text_more": N_("More in your inbox on the house platform."),  # ends a text message that was cut
}

MSGIDS = tuple(dict.fromkeys(
    [msgid for w in _WORDINGS.values() for msgid in (w.title, w.body, w.body_by_organiser) if msgid]
    + list(CATEGORY_LABELS.values()) + list(ACTION_LABELS.values()) + list(PHRASES.values())))


@cache
def default_catalogs() -> MessageCatalogs:
    return MessageCatalogs(TRANSLATIONS_DIR)


def language_served(language: str | None, *, catalogs: MessageCatalogs | None = None) -> str:
    return (catalogs or default_catalogs()).language_served(language)


def email_body(kind: str, body: str, address: str | None) -> str:
    """The body of a notification's email: as in the inbox, followed by the page's full address where the
    kind's wording says so."""
    wording = _WORDINGS.get(kind)
    if wording is None or not wording.link_in_email or not address:
        return body
    return f"{body}\n\n{address}"


def render(kind: str, language: str | None, facts: Mapping[str, object], tz: tzinfo, *,
           catalogs: MessageCatalogs | None = None) -> tuple[str, str]:
    """(title, body) of a notification of `kind` for a reader of `language`.

    `facts` holds plain values: `space`, `name`, `title` (free text, shown as given), `category` (a help
    category code), `start`/`end` (aware datetimes, spelled out in `tz`), `by_organiser` (booking_cancelled).
    The body may contain line breaks. Raises ValueError for an unknown kind or a missing fact.
    """
    wording = _WORDINGS.get(kind)
    if wording is None:
        raise ValueError(f"Unknown notification kind {kind!r}; known kinds: {', '.join(KINDS)}.")
    missing = [fact for fact in wording.needs if facts.get(fact) in (None, "")]
    if missing:
        raise ValueError(f"A {kind} notification needs these facts: {', '.join(missing)}.")
    catalogs = catalogs or default_catalogs()
    served = catalogs.language_served(language)
    translations = catalogs.translations(served)
    values = _placeholder_values(facts, served, tz, translations)
    body = wording.body_by_organiser if wording.body_by_organiser and facts.get("by_organiser") else wording.body
    return translations.gettext(wording.title).format_map(values), translations.gettext(body).format_map(values)


def _placeholder_values(facts: Mapping[str, object], language: str, tz: tzinfo,
                        translations: NullTranslations) -> dict[str, str]:
    values = {"flat": "—", "phone": "—", "subject": "—", "note": "—"}  # where a message has none of these
    for fact in ("name", "title", "space", "flat", "phone", "subject", "note", "time"):
        if facts.get(fact) not in (None, ""):
            text = str(facts[fact])
            values[fact] = f"{_ISOLATE}{text}{_POP_ISOLATE}" if text_direction(language) == "rtl" else text
    if facts.get("category") not in (None, ""):
        label = CATEGORY_LABELS.get(str(facts["category"]), CATEGORY_LABELS["other"])
        values["category"] = translations.gettext(label)
    if facts.get("action") not in (None, ""):
        values["action"] = translations.gettext(ACTION_LABELS.get(str(facts["action"]), ACTION_LABELS["other"]))
    _decision_values(facts, language, values)
    if facts.get("start") is not None:
        start, end = _moment(facts, "start"), _moment(facts, "end") if facts.get("end") is not None else None
        values["when"] = format_span(start, end, language, tz) if end else format_when(start, language, tz)
    return values


def _decision_values(facts: Mapping[str, object], language: str, values: dict) -> None:
    """A decision's title in the reader's language (`titles`: language → title, where the organiser wrote it),
    a poll's result as one line per option in the reader's language (`options`: language → labels, `by_option`:
    index → votes), and the counts of a consent round."""
    titles = facts.get("titles")
    if isinstance(titles, Mapping) and titles.get(language):
        text = str(titles[language])
        values["title"] = f"{_ISOLATE}{text}{_POP_ISOLATE}" if text_direction(language) == "rtl" else text
    options, by_option = facts.get("options"), facts.get("by_option")
    if isinstance(options, Mapping) and isinstance(by_option, Mapping):
        labels = options.get(language) or options.get(str(facts.get("language"))) or next(iter(options.values()), [])
        values["result"] = "\n".join(f"{label}: {by_option.get(str(index), 0)}" for index, label in enumerate(labels))
    for fact in ("votes", "consent", "stand_aside", "objection"):
        if facts.get(fact) is not None:
            values[fact] = str(facts[fact])


def _moment(facts: Mapping[str, object], fact: str) -> datetime:
    moment = facts[fact]
    if not isinstance(moment, datetime):
        raise ValueError(f"The fact {fact!r} must be a datetime (read event timestamps with "
                         f"services.common.clock.parse_iso), not {type(moment).__name__}.")
    return moment




def phrase(key: str, language: str | None, *, catalogs: MessageCatalogs | None = None, **values) -> str:
    """One of `PHRASES` in the reader's language (German where there is no catalog)."""
    translations = (catalogs or default_catalogs()).translations(language)
    return translations.gettext(PHRASES[key]).format_map(values)


def board_labels(language: str | None) -> dict:
    return {"title": phrase("board_title", language), "week": phrase("board_week", language),
            "urgent": phrase("board_urgent", language), "empty": phrase("board_empty", language)}


def digest_subject(language: str | None, count: int) -> str:
    return phrase("digest_subject", language, count=count)


def login_link_email(language: str | None, *, name: str, link: str, until: datetime, tz: tzinfo) -> tuple[str, str]:
    """(subject, body) of the email with a sign-in link, in the reader's language; `until` is spelled out in `tz`."""
    served = language_served(language)
    shown = f"{_ISOLATE}{name}{_POP_ISOLATE}" if text_direction(served) == "rtl" else name
    return (phrase("login_link_subject", served),
            phrase("login_link_body", served, name=shown, link=link, until=format_when(until, served, tz)))
