"""The gateway: the HTTP API and web pages in front of the Nameko services. It keeps no data of its own."""
