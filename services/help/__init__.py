"""The help service: neighbourhood help requests, offers, acceptance and completion."""
