"""Events the care service publishes (version 1 of each).

The alert events name whom to tell (`notify`) and everyone told so far (`alerted`), so that the notifications
service needs no copy of the buddies; they carry the resident's name, flat and phone as the care service knows
them, because the people told need them to ring the doorbell or call (the resident named them as buddies).
"""
from datetime import datetime

from services.common.clock import isoformat_z
from services.common.events import new_event


def check_in_recorded(check_in, now: datetime, recorded_by: dict | None = None) -> dict:
    """`recorded_by`: the organiser who recorded an answer given by phone or on paper (named like a trusted
    person, `acted_by`, so that the resident hears of it and sees it in their list)."""
    payload = {"member_id": check_in.member_id, "at": isoformat_z(check_in.at)}
    if recorded_by is not None:
        payload["acted_by"] = {**recorded_by, "for": check_in.member_id, "recorded": True, "note": check_in.note}
    return new_event("checkin.recorded", community_id=check_in.community_id, occurred_at=now, payload=payload)


def _alert_facts(alert) -> dict:
    return {"alert_id": alert.id, "member_id": alert.member_id, "day": alert.day, "status": alert.status}


def _resident(neighbour) -> dict:
    return {"display_name": neighbour.display_name if neighbour else None,
            "household": neighbour.household if neighbour else None,
            "phone": neighbour.phone if neighbour else None}


def alert_stepped(alert, notify: list[str], step: int, resident, now: datetime) -> dict:
    """The first step raises the alert (`alert.raised`); each later one escalates it (`alert.escalated`)."""
    type_ = "alert.raised" if step == 0 else "alert.escalated"
    payload = {**_alert_facts(alert), **_resident(resident), "step": step, "notify": notify,
               "alerted": list(alert.alerted), "deadline": isoformat_z(alert.deadline)}
    return new_event(type_, community_id=alert.community_id, payload=payload, occurred_at=now)


def alert_acknowledged(alert, now: datetime) -> dict:
    return new_event("alert.acknowledged", community_id=alert.community_id, occurred_at=now, payload={
        **_alert_facts(alert), "acknowledged_by": alert.acknowledged_by, "alerted": list(alert.alerted)})


def alert_resolved(alert, now: datetime) -> dict:
    return new_event("alert.resolved", community_id=alert.community_id, occurred_at=now, payload={
        **_alert_facts(alert), "resolved_by": alert.resolved_by, "outcome": alert.outcome,
        "alerted": list(alert.alerted)})


def check_in_link_issued(link, token: str, daily_by: str, now: datetime) -> dict:
    """The day's email is due: the notifications service sends the resident the link. The event is the only
    place the token is kept, and only until it is published (see `models.CheckInLink`)."""
    return new_event("checkin.link_issued", community_id=link.community_id, occurred_at=now, payload={
        "member_id": link.member_id, "day": link.day, "daily_by": daily_by, "token": token,
        "expires_at": isoformat_z(link.expires_at)})


def sheet_review_came_due(sheet, now: datetime) -> dict:
    return new_event("sheet.review_came_due", community_id=sheet.community_id, occurred_at=now, payload={
        "member_id": sheet.id, "saved_at": isoformat_z(sheet.updated_at)})


def buddy_request_event(request, now: datetime) -> dict:
    """buddy.asked, buddy.accepted or buddy.declined, by the request's status."""
    return new_event(f"buddy.{request.status}", community_id=request.community_id, occurred_at=now, payload={
        "request_id": request.id, "member_id": request.member_id, "buddy_id": request.buddy_id})


def done_for(record, now: datetime) -> dict:
    """A trusted person's change for the resident (its type is the change); `acted_by` is added by `new_event`."""
    return new_event(record.action, community_id=record.community_id, occurred_at=now, payload={
        "member_id": record.member_id, "acted_by": {"member_id": record.acted_by, "for": record.member_id}})
