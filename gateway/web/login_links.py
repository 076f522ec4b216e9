"""Pages of signing in by emailed link (WCAG 2.2 SC 3.3.8: logging in without remembering or typing a password).

The login page offers "Send me a sign-in link"; the answer is the same whether or not the address is a member's.
The emailed link opens a page with one button: opening the link does nothing by itself (mail scanners open the
links in emails), pressing the button logs the member in, as the password does. The token is in the address of
that page only, so the page tells the browser not to pass its address on or keep it.
"""
from flask import redirect, request, url_for
from flask_babel import gettext as _

from gateway.auth import issue_token
from gateway.web.common import FormErrors, call, log_in, page, page_blueprint
from services.common.errors import Conflict, Gone, Invalid, TooManyAttempts, Unauthorized

bp = page_blueprint("web_login_link", __name__)


@bp.route("/login/link", methods=["POST"])
def ask():
    """The login page's second form: send me a sign-in link."""
    errors, email = FormErrors(), request.form.get("link_email", "").strip()
    if not email:
        errors.add("link_email", _("Please enter your email address."))
    else:
        try:
            call("members", "request_login_link", {"email": email}, request.remote_addr or "unknown")
        except Invalid:
            errors.add("link_email", _("Please enter a valid email address, for example name@example.org."))
        except TooManyAttempts:
            errors.add("link_email", _("There were too many attempts. Please wait a few minutes and try again."))
        else:
            return redirect(url_for("web_login_link.sent"), code=303)
    # Like the password form: the login page again, with what was wrong next to the field.
    return page("web/login.html", 422, title=_("Log in"), errors=FormErrors(), link_errors=errors,
                labels={"email": _("Email address"), "password": _("Password")}, email="", link_email=email, next="/")


@bp.route("/login/link-sent")
def sent():
    return page("web/login_link_sent.html", title=_("Look in your email"))


@bp.route("/login/link/<token>", methods=["GET", "POST"])
def use(token: str):
    """GET shows the button (and changes nothing); POST logs in with the link, once."""
    problem = None
    if request.method == "POST":
        try:
            result = call("members", "redeem_login_link", {"token": token}, request.remote_addr or "unknown")
        except (Unauthorized, Invalid):
            problem = 401, _("This sign-in link is not valid. Please ask for a new one.")
        except Gone as refused:
            used = "Already used." in (refused.errors or {}).get("token", [])
            problem = 410, (_("This sign-in link has already been used. Please ask for a new one.") if used else
                            _("This sign-in link has expired. Please ask for a new one."))
        except Conflict:
            problem = 409, _("This sign-in link has already been used. Please ask for a new one.")
        except TooManyAttempts:
            problem = 429, _("There were too many attempts. Please wait a few minutes and try again.")
        else:
            log_in(issue_token(result["actor"]["member_id"], result["actor"]["community_id"])[0])
            return redirect(url_for("web_account.home"), code=303)
    status, message = problem or (200, None)
    body, status = page("web/login_link.html", status, title=_("Log in with your link"), token=token,
                        problem=message)
    # The token is in this page's address: no Referer to anyone, no copy in a cache.
    return body, status, {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}

