"""The decisions service: "Deciding together" — polls and consent rounds everyone can take part in."""
