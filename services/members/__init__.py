"""The members service: communities, invitations, members, households, roles, credentials, languages, privacy."""
