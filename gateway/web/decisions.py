"""Pages of deciding together: the decisions addressed to me, one decision with its vote form (a few taps, no
JavaScript; change my vote until it closes, and before a secret vote is cast the page says it is final), the
organisers' form to open one (translations side by side), the call list with "record answer", and the printable
ballot and results."""
from flask import g, render_template, request
from flask_babel import gettext as _

from gateway.delegation import delegable
from gateway.web.common import (
    LANGUAGE_NAMES, FormErrors, after_post, call, error_page, flash_done, language, local_moment,
    login_required, organiser_required, page, page_blueprint, parse_day, today, utc_iso, when,
)
from services.common.errors import Conflict, Forbidden, Invalid
from services.common.i18n import LANGUAGES, text_direction

bp = page_blueprint("web_decisions", __name__, "/decisions")
MAX_OPTIONS = 12


def position_labels() -> dict:
    return {"consent": _("I consent"), "stand_aside": _("I stand aside"), "objection": _("I object")}


def vote_body(decision: dict, form) -> tuple[dict, FormErrors]:
    """The vote a form sends: a poll's option(s) or a consent round's position and reason."""
    errors = FormErrors()
    if decision["kind"] == "poll":
        chosen = form.getlist("options")
        try:
            options = sorted({int(value) for value in chosen})
        except ValueError:
            options = []
        if not options:
            errors.add("options", _("Please choose an option."))
        return {"options": options}, errors
    position = form.get("position", "")
    reason = form.get("reason", "").strip()
    if position not in ("consent", "stand_aside", "objection"):
        errors.add("position", _("Please choose your answer."))
    elif position == "objection" and not reason:
        errors.add("reason", _("Please say why you object. Everybody will read your reason."))
    body = {"position": position}
    if reason:
        body["reason"] = reason
    return body, errors


@bp.route("")
@login_required
@delegable("decisions")
def decisions():
    items = call("decisions", "list_decisions", g.actor, {"limit": 200})["items"]
    return page("web/decisions_list.html", title=_("Deciding together"),
                open_items=[d for d in items if d["status"] == "open"],
                closed_items=[d for d in items if d["status"] == "closed"])


def show(decision_id: str, status: int = 200, errors: FormErrors | None = None, form: dict | None = None):
    decision = call("decisions", "get_decision", g.actor, decision_id)
    mine = decision.get("my_vote") or {}
    chosen = form or {"options": [str(i) for i in mine.get("options", [])], "position": mine.get("position", ""),
                      "reason": mine.get("reason") or ""}
    return page("web/decision_detail.html", status, title=decision["title"], decision=decision,
                errors=errors or FormErrors(), form=chosen, positions=position_labels(),
                can_vote=decision["status"] == "open" and decision["in_audience"]
                and not (decision["secret"] and mine.get("cast")))


@bp.route("/<decision_id>")
@login_required
@delegable("decisions")
def detail(decision_id):
    return show(decision_id)


@bp.route("/<decision_id>/vote", methods=["POST"])
@login_required
@delegable("decisions")
def vote(decision_id):
    decision = call("decisions", "get_decision", g.actor, decision_id)
    body, errors = vote_body(decision, request.form)
    form = {"options": request.form.getlist("options"), "position": request.form.get("position", ""),
            "reason": request.form.get("reason", "")}
    if not errors:
        try:
            call("decisions", "vote", g.actor, decision_id, body)
        except Invalid as error:
            errors.take_service_error(error, {"options": "options", "position": "position", "reason": "reason",
                                              "*": "options" if decision["kind"] == "poll" else "position"})
        except Conflict:
            return error_page(409)
        else:
            flash_done(_("Thank you! Your vote is counted.") if decision["secret"] else
                       _("Thank you! Your vote is counted. You can change it until the vote closes."))
            return after_post("web_decisions.detail", decision_id=decision_id)
    return show(decision_id, 422, errors, form)


# -- organisers ----------------------------------------------------------------------------------------------
OTHER = "other"


def new_labels() -> dict:
    labels = {"title": _("Title"), "body": _("What is to be decided"), "kind": _("How do we decide?"),
              "options": _("The options, one per line"), "closes_day": _("Closes on (day)"),
              "closes_time": _("Closes at (time)"), "language": _("Language you write in"),
              "audience": _("Who decides?"), "household": _("Flat"), "audience_language": _("Language")}
    for code in LANGUAGES:
        labels[f"title_{code}"] = _("Title in %(language)s", language=LANGUAGE_NAMES[code])
        labels[f"body_{code}"] = _("Text in %(language)s", language=LANGUAGE_NAMES[code])
        labels[f"options_{code}"] = _("Options in %(language)s, one per line", language=LANGUAGE_NAMES[code])
    return labels


def lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


@bp.route("/new", methods=["GET", "POST"])
@organiser_required
def new():
    errors = FormErrors()
    form = {"title": "", "body": "", "kind": "poll", "options": "", "multiple": False, "secret": False,
            "closes_day": "", "closes_time": "18:00", "language": "de", "audience": "all", "household": "",
            "audience_language": ""}
    for code in LANGUAGES:
        form.update({f"title_{code}": "", f"body_{code}": "", f"options_{code}": ""})
    if request.method == "POST":
        form = {key: request.form.get(key, "").strip() if isinstance(value, str) else request.form.get(key) == "yes"
                for key, value in form.items()}
        body, errors = decision_body(form)
        if not errors:
            try:
                created = call("decisions", "open_decision", g.actor, body)
            except Invalid as error:
                errors.take_service_error(error, {"closes_at": "closes_day", "audience": "audience",
                                                  "options": "options", "*": "title"})
            else:
                flash_done(_("The decision is open. Everybody it is for has been told."))
                return after_post("web_decisions.detail", decision_id=created["id"])
    return page("web/decision_form.html", 422 if errors else 200, title=_("Open a decision"), errors=errors,
                form=form, labels=new_labels(), page_languages=LANGUAGES)


def decision_body(form: dict) -> tuple[dict, FormErrors]:
    errors = FormErrors()
    if not form["title"]:
        errors.add("title", _("Please give a title."))
    if not form["body"]:
        errors.add("body", _("Please say what is to be decided."))
    kind = form["kind"] if form["kind"] in ("poll", "consent") else "poll"
    options = lines(form["options"])
    if kind == "poll" and not 2 <= len(options) <= MAX_OPTIONS:
        errors.add("options", _("Please give between 2 and 12 options, one per line."))
    if form["language"] not in LANGUAGES:
        form["language"] = "de"
    day = parse_day(form["closes_day"])
    closes_at = None
    if day is None or day < today():
        errors.add("closes_day", _("Please choose a day from today on."))
    else:
        try:
            closes_at = local_moment(day, form["closes_time"] or "18:00")
        except ValueError:
            errors.add("closes_time", _("Please give a time like 18:00."))
    body = {"title": form["title"], "body": form["body"], "kind": kind, "language": form["language"],
            "secret": form["secret"], "closes_at": utc_iso(closes_at) if closes_at else None, "translations": {}}
    if kind == "poll":
        body["options"] = options
        body["multiple"] = form["multiple"]
    if form["audience"] == "household":
        if not form["household"]:
            errors.add("household", _("Please name the flat."))
        body["audience"] = {"household": form["household"]}
    elif form["audience"] == "language":
        if form["audience_language"] not in LANGUAGES:
            errors.add("audience_language", _("Please choose a language."))
        body["audience"] = {"language": form["audience_language"]}
    else:
        body["audience"] = "all"
    for code in LANGUAGES:
        if code == form["language"]:
            continue
        title, text, translated = form[f"title_{code}"], form[f"body_{code}"], lines(form[f"options_{code}"])
        if not (title or text or translated):
            continue
        if not title or not text:
            errors.add(f"title_{code}" if not title else f"body_{code}",
                       _("Please give both the title and the text, or leave this language empty."))
            continue
        version = {"title": title, "body": text}
        if kind == "poll" and translated:
            if len(translated) != len(options):
                errors.add(f"options_{code}", _("Please translate every option, in the same order."))
                continue
            version["options"] = translated
        body["translations"][code] = version
    return body, errors


@bp.route("/<decision_id>/call-list")
@organiser_required
def call_list(decision_id):
    decision = call("decisions", "get_decision", g.actor, decision_id)
    people = call("decisions", "not_voted", g.actor, decision_id)
    return page("web/decision_call_list.html", title=_("Who has not voted yet"), decision=decision, people=people,
                positions=position_labels())


@bp.route("/<decision_id>/record", methods=["POST"])
@organiser_required
def record(decision_id):
    decision = call("decisions", "get_decision", g.actor, decision_id)
    body, errors = vote_body(decision, request.form)
    if errors:
        return error_page(422)
    body["on_behalf_of"] = request.form.get("member_id", "")
    note = request.form.get("note", "").strip()
    if note:
        body["note"] = note[:500]
    try:
        call("decisions", "vote", g.actor, decision_id, body)
    except (Invalid, Forbidden):
        return error_page(422)
    flash_done(_("The answer is recorded, marked as given by phone or on paper."))
    return after_post("web_decisions.call_list", decision_id=decision_id)


@bp.route("/<decision_id>/close", methods=["POST"])
@organiser_required
def close(decision_id):
    call("decisions", "close", g.actor, decision_id)
    flash_done(_("The decision is closed. Everybody it was for is told the result."))
    return after_post("web_decisions.detail", decision_id=decision_id)


# -- printable --------------------------------------------------------------------------------------------------
def printable_page(template: str, decision: dict):
    """A page of its own to print: large print, the reader's language, no menu."""
    reader = language()
    return render_template(template, decision=decision, lang=reader, page_dir=text_direction(reader),
                           dir=text_direction(decision["language"]), closes=when(decision["closes_at"]),
                           closed=when(decision["closed_at"]))


@bp.route("/<decision_id>/ballot")
@login_required
@delegable("decisions")
def ballot(decision_id):
    return printable_page("web/decision_ballot.html", call("decisions", "get_decision", g.actor, decision_id))


@bp.route("/<decision_id>/results")
@login_required
@delegable("decisions")
def results(decision_id):
    decision = call("decisions", "get_decision", g.actor, decision_id)
    if decision["status"] != "closed":
        return error_page(409)
    return printable_page("web/decision_results.html", decision)
