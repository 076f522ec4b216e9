"""The web pages for residents and organisers: server-rendered, in the reader's language, usable without JavaScript.

The pages call the same services as the JSON API; they differ only in how they are reached (a session cookie,
forms protected against CSRF) and in how they answer (HTML in the reader's language rather than problem
documents). One blueprint per task area: account (and sign-in links), rooms, help, inbox, care ("Safe at home"),
organise; and the page of the daily check-in email's one-click link.
"""
from flask import Flask, g
from flask_babel import Babel
from flask_wtf.csrf import CSRFError

from gateway.web import (
    account, activities, care, checkin_link, decisions, help, inbox, login_links, organise, rooms, trust,
)
from gateway.web.common import catalog_domain, choose_locale, csrf, error_page, template_helpers

BLUEPRINTS = (account.bp, login_links.bp, rooms.bp, help.bp, inbox.bp, care.bp, decisions.bp, organise.bp,
              checkin_link.bp, trust.bp, activities.bp)


def register(app: Flask) -> None:
    # Flask has defaults for all of these, so they are set, not defaulted.
    app.config.update(
        SESSION_COOKIE_NAME="cohousing_session", SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=app.config.get("PLATFORM_ENV") == "production",
        # The JSON API authenticates with bearer tokens and takes JSON only, which a cross-site form cannot send,
        # so CSRF is checked on the web pages' forms alone (see `page_blueprint`).
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
    )
    csrf.init_app(app)

    babel = Babel(app, locale_selector=choose_locale, default_locale="de")
    babel.domain_instance = catalog_domain()  # catalogs compiled in memory from the .po files, German fallback

    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    app.context_processor(template_helpers)

    @app.errorhandler(CSRFError)
    def csrf_failed(_error):
        if g.get("web_page"):
            return error_page(400, "csrf")
        from gateway.problems import problem

        return problem(400, "The form has expired. Please load the page again.")
