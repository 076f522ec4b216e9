"""The bare RPC round trip of the benchmarks: a Nameko service that answers at once and touches nothing.

Every platform service's `health` pings its database, so timing it adds a database round trip; this service
replies through the platform's own RPC entrypoint (`services.common.rpc`) and does nothing else. The
benchmarks start it next to the platform (`bench/echo.yml`) and time `bench_echo.ping` in the same run.
"""
from services.common.rpc import rpc


class EchoService:
    name = "bench_echo"

    @rpc
    def ping(self):
        return "pong"
