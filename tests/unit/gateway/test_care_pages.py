"""The pages of "Safe at home" without a broker: what the start page shows for each state of the day (the button,
"done at 09:12" in Berlin time, away, off), what the forms send to the care service and what they refuse
before sending anything, the timeline in words, a refused reader, and the printable sheet in its language."""
import html
import re

import pytest

from gateway.app import create_app
from gateway.web.care import timeline_line
from services.common.errors import Forbidden, Invalid

ACTOR = {"member_id": "ayse", "community_id": "c", "role": "resident", "display_name": "Ayşe",
         "timezone": "Europe/Berlin", "preferred_language": "de", "household": "2.1", "tokens_valid_after": None}


def settings(status="due", done_at=None, away=None, enabled=True):
    return {"enabled": enabled, "daily_by": "10:00", "grace_minutes": 60, "escalation_minutes": 30,
            "buddies": [{"member_id": "bora", "display_name": "Bora", "accepted": False, "status": "asked"},
                        {"member_id": "cem", "display_name": "Cem", "accepted": True, "status": "accepted"}],
            "today": {"day": "2026-12-01", "status": status, "done_at": done_at}, "away": away}


ALERT = {"id": "bora:2026-12-01", "member_id": "bora", "display_name": "Bora", "phone": "+49 40 123 456",
         "household": "Wohnung 3.2", "status": "open", "day": "2026-12-01", "deadline": "2026-12-01T10:00:00Z",
         "raised_at": "2026-12-01T10:00:05Z", "acknowledged_by": None, "acknowledged_at": None, "resolved_by": None,
         "resolved_at": None, "outcome": None, "note": None,
         "timeline": [{"at": "2026-12-01T10:00:05Z", "step": "raised", "who": None, "display_name": None},
                      {"at": "2026-12-01T10:00:05Z", "step": "notified", "who": "ayse", "display_name": "Ayşe"}],
         "actions": ["acknowledge", "resolve"]}
SHEET = {"member_id": "ayse", "contacts": [{"name": "Deniz", "phone": "0171 555", "relation": "Sohn"}],
         "doctor": {"name": "Dr. Hansen", "phone": "040 999"}, "medication_location": "Küche, Schublade links",
         "allergies": "Penicillin", "key_holder": "Bora, 3.2", "notes": None, "readers": ["bora"],
         "updated_at": "2026-11-30T12:00:00Z"}


class KnownActors:
    def actor(self, member_id, fetch):
        return ACTOR


class Services:
    """Stands in for the RPC client: records each call and answers like the services would."""

    def __init__(self):
        self.calls = []
        self.answers = {
            ("notifications", "inbox"): {"items": [], "next": None},
            ("care", "get_settings"): settings(),
            ("care", "buddy_requests"): {"items": [], "next": None},
            ("care", "list_alerts"): {"items": [], "next": None},
            ("care", "get_alert"): ALERT,
            ("care", "get_own_sheet"): SHEET,
            ("care", "sheet_reads"): {"items": [{"at": "2026-12-01T10:30:00Z", "member_id": "bora",
                                                 "display_name": "Bora", "during_alert": True}], "next": None},
            ("members", "directory"): {"items": [
                {"id": "ayse", "display_name": "Ayşe", "household": "2.1"},
                {"id": "bora", "display_name": "Bora", "household": "3.2"},
                {"id": "cem", "display_name": "Cem", "household": None}], "next": None},
            ("members", "get_profile"): {"display_name": "Ayşe", "household": "2.1", "phone": "040 111"},
        }

    def call(self, service, method, *args, **kwargs):
        self.calls.append((service, method, args, kwargs))
        answer = self.answers.get((service, method))
        if isinstance(answer, Exception):
            raise answer
        return answer

    def sent(self, method):
        return [call for call in self.calls if call[1] == method]


@pytest.fixture
def services():
    return Services()


@pytest.fixture
def app(services):
    app = create_app({"TESTING": True})
    app.extensions["actors"] = KnownActors()
    app.extensions["rpc"] = services
    return app


def logged_in(app, language="de"):
    with app.test_request_context():
        from gateway.auth import issue_token

        token, _ = issue_token("ayse", "c")
    client = app.test_client()
    with client.session_transaction() as session:
        session["token"] = token
    client.set_cookie("lang", language)
    return PageClient(client)


@pytest.fixture
def client(app):
    return logged_in(app)


class PageClient:
    """A logged-in browser of the tests: reads the CSRF token off a page before it posts a form, as a browser
    sends the one its page holds."""

    def __init__(self, client):
        self.client = client

    def get(self, path):
        return self.client.get(path)

    def post(self, path, data=None):
        token = re.search(r'name="csrf_token" value="([^"]+)"', self.client.get("/").get_data(as_text=True)).group(1)
        return self.client.post(path, data={**(data or {}), "csrf_token": token})


def text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


# -- the start page ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("status", ["due", "missed"])
def test_the_start_page_shows_the_big_button_while_the_day_is_due_or_missed(client, services, status):
    services.answers[("care", "get_settings")] = settings(status)
    page = text(client.get("/"))
    assert 'action="/check-in"' in page and "Mir geht es gut" in page


def test_after_checking_in_the_start_page_says_when_in_berlin_time(client, services):
    services.answers[("care", "get_settings")] = settings("done", done_at="2026-12-01T08:12:00Z")
    page = text(client.get("/"))
    assert "Heute erledigt um 09:12" in page
    assert 'action="/check-in"' not in page


def test_away_and_off_are_said_plainly_without_a_button(client, services):
    services.answers[("care", "get_settings")] = settings("away", away={"from": "2026-12-24", "until": "2026-12-27"})
    away = text(client.get("/"))
    assert "Sie sind bis Sonntag, 27. Dezember verreist" in away and 'action="/check-in"' not in away
    services.answers[("care", "get_settings")] = settings("off", enabled=False)
    off = text(client.get("/"))
    assert "ausgeschaltet" in off and 'action="/check-in"' not in off


def test_the_button_in_arabic_reads_right_to_left(app, services):
    page = text(logged_in(app, "ar").get("/"))
    assert '<html lang="ar" dir="rtl">' in page and "أنا بخير" in page


def test_an_open_alert_about_a_neighbour_is_on_the_start_page(client, services):
    services.answers[("care", "list_alerts")] = {"items": [ALERT], "next": None}
    page = text(client.get("/"))
    assert 'role="alert"' in page and "/alerts/bora:2026-12-01" in page


def test_pressing_the_button_checks_in_once_per_shown_form(client, services):
    key = "a" * 32
    answer = client.post("/check-in", data={"form_key": key})
    assert answer.status_code == 303 and answer.headers["Location"] == "/"
    client.post("/check-in", data={"form_key": "'; drop"})
    assert [call[3] for call in services.sent("check_in")] == [{"idempotency_key": key}, {"idempotency_key": None}]


# -- the settings ---------------------------------------------------------------------------------------------------
GOOD = {"enabled": "yes", "daily_by": "09:30", "grace_minutes": "0", "escalation_minutes": "15", "buddy_1": "bora",
        "buddy_2": "", "buddy_3": "cem"}


def test_the_settings_form_sends_the_buddies_in_order(client, services):
    assert client.post("/check-in/settings", data=GOOD).status_code == 303
    assert services.sent("set_settings")[0][2][1] == {"enabled": True, "daily_by": "09:30", "grace_minutes": 0,
                                                      "escalation_minutes": 15, "buddies": ["bora", "cem"]}


@pytest.mark.parametrize("change, field", [
    ({"daily_by": "25:00"}, "daily_by"), ({"daily_by": ""}, "daily_by"), ({"grace_minutes": "241"}, "grace_minutes"),
    ({"grace_minutes": "-1"}, "grace_minutes"), ({"escalation_minutes": "0"}, "escalation_minutes"),
    ({"escalation_minutes": "1.5"}, "escalation_minutes"), ({"buddy_1": "", "buddy_3": ""}, "buddy_1"),
    ({"buddy_3": "bora"}, "buddy_3"),
])
def test_a_wrong_setting_is_shown_at_its_field_and_nothing_is_sent(client, services, change, field):
    answer = client.post("/check-in/settings", data=GOOD | change)
    assert answer.status_code == 422
    assert f'id="{field}-error"' in text(answer) and f'href="#{field}"' in text(answer)
    assert services.sent("set_settings") == []


def test_the_settings_page_shows_each_buddys_answer(client):
    page = text(client.get("/check-in/settings"))
    assert "Bora</strong>: gefragt, noch keine Antwort" in page and "Cem</strong>: hat zugesagt" in page
    assert '<option value="ayse"' not in page, "nobody is their own buddy"


@pytest.mark.parametrize("form, field", [({"from": "2026-12-05", "until": "2026-12-04"}, "until"),
                                         ({"from": "x", "until": "2999-01-01"}, "from"),
                                         ({"from": "2020-01-01", "until": "2020-01-02"}, "until")])
def test_wrong_away_days_are_refused_before_sending(client, services, form, field):
    answer = client.post("/check-in/away", data=form)
    assert answer.status_code == 422 and f'id="{field}-error"' in text(answer)
    assert services.sent("set_away") == []


# -- alerts ---------------------------------------------------------------------------------------------------------
def test_an_alert_page_names_the_flat_and_calls_the_phone(client):
    page = text(client.get("/alerts/bora:2026-12-01"))
    assert 'href="tel:+4940123456"' in page and "Wohnung 3.2" in page
    assert "Ich kümmere mich" in page and "Ayşe wurde benachrichtigt" in page


def test_resolving_needs_an_outcome(client, services):
    refused = client.post("/alerts/bora:2026-12-01/resolve", data={"outcome": "all good"})
    assert refused.status_code == 422 and 'id="outcome-error"' in text(refused)
    assert services.sent("resolve_alert") == []
    client.post("/alerts/bora:2026-12-01/resolve", data={"outcome": "fine", "note": "Schlief nur."})
    assert services.sent("resolve_alert")[0][2][1:] == ("bora:2026-12-01", {"outcome": "fine", "note": "Schlief nur."})


def test_a_refused_acknowledgement_is_a_page_that_says_so(client, services):
    services.answers[("care", "acknowledge_alert")] = Forbidden("Only someone who was told about this alert.")
    answer = client.post("/alerts/bora:2026-12-01/acknowledge")
    assert answer.status_code == 403 and "Nicht für Sie" in text(answer)


@pytest.mark.parametrize("entry, words", [
    ({"step": "raised"}, "The check-in was missed: the alert began."),
    ({"step": "notified", "who": "b", "display_name": "Bora"}, "Bora was told."),
    ({"step": "acknowledged", "who": "b", "display_name": "Bora"}, "Bora is looking after it."),
    ({"step": "resolved", "who": "b", "display_name": "Bora", "outcome": "needed_help"},
     "Bora ended it: Needed help from neighbours."),
    ({"step": "resolved", "who": "system", "outcome": "checked_in"}, "Ended: Checked in late: all is well."),
])
def test_each_step_of_the_timeline_says_who_did_what(app, entry, words):
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        assert timeline_line(entry) == words


# -- the emergency sheet ----------------------------------------------------------------------------------------------
def test_the_sheet_form_sends_what_was_filled_in(client, services):
    answer = client.post("/emergency-sheet", data={
        "contact_name_1": "Deniz", "contact_phone_1": "0171 555", "contact_relation_1": "Sohn",
        "contact_name_2": "", "contact_phone_2": "", "contact_name_3": "Eda", "contact_phone_3": "040 1",
        "doctor_name": "Dr. Hansen", "doctor_phone": "", "medication_location": "Küche", "allergies": "",
        "key_holder": "Bora", "notes": "", "readers": ["bora", "cem"]})
    assert answer.status_code == 303
    assert services.sent("set_sheet")[0][2][1] == {
        "contacts": [{"name": "Deniz", "phone": "0171 555", "relation": "Sohn"},
                     {"name": "Eda", "phone": "040 1", "relation": ""}],
        "doctor": {"name": "Dr. Hansen", "phone": None}, "medication_location": "Küche", "allergies": None,
        "key_holder": "Bora", "notes": None, "readers": ["bora", "cem"]}


def test_a_contact_without_a_phone_is_refused_at_its_field(client, services):
    answer = client.post("/emergency-sheet", data={"contact_name_2": "Eda"})
    assert answer.status_code == 422 and 'id="contact_phone_2-error"' in text(answer)
    assert services.sent("set_sheet") == []


def test_a_phone_the_service_refuses_is_shown_at_that_contacts_field(client, services):
    services.answers[("care", "set_sheet")] = Invalid("Invalid input.", errors={"contacts": {"0": {"phone": ["no"]}}})
    answer = client.post("/emergency-sheet", data={"contact_name_3": "Eda", "contact_phone_3": "call me"})
    assert answer.status_code == 422 and 'id="contact_phone_3-error"' in text(answer)
    assert 'value="call me"' in text(answer), "what was typed is kept"


def test_the_sheet_page_lists_who_read_it_and_when(client):
    page = text(client.get("/emergency-sheet"))
    assert "Bora" in page and "Während eines Alarms" in page and "11:30" in page


def test_a_reader_who_may_not_read_is_told_so_plainly(client, services):
    services.answers[("care", "read_sheet")] = Forbidden("Only the readers this neighbour named.")
    answer = client.get("/members/bora/emergency-sheet")
    assert answer.status_code == 403 and "Sie dürfen dieses Blatt nicht lesen" in text(answer)


def test_an_allowed_reader_sees_the_sheet(client, services):
    services.answers[("care", "read_sheet")] = dict(SHEET, member_id="bora")
    page = text(client.get("/members/bora/emergency-sheet"))
    assert "Notfallblatt von Bora" in page and "Penicillin" in page and 'href="tel:0171555"' in page


@pytest.mark.parametrize("language, words", [("de", "Notfallblatt"), ("ar", "ورقة الطوارئ")])
def test_the_printable_sheet_is_large_print_in_the_readers_language(app, language, words):
    answer = logged_in(app, language).get("/emergency-sheet/print")
    page = text(answer)
    assert answer.mimetype == "text/html" and words in page and "Penicillin" in page
    assert "@media print" in page and "<nav" not in page


def test_the_printable_sheet_of_the_api_is_the_same_page(app):
    with app.test_request_context():
        from gateway.auth import issue_token

        token, _ = issue_token("ayse", "c")
    answer = app.test_client().get("/api/v1/members/me/emergency-sheet.html",
                                   headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.mimetype == "text/html"
    assert "Notfallblatt" in text(answer) and "Dr. Hansen" in text(answer)
