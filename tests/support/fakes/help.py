"""The help repository in memory: requests, offers and the neighbours copied from the members' events."""
from datetime import datetime

from mongoengine import NotUniqueError

from services.common.errors import Conflict
from services.help.models import Neighbour, StoredOffer, StoredRequest
from tests.support.fakes import FakeRepository, page


class FakeHelpRepository(FakeRepository):
    # -- written as the real repository writes them ------------------------------------------------------
    def insert(self, document) -> None:
        try:
            super().insert(document)
        except NotUniqueError:
            if isinstance(document, StoredOffer):
                raise Conflict("You have already offered to help with this request.")
            raise

    def update(self, document) -> None:
        if isinstance(document, StoredRequest):
            stored = self.stored(StoredRequest, document.id)
            if stored is not None and stored.version != document.version:
                raise Conflict("Somebody changed this request a moment ago. Please look again.")
            document.version += 1
        super().update(document)

    # -- requests -----------------------------------------------------------------------------------------
    def request(self, community_id: str, request_id: str) -> StoredRequest | None:
        stored = self.stored(StoredRequest, request_id)
        return stored if stored is not None and stored.community_id == community_id else None

    def list_requests(self, community_id: str, *, status=None, category=None, requester_id=None, limit: int,
                      cursor: str | None) -> tuple[list[StoredRequest], str | None]:
        found = [r for r in self.all(StoredRequest) if r.community_id == community_id
                 and (not status or r.status == status) and (not category or r.category == category)
                 and (not requester_id or r.requester_id == requester_id)]
        return page(found, field="created_at", kind=datetime, limit=limit, cursor=cursor, newest_first=True)

    def due_to_expire(self, now: datetime, limit: int = 500) -> list[StoredRequest]:
        return [r for r in self.all(StoredRequest) if r.status == "open" and r.expires_at <= now][:limit]

    def requests_of(self, member_id: str) -> list[StoredRequest]:
        return [r for r in self.all(StoredRequest) if r.requester_id == member_id]

    def requests_by_id(self, ids: list[str]) -> list[StoredRequest]:
        return [r for r in self.all(StoredRequest) if r.id in ids]

    # -- offers ---------------------------------------------------------------------------------------------
    def offers_for(self, request_ids: list[str]) -> list[StoredOffer]:
        return sorted((o for o in self.all(StoredOffer) if o.request_id in request_ids), key=lambda o: o.created_at)

    def offers_of(self, member_id: str) -> list[StoredOffer]:
        return [o for o in self.all(StoredOffer) if o.helper_id == member_id]

    # -- neighbours -----------------------------------------------------------------------------------------
    def neighbours(self, community_id: str) -> list[Neighbour]:
        return [n for n in self.all(Neighbour) if n.community_id == community_id]

    def neighbours_by_id(self, ids) -> dict[str, Neighbour]:
        return {n.id: n for n in self.all(Neighbour) if n.id in set(ids)}

    def neighbour(self, member_id: str) -> Neighbour | None:
        return self.stored(Neighbour, member_id)

    def forget_neighbour(self, member_id: str) -> None:
        self.forget(Neighbour, member_id)
