"""The page behind the one-click link of the daily check-in email: no login, no password, the signed token in the
address is the proof (the care service checks it, and that it works once).

Opening the link only shows the one big button; pressing it checks in. Mail scanners and link previews open
every link in an email before the resident does: were the check-in made on opening, a scanner would check the
resident in at 08:00 while they lay on the floor after a fall, and the alert that should bring a neighbour to
the door would never be raised. So the GET changes nothing, and only the POST of the button acts. Opening or
pressing again is harmless ("Already done today, thank you"); a bad or expired link gets a page saying so.

The page speaks the language the reader chose on these pages, else the resident's own, else the browser's."""
from datetime import date
from zoneinfo import ZoneInfo

from flask import request

from gateway.web.common import LANGUAGE_COOKIE, asked_language, call, choose_language, page, page_blueprint, speaking
from services.common.clock import parse_iso
from services.common.i18n import LANGUAGES, format_day, page_language
from services.contracts.vocabulary import DEFAULT_TIMEZONE

bp = page_blueprint("web_checkin_link", __name__, "/check-in/link")

# The link's state -> the page's status: a link that is not ours (or cut off) is not found; one whose day is over
# is gone.
STATUS = {"ready": 200, "checked_in": 200, "done": 200, "expired": 410, "invalid": 404}


@bp.route("/<token>", methods=["GET"])
def show(token):
    """Shows the button. Changes nothing: see the module's docstring."""
    return answer(call("care", "check_in_link", token))


@bp.route("/<token>", methods=["POST"])
def press(token):
    """The button was pressed: check in (once; pressing again finds the day done)."""
    return answer(call("care", "redeem_check_in_link", token))


def answer(link: dict):
    language = link_language(link.get("preferred_language"))
    zone = ZoneInfo(link.get("timezone") or DEFAULT_TIMEZONE)
    with speaking(language):
        return page("web/checkin_link.html", STATUS.get(link["status"], 404), link=link,
                    day=format_day(date.fromisoformat(link["day"]), language) if link.get("day") else "",
                    at=parse_iso(link["at"]).astimezone(zone).strftime("%H:%M") if link.get("at") else "")


def link_language(residents: str | None) -> str:
    chosen = asked_language() or page_language(request.cookies.get(LANGUAGE_COOKIE))
    if chosen in LANGUAGES:
        return chosen
    own = page_language(residents)
    return own if own in LANGUAGES else choose_language()
