"""The activities service: activities and shared meals, with sign-ups, a waiting list, roles and a room."""
