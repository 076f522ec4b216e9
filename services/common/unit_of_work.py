"""The unit of work of a command: the documents it added or changed, written when it commits, and the events they
carry, sent once the caller has its answer.

MongoDB writes one document atomically, and the platform uses no multi-document transactions (they need a
replica set; the embedded server has none). So a unit of work here is what can honestly be made atomic: each
document the command added or changed is written whole in one single-document write, together with the events
that announce its change (they ride in the document's outbox, see `services.common.outbox`). `commit` writes
them in the order the command named them, with the write rules of the service's repository (`insert`, `update`:
a conditional update, a unique email), and leaves their events to the outbox, which publishes them after the
reply. A command that fails before `commit` has written none of its documents: leaving the `with` block
without committing forgets them.

What steers a command while it runs are the repository's conditional operations, and they take effect at once:
claiming time in a space's week ledgers, an invitation, an email to send; inserting inbox entries once. Each is
one atomic write whose answer decides what the command does next.

    with uow:
        booking = uow.repository.booking(community_id, booking_id)
        ...                                    # change it, booking.record(event)
        uow.save(booking)
        uow.commit()                           # written; its event goes out after the reply

Each worker gets a unit of work of its own (`PlatformService.unit_of_work`); `tests.support.fakes` has one in
memory, for testing the commands without a broker or a database.
"""


class UnitOfWork:
    def __init__(self, repository, outbox):
        self.repository = repository  # what the command reads, and the conditional operations that steer it
        self._outbox = outbox  # the worker's `OutboxSender`
        self._pending: list[tuple[object, bool]] = []  # (document, new?) in the order named
        self._begun = False

    def __enter__(self) -> "UnitOfWork":
        if self._begun:
            raise RuntimeError("this unit of work has begun already; a command begins one at a time")
        self._begun = True
        return self

    def __exit__(self, *exc_info) -> None:
        self._pending = []  # not committed: nothing of it was written, so nothing to undo
        self._begun = False

    def add(self, *documents) -> None:
        """New documents: inserted when the unit commits."""
        self._pending += [(document, True) for document in documents]

    def save(self, *documents) -> None:
        """Changed documents: written when the unit commits."""
        self._pending += [(document, False) for document in documents]

    def commit(self) -> None:
        """Write what the command added and changed, each in one write; their events go out after the reply. A
        write the repository refuses (someone changed the document meanwhile, an address is taken) raises, and
        what came after it in the unit is not written."""
        pending, self._pending = self._pending, []
        for document, new in pending:
            if new:
                self.repository.insert(document)
            else:
                self.repository.update(document)
        self.publish_after_reply(*(document for document, _new in pending))

    def save_and_commit(self, *documents) -> None:
        """A whole unit of work of changed documents alone: begin, save them, commit."""
        with self:
            self.save(*documents)
            self.commit()

    def publish_after_reply(self, *documents) -> None:
        """Publish the events these stored documents carry once the caller has its answer (`commit` does so for
        what it wrote; a command names a document that a conditional operation of the repository stored with its
        events). The caller need not wait for the broker: the events are stored, and the outbox relay publishes
        them should this publish fail or the process die first."""
        announcing = [document for document in documents if getattr(document, "outbox", None)]
        if announcing:
            self._outbox.send_after_reply(*announcing)

    def publish(self) -> bool:
        """Publish now, before the reply, the events of what was committed: for a change others must know of
        before the caller hears it is done. False if the broker refused some; they stay stored for the relay."""
        return self._outbox.send_left()
