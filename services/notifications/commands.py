"""What the notifications service does, as plain functions over a unit of work (its repository and outbox) and
`now`.

Events become inbox entries (one per recipient and event, whatever the number of deliveries) and, where a
member chose it, emails that respect quiet hours and the daily digest. Texts are rendered when read or sent,
in the recipient's language at that moment, with dates spelled out on the community's wall clock. The domain's
refusals become the errors that cross the wire in one place, `wire_errors`.
"""
import logging
import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.common.clock import as_utc, isoformat_z, parse_iso
from services.common.errors import Forbidden, Invalid, NotFound, WireErrors
from services.common.mongo import is_database_unreachable
from services.common.schemas import load
from services.contracts.notifications import (
    BoardQuerySchema, NoticeRequestSchema, NotificationListQuerySchema, PreferencesSchema,
)
from services.contracts.vocabulary import DEFAULT_TIMEZONE, FIRST_YEAR, LAST_YEAR
from services.notifications import domain, events, messages
from services.notifications.models import Delivery, Notice, Preferences, Recipient
from services.notifications.texts import short_text

DEFAULT_TZ = DEFAULT_TIMEZONE
LEASE = timedelta(minutes=2)
FAN_OUT_GRACE = timedelta(seconds=30)
log = logging.getLogger(__name__)
NOTICE_IDS = uuid.UUID("c4a8d2e1-7f3b-4b69-9e05-8d2f1a6c3b90")  # the namespace of ids made from request keys

wire_errors = WireErrors({
    domain.NotAllowed: Forbidden,
    domain.NobodyMatches: Invalid,
})


def _tz(recipient: Recipient | None) -> ZoneInfo:
    return ZoneInfo((recipient.timezone if recipient else None) or DEFAULT_TZ)


def _hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _renderable(facts: dict, names: dict[str, str | None], language: str) -> dict:
    """Stored facts made ready for the text: times as datetimes, the neighbour named by `name_of` as they are
    called now (or "a neighbour" once they are gone)."""
    ready = {key: parse_iso(value) if key in ("start", "end") and isinstance(value, str) else value
             for key, value in (facts or {}).items()}
    if "name_of" in ready:
        ready["name"] = names.get(ready.pop("name_of")) or messages.phrase("someone", language)
    for fact in ("space", "title"):
        if fact in ready and not ready[fact]:
            ready[fact] = "—"
    return ready


# -- members -------------------------------------------------------------------------------------------------
def remember_member(uow, event: dict) -> None:
    profile = event["payload"]
    recipient = uow.repository.recipient(profile["member_id"]) or Recipient(id=profile["member_id"])
    recipient.community_id = event["community_id"]
    for field in ("display_name", "preferred_language", "email", "household", "role", "timezone"):
        if profile.get(field) is not None:
            setattr(recipient, field, profile[field])
    # Kept whether shared or not: only organisers read it (in the receipts of a notice), and organisers see
    # every member's phone on the member's page anyway, to call those who have not read an urgent notice.
    recipient.phone = profile.get("phone")
    recipient.languages = profile.get("languages") or []
    recipient.active = profile.get("active", True)
    uow.save_and_commit(recipient)


def member_deactivated(uow, member_id: str) -> None:
    recipient = uow.repository.recipient(member_id)
    if recipient is not None:
        recipient.active = False
        uow.save_and_commit(recipient)


# -- events into inboxes ----------------------------------------------------------------------------------------
def handle_event(uow, event: dict, now) -> list[str]:
    """The notifications an event causes; an event delivered again adds nothing (the entries' ids are made
    of the event, the member and the kind, and the repository inserts each once)."""
    repo = uow.repository
    organisers = repo.organisers(event["community_id"]) if event["type"] == "booking.requested" else []
    planned = domain.plan(event, organisers=organisers)
    send_by_email_only(repo, event, [p for p in planned if p.email_only], now)
    planned = [p for p in planned if not p.email_only]
    entries = [{
        "_id": f"{event['event_id']}:{p.member_id}:{p.kind}", "community_id": event["community_id"],
        "member_id": p.member_id, "kind": p.kind, "facts": p.facts, "link": p.link, "notice_id": None,
        "urgent": p.urgent, "created_at": now, "read_at": None,
    } for p in planned]
    new = set(repo.add_notifications(entries))
    plan_emails(repo, [e for e in entries if e["_id"] in new], now)
    return sorted(new)


def plan_emails(repo, entries: list[dict], now) -> None:
    """An email for each new entry whose member chose email: after their quiet hours, or in the digest; and a text
    message for the entries that go by text (`domain.goes_by_text`) to members who chose that, after their quiet
    hours unless urgent."""
    if not entries:
        return
    preferences = repo.preferences_of({entry["member_id"] for entry in entries})
    reached = {member_id for member_id, chosen in preferences.items() if chosen.email or chosen.sms}
    if not reached:
        return  # most entries: nobody asked for an email or a text, so there is nobody's address to read
    recipients = repo.recipients(reached)
    deliveries = []
    for entry in entries:
        chosen, recipient = preferences.get(entry["member_id"]), recipients.get(entry["member_id"])
        if not chosen or not recipient or not recipient.active:
            continue
        tz = _tz(recipient)
        due = domain.email_due_at(now, tz, quiet_from=_hhmm(chosen.quiet_from),
                                  quiet_until=_hhmm(chosen.quiet_until), urgent=entry["urgent"])
        if chosen.email and recipient.email:
            status = "pending"
            if chosen.digest == "daily" and not entry["urgent"]:
                status, due_email = "digest", domain.next_digest_at(now, tz)
            deliveries.append(_delivery(entry, "email", status, due_email if status == "digest" else due))
        if chosen.sms and recipient.phone and domain.goes_by_text(entry["kind"], entry["urgent"]):
            deliveries.append(_delivery(entry, "sms", "pending", due))
    repo.add_deliveries(deliveries)


def send_by_email_only(repo, event: dict, planned: list, now) -> None:
    """Emails that are no inbox entry (see `domain.Planned.email_only`): one per event and member, whatever the
    number of deliveries, to a member with an address who is still active."""
    if not planned:
        return
    recipients = repo.recipients({p.member_id for p in planned})
    deliveries = []
    for p in planned:
        recipient = recipients.get(p.member_id)
        if not recipient or not recipient.email or not recipient.active:
            continue
        deliveries.append({"_id": f"{event['event_id']}:{p.member_id}:{p.kind}:email",
                           "community_id": event["community_id"], "member_id": p.member_id,
                           "notification_id": None, "kind": p.kind, "facts": p.facts, "link": p.link,
                           "channel": "email", "status": "pending",
                           "due_at": domain.email_due_at(now, _tz(recipient), urgent=p.urgent), "attempts": 0,
                           "outbox": []})
    repo.add_deliveries(deliveries)


def _delivery(entry: dict, channel: str, status: str, due) -> dict:
    return {"_id": f"{entry['_id']}:{channel}", "community_id": entry["community_id"], "member_id": entry["member_id"],
            "notification_id": entry["_id"], "channel": channel, "status": status, "due_at": due, "attempts": 0,
            "outbox": []}


# -- the inbox ----------------------------------------------------------------------------------------------------
def render(entry, recipient: Recipient | None, notice: Notice | None = None, names: dict | None = None) -> dict:
    language = recipient.preferred_language if recipient else "de"
    if entry.kind == "notice" and notice is not None:
        title, body, language = domain.notice_text(
            {"title": notice.title, "body": notice.body, "language": notice.language}, notice.translations, language)
    else:
        language = messages.language_served(language)
        title, body = messages.render(entry.kind, language, _renderable(entry.facts, names or {}, language),
                                      _tz(recipient))
    # An email that is no inbox entry (a `Delivery` with its own kind) has no times of its own.
    return {"id": entry.id, "kind": entry.kind, "title": title, "body": body,
            "created_at": isoformat_z(getattr(entry, "created_at", None)),
            "read_at": isoformat_z(getattr(entry, "read_at", None)), "link": entry.link,
            "urgent": bool(getattr(entry, "urgent", False)), "language": language,
            "direction": messages.text_direction(language)}


def inbox(uow, actor: dict, query: dict) -> dict:
    repo = uow.repository
    data = load(NotificationListQuerySchema, query)
    page, next_cursor = repo.inbox(actor["member_id"], unread=data["unread"], limit=data["limit"],
                                   cursor=data["cursor"])
    recipient = repo.recipient(actor["member_id"]) or _stand_in(actor)
    notices = repo.notices(actor["community_id"], [e.notice_id for e in page if e.notice_id])
    names = names_for(repo, page)
    return {"items": [render(entry, recipient, notices.get(entry.notice_id), names) for entry in page],
            "next": next_cursor}


def names_for(repo, entries) -> dict[str, str | None]:
    wanted = {entry.facts.get("name_of") for entry in entries if entry.facts and entry.facts.get("name_of")}
    return {member_id: person.display_name for member_id, person in repo.recipients(wanted).items()}


def _stand_in(actor: dict) -> Recipient:
    """Before the member's copy arrived by event: what the gateway told us of them."""
    return Recipient(id=actor["member_id"], community_id=actor["community_id"],
                     preferred_language=actor.get("preferred_language") or "de",
                     timezone=actor.get("timezone") or DEFAULT_TZ, display_name=actor.get("display_name"))


def mark_read(uow, actor: dict, notification_id: str, now) -> None:
    if not isinstance(notification_id, str) or not uow.repository.mark_read(actor["member_id"], notification_id, now):
        raise NotFound("There is no such notification in your inbox.")


# -- preferences ------------------------------------------------------------------------------------------------------
def preferences_view(preferences: Preferences | None) -> dict:
    preferences = preferences or Preferences()
    return {"channels": {"in_app": True, "email": preferences.email, "sms": preferences.sms},
            "quiet_hours": {"from": preferences.quiet_from, "until": preferences.quiet_until},
            "digest": preferences.digest, "help_categories": preferences.help_categories}


def get_preferences(uow, actor: dict) -> dict:
    return preferences_view(uow.repository.preferences(actor["member_id"]))


def set_preferences(uow, actor: dict, body: dict, now, *, texts_offered: bool = False) -> dict:
    data = load(PreferencesSchema, body)
    if data["channels"]["sms"]:
        _check_can_get_texts(uow.repository.recipient(actor["member_id"]), texts_offered)
    preferences = uow.repository.preferences(actor["member_id"]) or Preferences(id=actor["member_id"])
    preferences.community_id = actor["community_id"]
    preferences.email = data["channels"]["email"]
    preferences.sms = data["channels"]["sms"]
    quiet = data.get("quiet_hours") or {"from": domain.DEFAULT_QUIET_FROM.strftime("%H:%M"),
                                        "until": domain.DEFAULT_QUIET_UNTIL.strftime("%H:%M")}
    preferences.quiet_from, preferences.quiet_until = quiet["from"], quiet["until"]
    preferences.digest = data["digest"]
    categories = data.get("help_categories")
    preferences.help_categories = sorted(set(categories)) if categories else None
    preferences.record(events.preferences_updated(actor["community_id"], actor["member_id"],
                                                  preferences.help_categories, now))
    uow.save_and_commit(preferences)
    return preferences_view(preferences)


def _check_can_get_texts(recipient: Recipient | None, texts_offered: bool) -> None:
    if not texts_offered:
        raise Invalid("This house does not send text messages (no SMS provider is set up).",
                      errors={"channels.sms": ["Not offered here."]})
    if recipient is None or not recipient.phone:
        raise Invalid("Text messages need a mobile phone number: please add it to your profile first.",
                      errors={"channels.sms": ["No phone number in your profile."]})


# -- notices ----------------------------------------------------------------------------------------------------------
@wire_errors
def publish_notice(uow, actor: dict, body: dict, now, *, request_key: str | None = None) -> dict:
    """Publish a notice to its audience. `request_key` names the request (its Idempotency-Key) when there is
    one: the notice's id is made from it, so that a repeat taking over from an attempt that stored it but could
    not say so (its process was killed, the database went away) finds it instead of publishing it twice."""
    domain.check_may_publish(actor["role"])
    repo = uow.repository
    data = load(NoticeRequestSchema, body)
    neighbours = [domain.Neighbour(r.id, r.active, r.household, tuple(r.languages), r.preferred_language)
                  for r in repo.community_recipients(actor["community_id"])]
    audience = domain.notice_audience(data["audience"], neighbours)
    domain.check_someone_hears(audience)
    notice_id = str(uuid.uuid5(NOTICE_IDS, request_key)) if request_key else str(uuid.uuid4())
    if request_key:  # what it left undone: the fan-out is finished by `finish_fan_outs`, its events by the relay
        earlier = repo.notice(actor["community_id"], notice_id)
        if earlier is not None:
            return notice_view(earlier)
    notice = Notice(id=notice_id, community_id=actor["community_id"], author_id=actor["member_id"],
                    title=data["title"], body=data["body"], language=data["language"],
                    translations=data["translations"], audience=data["audience"], urgent=data["urgent"],
                    published_at=now, recipients=len(audience))
    notice.record(events.notice_published(notice, len(audience), now))
    with uow:
        uow.add(notice)
        uow.commit()  # notice.published goes out after the reply, when every inbox has the notice
    fan_out(repo, notice, audience, now)
    return notice_view(notice)


def fan_out(repo, notice: Notice, audience: list[str], now) -> None:
    """One inbox entry (and email where chosen) per recipient; repeatable, so a timer can finish a fan-out
    that a crash interrupted."""
    entries = [{"_id": f"notice:{notice.id}:{member}", "community_id": notice.community_id, "member_id": member,
                "kind": "notice", "facts": {}, "link": f"/notices/{notice.id}", "notice_id": notice.id,
                "urgent": notice.urgent, "created_at": as_utc(notice.published_at), "read_at": None}
               for member in audience]
    new = set(repo.add_notifications(entries))
    plan_emails(repo, [e for e in entries if e["_id"] in new], now)
    repo.mark_fanned_out(notice.id)


def finish_fan_outs(uow, now) -> None:
    repo = uow.repository
    for notice in repo.unfinished_notices(now - FAN_OUT_GRACE):
        neighbours = [domain.Neighbour(r.id, r.active, r.household, tuple(r.languages), r.preferred_language)
                      for r in repo.community_recipients(notice.community_id)]
        fan_out(repo, notice, domain.notice_audience(notice.audience, neighbours), now)


def notice_view(notice: Notice, read_at=None) -> dict:
    return {"id": notice.id, "title": notice.title, "body": notice.body, "language": notice.language,
            "urgent": notice.urgent, "published_at": isoformat_z(notice.published_at),
            "recipients": notice.recipients, "read_at": isoformat_z(read_at)}


def my_notices(uow, actor: dict, query: dict) -> dict:
    repo = uow.repository
    data = load(NotificationListQuerySchema, {k: v for k, v in query.items() if k != "unread"})
    page, next_cursor = repo.notice_entries_of(actor["member_id"], data["limit"], data["cursor"])
    notices = repo.notices(actor["community_id"], [e.notice_id for e in page])
    recipient = repo.recipient(actor["member_id"]) or _stand_in(actor)
    items = []
    for entry in page:
        notice = notices.get(entry.notice_id)
        if notice:
            shown = render(entry, recipient, notice)
            items.append({**notice_view(notice, entry.read_at), "title": shown["title"], "body": shown["body"],
                          "language": shown["language"]})
    return {"items": items, "next": next_cursor}


@wire_errors
def receipts(uow, actor: dict, notice_id: str) -> dict:
    domain.check_may_read_receipts(actor["role"])
    repo = uow.repository
    notice = repo.notice(actor["community_id"], notice_id) if isinstance(notice_id, str) else None
    if notice is None:
        raise NotFound("There is no such notice in your community.")
    entries = repo.notice_entries(notice.id)
    failed_texts = repo.failed_texts([e.id for e in entries])  # member → why their text could not be sent
    unread_ids = [e.member_id for e in entries if e.read_at is None or e.member_id in failed_texts]
    people = repo.recipients(unread_ids)
    unread = sorted(({"member_id": m, "display_name": people[m].display_name if m in people else None,
                      "phone": people[m].phone if m in people else None,
                      "household": people[m].household if m in people else None,
                      "text_failed": failed_texts.get(m)} for m in unread_ids),
                    key=lambda person: ((person["household"] or ""), (person["display_name"] or "")))
    return {"notice_id": notice.id, "delivered": len(entries),
            "read": sum(e.read_at is not None for e in entries),
            "unread": unread}


def board(uow, actor: dict, query: dict, now) -> dict:
    """The notices of one week (the current one by default), for the printable board, in the viewer's
    language."""
    repo = uow.repository
    week = load(BoardQuerySchema, query)["week"]
    recipient = repo.recipient(actor["member_id"]) or _stand_in(actor)
    tz = _tz(recipient)
    if week:
        year, number = week.split("-W")
        try:
            if not FIRST_YEAR <= int(year) <= LAST_YEAR:
                raise ValueError(year)
            monday = date.fromisocalendar(int(year), int(number), 1)
        except ValueError:  # outside our calendar, or week 53 of a year that has 52
            raise Invalid("There is no such week.", errors={"week": [f"Not a week of the calendar: {week}"]})
    else:
        today = now.astimezone(tz).date()
        monday = today - timedelta(days=today.weekday())
    start = datetime.combine(monday, time(0), tzinfo=tz)
    end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=tz)
    language = recipient.preferred_language or "de"
    served = messages.language_served(language)
    items = []
    for notice in repo.notices_published_between(actor["community_id"], start, end):
        title, body, text_language = domain.notice_text(
            {"title": notice.title, "body": notice.body, "language": notice.language}, notice.translations, language)
        items.append({"title": title, "body": body, "urgent": notice.urgent, "language": text_language,
                      "published": messages.format_when(as_utc(notice.published_at), served, tz)})
    iso = monday.isocalendar()
    return {"week": f"{iso[0]}-W{iso[1]:02d}", "language": served, "direction": messages.text_direction(served),
            "from": messages.format_when(start, served, tz), "notices": items,
            "labels": messages.board_labels(served)}


# -- email and text messages -----------------------------------------------------------------------------------------
def send_due_emails(uow, mailer, *, retry_delays: list[float], now, public_url: str = "", texts=None) -> int:
    """Send the emails and text messages that are due, each claimed by one instance; a failure is tried again
    after `retry_delays`, then recorded failed (a failed text of an urgent notice puts its reader on the call
    list). `public_url` (the PUBLIC_URL setting) begins the addresses of pages that an email links to; `texts`
    sends text messages (None: the house has no SMS provider, and a text fails at once)."""
    repo = uow.repository
    sent = 0
    for delivery in repo.claim_due(now, LEASE):
        recipient = repo.recipient(delivery.member_id)
        entry = None if delivery.kind else repo.notification(delivery.member_id, delivery.notification_id)
        address = (recipient.phone if delivery.channel == "sms" else recipient.email) if recipient else None
        if recipient is None or not address or (entry is None and not delivery.kind):
            _finish_delivery(uow, delivery, "failed", "the recipient, their address or the notification is gone",
                             now)
            continue
        if entry is None:  # an email only: it carries its own kind, facts and link
            shown = render(delivery, recipient, None, names_for(repo, [delivery]))
        else:
            notice = repo.notice(entry.community_id, entry.notice_id) if entry.notice_id else None
            shown = render(entry, recipient, notice, names_for(repo, [entry]))
        link = f"{public_url.rstrip('/')}{shown['link']}" if shown.get("link") else None
        try:
            if delivery.channel == "sms":
                if texts is None:
                    raise RuntimeError("no SMS provider is set up (SMS_URL)")
                texts.send(address, short_text(shown["title"], shown["body"],
                                               messages.phrase("text_more", shown["language"])))
            else:
                mailer.send(address, shown["title"], messages.email_body(shown["kind"], shown["body"], link),
                            shown["language"])
        except Exception as error:  # refused, unreachable, timed out: try again later, then give up visibly
            delivery.attempts += 1
            delivery.last_error = f"{type(error).__name__}: {error}"[:500]
            if delivery.attempts > len(retry_delays):
                _finish_delivery(uow, delivery, "failed", delivery.last_error, now)
            else:
                delivery.status = "pending"
                delivery.due_at = now + timedelta(seconds=retry_delays[delivery.attempts - 1])
                uow.save_and_commit(delivery)
            continue
        delivery.attempts += 1
        _finish_delivery(uow, delivery, "sent", None, now)
        sent += 1
    return sent


def _finish_delivery(uow, delivery: Delivery, status: str, error: str | None, now) -> None:
    if delivery.kind:  # an email only: its link (a secret, the check-in link) is not kept once it is done
        delivery.link, delivery.facts = None, {}
    delivery.status = status
    delivery.last_error = error
    delivery.sent_at = now if status == "sent" else None
    delivery.record(events.notification_delivered(delivery, now))
    uow.save_and_commit(delivery)


# -- sign-in links -----------------------------------------------------------------------------------------------------
def send_login_link(uow, mailer, event: dict, *, public_url: str, retry_delays: list[float], now, sleep) -> str:
    """Email a member the sign-in link of a `login_link.requested` event, in their language, at once (the member
    is waiting for it: no quiet hours, no digest, whatever their email preference). Returns the outcome.

    The link is a credential, so it is kept nowhere: not in the inbox, not in the delivery record, not in a log,
    and not in the dead-letter queue either. That is why the sending is retried here, briefly (the link is
    short-lived, and the member can ask for another), and why nothing but an unreachable database (the event goes
    back to its queue) leaves this function as an error: an event whose handler failed would be parked with its
    token. What is recorded is a delivery without the link, announced by `notification.delivered`."""
    payload = event["payload"]
    delivery_id = f"login-link:{event['event_id']}"
    try:
        if uow.repository.delivery(delivery_id) is not None:
            return "already"  # the same event again: sent (or given up on) before
        expires_at = parse_iso(payload["expires_at"])
        if expires_at <= now:
            outcome, attempts, error = "failed", 0, "the link had expired before it could be sent"
        else:
            outcome, attempts, error = _send_login_link(mailer, payload, public_url, expires_at, retry_delays,
                                                        sleep)
        delivery = Delivery(id=delivery_id, community_id=event["community_id"], member_id=payload["member_id"],
                            channel="email", status=outcome, due_at=now, attempts=attempts, last_error=error,
                            sent_at=now if outcome == "sent" else None)
        delivery.record(events.notification_delivered(delivery, now))
        with uow:
            uow.add(delivery)
            uow.commit()
        return outcome
    except Exception as failure:
        if is_database_unreachable(failure):
            raise
        log.error("could not handle the sign-in link of event %s: %s", event.get("event_id"),
                  type(failure).__name__)  # never the payload: it holds the token
        return "failed"


def _send_login_link(mailer, payload: dict, public_url: str, expires_at, retry_delays, sleep):
    link = f"{public_url.rstrip('/')}/login/link/{payload['token']}"
    subject, body = messages.login_link_email(
        payload.get("preferred_language"), name=payload.get("display_name") or "", link=link, until=expires_at,
        tz=ZoneInfo(payload.get("timezone") or DEFAULT_TZ))
    language = messages.language_served(payload.get("preferred_language"))
    error = None
    for attempt, delay in enumerate((*retry_delays, None), start=1):
        try:
            mailer.send(payload["email"], subject, body, language)
            return "sent", attempt, None
        except Exception as failure:  # refused, unreachable, timed out: the error's text never holds the body
            error = f"{type(failure).__name__}: {failure}"[:500]
            if delay is None:
                break
            sleep(delay)
    return "failed", len(retry_delays) + 1, error


def send_digests(uow, mailer, now, lease: timedelta = LEASE) -> int:
    """Send each member's due digest items in one email. A member's items are claimed together, under a lease on
    the member, so that with several instances each member gets one digest with each item once."""
    sent = 0
    owner = uuid.uuid4().hex
    repo = uow.repository
    for member_id in repo.members_with_due_digests(now):
        deliveries = repo.claim_member_digest(member_id, now, lease, owner)
        if not deliveries:
            continue  # another instance sends this member's digest
        try:
            sent += _send_digest(uow, mailer, member_id, deliveries, now)
        finally:
            repo.release_member_digest(member_id, owner)
    return sent


def _send_digest(uow, mailer, member_id: str, deliveries: list[Delivery], now) -> int:
    repo = uow.repository
    recipient = repo.recipient(member_id)
    if recipient is None or not recipient.email:
        for delivery in deliveries:
            delivery.status = "digest"  # not ours to drop: the member's address may still arrive
            uow.save_and_commit(delivery)
        return 0
    lines = []
    for delivery in deliveries:
        entry = repo.notification(member_id, delivery.notification_id)
        if entry is not None:
            shown = render(entry, recipient, repo.notice(entry.community_id, entry.notice_id)
                           if entry.notice_id else None, names_for(repo, [entry]))
            body = "\n".join(f"  {line}" for line in shown["body"].splitlines())
            lines.append(f"• {shown['title']}\n{body}")
    subject = messages.digest_subject(recipient.preferred_language, len(lines))
    try:
        mailer.send(recipient.email, subject, "\n\n".join(lines), recipient.preferred_language)
    except Exception as error:
        for delivery in deliveries:
            delivery.attempts += 1
            delivery.status = "digest"  # released: the next run tries again
            delivery.last_error = f"{type(error).__name__}: {error}"[:500]
            uow.save_and_commit(delivery)
        return 0
    for delivery in deliveries:
        delivery.attempts += 1
        _finish_delivery(uow, delivery, "sent", None, now)
    return 1


# -- done for a resident ---------------------------------------------------------------------------------------
DONE_FOR_ME = ("done_for_you", "recorded_for_you")


def activity(uow, actor: dict) -> list[dict]:
    """Everything trusted persons did for the member, and answers organisers recorded for them, newest first:
    the inbox entries that told them so (`domain.done_for_them`)."""
    repo = uow.repository
    entries = repo.notifications_of(actor["member_id"], kinds=DONE_FOR_ME)
    names = names_for(repo, entries)
    return [{"at": isoformat_z(entry.created_at), "action": entry.facts.get("action"),
             "acted_by": {"member_id": entry.facts.get("name_of"),
                          "display_name": names.get(entry.facts.get("name_of")) or "—"},
             "subject": entry.facts.get("subject"), "recorded": entry.kind == "recorded_for_you",
             "note": entry.facts.get("note")} for entry in entries]


# -- privacy --------------------------------------------------------------------------------------------------------------
def export(uow, actor: dict) -> dict:
    repo = uow.repository
    recipient = repo.recipient(actor["member_id"]) or _stand_in(actor)
    entries = repo.notifications_of(actor["member_id"])
    notices = repo.notices(actor["community_id"], [e.notice_id for e in entries if e.notice_id])
    return {"preferences": get_preferences(uow, actor),
            "notifications": [render(e, recipient, notices.get(e.notice_id), names_for(repo, entries))
                              for e in entries],
            "deliveries": [{"id": d.id, "channel": d.channel, "status": d.status, "attempts": d.attempts,
                            "sent_at": isoformat_z(d.sent_at)} for d in repo.deliveries_of(actor["member_id"])]}


def erase(uow, member_id: str) -> None:
    uow.repository.forget_member(member_id)
    uow.repository.forget_alert_contacts_about(member_id)
