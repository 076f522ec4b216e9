"""Pages of messages: my inbox (unread first, mark as read), the notices addressed to me, and the printable
large-print notice board of a week."""
from flask import g, request
from flask_babel import gettext as _

from gateway.delegation import delegable, open_to_supporters
from gateway.web.common import after_post, call, login_required, page, page_blueprint

bp = page_blueprint("web_inbox", __name__)


@bp.route("/inbox")
@login_required
@delegable("messages")
@open_to_supporters
def inbox():
    items = call("notifications", "inbox", g.actor, {"limit": 200})["items"]
    items.sort(key=lambda item: item.get("read_at") is not None)  # stable: newest first within unread and read
    return page("web/inbox.html", title=_("Messages"), items=items)


@bp.route("/inbox/<notification_id>/read", methods=["POST"])
@login_required
@delegable("messages")
@open_to_supporters
def mark_read(notification_id):
    call("notifications", "mark_read", g.actor, notification_id)
    return after_post("web_inbox.inbox")


@bp.route("/notices")
@login_required
@delegable("messages")
def notices():
    items = call("notifications", "my_notices", g.actor, {"limit": 100})["items"]
    return page("web/notices.html", title=_("Notices"), items=items)


@bp.route("/board")
@login_required
@delegable("messages")
def board():
    query = {"week": request.args["week"]} if request.args.get("week") else {}
    data = call("notifications", "board", g.actor, query)
    return page("web/board.html", title=_("Notice board"), board=data)
