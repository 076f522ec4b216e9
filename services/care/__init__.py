"""The care service: "Safe at home" — the daily check-in, alerts that escalate to neighbours, the emergency sheet."""
