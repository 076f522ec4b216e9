"""The spaces service: shared rooms, their rules, bookings, series, approvals."""
