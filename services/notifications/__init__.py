"""The notifications service: inbox, preferences, notices, deliveries and read receipts, in every language."""
