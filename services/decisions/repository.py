"""The decisions database, narrowed to the questions the service asks. Every query a member's request leads to
names its community; the timer's queries find what is due across communities.

A new decision and its audience are written by a unit of work (the audience first, then the decision with its
`decision.opened` event). Everything after that is a conditional update of the decision's one document that takes effect at once, each with the events it causes
pushed into the document's outbox in the same write (`$push`, never a rewrite of the outbox, so that an event
pushed by a vote is never lost to a close written at the same moment):
- `cast_open_ballot`: `{_id, status: "open"}` → the member's ballot set (replacing theirs; that the member is
  in the decision's audience was read just before: the audience does not change while votes come in);
- `cast_secret_ballot`: the same and `voters ≠ member` → the member added to the sorted voters, counters `$inc`;
- `close`: `{_id, status: "open", version: <read>}` → closed with the results it counted: any vote since the
  read changed the version, so the close counts again instead of losing it;
- `mark_reminded`: `{_id, status: "open", remind_at: <read>}` → no reminder due any more, with its event.
Every vote also increments `version` (only the close reads it).
"""
import re
from datetime import datetime

from services.common.clock import utcnow
from services.common.mongo import Repository
from services.common.outbox import pending_since
from services.common.paging import keyset_page
from services.decisions.models import ALIAS, Audience, Decision, Elector

# Member ids are keys of `ballots`: only characters a MongoDB field name takes as they are.
SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# What a vote needs to read of a decision: not its votes, not its audience (thousands of ids).
# What a vote needs of a decision and never changes once it opened, kept per process for this many decisions.
FIXED_FIELDS = ("community_id", "kind", "title", "options", "multiple", "max_choices", "secret")
FIXED_KEPT = 1000
_FIXED: dict[str, dict] = {}
LIGHT = ("ballots", "recorded", "acted", "voters", "reasons", "outbox", "translations", "body")


class DecisionsRepository(Repository):
    alias = ALIAS
    documents = (Elector, Audience, Decision)

    @property
    def _decisions(self):
        return Decision._get_collection()

    # -- electors -----------------------------------------------------------------------------------------
    def elector(self, member_id: str) -> Elector | None:
        return Elector.objects(id=member_id).first()

    def electors_by_id(self, ids) -> dict[str, Elector]:
        wanted = [i for i in ids if i]
        return {e.id: e for e in Elector.objects(id__in=wanted)} if wanted else {}

    def community_electors(self, community_id: str) -> list[Elector]:
        return list(Elector.objects(community_id=community_id))

    def forget_elector(self, member_id: str) -> None:
        Elector.objects(id=member_id).delete()

    # -- audiences ----------------------------------------------------------------------------------------
    def audience_of(self, decision_id: str) -> list[str]:
        found = Audience._get_collection().find_one({"_id": decision_id}, {"members": 1})
        return list(found["members"]) if found else []

    def in_audience(self, decision_id: str, member_id: str) -> bool:
        return Audience._get_collection().count_documents({"_id": decision_id, "members": member_id}, limit=1) > 0

    def addressed_to(self, member_id: str) -> list[str]:
        """The ids of every decision the member is (or was, when it opened) asked in."""
        return [raw["_id"] for raw in Audience._get_collection().find({"members": member_id}, {"_id": 1})]

    # -- decisions ----------------------------------------------------------------------------------------
    def decision(self, community_id: str, decision_id) -> Decision | None:
        if not isinstance(decision_id, str):
            return None
        return Decision.objects(community_id=community_id, id=decision_id).first()

    def decision_by_id(self, decision_id: str) -> Decision | None:
        """For the timer, across communities."""
        return Decision.objects(id=decision_id).first()

    def light_decision(self, community_id: str, decision_id) -> Decision | None:
        """The decision without its votes: what a vote needs to check the ballot. What never changes after the
        decision opened (its kind, options, secrecy, title) is kept per process once read, so that a vote costs
        the database one read of the audience and the conditional update; the status it carries is the one read
        first, and only the update's condition (`status: "open"`) decides whether the vote is taken."""
        if not isinstance(decision_id, str):
            return None
        fixed = _FIXED.get(decision_id)
        if fixed is None:
            found = Decision.objects(id=decision_id).exclude(*LIGHT).first()
            if found is None:
                return None
            fixed = {name: getattr(found, name) for name in FIXED_FIELDS}
            fixed["status"] = found.status
            if len(_FIXED) >= FIXED_KEPT:
                _FIXED.pop(next(iter(_FIXED)))
            _FIXED[decision_id] = fixed
        if fixed["community_id"] != community_id:
            return None
        return Decision(id=decision_id, **fixed)

    def standing(self, decision_id: str, member_id: str) -> dict | None:
        """Why a vote was not taken: the decision's status, whether the member is in its audience and has voted
        (the secret list), read without the rest."""
        found = self._decisions.find_one({"_id": decision_id}, {"status": 1, "secret": 1})
        if found is None:
            return None
        voted = self._decisions.count_documents({"_id": decision_id, "voters": member_id}) > 0
        return {"status": found["status"], "in_audience": self.in_audience(decision_id, member_id), "voted": voted,
                "secret": bool(found.get("secret"))}

    def page_for(self, community_id: str, *, member_id: str | None, status: str | None, limit: int,
                 cursor: str | None):
        """Decisions addressed to `member_id` (None: every decision of the community, for organisers), newest
        first."""
        query = Decision.objects(community_id=community_id)
        if member_id is not None:
            query = query.filter(id__in=self.addressed_to(member_id))
        if status:
            query = query.filter(status=status)
        return keyset_page(query, field="opened_at", kind=datetime, limit=limit, cursor=cursor, newest_first=True)

    def involving(self, member_id: str) -> list[Decision]:
        """Every decision the member was asked in, voted in or opened (for the export)."""
        return list(Decision.objects(__raw__={"$or": [{"_id": {"$in": self.addressed_to(member_id)}},
                                                      {"voters": member_id},
                                                      {f"ballots.{member_id}": {"$exists": True}},
                                                      {"author_id": member_id}]}).order_by("-opened_at"))

    # -- votes: conditional updates of the decision's one document ----------------------------------------------
    def cast_open_ballot(self, decision_id: str, member_id: str, cast: list, events: list[dict], *,
                         recorded: dict | None = None, acted_by: str | None = None) -> bool:
        """The member's ballot, and who else cast it if anyone (an answer of theirs replaces what an organiser
        recorded or a trusted person cast, and so drops that mark)."""
        update = {"$set": {f"ballots.{member_id}": cast}, "$inc": {"version": 1}}
        dropped = {}
        for field, value in (("recorded", recorded), ("acted", acted_by)):
            if value is None:
                dropped[f"{field}.{member_id}"] = ""
            else:
                update["$set"][f"{field}.{member_id}"] = value
        if dropped:
            update["$unset"] = dropped
        return self._conditional(decision_id, member_id, {}, update, events)

    def cast_secret_ballot(self, decision_id: str, member_id: str, counters: list[str], *, reason: str | None,
                           assisted: bool, events: list[dict]) -> bool:
        increments = {f"counters.{key}": 1 for key in counters}
        increments.update({"votes": 1, "version": 1})
        if assisted:
            increments["assisted"] = 1
        push = {"voters": {"$each": [member_id], "$sort": 1}}
        if reason:
            push["reasons"] = {"$each": [reason], "$sort": 1}
        update = {"$inc": increments, "$push": push}
        return self._conditional(decision_id, member_id, {"voters": {"$ne": member_id}}, update, events)

    def _conditional(self, decision_id, member_id, extra: dict, update: dict, events: list[dict]) -> bool:
        if not SAFE_ID.match(member_id):
            return False
        if events:
            update.setdefault("$push", {})["outbox"] = {"$each": events}
            update.update(pending_since(utcnow()))
        found = {"_id": decision_id, "status": "open", **extra}
        return self._decisions.update_one(found, update).modified_count == 1

    # -- closing and reminding ------------------------------------------------------------------------------------
    def close(self, decision_id: str, *, version: int, results: dict, passed, now: datetime, by: str | None,
              event: dict) -> bool:
        return self._decisions.update_one(
            {"_id": decision_id, "status": "open", "version": version},
            {"$set": {"status": "closed", "closed_at": now, "closed_by": by, "results": results, "passed": passed,
                      "remind_at": None},
             "$inc": {"version": 1}, "$push": {"outbox": event}, **pending_since(utcnow())}).modified_count == 1

    def due_to_close(self, now: datetime, limit: int) -> list[str]:
        return [raw["_id"] for raw in self._decisions.find({"status": "open", "closes_at": {"$lte": now}}, {"_id": 1})
                .sort("closes_at", 1).limit(limit)]

    def due_reminders(self, now: datetime, limit: int) -> list[str]:
        return [raw["_id"] for raw in self._decisions.find({"status": "open", "remind_at": {"$lte": now}}, {"_id": 1})
                .sort("remind_at", 1).limit(limit)]

    def mark_reminded(self, decision_id: str, remind_at: datetime, event: dict) -> bool:
        return self._decisions.update_one(
            {"_id": decision_id, "status": "open", "remind_at": remind_at},
            {"$set": {"remind_at": None}, "$push": {"outbox": event}, **pending_since(utcnow())}).modified_count == 1

    # -- members leaving ------------------------------------------------------------------------------------------
    def drop_from_open_audiences(self, member_id: str) -> None:
        """A member who left is no longer asked (nor on a call list); votes they cast stay counted."""
        open_ones = [raw["_id"] for raw in self._decisions.find(
            {"_id": {"$in": self.addressed_to(member_id)}, "status": "open"}, {"_id": 1})]
        if open_ones:
            Audience._get_collection().update_many({"_id": {"$in": open_ones}}, {"$pull": {"members": member_id}})

    def erase_member(self, member_id: str) -> None:
        """Erasure: their open ballots go (an open decision counts without them; a closed one keeps its stored
        results), their reasons leave the stored objections, they leave every audience and secret voters list
        (the counters stay: nothing there is theirs), and the decisions they opened no longer name them."""
        if not SAFE_ID.match(member_id):
            return
        self._decisions.update_many({f"ballots.{member_id}": {"$exists": True}},
                                    {"$unset": {f"ballots.{member_id}": "", f"recorded.{member_id}": "",
                                                f"acted.{member_id}": ""}, "$inc": {"version": 1}})
        for raw in self._decisions.find({"results.objections.member_id": member_id}, {"results": 1}):
            objections = [{"member_id": None, "reason": None} if o.get("member_id") == member_id else o
                          for o in raw["results"]["objections"]]
            self._decisions.update_one({"_id": raw["_id"]}, {"$set": {"results.objections": objections}})
        Audience._get_collection().update_many({"members": member_id}, {"$pull": {"members": member_id}})
        self._decisions.update_many({"voters": member_id}, {"$pull": {"voters": member_id}})
        self._decisions.update_many({"author_id": member_id}, {"$set": {"author_id": None}})
