"""A RabbitMQ node of a test's own, for tests that take the broker away: the machine's RabbitMQ serves other
test runs at the same time and is never stopped.

The node runs from the installed RabbitMQ under a name, ports, data and log folders of its own, and an Erlang
cookie of its own (in a HOME of its own, which `rabbitmqctl` reads too), with the management plugin so that
`Platform` gives it a virtual host as it does on the shared broker. It is started in the foreground as a child
process of the test (its PID is the Erlang VM's), stopped with `rabbitmqctl stop`, and killed by that PID if
it does not stop.
"""
import os
import secrets
import shutil
import subprocess
import uuid
from pathlib import Path

from tests.support.processes import free_port

# Debian and Ubuntu install RabbitMQ's own scripts here; /usr/sbin holds wrappers that switch to the rabbitmq
# user, who could read neither this node's folder nor its cookie.
PACKAGED_SCRIPTS = Path("/usr/lib/rabbitmq/bin")


def scripts() -> Path:
    if (PACKAGED_SCRIPTS / "rabbitmq-server").exists():
        return PACKAGED_SCRIPTS
    found = shutil.which("rabbitmq-server")
    if not found:
        raise RuntimeError("rabbitmq-server is not installed (apt-get install rabbitmq-server)")
    return Path(found).resolve().parent


class PrivateBroker:
    def __init__(self, folder: Path):
        amqp_port, dist_port, management_port = free_port(), free_port(), free_port()
        self.folder = folder
        self.node = f"chaos-{uuid.uuid4().hex[:8]}@localhost"
        self.amqp_base = f"pyamqp://guest:guest@127.0.0.1:{amqp_port}"
        self.management_api = f"http://guest:guest@127.0.0.1:{management_port}"
        self.process: subprocess.Popen | None = None
        folder.mkdir(parents=True, exist_ok=True)
        cookie = folder / ".erlang.cookie"
        cookie.write_text(secrets.token_hex(20).upper())
        cookie.chmod(0o400)
        (folder / "rabbitmq.conf").write_text(
            f"listeners.tcp.local = 127.0.0.1:{amqp_port}\n"
            f"management.tcp.ip = 127.0.0.1\nmanagement.tcp.port = {management_port}\n")
        (folder / "enabled_plugins").write_text("[rabbitmq_management].\n")
        self.env = {**os.environ, "HOME": str(folder), "RABBITMQ_NODENAME": self.node,
                    "RABBITMQ_NODE_PORT": str(amqp_port), "RABBITMQ_DIST_PORT": str(dist_port),
                    "RABBITMQ_MNESIA_BASE": str(folder / "mnesia"), "RABBITMQ_LOG_BASE": str(folder / "log"),
                    "RABBITMQ_CONFIG_FILE": str(folder / "rabbitmq.conf"),
                    "RABBITMQ_ENABLED_PLUGINS_FILE": str(folder / "enabled_plugins")}

    def start(self) -> "PrivateBroker":
        log = open(self.folder / "server.log", "ab")
        self.process = subprocess.Popen([str(scripts() / "rabbitmq-server")], cwd=self.folder, env=self.env,
                                        stdout=log, stderr=subprocess.STDOUT)
        try:
            # Waits for the VM of that PID to come up and for the broker in it to finish booting.
            self.ctl("wait", "--pid", str(self.process.pid), "--timeout", "90")
        except BaseException:
            self.kill()
            raise
        return self

    def ctl(self, *args: str) -> None:
        """rabbitmqctl against this node (never the machine's own)."""
        done = subprocess.run([str(scripts() / "rabbitmqctl"), "-n", self.node, *args], env=self.env,
                              capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)} on {self.node}: {done.stdout}{done.stderr}")

    def stop_app(self) -> None:
        """The broker goes away (connections closed, ports shut), the Erlang VM stays."""
        self.ctl("stop_app")

    def start_app(self) -> None:
        self.ctl("start_app")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            self.ctl("stop")
            self.process.wait(timeout=30)
        except (RuntimeError, subprocess.TimeoutExpired):
            self.kill()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
