"""Safe at home through the HTTP API, on real minutes: a missed check-in raises an alert to the first buddy,
escalates to the second, an acknowledgement stops it before the organisers, the emergency sheet is open to the
one looking after the alert only while it is open, a late check-in resolves an alert with the all-clear, and
an erased resident leaves nothing personal behind in any view.

The platform's timer looks every second (CHECKIN_TIMER_SECONDS=1), the deadline is the next whole minute with no
grace and one minute between the steps: the shortest the contract allows (`daily_by` is a time of day in whole
minutes, `escalation_minutes` at least 1). Two residents miss the same deadline, so their alerts are raised
in the same run of the timer and every later step of theirs falls due at the same moment:
- Ayşe's alert is acknowledged by her second buddy after the escalation: her organisers' step never comes;
- Dieter's alert is not: his organisers' step, due at that same moment, is the witness that the moment has
  passed. Then Dieter checks in late and everyone told gets the all-clear.
The test waits by polling the API with a deadline (`eventually`), never by sleeping a fixed time.
"""
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.support.processes import eventually, platform_for_module, readable

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
BERLIN = ZoneInfo("Europe/Berlin")  # the community's time zone (the platform's default)
TIMER_SECONDS = 1
ESCALATION = timedelta(minutes=1)
SLACK = 30  # seconds past a step's moment within which its message must be in the inbox

AYSE = {"display_name": "Ayşe Kaya", "phone": "040 311 22 33", "household": "Haus B, 2. OG links",
        "share_phone": False}
DIETER = {"display_name": "Dieter Dammtor", "phone": "040 422 33 44", "household": "Haus C, EG rechts"}
BORA = {"display_name": "Bora Demir", "preferred_language": "de"}
CEM = {"display_name": "Cem Yıldız", "preferred_language": "tr"}
SHEET = {"contacts": [{"name": "Deniz Kaya", "phone": "0171 555 66 77", "relation": "Sohn"}],
         "doctor": {"name": "Dr. Hausarzt Elbe", "phone": "040 999 00"},
         "medication_location": "Kühlschrank, oberstes Fach", "allergies": "Penicillin",
         "key_holder": "Frau Nachbarin, Haus B", "notes": "Hört schlecht auf dem linken Ohr", "readers": []}
SHEET_FACTS = ("Deniz Kaya", "0171 555 66 77", "Dr. Hausarzt Elbe", "Kühlschrank, oberstes Fach", "Penicillin")


@pytest.fixture(scope="module")
def platform(request):
    """The platform with its care timer looking every second (the contract's "at least every 30 seconds")."""
    yield from platform_for_module(request, ARTIFACTS, CHECKIN_TIMER_SECONDS=str(TIMER_SECONDS))


def next_whole_minute(margin_seconds: float = 4) -> datetime:
    """The next whole minute in Berlin at least `margin_seconds` ahead: time enough to switch the check-ins on
    and for the buddies to accept before it passes."""
    soon = datetime.now(BERLIN) + timedelta(seconds=margin_seconds)
    return (soon + timedelta(minutes=1)).replace(second=0, microsecond=0)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def inbox(client, link: str, kind: str | None = None) -> list[dict]:
    items = client.get("/api/v1/notifications", params={"limit": 200}).json()["items"]
    return [item for item in items if item["link"] == link and (kind is None or item["kind"] == kind)]


def first(client, link: str, kind: str, seconds: float) -> dict | None:
    """The first inbox entry of `kind` about `link`, polled for until `seconds` have passed."""
    found = eventually(lambda: inbox(client, link, kind), seconds=seconds, interval=0.25)
    return found[0] if found else None


def seconds_until(moment: datetime) -> float:
    return max(0.0, (moment - datetime.now(timezone.utc)).total_seconds())


@pytest.fixture(scope="module")
def house(platform):
    organiser = platform.organiser()
    people = {"organiser": organiser}
    ids = {}
    for name, email, profile in (("ayse", "ayse@example.org", AYSE), ("dieter", "dieter@example.org", DIETER),
                                 ("bora", "bora@example.org", BORA), ("cem", "cem@example.org", CEM)):
        people[name], registered = platform.join(organiser, email, **profile)
        ids[name] = registered["id"]
    # Everyone told must be known to the notifications service first (their welcome is the visible trace).
    for name in ("organiser", "bora", "cem"):
        assert eventually(lambda c=people[name]: c.get("/api/v1/notifications").json()["items"], seconds=30), name
    saved = people["ayse"].put("/api/v1/members/me/emergency-sheet", json=SHEET)
    assert saved.status_code == 200, saved.text
    return people, ids


def test_a_missed_check_in_escalates_until_someone_looks_after_it_and_a_late_one_gives_the_all_clear(house):
    people, ids = house
    ayse, dieter, bora, cem, organiser = (people[name] for name in ("ayse", "dieter", "bora", "cem", "organiser"))

    deadline = next_whole_minute()
    for resident in (ayse, dieter):
        switched_on = resident.put("/api/v1/members/me/check-in", json={
            "enabled": True, "daily_by": deadline.strftime("%H:%M"), "grace_minutes": 0, "escalation_minutes": 1,
            "buddies": [ids["bora"], ids["cem"]]})
        assert switched_on.status_code == 200, switched_on.text
    for buddy in (bora, cem):
        requests_ = buddy.get("/api/v1/check-in/buddy-requests").json()["items"]
        assert {r["member_id"] for r in requests_} == {ids["ayse"], ids["dieter"]}
        for request in requests_:
            assert buddy.post(f"/api/v1/check-in/buddy-requests/{request['id']}/accept").status_code == 200
    settings = ayse.get("/api/v1/members/me/check-in").json()
    assert [b["accepted"] for b in settings["buddies"]] == [True, True]
    assert settings["today"]["status"] == "due", settings
    assert seconds_until(deadline) > 0, "the set-up took longer than the margin before the deadline"

    day = deadline.date().isoformat()
    ayse_alert, dieter_alert = f"{ids['ayse']}:{day}", f"{ids['dieter']}:{day}"
    ayse_link, dieter_link = f"/alerts/{ayse_alert}", f"/alerts/{dieter_alert}"

    # At the deadline: the first buddy is told, urgently, in German, with Ayşe's name, flat and phone.
    told = first(bora, ayse_link, "checkin_alert", seconds_until(deadline) + SLACK)
    assert told, "the first buddy was never alerted"
    assert at(told["created_at"]) >= deadline
    assert told["urgent"] is True and told["language"] == "de"
    assert told["title"] == f"Bitte sehen Sie nach {AYSE['display_name']}"
    assert AYSE["household"] in told["body"] and AYSE["phone"] in told["body"], told["body"]
    assert ayse.get("/api/v1/members/me/check-in").json()["today"]["status"] == "missed"
    alert = bora.get(f"/api/v1/alerts/{ayse_alert}").json()
    raised = at(alert["raised_at"])
    assert alert["status"] == "open" and alert["phone"] == AYSE["phone"] and alert["actions"] == ["acknowledge",
                                                                                                    "resolve"]
    assert [(e["step"], e["who"]) for e in alert["timeline"]] == [("raised", None), ("notified", ids["bora"])]
    assert not inbox(cem, ayse_link), "the second buddy was told before the escalation"
    # Told only: no right to the sheet yet (the resident named no readers).
    assert bora.get(f"/api/v1/members/{ids['ayse']}/emergency-sheet").status_code == 403

    # One minute later, nobody having acknowledged: the second buddy, in Turkish.
    escalated = first(cem, ayse_link, "checkin_alert", seconds_until(raised + ESCALATION) + SLACK)
    assert escalated, "the alert never escalated to the second buddy"
    assert at(escalated["created_at"]) >= raised + ESCALATION
    assert escalated["urgent"] is True and escalated["language"] == "tr"
    assert escalated["title"] == f"Lütfen kontrol edin: {AYSE['display_name']}"
    assert AYSE["household"] in escalated["body"] and AYSE["phone"] in escalated["body"]

    # "I am looking after it": the escalation stops; the first buddy hears somebody is on it.
    looked_after = cem.post(f"/api/v1/alerts/{ayse_alert}/acknowledge")
    assert looked_after.status_code == 200, looked_after.text
    assert looked_after.json()["status"] == "acknowledged" and looked_after.json()["acknowledged_by"] == ids["cem"]
    late = bora.post(f"/api/v1/alerts/{ayse_alert}/acknowledge")
    assert late.status_code == 409 and late.json()["current_status"] == "acknowledged"
    assert first(bora, ayse_link, "checkin_alert_acknowledged", SLACK), "the first buddy never heard"

    # The sheet: open to the one looking after it while the alert is open; to nobody else, organisers included.
    sheet = cem.get(f"/api/v1/members/{ids['ayse']}/emergency-sheet")
    assert sheet.status_code == 200, sheet.text
    assert all(fact in readable(sheet) for fact in SHEET_FACTS), sheet.text
    for other in (bora, organiser, dieter):
        assert other.get(f"/api/v1/members/{ids['ayse']}/emergency-sheet").status_code == 403

    # The organisers' step falls due for both alerts at the same moment: Dieter's is the witness.
    organisers_due = raised + 2 * ESCALATION
    witnessed = first(organiser, dieter_link, "checkin_alert", seconds_until(organisers_due) + SLACK)
    assert witnessed, "the organisers were never told about Dieter's alert"
    assert at(witnessed["created_at"]) >= organisers_due
    # (raised in the same run of the timer as Ayşe's: the same moment, so the same moment for this step)
    assert at(organiser.get(f"/api/v1/alerts/{dieter_alert}").json()["raised_at"]) == raised

    # Dieter checks in late: his alert resolves itself and all three told get the all-clear.
    assert dieter.post("/api/v1/check-ins", json={}).status_code == 201
    for client in (bora, cem, organiser):
        all_clear = first(client, dieter_link, "checkin_all_clear", SLACK)
        assert all_clear and all_clear["urgent"] is True, "an all-clear is missing"
    resolved = organiser.get(f"/api/v1/alerts/{dieter_alert}").json()
    assert (resolved["status"], resolved["outcome"], resolved["resolved_by"]) == ("resolved", "checked_in",
                                                                                  ids["dieter"])
    assert dieter.get("/api/v1/members/me/check-in").json()["today"]["status"] == "done"

    # Ayşe's organisers' step never came: nothing in the organiser's inbox, nobody after Cem in the timeline.
    assert inbox(organiser, ayse_link) == []
    alert = organiser.get(f"/api/v1/alerts/{ayse_alert}").json()
    assert alert["status"] == "acknowledged"
    assert [(e["step"], e["who"]) for e in alert["timeline"]] == [
        ("raised", None), ("notified", ids["bora"]), ("notified", ids["cem"]), ("acknowledged", ids["cem"])]

    # Resolved: the sheet closes again, and Ayşe sees who read it, and that it was during the alert.
    closed = cem.post(f"/api/v1/alerts/{ayse_alert}/resolve", json={"outcome": "fine", "note": "Hörgerät leer"})
    assert closed.status_code == 200 and closed.json()["status"] == "resolved", closed.text
    assert cem.get(f"/api/v1/members/{ids['ayse']}/emergency-sheet").status_code == 403
    reads = ayse.get("/api/v1/members/me/emergency-sheet/reads").json()["items"]
    assert [(r["member_id"], r["display_name"], r["during_alert"]) for r in reads] == [
        (ids["cem"], CEM["display_name"], True)]
    for client in (bora, cem, organiser):
        assert ayse_alert in [a["id"] for a in client.get("/api/v1/alerts").json()["items"]]
    assert ayse_alert not in [a["id"] for a in dieter.get("/api/v1/alerts").json()["items"]]
    assert dieter.get(f"/api/v1/alerts/{ayse_alert}").status_code == 403
