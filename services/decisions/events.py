"""Events the decisions service publishes (version 1 of each).

The notifications service keeps no copy of decisions: each event carries what its messages need, in every
language the decision was written in (`titles`, `options` by language, the original's `language`), and whom to
tell (`audience`, `notify`), so that every member reads it in their language.

No event ever says what a member chose: `decision.vote_cast` (published only when someone else cast the vote, a
trusted person or an organiser recording a phone or paper answer, so that the member hears of it) names the
member and the decision, never the ballot.
"""
from datetime import datetime

from services.common.clock import isoformat_z
from services.common.events import new_event


def _texts(decision) -> dict:
    titles = {decision.language: decision.title}
    options = {decision.language: list(decision.options)}
    for language, version in (decision.translations or {}).items():
        titles[language] = version["title"]
        options[language] = list(version.get("options") or decision.options)
    return {"decision_id": decision.id, "kind": decision.kind, "secret": decision.secret,
            "title": decision.title, "language": decision.language, "titles": titles,
            "options": options if decision.kind == "poll" else {}, "closes_at": isoformat_z(decision.closes_at)}


def decision_opened(decision, audience: list[str], now: datetime) -> dict:
    return new_event("decision.opened", community_id=decision.community_id, occurred_at=now, payload={
        **_texts(decision), "author_id": decision.author_id, "audience": list(audience)})


def decision_closed(decision, audience: list[str], results: dict, passed, now: datetime, by: str | None) -> dict:
    """With the results (objections without member ids: the reasons and the names as the service knew them)."""
    shown = dict(results)
    if "objections" in shown:
        shown["objections"] = [{"reason": o.get("reason")} for o in shown["objections"]]
    return new_event("decision.closed", community_id=decision.community_id, occurred_at=now, payload={
        **_texts(decision), "results": shown, "passed": passed, "closed_by": by,
        "audience": list(audience)})


def decision_reminder_came_due(decision, notify: list[str], now: datetime) -> dict:
    return new_event("decision.reminder_came_due", community_id=decision.community_id, occurred_at=now,
                     payload={**_texts(decision), "notify": notify})


def vote_cast(decision, member_id: str, now: datetime, recorded_by: dict | None = None) -> dict:
    """A vote someone else cast for the member. `recorded_by`: the organiser who recorded an answer given by
    phone or on paper (named like a trusted person, `acted_by`, so that the member hears of it); a trusted
    person acting for the member is added by `new_event` itself."""
    payload = {"decision_id": decision.id, "member_id": member_id, "title": decision.title}
    if recorded_by is not None:
        payload["acted_by"] = {"member_id": recorded_by["member_id"], "display_name": recorded_by.get("display_name"),
                               "for": member_id, "recorded": True, "note": recorded_by.get("note")}
    return new_event("decision.vote_cast", community_id=decision.community_id, occurred_at=now, payload=payload)
