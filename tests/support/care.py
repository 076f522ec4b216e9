"""A real missed check-in for end-to-end and browser tests: the resident's deadline is set a minute or so ahead
(grace 0), and the care service's own timer raises the alert once it has passed (nothing is faked)."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.support.processes import Client, eventually

BERLIN = ZoneInfo("Europe/Berlin")


def due_within_a_minute(resident: Client, buddy_ids: list[str], *, escalation_minutes: int = 240) -> str:
    """Switch the resident's daily check-in on with a deadline 10 to 70 seconds from now (whole minutes); the
    buddies are asked. Returns the deadline "HH:MM"."""
    due = (datetime.now(BERLIN) + timedelta(seconds=70)).strftime("%H:%M")
    put_once_known(resident, "/api/v1/members/me/check-in", {
        "enabled": True, "daily_by": due, "grace_minutes": 0, "escalation_minutes": escalation_minutes,
        "buddies": buddy_ids})
    return due


def put_once_known(client: Client, path: str, body: dict) -> None:
    """PUT settings or a sheet that name neighbours who have just joined: the care service knows them from the
    members service's events, so the PUT is refused until those have arrived."""
    answers = []

    def accepted():
        answers.append(client.put(path, json=body))
        return answers[-1].status_code == 200

    assert eventually(accepted, seconds=30, interval=0.5), answers[-1].text


def accept_request_of(buddy: Client, resident_id: str) -> None:
    request = next(r for r in buddy.get("/api/v1/check-in/buddy-requests").json()["items"]
                   if r["member_id"] == resident_id)
    assert buddy.post(f"/api/v1/check-in/buddy-requests/{request['id']}/accept").status_code == 200


def alert_told_to(buddy: Client, resident_id: str, seconds: float = 150) -> str:
    """The id of the alert about the resident once the buddy has been told of it (the deadline, then a run of the
    care service's timer, every 15 seconds by default)."""
    def told():
        return [a for a in buddy.get("/api/v1/alerts").json()["items"] if a["member_id"] == resident_id]

    alerts = eventually(told, seconds=seconds, interval=1)
    assert alerts, "the missed check-in never became an alert"
    return alerts[0]["id"]
