"""Signing in by emailed link with the members and notifications services in real Nameko containers on the real
RabbitMQ and a real SMTP server (aiosmtpd): the link arrives in the member's language and works once; an
unknown address is sent nothing; the token is left nowhere in either database."""
import json
import mailbox
import re
from email.header import decode_header, make_header

import pytest
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from services.common.errors import Gone, Unauthorized
from services.members.models import LoginLink
from services.members.service import MembersService
from services.notifications.models import Delivery, Notification
from services.notifications.service import NotificationsService
from tests.integration.test_notifications_service import smtp_server  # noqa: F401  (a fixture)
from tests.support.database import drop_databases

PASSWORD = "a long enough password"
PUBLIC_URL = "https://haus.example.org"
LINK = re.compile(re.escape(PUBLIC_URL) + r"/login/link/([A-Za-z0-9_-]+)")


@pytest.fixture
def notifications(container_factory, service_config, smtp_server):  # noqa: F811
    config = {**service_config, "DATABASE_NAME": f"{service_config['DATABASE_NAME']}_notifications",
              "SMTP_PORT": smtp_server[0], "PUBLIC_URL": PUBLIC_URL}
    container = container_factory(NotificationsService, config)
    container.start()  # first: its queue of login_link.requested exists before the members service publishes
    yield container
    drop_databases(service_config["MONGODB_URI"], config["DATABASE_NAME"])


@pytest.fixture
def members(container_factory, service_config, notifications):
    container = container_factory(MembersService, service_config)
    container.start()
    return container


@pytest.fixture
def call(members):
    def invoke(method, *args):
        with entrypoint_hook(members, method) as entrypoint:
            return entrypoint(*args)

    return invoke


@pytest.fixture
def ayse(call):
    organiser = call("create_community", "Haus Altona", "Europe/Berlin",
                     {"email": "orga@example.org", "password": PASSWORD, "display_name": "Orga"})["organiser"]
    actor = {"member_id": organiser["id"], "community_id": organiser["community_id"], "role": "organiser"}
    code = call("create_invitation", actor, {"email": "ayse@example.org", "role": "resident"})["code"]
    return call("register", {"invitation_code": code, "email": "ayse@example.org", "password": PASSWORD,
                             "display_name": "Ayşe", "preferred_language": "tr"})


def emails(maildir) -> list:
    return list(mailbox.Maildir(maildir))


def ask_and_wait_for_the_email(call, notifications, email: str) -> dict:
    with entrypoint_waiter(notifications, "login_link_requested"):
        return call("request_login_link", {"email": email}, "10.0.0.1")


def test_the_link_arrives_in_the_members_language_and_signs_in_once(call, notifications, ayse, smtp_server):
    answer = ask_and_wait_for_the_email(call, notifications, "ayse@example.org")
    assert answer == {"valid_for_seconds": 900}
    [message] = emails(smtp_server[1])
    assert message["To"] == "ayse@example.org"
    assert str(make_header(decode_header(message["Subject"]))) == "Giriş bağlantınız"
    body = message.get_payload(decode=True).decode()
    assert "Merhaba" in body and "Ayşe" in body
    token = LINK.search(body).group(1)

    signed_in = call("redeem_login_link", {"token": token}, "10.0.0.1")
    assert signed_in["actor"]["member_id"] == ayse["id"] and signed_in["member"]["email"] == "ayse@example.org"
    with pytest.raises(Gone):
        call("redeem_login_link", {"token": token}, "10.0.0.1")


def test_an_unknown_address_gets_the_same_answer_and_no_email(call, notifications, ayse, smtp_server):
    assert call("request_login_link", {"email": "nobody@example.org"}, "10.0.0.1") == {"valid_for_seconds": 900}
    # The member's request after it: once its email is sent, the unknown address's would have been too.
    ask_and_wait_for_the_email(call, notifications, "ayse@example.org")
    assert [message["To"] for message in emails(smtp_server[1])] == ["ayse@example.org"]
    assert LoginLink.objects.count() == 2  # both requests stored and counted alike


def test_the_token_is_kept_in_neither_database_once_sent(call, notifications, ayse, smtp_server):
    ask_and_wait_for_the_email(call, notifications, "ayse@example.org")
    token = LINK.search(emails(smtp_server[1])[0].get_payload(decode=True).decode()).group(1)
    [link] = LoginLink.objects
    assert link.outbox == [] and token not in json.dumps(link.to_mongo().to_dict(), default=str)
    [delivery] = Delivery.objects
    assert delivery.status == "sent" and delivery.member_id == ayse["id"]
    assert token not in json.dumps(delivery.to_mongo().to_dict(), default=str)
    assert Notification.objects(kind__ne="welcome").count() == 0  # nothing in the inbox


def test_a_made_up_token_is_refused(call, ayse):
    with pytest.raises(Unauthorized):
        call("redeem_login_link", {"token": "made-up"}, "10.0.0.1")
