"""The shared RPC entrypoint on the real broker: a reply that cannot be published (the broker went away while
the worker ran) does not stop the service; the caller times out and the next call is answered."""
from unittest import mock

import pytest
from kombu.exceptions import OperationalError
from nameko.exceptions import RpcTimeout
from nameko.standalone.rpc import ClusterRpcProxy

from services.common.rpc import UnconfirmedPublisher, rpc


class Echo:
    name = "echo"

    @rpc
    def echo(self, text):
        return text


def test_a_reply_that_cannot_be_published_does_not_stop_the_service(container_factory, service_config):
    container = container_factory(Echo, service_config)
    container.start()
    with ClusterRpcProxy(service_config, timeout=2) as proxy:
        assert proxy.echo.echo("first") == "first"
        with mock.patch.object(UnconfirmedPublisher, "publish", side_effect=OperationalError("ECONNREFUSED")):
            with pytest.raises(RpcTimeout):
                proxy.echo.echo("lost")
        assert not container._died.ready(), "the container is still running"
        assert proxy.echo.echo("again") == "again"
