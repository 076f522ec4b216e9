"""Signing in by emailed link through HTTP, the whole platform running with a real SMTP server (aiosmtpd): asked
for, emailed in the member's language, used once (API and web page), refused once its time is up, and an
unknown address answered the same and sent nothing.

The links of this platform live LIFETIME seconds instead of 15 minutes (LOGIN_LINK_LIFETIME_SECONDS), so that
the expiry is seen without a settable clock in the running services."""
import mailbox
import re
import socket
import subprocess
import sys
import time

import pytest
import requests

from tests.e2e.conftest import ARTIFACTS
from tests.support.processes import MEMBER_PASSWORD, Platform, eventually

LIFETIME = 10


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def maildir(tmp_path_factory):
    """A real SMTP server (aiosmtpd) in its own process, storing what it receives in a Maildir."""
    port, directory = free_port(), tmp_path_factory.mktemp("mail") / "maildir"
    server = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                               "-c", "aiosmtpd.handlers.Mailbox", str(directory)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert eventually(lambda: _listening(port), seconds=15), "the SMTP server did not start"
    yield port, directory
    server.terminate()
    server.wait(timeout=10)


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def platform(request, database_uri, maildir):
    log_dir = ARTIFACTS / "logs" / "test_login_link_api"
    log_dir.mkdir(parents=True, exist_ok=True)
    running = Platform(log_dir, database_uri, SMTP_PORT=str(maildir[0]),
                       LOGIN_LINK_LIFETIME_SECONDS=str(LIFETIME))
    running.env["PUBLIC_URL"] = running.url  # the emailed links lead to this platform's pages
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def members(platform):
    organiser = platform.organiser()
    platform.join(organiser, "irina@example.org", display_name="Irina", preferred_language="ru")
    platform.join(organiser, "hans@example.org", display_name="Hans", preferred_language="de")
    return organiser


def mails_to(maildir, address: str) -> dict:
    """The emails to `address` so far, by their key in the Maildir (which keeps no order)."""
    box = mailbox.Maildir(maildir[1])
    return {key: message for key, message in box.items() if message["To"] == address}


def body_of(message) -> str:
    return message.get_payload(decode=True).decode()


def ask_for_a_link(platform, maildir, address: str) -> tuple[requests.Response, str, str]:
    """Ask for a link by HTTP, then wait for its email (another process sends it): the answer, the email's body
    and the link."""
    before = set(mails_to(maildir, address))
    answer = platform.client().post("/api/v1/auth/login-link", json={"email": address})
    new = eventually(lambda: set(mails_to(maildir, address)) - before, seconds=30)
    assert len(new) == 1, f"{len(new)} emails arrived"
    body = body_of(mails_to(maildir, address)[new.pop()])
    return answer, body, re.search(re.escape(platform.url) + r"/login/link/\S+", body).group(0)


def token_of(link: str) -> str:
    return link.rsplit("/", 1)[1]


def test_a_link_arrives_in_the_members_language_and_logs_in_once(platform, members, maildir):
    answer, body, link = ask_for_a_link(platform, maildir, "irina@example.org")
    assert answer.status_code == 202
    assert "Здравствуйте, Irina!" in body and "Ссылка действует один раз" in body

    anonymous = platform.client()
    signed_in = anonymous.post("/api/v1/auth/login-link/redeem", json={"token": token_of(link)})
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["member"]["email"] == "irina@example.org"
    me = platform.client(signed_in.json()["token"]).get("/api/v1/members/me")
    assert me.status_code == 200 and me.json()["display_name"] == "Irina"

    again = anonymous.post("/api/v1/auth/login-link/redeem", json={"token": token_of(link)})
    assert again.status_code == 410 and again.headers["Content-Type"] == "application/problem+json"
    assert "already been used" in again.json()["detail"]


def test_a_link_no_longer_works_once_its_time_is_up(platform, members, maildir):
    asked_at = time.monotonic()
    _answer, _body, link = ask_for_a_link(platform, maildir, "hans@example.org")
    time.sleep(max(0.0, asked_at + LIFETIME + 1 - time.monotonic()))  # the link's lifetime passes: a deadline
    late = platform.client().post("/api/v1/auth/login-link/redeem", json={"token": token_of(link)})
    assert late.status_code == 410 and "expired" in late.json()["detail"]


def test_an_unknown_address_is_answered_the_same_and_sent_nothing(platform, members, maildir):
    unknown = platform.client().post("/api/v1/auth/login-link", json={"email": "nobody@example.org"})
    # The member asks after the unknown address: once their email is here, the other one would be too.
    known, _body, _link = ask_for_a_link(platform, maildir, "hans@example.org")
    assert (unknown.status_code, unknown.json()) == (known.status_code, known.json())
    assert unknown.json()["valid_for_seconds"] == LIFETIME
    assert mails_to(maildir, "nobody@example.org") == {}


def test_the_emailed_link_opens_a_page_that_logs_in_only_when_its_button_is_pressed(platform, members, maildir):
    _answer, _body, link = ask_for_a_link(platform, maildir, "irina@example.org")
    browser = requests.Session()
    browser.cookies.set("lang", "ru")
    opened = browser.get(link, allow_redirects=False, timeout=10)  # as a mail scanner would, too
    assert opened.status_code == 200 and opened.headers["Referrer-Policy"] == "no-referrer"
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', opened.text).group(1)
    pressed = browser.post(link, data={"csrf_token": csrf}, allow_redirects=False, timeout=10)
    assert pressed.status_code == 303 and pressed.headers["Location"] == "/"  # opening it had not used it up
    home = browser.get(f"{platform.url}/", allow_redirects=False, timeout=10)
    assert home.status_code == 200 and "Irina" in home.text

    again = requests.Session()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', again.get(link, timeout=10).text).group(1)
    refused = again.post(link, data={"csrf_token": csrf}, allow_redirects=False, timeout=10)
    assert refused.status_code == 410
    assert again.get(f"{platform.url}/", allow_redirects=False, timeout=10).status_code == 303  # not logged in


def test_the_password_still_works_beside_the_links(platform, members):
    assert platform.login("hans@example.org", MEMBER_PASSWORD).get("/api/v1/members/me").status_code == 200
