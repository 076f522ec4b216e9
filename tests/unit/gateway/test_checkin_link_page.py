"""The page behind the daily email's one-click link, with the care service stood in for: opening it only looks
(a mail scanner opening it must not check anyone in), pressing the button checks in, the resident's language
unless the reader chose another, and a clear page for a link that is done, expired or not ours."""
import re

import pytest

from gateway.app import create_app

TOKEN = "eyJsIjoiYXlzZToyMDI2LTEyLTAxIn0.sig"
AYSE = {"day": "2026-12-01", "display_name": "Ayşe", "preferred_language": "tr", "timezone": "Europe/Berlin"}


class Care:
    """Answers the care service's two link RPCs with what the test says, and remembers what was asked."""

    def __init__(self, **answers):
        self.answers = answers
        self.calls = []

    def call(self, service, method, *args, **kwargs):
        assert service == "care"
        self.calls.append((method, args))
        return self.answers[method]


def client_with(care: Care, language: str | None = None):
    app = create_app({"TESTING": True})
    app.extensions["rpc"] = care
    client = app.test_client()
    if language:
        client.set_cookie("lang", language)
    return client


def press(client, care: Care):
    """Open the page (for the form's CSRF token, as a browser does), then press the button."""
    care.answers.setdefault("check_in_link", ready())
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(f"/check-in/link/{TOKEN}").get_data(
        as_text=True)).group(1)
    care.calls.clear()
    return client.post(f"/check-in/link/{TOKEN}", data={"csrf_token": token})


def ready(**extra):
    return {"status": "ready", "at": None, **AYSE, **extra}


def test_opening_the_link_only_looks_and_shows_the_button_in_the_resident_s_language():
    care = Care(check_in_link=ready())
    page = client_with(care).get(f"/check-in/link/{TOKEN}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'lang="tr"' in text and "Günaydın Ayşe" in text and "İyiyim" in text and 'method="post"' in text
    assert care.calls == [("check_in_link", (TOKEN,))]  # never redeem_check_in_link on opening


def test_pressing_the_button_checks_in_and_says_when_on_the_community_s_clock():
    care = Care(redeem_check_in_link={**ready(), "status": "checked_in", "at": "2026-12-01T08:12:00Z"})
    page = press(client_with(care, "de"), care)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'lang="de"' in text
    assert "Sie haben sich heute um 09:12 Uhr gemeldet." in text
    assert care.calls == [("redeem_check_in_link", (TOKEN,))]


def test_again_is_harmless_and_says_so():
    care = Care(redeem_check_in_link={**ready(), "status": "done", "at": "2026-12-01T08:12:00Z"},
                check_in_link={**ready(), "status": "done", "at": "2026-12-01T08:12:00Z"})
    client = client_with(care, "en")
    for answer in (press(client, care), client.get(f"/check-in/link/{TOKEN}")):
        text = answer.get_data(as_text=True)
        assert answer.status_code == 200 and "Already done today, thank you" in text and "09:12" in text
        assert 'method="post" action="/check-in' not in text


@pytest.mark.parametrize("status, code, words", [("expired", 410, "Bu bağlantının süresi doldu"),
                                                 ("invalid", 404, "Bu bağlantı çalışmıyor")])
def test_an_expired_or_foreign_link_gets_a_clear_page_and_no_button(status, code, words):
    care = Care(check_in_link={"status": status, "day": None, "display_name": None, "preferred_language": None,
                               "timezone": None, "at": None})
    page = client_with(care, "tr").get(f"/check-in/link/{TOKEN}")
    text = page.get_data(as_text=True)
    assert page.status_code == code and words in text and "İyiyim" not in text


def test_arabic_runs_right_to_left():
    care = Care(check_in_link=ready(preferred_language="ar"))
    text = client_with(care).get(f"/check-in/link/{TOKEN}").get_data(as_text=True)
    assert 'lang="ar" dir="rtl"' in text and "أنا بخير" in text


def test_the_form_needs_its_csrf_token():
    care = Care(redeem_check_in_link=ready())
    page = client_with(care).post(f"/check-in/link/{TOKEN}")
    assert page.status_code == 400 and care.calls == []
