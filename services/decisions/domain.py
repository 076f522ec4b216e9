"""The rules of deciding together, as pure functions: no Nameko, no database, no clock (`now` is passed in).

- `check_new` holds a new decision to its rules (a closing time ahead, options that fit the kind);
  `audience` picks who may vote, like a notice's audience (everybody, a flat, the speakers of a language);
- `ballot` turns what a member sent into the ballot of this decision (a poll's choices within its limits, a
  consent round's position with the reason an objection needs), or refuses it;
- `tally` counts the open ballots of a poll or a consent round; `passed` says whether a consent round passed
  (it does when it closes with no objection);
- `text_for` picks the language version a member reads (their language if the organiser wrote it, else the
  original);
- `reminder_at` and `is_due` are the closing rules: a reminder the day before, the close at `closes_at`.

A refusal raises one of the exceptions below; the service answers each with its wire error
(`commands.wire_errors`).
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

POLL, CONSENT = "poll", "consent"
POSITIONS = ("consent", "stand_aside", "objection")
OPEN, CLOSED = "open", "closed"
# A decision closes at least this long after it opens (time to hear of it), at most this far ahead.
SHORTEST = timedelta(minutes=5)
LONGEST = timedelta(days=366)
# The reminder to those who have not voted: this long before the close, if the decision was open that long.
REMINDER_BEFORE = timedelta(days=1)


class DecisionsError(Exception):
    """Base of every refusal of the rules."""

    errors: dict = {}

    def __init__(self, message: str, errors: dict | None = None):
        super().__init__(message)
        self.message = message
        if errors is not None:
            self.errors = errors


class NotAllowed(DecisionsError):
    """Only organisers do this."""


class NotInAudience(DecisionsError):
    """The decision is not addressed to this member."""


class InvalidDecision(DecisionsError):
    """A new decision breaks a rule (its closing time, its options)."""


class InvalidBallot(DecisionsError):
    """A vote that does not fit the decision."""


class NobodyMatches(DecisionsError):
    errors = {"audience": ["Nobody matches."]}


class AlreadyClosed(DecisionsError):
    """Voting or closing after the close."""


class SecretVoteFinal(DecisionsError):
    """A cast secret vote cannot be changed: nothing links it to the member any more."""


@dataclass(frozen=True)
class Elector:
    """A member as the decisions service knows them (from the members service's events)."""

    member_id: str
    active: bool = True
    household: str | None = None
    languages: tuple[str, ...] = ()
    preferred_language: str | None = None
    role: str = "resident"


# -- a new decision ----------------------------------------------------------------------------------------------
def check_may_organise(role: str) -> None:
    if role != "organiser":
        raise NotAllowed("Only organisers open, close and record answers for decisions.")


def check_new(kind: str, options: list[str] | None, closes_at: datetime, now: datetime) -> None:
    """The wire schema has checked the shape; here the rules that need `now` or more than one field."""
    if closes_at < now + SHORTEST:
        raise InvalidDecision("The closing time must lie at least five minutes ahead.",
                              {"closes_at": ["Choose a later time."]})
    if closes_at > now + LONGEST:
        raise InvalidDecision("The closing time may lie at most a year ahead.",
                              {"closes_at": ["Choose an earlier time."]})
    if kind == POLL and len(set(option.strip().casefold() for option in options or [])) != len(options or []):
        raise InvalidDecision("Every option must be different.", {"options": ["Two options are the same."]})


def audience(chosen, electors: list[Elector]) -> list[str]:
    """`"all"`, `{"household": ...}` or `{"language": ...}` (members who speak it): active members of the house
    only (a supporter from outside the house votes for nobody but through the resident who trusts them), sorted."""
    active = [e for e in electors if e.active and e.role != "supporter"]
    if chosen == "all":
        picked = active
    elif isinstance(chosen, dict) and "household" in chosen:
        picked = [e for e in active if e.household == chosen["household"]]
    elif isinstance(chosen, dict) and "language" in chosen:
        wanted = chosen["language"]
        picked = [e for e in active if wanted == e.preferred_language or wanted in e.languages]
    else:
        raise ValueError(f"unknown audience {chosen!r}")
    if not picked:
        raise NobodyMatches("Nobody in the community matches this audience.")
    return sorted(e.member_id for e in picked)


def reminder_at(opened_at: datetime, closes_at: datetime) -> datetime | None:
    """When those who have not voted are reminded: the day before the close; None when the decision is open for
    less than a day and a half (the message that it opened is reminder enough)."""
    moment = closes_at - REMINDER_BEFORE
    return moment if moment - opened_at >= REMINDER_BEFORE / 2 else None


def is_due(status: str, closes_at: datetime, now: datetime) -> bool:
    return status == OPEN and closes_at <= now


# -- a vote ---------------------------------------------------------------------------------------------------------
def ballot(kind: str, *, option_count: int, multiple: bool, max_choices: int | None, vote: dict) -> dict:
    """The ballot `vote` (as the wire schema loaded it) makes in this decision: `{"options": [sorted indexes]}`
    for a poll, `{"position", "reason"}` for a consent round. A poll takes exactly one option, or with `multiple`
    one to `max_choices` (default: all) different ones."""
    if kind == POLL:
        if "options" not in vote:
            raise InvalidBallot("This is a poll: choose among its options.", {"options": ["Choose an option."]})
        chosen = vote["options"]
        if len(set(chosen)) != len(chosen):
            raise InvalidBallot("Each option counts once.", {"options": ["An option is chosen twice."]})
        if any(index < 0 or index >= option_count for index in chosen):
            raise InvalidBallot("There is no such option.", {"options": ["No such option."]})
        limit = (max_choices or option_count) if multiple else 1
        if len(chosen) > limit:
            raise InvalidBallot(f"Choose at most {limit} option{'s' if limit > 1 else ''}.",
                                {"options": [f"At most {limit}."]})
        return {"options": sorted(chosen)}
    if "position" not in vote:
        raise InvalidBallot("This is a consent round: consent, stand aside or object.",
                            {"position": ["Choose consent, stand_aside or objection."]})
    position = vote["position"]
    if position not in POSITIONS:
        raise InvalidBallot("Choose consent, stand aside or objection.", {"position": ["Unknown position."]})
    reason = (vote.get("reason") or "").strip() or None
    if position == "objection" and not reason:
        raise InvalidBallot("An objection needs its reason: that is how consent works.",
                            {"reason": ["Say why you object."]})
    return {"position": position, "reason": reason}


def check_may_vote(*, status: str, in_audience: bool, secret: bool, voted_before: bool) -> None:
    if status != OPEN:
        raise AlreadyClosed("This decision is closed: no more votes are taken.")
    if not in_audience:
        raise NotInAudience("This decision is not addressed to you.")
    if secret and voted_before:
        raise SecretVoteFinal("This vote is secret, so a cast vote is final: it cannot be changed.")


# -- counting -------------------------------------------------------------------------------------------------------
def tally(kind: str, option_count: int, ballots: list[dict]) -> dict:
    """The results of open (not secret) ballots. A poll: `{votes, by_option: {"0": n, ...}}` with every option
    present; a consent round: `{votes, consent, stand_aside, objection, objections: [{member_id, reason}]}`."""
    if kind == POLL:
        by_option = {str(index): 0 for index in range(option_count)}
        for cast in ballots:
            for index in cast.get("options", []):
                if str(index) in by_option:
                    by_option[str(index)] += 1
        return {"votes": len(ballots), "by_option": by_option}
    counts = {position: 0 for position in POSITIONS}
    objections = []
    for cast in ballots:
        counts[cast["position"]] += 1
        if cast["position"] == "objection":
            objections.append({"member_id": cast.get("member_id"), "reason": cast.get("reason")})
    return {"votes": len(ballots), **counts, "objections": objections}


def secret_tally(kind: str, option_count: int, *, votes: int, counters: dict, reasons: list[str]) -> dict:
    """The results of a secret vote, from its counters alone (and, for a consent round, the reasons of the
    objections, without names)."""
    if kind == POLL:
        return {"votes": votes, "by_option": {str(i): int(counters.get(str(i), 0)) for i in range(option_count)}}
    return {"votes": votes, **{position: int(counters.get(position, 0)) for position in POSITIONS},
            "objections": [{"member_id": None, "reason": reason} for reason in reasons]}


def passed(kind: str, results: dict | None) -> bool | None:
    """A consent round passes when it closes with no objection; a poll neither passes nor fails."""
    if kind != CONSENT or results is None:
        return None
    return results.get("objection", 0) == 0


def counter_keys(kind: str, cast: dict) -> list[str]:
    """The counters a secret ballot adds one to."""
    return [str(index) for index in cast["options"]] if kind == POLL else [cast["position"]]


# -- languages ------------------------------------------------------------------------------------------------------
def text_for(original: dict, translations: dict, language: str | None) -> tuple[dict, str]:
    """The decision as a member reads it: their language if there is a version in it (Leichte Sprache readers
    get German where there is no Leichte Sprache version), else the original. Returns (title, body, options) and
    the language of the text. A translation without options keeps the original's."""
    candidates = [language] if language else []
    if language and "-" in language:
        candidates.append(language.split("-")[0])
    for candidate in candidates:
        if candidate == original["language"]:
            break
        version = translations.get(candidate)
        if version:
            return ({"title": version["title"], "body": version["body"],
                     "options": list(version.get("options") or original["options"])}, candidate)
    return ({"title": original["title"], "body": original["body"], "options": list(original["options"])},
            original["language"])
