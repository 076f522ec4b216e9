"""What every service shares: configuration, persistence, the event envelope, the outbox, idempotency,
and the error types that cross the wire. Nothing domain-specific lives here."""
