"""Text messages (SMS) for members who have no email and no smartphone, only a mobile phone.

Sent through the operator's SMS provider with Apprise: `SMS_URL` is an Apprise URL in which `{phone}` stands for
the recipient's number in E.164, URL-encoded (`json://127.0.0.1:9000/sms?:to={phone}` for a local receiver). No
provider's protocol is written here. Without `SMS_URL` the platform offers no text messages.

A text is at most two segments: 306 characters of the GSM 7-bit alphabet, or 134 when it needs UCS-2 (Turkish ş,
Arabic, Cyrillic and most accents outside the GSM alphabet). A longer one is cut at a word and ends with a pointer to
the inbox, in the reader's language.
"""
from urllib.parse import quote

import apprise
import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)
from nameko.extensions import DependencyProvider

from services.contracts.phones import e164

GSM_LIMIT, UCS2_LIMIT = 2 * 153, 2 * 67  # two concatenated segments
ELLIPSIS = "..."  # in the GSM alphabet, unlike "…" (which would make every cut text UCS-2)


def size_and_limit(text: str) -> tuple[int, int]:
    """How long `text` is as a text message, and how long it may be: septets of the GSM alphabet (an escaped
    character such as € counts two), else UTF-16 code units."""
    try:
        return len(text.encode("gsm03.38")), GSM_LIMIT
    except UnicodeEncodeError:
        return len(text.encode("utf-16-le")) // 2, UCS2_LIMIT


def fits(text: str) -> bool:
    size, limit = size_and_limit(text)
    return size <= limit


def short_text(title: str, body: str, more: str) -> str:
    """One line of title and body; cut at a word, with `more` (a pointer to the inbox) where it is too long."""
    text = " ".join(f"{title}: {body}".split())
    if fits(text):
        return text
    words = text.split(" ")
    while words:
        words.pop()
        shortened = f"{' '.join(words)}{ELLIPSIS} {more}"
        if fits(shortened):
            return shortened
    return more


class TextSender:
    def __init__(self, url_template: str):
        self.url_template = url_template

    def send(self, phone: str, text: str) -> None:
        """Hand the text to the provider; raises with the reason when it cannot be sent."""
        url = self.url_template.replace("{phone}", quote(e164(phone), safe=""))
        notifier = apprise.Apprise()
        if not notifier.add(url):
            raise ValueError("SMS_URL is not a URL Apprise knows")
        with apprise.LogCapture(level=apprise.logging.WARNING, fmt="%(message)s") as log:
            sent = notifier.notify(body=text, title="")
        if not sent:
            reason = " ".join(log.getvalue().split())[:300] or "the SMS provider did not take the message"
            raise RuntimeError(reason)


class TextMessages(DependencyProvider):
    """The sender of text messages, or None where the operator has not set `SMS_URL`."""

    def setup(self):
        url = (self.container.config.get("SMS_URL") or "").strip()
        self.sender = TextSender(url) if url else None

    def get_dependency(self, worker_ctx):
        return self.sender
