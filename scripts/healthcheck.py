"""Container healthcheck: ask one process of the platform whether it is healthy, print one line, exit 0 or 1.

    python scripts/healthcheck.py gateway    # GET http://127.0.0.1:$GATEWAY_PORT/healthz in this container
    python scripts/healthcheck.py members    # the RPC members.health() through the broker at $AMQP_URI

Any name other than `gateway` is a Nameko service with a `health` RPC (spaces, help and notifications as they
come), so new services need no change here. Exit status 1 for every failure, usage errors included: Docker
reserves 2. Standard library and nameko only, so it runs in the platform image without the platform's code.
"""
import os
import sys
import urllib.error
import urllib.request
import warnings
from urllib.parse import urlsplit

TIMEOUT_SECONDS = 5
USAGE = "usage: python scripts/healthcheck.py gateway|<nameko service name>"


class Unhealthy(Exception):
    """The reason, in words, that the process is not healthy."""


def check_gateway() -> str:
    url = f"http://127.0.0.1:{os.environ.get('GATEWAY_PORT') or '8080'}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            return f"answered {response.status} at {url}"
    except urllib.error.HTTPError as error:
        raise Unhealthy(f"answered {error.code} at {url}") from None
    except urllib.error.URLError as error:
        raise Unhealthy(f"nothing answers at {url} ({error.reason})") from None
    except OSError as error:  # a timeout while reading, a connection reset
        raise Unhealthy(f"no answer at {url} ({type(error).__name__}: {error})") from None


def check_service(name: str) -> str:
    amqp_uri = os.environ.get("AMQP_URI")
    if not amqp_uri:
        raise Unhealthy("AMQP_URI is not set")
    broker = broker_address(amqp_uri)
    # Importing nameko makes eventlet warn that it is deprecated: that would be a second line of output.
    warnings.filterwarnings("ignore")
    from nameko.exceptions import RpcTimeout, UnknownService
    from nameko.standalone.rpc import ClusterRpcProxy

    try:
        with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=TIMEOUT_SECONDS) as rpc:
            answer = getattr(rpc, name).health()
    except RpcTimeout:
        raise Unhealthy(f"did not answer health() within {TIMEOUT_SECONDS} s") from None
    except UnknownService:
        raise Unhealthy("is not running (no queue for it on the broker)") from None
    except (OSError, ConnectionError) as error:
        raise Unhealthy(f"broker {broker} cannot be reached ({type(error).__name__})") from None
    except Exception as error:  # a remote error from health() itself, a refused login, ...
        raise Unhealthy(f"{type(error).__name__}: {error}") from None
    if isinstance(answer, dict) and answer.get("ok") is False:
        raise Unhealthy(f"reports itself unhealthy: {answer}")
    return f"answered health() through {broker}"


def broker_address(amqp_uri: str) -> str:
    """host:port of the broker, for messages: the URI itself holds the password."""
    parts = urlsplit(amqp_uri)
    return f"{parts.hostname}:{parts.port or 5672}"


def main(argv: list[str]) -> int:
    if len(argv) == 1 and argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0
    if len(argv) != 1 or not argv[0].isidentifier():
        print(USAGE)
        return 1
    name = argv[0]
    try:
        detail = check_gateway() if name == "gateway" else check_service(name)
    except Unhealthy as reason:
        print(f"{name} unhealthy: {reason}", flush=True)
        return 1
    print(f"{name} healthy: {detail}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
