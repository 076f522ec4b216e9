"""The real decisions repository on an in-memory store (its conditional updates are the service's rules), a
recording outbox and a request's unit of work."""
import uuid
from datetime import datetime, timezone

import pytest

from services.common.outbox import OutboxSender
from services.common.unit_of_work import UnitOfWork
from services.decisions import commands
from services.decisions.models import Decision
from services.decisions.repository import DecisionsRepository
from tests.support import memory_store

COMMUNITY = "c-altona"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


class RecordingOutbox(OutboxSender):
    """The real outbox sender (events leave the stored document once sent), publishing at once to a list."""

    def __init__(self):
        self.published: list[dict] = []
        super().__init__(lambda type_, event: self.published.append(event), (Decision,))

    def send_after_reply(self, *documents):
        self.send(*documents)


class House:
    def __init__(self, repo):
        self.repo = repo
        self.outbox = RecordingOutbox()

    def work(self) -> UnitOfWork:
        return UnitOfWork(self.repo, self.outbox)

    def events(self, type_: str) -> list[dict]:
        return [e for e in self.outbox.published if e["type"] == type_]

    def join(self, member_id, *, role="resident", household="B2", language="de", languages=("de",), phone=None,
             community=COMMUNITY):
        commands.remember_member(self.work(), {"community_id": community, "payload": {
            "member_id": member_id, "display_name": member_id.title(), "role": role, "household": household,
            "preferred_language": language, "languages": list(languages), "phone": phone, "active": True}})
        return actor(member_id, role=role, language=language, community=community)


def actor(member_id, *, role="resident", language="de", community=COMMUNITY):
    return {"member_id": member_id, "community_id": community, "role": role, "preferred_language": language,
            "display_name": member_id.title(), "timezone": "Europe/Berlin"}


@pytest.fixture
def house():
    memory_store.connect("decisions", f"decisions_{uuid.uuid4().hex[:8]}")
    repo = DecisionsRepository()
    for document in DecisionsRepository.documents:
        document.ensure_indexes()
    yield House(repo)
    memory_store.disconnect("decisions")
