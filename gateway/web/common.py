"""What every page shares: who is logged in (from the session), the reader's language and the community's time
zone, the page decorators, form errors, and the error pages in plain words."""
from __future__ import annotations

import contextlib
import functools
import re
from datetime import date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import Domain, force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as L_
from flask_wtf.csrf import CSRFProtect

from gateway.auth import actor_from_token
from gateway.delegation import effective_actor
from gateway.rpc import ServiceUnavailable
from services.common.clock import isoformat_z, parse_iso
from services.common.errors import Forbidden, ServiceError, Unauthorized
from services.common.i18n import (
    FALLBACK_LANGUAGE, LANGUAGES, MessageCatalogs, babel_locale, format_day, format_span, format_when, page_language,
    text_direction,
)
from services.contracts.vocabulary import DEFAULT_TIMEZONE, HELP_CATEGORIES as CATEGORIES

csrf = CSRFProtect()
TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"
LANGUAGE_COOKIE = "lang"
LANGUAGE_NAMES = {"de": "Deutsch", "de-x-ls": "Leichte Sprache", "en": "English", "tr": "Türkçe", "ar": "العربية",
                  "ru": "Русский"}
ONE_YEAR = 365 * 24 * 3600
CATEGORY_LABELS = {
    "shopping": L_("Shopping"), "accompany": L_("Going along to appointments"), "tech": L_("Phone and computer"),
    "translation": L_("Translating"), "household": L_("Help in the home"), "garden": L_("Garden and plants"),
    "transport": L_("Rides and transport"), "other": L_("Other help"),
}
ERRORS = {
    400: (L_("Something went wrong"), L_("This did not work. Please go back and try again.")),
    "csrf": (L_("Please try again"), L_("The page was open for too long or came from somewhere else. "
                                        "Please go back, reload the page and send it again.")),
    403: (L_("Only for organisers"), L_("Only organisers can open this page.")),
    "not_yours": (L_("Not for you"), L_("Only the neighbour this is about, or those it was sent to, can do this.")),
    404: (L_("Not found"), L_("This page does not exist, or it is no longer there.")),
    409: (L_("That did not work"), L_("Someone else changed this in the meantime. Please look again.")),
    410: (L_("No longer available"), L_("This is no longer available.")),
    422: (L_("That did not work"), L_("This is not possible. Please go back and check what you entered.")),
    429: (L_("Please wait a moment"), L_("There were too many attempts. Please wait a few minutes and try again.")),
    503: (L_("Please try again in a moment"), L_("Something on our side is not answering right now. "
                                                 "Please try again in a minute.")),
}


# -- languages -------------------------------------------------------------------------------------------
class CatalogDomain(Domain):
    """Flask-Babel's domain, reading our .po catalogs compiled in memory (German as the fallback)."""

    def __init__(self, catalogs: MessageCatalogs):
        super().__init__()
        self.catalogs = catalogs

    def get_translations(self):
        return self.catalogs.translations(language())


def catalog_domain() -> CatalogDomain:
    return CatalogDomain(MessageCatalogs(TRANSLATIONS_DIR))


def asked_language() -> str | None:
    """The page language named in the address (`?lang=de-x-ls` on any page), if it is one of ours."""
    chosen = page_language(request.args.get("lang")) if g.get("web_page") else ""
    return chosen if chosen in LANGUAGES else None


def choose_language() -> str:
    """The language named in the address, else the one the reader chose on these pages, else their profile's,
    else their browser's, else German. A page language code: "de-x-ls" for Leichte Sprache."""
    chosen = asked_language() or page_language(request.cookies.get(LANGUAGE_COOKIE))
    if chosen in LANGUAGES:
        return chosen
    actor = g.get("actor")
    if actor and actor.get("preferred_language") in LANGUAGES:
        return actor["preferred_language"]
    return request.accept_languages.best_match(LANGUAGES) or FALLBACK_LANGUAGE


def choose_locale() -> str:
    """Flask-Babel's locale: the page language as a locale Babel knows (German for Leichte Sprache)."""
    return babel_locale(language())


def language() -> str:
    """The page language of this request ("de-x-ls" for Leichte Sprache), chosen once."""
    if "page_language" not in g:
        g.page_language = choose_language()
    return g.page_language


@contextlib.contextmanager
def speaking(code: str):
    """Renders in `code` for a while (a page whose language is the resident's rather than the reader's)."""
    before = g.get("page_language")
    g.page_language = code
    try:
        with force_locale(babel_locale(code)):
            yield
    finally:
        if before is None:
            g.pop("page_language", None)
        else:
            g.page_language = before


def remember_language(response, code: str):
    """The language switch's cookie: the chosen page language for a year, also before logging in."""
    response.set_cookie(LANGUAGE_COOKIE, code, max_age=ONE_YEAR, httponly=True, samesite="Lax",
                        secure=request.is_secure)
    return response


def community_zone() -> ZoneInfo:
    actor = g.get("actor") or {}
    return ZoneInfo(actor.get("timezone") or DEFAULT_TIMEZONE)


def when(moment: str | datetime | None) -> str:
    """A moment spelled out in the reader's language and the community's time zone."""
    if not moment:
        return ""
    moment = parse_iso(moment) if isinstance(moment, str) else moment
    return format_when(moment, language(), community_zone())


def deadline(moment: str | None) -> str:
    """Like `when`, but a deadline at midnight reads as the whole day before it ("by Saturday", not "Sunday 00:00")."""
    if not moment:
        return ""
    local = parse_iso(moment).astimezone(community_zone())
    if local.hour == 0 and local.minute == 0:
        return format_date(local.date() - timedelta(days=1), "full", locale=babel_locale(language()))
    return when(moment)


def day_text(day: str | date | None) -> str:
    """A calendar day ("2026-12-24" or a date) spelled out in the reader's language: "Donnerstag, 24. Dezember"."""
    if not day:
        return ""
    return format_day(date.fromisoformat(day) if isinstance(day, str) else day, language())


def span(start: str, end: str) -> str:
    return format_span(parse_iso(start), parse_iso(end), language(), community_zone())


def clock(moment: str | datetime) -> str:
    """"18:00": the time of day of a moment (ISO text or aware) in the community's zone."""
    moment = parse_iso(moment) if isinstance(moment, str) else moment
    return moment.astimezone(community_zone()).strftime("%H:%M")


def local_moment(day: date, hhmm: str) -> datetime:
    """The moment `hhmm` on `day` in the community's zone. ValueError if that time does not exist that day
    (the hour skipped when clocks go forward); "24:00" is midnight at the end of the day."""
    zone = community_zone()
    if hhmm == "24:00":
        return datetime.combine(day + timedelta(days=1), time(0, 0), zone)
    moment = datetime.combine(day, time.fromisoformat(hhmm), zone)
    if moment.astimezone(ZoneInfo("UTC")).astimezone(zone).replace(tzinfo=None) != moment.replace(tzinfo=None):
        raise ValueError("skipped by the change of clocks")
    return moment


def today() -> date:
    return datetime.now(community_zone()).date()


def template_helpers() -> dict:
    if not g.get("web_page"):
        return {}
    lang = language()
    return {
        "lang": lang, "dir": text_direction(lang), "actor": g.get("actor"), "language_names": LANGUAGE_NAMES,
        "member": g.get("member"), "acting": (g.get("actor") or {}).get("acted_by"),
        "languages": LANGUAGES, "when": when, "deadline": deadline, "span": span, "clock": clock,
        "day_name": day_text,
        "category_labels": CATEGORY_LABELS,
        "categories": CATEGORIES, "current_path": request.full_path.rstrip("?"),
    }


# -- who is logged in ------------------------------------------------------------------------------------
def load_actor() -> dict | None:
    """Whom this browser session's page is made as, or None when nobody is logged in: the member, or the resident
    they chose to act for (`session["acting_for"]`, see `gateway.delegation`). A deactivated member's session ends
    here at once. Raises `Forbidden` for a page that cannot be used so (acting outside the trust, or a supporter on
    a page of the house): `login_required` shows why."""
    if "actor" in g:
        return g.actor
    token = session.get("token")
    if not token:
        return None
    try:
        member = actor_from_token(token)
    except Unauthorized:
        session.clear()
        return None
    g.member = member  # the person at the keyboard, whoever they act for
    g.actor = effective_actor(member, session.get("acting_for"))
    return g.actor


def acting_refused(error: Forbidden):
    """The page cannot be used as things stand: say why, and how to go on (stop acting, or choose whom)."""
    g.actor = g.member  # the page around the refusal is the person's own
    return page("web/acting_refused.html", 403, title=_("Not possible while acting for someone"),
                acting_for=session.get("acting_for"), detail=str(error))


def log_in(token: str) -> None:
    session.clear()
    session["token"] = token
    session.permanent = False


def safe_next(target: str | None, default: str = "/") -> str:
    """Only paths on this site, never another host (an open redirect would help phishing)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def login_required(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            actor = load_actor()
        except Forbidden as error:
            return acting_refused(error)
        if actor is None:
            return redirect(url_for("web_account.login", next=request.full_path.rstrip("?")), code=303)
        return view(*args, **kwargs)

    return wrapper


def organiser_required(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            actor = load_actor()
        except Forbidden as error:
            return acting_refused(error)
        if actor is None:
            return redirect(url_for("web_account.login", next=request.full_path.rstrip("?")), code=303)
        if actor["role"] != "organiser":
            return error_page(403)
        return view(*args, **kwargs)

    return wrapper


def call(service: str, method: str, *args, **kwargs):
    return current_app.extensions["rpc"].call(service, method, *args, **kwargs)


# -- answers ---------------------------------------------------------------------------------------------
def page(template: str, status: int = 200, **context):
    return render_template(template, **context), status


def error_page(status: int, kind: str | int | None = None):
    title, text = ERRORS.get(kind or status, ERRORS[400])
    return page("web/error.html", status, title=title, text=text)


def after_post(endpoint: str, **values):
    """Post/redirect/get: after a form is handled, the browser shows a fresh page (reload sends nothing twice)."""
    return redirect(url_for(endpoint, **values), code=303)


def flash_done(message: str) -> None:
    session.setdefault("done", []).append(str(message))
    session.modified = True


def page_blueprint(name: str, import_name: str, url_prefix: str = "") -> Blueprint:
    """A blueprint of pages whose errors are pages in the reader's language, not problem documents."""
    blueprint = Blueprint(name, import_name, url_prefix=url_prefix or None)

    @blueprint.before_request
    def mark_page_and_check_csrf():
        g.web_page = True
        csrf.protect()  # forms only: Flask-WTF lets GET and HEAD through

    @blueprint.after_request
    def keep_the_language_asked_for(response):
        """`?lang=CODE` sets the page language like the language switch does (an unknown code changes nothing)."""
        asked = asked_language()
        if asked and request.cookies.get(LANGUAGE_COOKIE) != asked:
            remember_language(response, asked)
        return response

    @blueprint.errorhandler(ServiceError)
    def service_error(error: ServiceError):
        if isinstance(error, Unauthorized):
            session.clear()
            return redirect(url_for("web_account.login", next=request.full_path.rstrip("?")), code=303)
        return error_page(error.status if error.status in ERRORS else 400)

    @blueprint.errorhandler(ServiceUnavailable)
    def unavailable(_error):
        return error_page(503)

    return blueprint


class FormErrors(dict):
    """Field name -> messages in the reader's language; shown next to each field and summarised at the top."""

    def add(self, field: str, message) -> None:
        self.setdefault(field, []).append(str(message))

    def take_service_error(self, error: ServiceError, fields: dict[str, str]) -> None:
        """A service's field errors, worded for the page (`fields`: service field -> form field, "*" for the
        rest). A nested field (`rules.max_duration_minutes`) is shown at its own form field where there is one."""
        for name in _field_names(error.errors or {}):
            parts = name.split(".")
            form_field = fields.get(name) or fields.get(parts[-1]) or fields.get(parts[0]) or fields.get("*", name)
            if _("Please check this entry.") not in self.get(form_field, []):
                self.add(form_field, _("Please check this entry."))
        if not error.errors:
            self.add(fields.get("*", "form"), _("This is not possible. Please check what you entered."))


def _field_names(errors: dict, prefix: str = "") -> list[str]:
    """"rules.max_duration_minutes" for `{"rules": {"max_duration_minutes": [...]}}` as for the dotted key."""
    names = []
    for key, value in errors.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        names += _field_names(value, name) if isinstance(value, dict) else [name]
    return names


DAY_FIRST = re.compile(r"\s*(\d{1,2})\s*[./-]\s*(\d{1,2})\s*[./-]\s*(\d{4})\s*")


def parse_day(text: str | None) -> date | None:
    """A day from a form: "2026-12-24" as a date field sends it, or day first ("24.12.2026", "24/12/2026") as the
    field's hint asks for in every page language, for a browser that shows a plain text field instead."""
    if not text:
        return None
    try:
        written = DAY_FIRST.fullmatch(text)
        if written:
            day, month, year = (int(part) for part in written.groups())
            return date(year, month, day)
        return date.fromisoformat(text)
    except ValueError:
        return None


def utc_iso(moment: datetime) -> str:
    return isoformat_z(moment)
