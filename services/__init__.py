"""The platform's Nameko services: members, spaces, help, notifications, and their shared package."""
