"""What crosses a boundary between the parts of the platform: the wire schemas of each service's RPC methods
(`members`, `spaces`, `help`, `notifications`), the building blocks they are made of (`schema`), and the shared
vocabulary (`vocabulary`: languages, help categories, the default time zone, patterns, paging).

The gateway and every service import only `services.contracts` and `services.common` from outside themselves
(`tests/static/test_boundaries.py` holds them to it): a service may change its insides without breaking anyone.
"""
