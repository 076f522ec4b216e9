"""What the decisions service does, as plain functions over a unit of work (its repository and outbox) and `now`.

The rules (ballots, tallies, audiences, closing) are in `domain`; here they meet the stored decisions and the
members copied from the members service's events. The domain's refusals become the errors that cross the wire in
one place, `wire_errors`.

How a vote and the close meet (every write is one conditional update of the decision's document, see
`repository`):
- A vote is taken only while the decision is `open` (and, secret, only once); it increments the version.
- The close reads the decision, counts it, and writes `closed` with those results only if the version is still
  the one it read. A vote that came in meanwhile makes the close count again; a vote that comes after the close
  finds the decision closed and is refused (409). So a vote racing the close is either counted or refused, never
  lost. Two instances closing the same decision: one write succeeds and carries the one `decision.closed`; the
  other finds it closed when it reads again.
"""
import uuid
from datetime import datetime

from services.common.clock import as_utc, isoformat_z
from services.common.errors import Conflict, Forbidden, Invalid, NotFound, WireErrors
from services.common.i18n import text_direction
from services.common.members import copy_profile
from services.common.schemas import load
from services.contracts.decisions import DecisionListQuerySchema, DecisionRequestSchema, VoteRequestSchema
from services.decisions import domain, events
from services.decisions.models import Audience, Decision, Elector

# How many decisions one timer run looks at, and how often a close that lost a race with a vote counts again.
BATCH = 200
ATTEMPTS = 50
CHANGED = "This decision changed a moment ago. Please look again."

wire_errors = WireErrors({
    (domain.NotAllowed, domain.NotInAudience): Forbidden,
    (domain.InvalidDecision, domain.InvalidBallot, domain.NobodyMatches): Invalid,
    (domain.AlreadyClosed, domain.SecretVoteFinal): Conflict,
})


# -- views ------------------------------------------------------------------------------------------------------
def _original(decision: Decision) -> dict:
    return {"title": decision.title, "body": decision.body, "options": list(decision.options),
            "language": decision.language}


def voted_ids(decision: Decision) -> set[str]:
    return set(decision.voters) if decision.secret else set(decision.ballots or {})


def results_of(decision: Decision) -> dict:
    """The results as they stand: counted from the ballots (open votes) or the counters (secret ones)."""
    option_count = len(decision.options)
    if decision.secret:
        results = domain.secret_tally(decision.kind, option_count, votes=decision.votes or 0,
                                      counters=decision.counters or {}, reasons=list(decision.reasons))
        results["assisted"] = decision.assisted or 0
        return results
    ballots = [{**as_ballot(decision.kind, cast), "member_id": member_id}
               for member_id, cast in sorted((decision.ballots or {}).items())]
    results = domain.tally(decision.kind, option_count, ballots)
    results["recorded"] = sum(1 for member_id in (decision.recorded or {}) if member_id in decision.ballots)
    return results


def stored_ballot(kind: str, cast: dict) -> list:
    """A ballot as an open vote keeps it (see `models`): a poll's indexes, or a position and its reason."""
    if kind == domain.POLL:
        return list(cast["options"])
    return [cast["position"], cast["reason"]] if cast.get("reason") else [cast["position"]]


def as_ballot(kind: str, stored: list) -> dict:
    if kind == domain.POLL:
        return {"options": list(stored)}
    return {"position": stored[0], "reason": stored[1] if len(stored) > 1 else None}


def my_vote(decision: Decision, member_id: str) -> dict | None:
    """My ballot as I cast it; of a secret vote only that I cast it (the service does not know what I chose)."""
    if decision.secret:
        return {"cast": True, "secret": True} if member_id in decision.voters else None
    stored = (decision.ballots or {}).get(member_id)
    if not stored:
        return None
    cast = as_ballot(decision.kind, stored)
    recorded = (decision.recorded or {}).get(member_id)
    shown = {"cast": True, "secret": False, "recorded": recorded is not None,
             "note": recorded.get("note") if recorded else None}
    if "options" in cast:
        shown["options"] = list(cast["options"])
    else:
        shown["position"], shown["reason"] = cast.get("position"), cast.get("reason")
    return shown


def _shown_results(results: dict | None, electors: dict) -> dict | None:
    if results is None:
        return None
    shown = dict(results)
    if "objections" in shown:
        shown["objections"] = [{"display_name": _name(electors, o.get("member_id")), "reason": o.get("reason")}
                               for o in shown["objections"]]
    return shown


def _name(electors: dict, member_id: str | None) -> str | None:
    elector = electors.get(member_id) if member_id else None
    return elector.display_name if elector else None


def _people_in(decisions) -> set[str]:
    return {o.get("member_id") for d in decisions
            for o in ((d.results or {}).get("objections") or [] if d.status == domain.CLOSED
                      else [] if d.secret else [{"member_id": m} for m, b in (d.ballots or {}).items()
                                                 if b and b[0] == "objection"])}


def decision_view(decision: Decision, actor: dict, electors: dict, in_audience: bool) -> dict:
    """The decision in the reader's language, with my vote, and the results where they may be shown: once
    closed, and while open only when the vote is not secret."""
    text, language = domain.text_for(_original(decision), decision.translations or {},
                                     actor.get("preferred_language"))
    closed = decision.status == domain.CLOSED
    results = decision.results if closed else (None if decision.secret else results_of(decision))
    view = {
        "id": decision.id, "kind": decision.kind, "status": decision.status, **text,
        "language": language, "direction": text_direction(language), "original_language": decision.language,
        "multiple": decision.multiple, "max_choices": decision.max_choices, "secret": decision.secret,
        "audience": decision.audience, "opened_at": isoformat_z(decision.opened_at),
        "closes_at": isoformat_z(decision.closes_at), "closed_at": isoformat_z(decision.closed_at),
        "author_id": decision.author_id, "in_audience": in_audience,
        "audience_size": decision.audience_size, "voted": len(voted_ids(decision)),
        "my_vote": my_vote(decision, actor["member_id"]),
        "results": _shown_results(results, electors),
        "passed": decision.passed if closed else None,
    }
    if actor["role"] == "organiser":
        view["translations"] = decision.translations or {}
    return view


def _visible(repo, actor: dict, decision_id) -> tuple[Decision, bool]:
    """A decision of the member's community addressed to them (organisers: every decision of it), and whether
    it is addressed to them."""
    decision = repo.decision(actor["community_id"], decision_id)
    asked = decision is not None and repo.in_audience(decision.id, actor["member_id"])
    if decision is None or (actor["role"] != "organiser" and not asked):
        raise NotFound("There is no such decision for you.")
    return decision, asked


def get_decision(uow, actor: dict, decision_id) -> dict:
    repo = uow.repository
    decision, asked = _visible(repo, actor, decision_id)
    return decision_view(decision, actor, repo.electors_by_id(_people_in([decision])), asked)


def list_decisions(uow, actor: dict, query: dict) -> dict:
    """Decisions addressed to me, newest first (organisers: every decision of the community)."""
    repo = uow.repository
    data = load(DecisionListQuerySchema, query)
    member_id = None if actor["role"] == "organiser" else actor["member_id"]
    page, next_cursor = repo.page_for(actor["community_id"], member_id=member_id, status=data.get("status"),
                                      limit=data["limit"], cursor=data["cursor"])
    electors = repo.electors_by_id(_people_in(page))
    asked = set(repo.addressed_to(actor["member_id"])) if member_id is None else {d.id for d in page}
    return {"items": [decision_view(d, actor, electors, d.id in asked) for d in page], "next": next_cursor}


# -- opening --------------------------------------------------------------------------------------------------------
def _elector(stored: Elector) -> domain.Elector:
    return domain.Elector(stored.id, stored.active, stored.household, tuple(stored.languages or ()),
                          stored.preferred_language, stored.role or "resident")


@wire_errors
def open_decision(uow, actor: dict, body: dict, now: datetime) -> dict:
    domain.check_may_organise(actor["role"])
    repo = uow.repository
    data = load(DecisionRequestSchema, body)
    closes_at = as_utc(data["closes_at"])
    domain.check_new(data["kind"], data.get("options"), closes_at, now)
    members = domain.audience(data["audience"], [_elector(e) for e in repo.community_electors(actor["community_id"])])
    options = list(data.get("options") or [])
    decision = Decision(
        id=str(uuid.uuid4()), community_id=actor["community_id"], author_id=actor["member_id"], kind=data["kind"],
        title=data["title"], body=data["body"], language=data["language"], options=options,
        multiple=data["multiple"], max_choices=data.get("max_choices"), secret=data["secret"],
        translations=data["translations"], audience=data["audience"], audience_size=len(members), opened_at=now,
        closes_at=closes_at, remind_at=domain.reminder_at(now, closes_at), status=domain.OPEN)
    decision.record(events.decision_opened(decision, members, now))
    with uow:  # the audience first: a decision is never without it
        uow.add(Audience(id=decision.id, community_id=decision.community_id, members=members, opened_at=now),
                decision)
        uow.commit()  # decision.opened goes out after the reply: every member of the audience is told
    return decision_view(decision, actor, {}, actor["member_id"] in members)


# -- voting -----------------------------------------------------------------------------------------------------------
@wire_errors
def vote(uow, actor: dict, decision_id, body: dict, now: datetime) -> dict:
    """Cast (or, in an open vote, replace) my vote; an organiser records someone's answer given by phone or on
    paper (`on_behalf_of`, flagged as recorded; in a secret vote counted as assisted, without a name). One
    conditional update of the decision's document (see the module's docstring)."""
    repo = uow.repository
    data = load(VoteRequestSchema, body)
    decision = repo.light_decision(actor["community_id"], decision_id)
    if decision is None:
        raise NotFound("There is no such decision for you.")
    member_id, recorded_by = actor["member_id"], None
    if "on_behalf_of" in data:
        domain.check_may_organise(actor["role"])
        voter = repo.elector(data["on_behalf_of"])
        if voter is None or voter.community_id != actor["community_id"]:
            raise NotFound("No such member in your community.", errors={"on_behalf_of": ["Unknown member."]})
        member_id = voter.id
        recorded_by = {"member_id": actor["member_id"], "display_name": actor.get("display_name"),
                       "note": None if decision.secret else (data.get("note") or "").strip() or None}
    cast = domain.ballot(decision.kind, option_count=len(decision.options), multiple=decision.multiple,
                         max_choices=decision.max_choices, vote=data)
    if not repo.in_audience(decision.id, member_id):
        raise domain.NotInAudience("This decision is not addressed to you.")
    acted_by = actor.get("acted_by") or {}
    announced = [events.vote_cast(decision, member_id, now, recorded_by)] if recorded_by or acted_by else []
    if decision.secret:
        taken = repo.cast_secret_ballot(decision.id, member_id, domain.counter_keys(decision.kind, cast),
                                        reason=cast.get("reason"), assisted=recorded_by is not None,
                                        events=announced)
    else:
        taken = repo.cast_open_ballot(
            decision.id, member_id, stored_ballot(decision.kind, cast), announced,
            recorded={"by": recorded_by["member_id"], "note": recorded_by["note"]} if recorded_by else None,
            acted_by=None if recorded_by else acted_by.get("member_id"))
    if not taken:
        standing = repo.standing(decision.id, member_id)
        if standing is None:
            raise NotFound("There is no such decision for you.")
        domain.check_may_vote(status=standing["status"], in_audience=standing["in_audience"],
                              secret=standing["secret"], voted_before=standing["voted"])
        raise Conflict(CHANGED)
    if announced:
        decision.outbox = announced
        uow.publish_after_reply(decision)
    shown = {"cast": True, "secret": decision.secret, "recorded": recorded_by is not None}
    if not decision.secret:
        shown.update({key: value for key, value in cast.items() if value is not None})
        shown["note"] = recorded_by["note"] if recorded_by else None
    return {"decision_id": decision.id, "member_id": member_id, "status": domain.OPEN, "my_vote": shown}


@wire_errors
def not_voted(uow, actor: dict, decision_id) -> list[dict]:
    """The call list: who in the audience has not voted yet, with the phone organisers call (by flat, then
    name). It shrinks as votes arrive."""
    domain.check_may_organise(actor["role"])
    repo = uow.repository
    decision, _asked = _visible(repo, actor, decision_id)
    voted = voted_ids(decision)
    waiting = [member_id for member_id in repo.audience_of(decision.id) if member_id not in voted]
    electors = repo.electors_by_id(waiting)
    people = [{"member_id": member_id, "display_name": _name(electors, member_id),
               "phone": electors[member_id].phone if member_id in electors else None,
               "household": electors[member_id].household if member_id in electors else None,
               "preferred_language": electors[member_id].preferred_language if member_id in electors else None}
              for member_id in waiting]
    return sorted(people, key=lambda p: (p["household"] or "", p["display_name"] or "", p["member_id"]))


# -- closing ----------------------------------------------------------------------------------------------------------
def _try_close(uow, decision: Decision, now: datetime, by: str | None) -> bool:
    """Close with the results counted from what was read, if nothing changed since; with its event."""
    results = results_of(decision)
    passed = domain.passed(decision.kind, results)
    event = events.decision_closed(decision, uow.repository.audience_of(decision.id), results, passed, now, by)
    if not uow.repository.close(decision.id, version=decision.version, results=results, passed=passed, now=now,
                                by=by, event=event):
        return False
    decision.status, decision.closed_at, decision.closed_by = domain.CLOSED, now, by
    decision.results, decision.passed = results, passed
    decision.outbox = [event]
    uow.publish_after_reply(decision)
    return True


@wire_errors
def close(uow, actor: dict, decision_id, now: datetime) -> dict:
    """An organiser closes a decision early."""
    domain.check_may_organise(actor["role"])
    repo = uow.repository
    for _ in range(ATTEMPTS):
        decision, asked = _visible(repo, actor, decision_id)
        if decision.status != domain.OPEN:
            raise domain.AlreadyClosed("This decision is closed already.")
        if _try_close(uow, decision, now, actor["member_id"]):
            return decision_view(decision, actor, repo.electors_by_id(_people_in([decision])), asked)
    raise Conflict(CHANGED)


def watch(uow, now: datetime) -> dict:
    """The timer: close what is due, and remind those who have not voted the day before; each once however many
    instances run it at the same moment."""
    repo = uow.repository
    closed = reminded = 0
    for decision_id in repo.due_to_close(now, BATCH):
        for _ in range(ATTEMPTS):
            decision = repo.decision_by_id(decision_id)
            if decision is None or not domain.is_due(decision.status, as_utc(decision.closes_at), now):
                break  # another instance closed it
            if _try_close(uow, decision, now, None):
                closed += 1
                break
    for decision_id in repo.due_reminders(now, BATCH):
        decision = repo.decision_by_id(decision_id)
        if decision is None or decision.status != domain.OPEN or decision.remind_at is None:
            continue
        voted = voted_ids(decision)
        notify = [member_id for member_id in repo.audience_of(decision.id) if member_id not in voted]
        event = events.decision_reminder_came_due(decision, notify, now)
        if repo.mark_reminded(decision.id, decision.remind_at, event):
            decision.outbox = [event]
            uow.publish_after_reply(decision)
            reminded += 1
    return {"closed": closed, "reminded": reminded}


# -- members coming and going ----------------------------------------------------------------------------------------
def remember_member(uow, event: dict) -> None:
    profile = event["payload"]
    elector = uow.repository.elector(profile["member_id"]) or Elector(id=profile["member_id"])
    copy_profile(elector, event, ("display_name", "phone", "household", "role", "preferred_language", "timezone"))
    if "languages" in profile:
        elector.languages = list(profile["languages"] or [])
    uow.save_and_commit(elector)
    if not elector.active:
        uow.repository.drop_from_open_audiences(elector.id)


def on_member_gone(uow, member_id: str, *, erased: bool) -> None:
    """Deactivated: no longer asked, nor on a call list (votes cast stay counted). Erased: also their open
    ballots and their reasons go, and their copy (see `repository.erase_member`). Repeatable."""
    repo = uow.repository
    if elector := repo.elector(member_id):
        elector.active = False
        uow.save_and_commit(elector)
    repo.drop_from_open_audiences(member_id)
    if erased:
        repo.erase_member(member_id)
        repo.forget_elector(member_id)


def export(uow, actor: dict) -> dict:
    """Every decision I was asked in, voted in or opened, with my vote as it is kept: of a secret vote only that I
    voted (nothing else links me to a choice, here or anywhere in the service)."""
    member_id = actor["member_id"]
    asked = set(uow.repository.addressed_to(member_id))
    return {"decisions": [{
        "id": d.id, "kind": d.kind, "title": d.title, "status": d.status, "secret": d.secret,
        "opened_at": isoformat_z(d.opened_at), "closes_at": isoformat_z(d.closes_at),
        "in_audience": d.id in asked, "opened_by_me": d.author_id == member_id,
        "my_vote": my_vote(d, member_id)} for d in uow.repository.involving(member_id)]}

