"""Text messages end to end, through Apprise to a local HTTP receiver (Apprise's `json://` target): a resident who
chose texts and reads Turkish gets an urgent notice as Turkish text at her number, exactly once; while the provider
refuses, a text is tried again, then recorded failed, and its reader is on the notice's call list with the reason."""
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from tests.support.processes import Platform, eventually

TEXTS = {"channels": {"in_app": True, "email": False, "sms": True}}


class Receiver:
    """The SMS provider: records every message it is sent; answers 503 while `refusing`."""

    def __init__(self):
        self.received: list[dict] = []
        self.refused: list[dict] = []
        self.refusing = False
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                (receiver.refused if receiver.refusing else receiver.received).append(body)
                self.send_response(503 if receiver.refusing else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.server.server_port}/sms?:to={{phone}}"


@pytest.fixture(scope="module")
def receiver():
    running = Receiver()
    yield running
    running.server.shutdown()


@pytest.fixture(scope="module")
def platform(request, receiver, database_uri):
    log_dir = request.config.rootpath / "test-artifacts" / "logs" / "test_text_messages"
    log_dir.mkdir(parents=True, exist_ok=True)
    running = Platform(log_dir, database_uri, SMS_URL=receiver.url, EMAIL_RETRY_DELAYS_SECONDS="1,1").start()
    yield running
    running.stop()


def resident_with_texts(platform, organiser, email, name, phone, language):
    client, profile = platform.join(organiser, email, display_name=name, phone=phone, preferred_language=language)
    chosen = eventually(lambda: client.put("/api/v1/members/me/preferences", json=TEXTS).status_code == 200,
                        seconds=30)  # once the notifications service has heard of her phone
    assert chosen, client.put("/api/v1/members/me/preferences", json=TEXTS).text
    return client, profile


def test_a_member_without_a_phone_cannot_choose_texts(platform):
    client, _ = platform.join(platform.organiser(), "nophone@example.org")
    refused = client.put("/api/v1/members/me/preferences", json=TEXTS)
    assert refused.status_code == 422 and refused.json()["errors"] == {"channels.sms": [
        "No phone number in your profile."]}


def test_an_implausible_phone_number_is_refused(platform):
    invitation = platform.organiser().post("/api/v1/invitations", json={"email": "x@example.org", "role": "resident"})
    refused = platform.client().post("/api/v1/members", json={
        "invitation_code": invitation.json()["code"], "email": "x@example.org", "password": "ein langes Passwort",
        "display_name": "X", "preferred_language": "de", "phone": "0171 555"})
    assert refused.status_code == 422 and "phone" in refused.json()["errors"]


def test_an_urgent_notice_reaches_her_phone_once_in_turkish(platform, receiver):
    organiser = platform.organiser()
    ayse, _ = resident_with_texts(platform, organiser, "ayse.sms@example.org", "Ayşe", "0171 2345678", "tr")
    published = organiser.post("/api/v1/notices", json={
        "title": "Wasserabstellung", "body": "Heute ab 10 Uhr kein Wasser.", "audience": "all", "urgent": True,
        "translations": {"tr": {"title": "Su kesintisi", "body": "Bugün saat 10'dan itibaren su yok."}}})
    assert published.status_code == 201, published.text

    def sent():
        deliveries = ayse.get("/api/v1/members/me/export").json()["services"]["notifications"]["deliveries"]
        return [d for d in deliveries if d["channel"] == "sms" and d["status"] == "sent"]
    assert eventually(sent, seconds=30), "the text was never sent"
    assert sent()[0]["attempts"] == 1
    texts = [m for m in receiver.received if m["to"] == "+491712345678"]
    assert [m["message"] for m in texts] == ["Su kesintisi: Bugün saat 10'dan itibaren su yok."]


def test_a_text_the_provider_refuses_is_tried_again_then_failed_and_she_is_on_the_call_list(platform, receiver):
    organiser = platform.organiser()
    _, bora = resident_with_texts(platform, organiser, "bora.sms@example.org", "Bora", "+49 40 31415926", "de")
    receiver.refusing = True
    published = organiser.post("/api/v1/notices", json={"title": "Heizung", "body": "Heute keine Heizung.",
                                                        "audience": "all", "urgent": True})
    assert published.status_code == 201, published.text

    def on_the_call_list():
        unread = organiser.get(f"/api/v1/notices/{published.json()['id']}/receipts").json()["unread"]
        return [person for person in unread if person["member_id"] == bora["id"] and person["text_failed"]]
    assert eventually(on_the_call_list, seconds=30), "the failed text never reached the call list"
    assert on_the_call_list()[0]["phone"] == "+49 40 31415926"
    assert len([m for m in receiver.refused if m["to"] == "+494031415926"]) == 3  # the first try and two more
    receiver.refusing = False
