"""The help database, narrowed to the questions the service asks. Every query names its community."""
from datetime import datetime

from mongoengine import NotUniqueError
from mongoengine.errors import SaveConditionError

from services.common.errors import Conflict
from services.common.mongo import Repository
from services.common.paging import keyset_page
from services.help.models import ALIAS, Neighbour, StoredOffer, StoredRequest


class HelpRepository(Repository):
    alias = ALIAS
    documents = (StoredRequest, StoredOffer, Neighbour)

    # -- how a unit of work writes ---------------------------------------------------------------------
    def insert(self, document) -> None:
        try:
            super().insert(document)
        except NotUniqueError:
            if isinstance(document, StoredOffer):  # one offer per helper and request: its id says so
                raise Conflict("You have already offered to help with this request.")
            raise

    def update(self, document) -> None:
        """A change of a request is stored only if nobody changed the request since it was read."""
        if not isinstance(document, StoredRequest):
            return super().update(document)
        read_at = document.version
        document.version = read_at + 1
        try:
            document.save(save_condition={"version": read_at})
        except SaveConditionError:
            raise Conflict("Somebody changed this request a moment ago. Please look again.")

    # -- requests ---------------------------------------------------------------------------------------
    def request(self, community_id: str, request_id: str) -> StoredRequest | None:
        return StoredRequest.objects(community_id=community_id, id=request_id).first()

    def list_requests(self, community_id: str, *, status=None, category=None, requester_id=None, limit: int,
                      cursor: str | None) -> tuple[list[StoredRequest], str | None]:
        query = StoredRequest.objects(community_id=community_id)
        if status:
            query = query.filter(status=status)
        if category:
            query = query.filter(category=category)
        if requester_id:
            query = query.filter(requester_id=requester_id)
        return keyset_page(query, field="created_at", kind=datetime, limit=limit, cursor=cursor, newest_first=True)

    def due_to_expire(self, now: datetime, limit: int = 500) -> list[StoredRequest]:
        return list(StoredRequest.objects(status="open", expires_at__lte=now).limit(limit))

    def requests_of(self, member_id: str) -> list[StoredRequest]:
        return list(StoredRequest.objects(requester_id=member_id))

    def requests_by_id(self, ids: list[str]) -> list[StoredRequest]:
        return list(StoredRequest.objects(id__in=ids))

    # -- offers -------------------------------------------------------------------------------------------
    def offers_for(self, request_ids: list[str]) -> list[StoredOffer]:
        return list(StoredOffer.objects(request_id__in=request_ids).order_by("created_at"))

    def offers_of(self, member_id: str) -> list[StoredOffer]:
        return list(StoredOffer.objects(helper_id=member_id))

    # -- neighbours ---------------------------------------------------------------------------------------
    def neighbours(self, community_id: str) -> list[Neighbour]:
        return list(Neighbour.objects(community_id=community_id))

    def neighbours_by_id(self, ids) -> dict[str, Neighbour]:
        return {neighbour.id: neighbour for neighbour in Neighbour.objects(id__in=list(ids))}

    def neighbour(self, member_id: str) -> Neighbour | None:
        return Neighbour.objects(id=member_id).first()

    def forget_neighbour(self, member_id: str) -> None:
        Neighbour.objects(id=member_id).delete()
