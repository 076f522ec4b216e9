"""The platform as processes for end-to-end tests: services under `nameko run`, the gateway under gunicorn,
on a RabbitMQ virtual host of their own and databases of their own on the session's database server, and one
HTTP client helper to talk to it."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import requests

from tests.support.database import database_names, drop_databases, fresh_prefix

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
RABBIT_API = os.environ.get("RABBIT_API_URI", "http://guest:guest@127.0.0.1:15672")
AMQP_BASE = os.environ.get("AMQP_BASE_URI", "pyamqp://guest:guest@127.0.0.1:5672")
ORGANISER = {"email": "organiser@example.org", "password": "organiser password 1"}
MEMBER_PASSWORD = "a long enough password"

SERVICES = {
    "members": ("services/members/config.yml", "services.members.service:MembersService"),
    "spaces": ("services/spaces/config.yml", "services.spaces.service:SpacesService"),
    "help": ("services/help/config.yml", "services.help.service:HelpService"),
    "notifications": ("services/notifications/config.yml",
                      "services.notifications.service:NotificationsService"),
    "care": ("services/care/config.yml", "services.care.service:CareService"),
    "decisions": ("services/decisions/config.yml", "services.decisions.service:DecisionsService"),
    "activities": ("services/activities/config.yml", "services.activities.service:ActivitiesService"),
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def create_vhost(vhost: str, api: str = RABBIT_API, amqp_base: str = AMQP_BASE) -> str:
    """A RabbitMQ virtual host of a test's own, through the management API at `api`; returns its AMQP URI."""
    requests.put(f"{api}/api/vhosts/{quote(vhost, safe='')}", timeout=10).raise_for_status()
    requests.put(f"{api}/api/permissions/{quote(vhost, safe='')}/guest",
                 json={"configure": ".*", "write": ".*", "read": ".*"}, timeout=10).raise_for_status()
    return f"{amqp_base}/{quote(vhost, safe='')}"


def delete_vhost(vhost: str, api: str = RABBIT_API) -> None:
    requests.delete(f"{api}/api/vhosts/{quote(vhost, safe='')}", timeout=10)


class Site:
    """A running platform seen from outside, at `url`: log in, join, and one HTTP client per person."""

    def __init__(self, url: str):
        self.url = url

    def client(self, token: str | None = None) -> "Client":
        return Client(self.url, token)

    def login(self, email: str, password: str) -> "Client":
        response = self.client().post("/api/v1/auth/login", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        return self.client(response.json()["token"])

    def organiser(self) -> "Client":
        return self.login(ORGANISER["email"], ORGANISER["password"])

    def join(self, organiser: "Client", email: str, *, role: str = "resident", **profile) -> tuple["Client", dict]:
        """Invite `email` as `organiser`, register with the code and log in: the member's client and profile.
        `profile` adds or overrides registration fields (display_name, preferred_language, phone, ...)."""
        invitation = organiser.post("/api/v1/invitations", json={"email": email, "role": role})
        assert invitation.status_code == 201, invitation.text
        body = {"invitation_code": invitation.json()["code"], "email": email, "password": MEMBER_PASSWORD,
                "display_name": email.split("@")[0].title(), "preferred_language": "de", **profile}
        registered = self.client().post("/api/v1/members", json=body)
        assert registered.status_code == 201, registered.text
        return self.login(email, MEMBER_PASSWORD), registered.json()


class Platform(Site):
    """`amqp_base` and `rabbit_api` name the broker (the machine's by default, or a test's own node)."""

    def __init__(self, log_dir: Path, database_uri: str, instances: dict[str, int] | None = None, *,
                 amqp_base: str = AMQP_BASE, rabbit_api: str = RABBIT_API, together: bool = False, **extra_env):
        if together and instances:
            raise ValueError("several instances of a service need a process each: together=False")
        self.instances = instances or {}
        self.together = together
        self.rabbit_api = rabbit_api
        self.database_uri = database_uri
        self.databases = database_names(fresh_prefix("e2e"))
        self.vhost = f"e2e-{uuid.uuid4().hex[:8]}"
        self.port = free_port()
        super().__init__(f"http://127.0.0.1:{self.port}")
        self.log_dir = log_dir
        self.processes: dict[str, subprocess.Popen] = {}
        self.env = {
            **os.environ,
            "AMQP_URI": f"{amqp_base}/{quote(self.vhost, safe='')}",
            "MONGODB_URI": database_uri,
            **self.databases,
            "GATEWAY_PORT": str(self.port),
            "GATEWAY_WORKERS": "2",
            "BOOTSTRAP_ORGANISER_EMAIL": ORGANISER["email"],
            "BOOTSTRAP_ORGANISER_PASSWORD": ORGANISER["password"],
            "BOOTSTRAP_ORGANISER_NAME": "Olga Organiser",
            "OUTBOX_RELAY_GRACE_SECONDS": "1",
            "RPC_TIMEOUT_SECONDS": "5",
            "PYTHONWARNINGS": "ignore",
            # Tests register and log in hundreds of members: the cheapest hashing unless told otherwise (the
            # benchmarks use the production profile).
            "PASSWORD_HASH_PROFILE": os.environ.get("PASSWORD_HASH_PROFILE", "CHEAPEST"),
            **extra_env,
        }

    # -- life cycle ------------------------------------------------------------------------------------
    def start(self) -> "Platform":
        create_vhost(self.vhost, self.rabbit_api)
        if self.together:
            (config, service_class), *others = SERVICES.values()
            also = [part for other in others for part in ("--also", *other)]
            self._spawn("services", [sys.executable, "-m", "scripts.run_service", "--config", config, *also,
                                     service_class])
        else:
            for name in SERVICES:
                self.start_service(name, self.instances.get(name, 1))
        self._spawn("gateway", [str(BIN / "gunicorn"), "--config", "gateway/gunicorn_conf.py",
                                "gateway.app:create_app()"])
        self.wait_until_ready()
        return self

    def stop(self) -> None:
        """The end of the platform: the gateway stops (its workers with it), the services are killed rather than
        stopped gracefully, which takes them 3 s: their virtual host and databases are deleted next, so nothing
        they would still finish could matter."""
        self._terminate([key for key in self.processes if key == "gateway"])
        for key in list(self.processes):
            process = self.processes.pop(key)
            process.kill()
            process.wait()
        delete_vhost(self.vhost, self.rabbit_api)
        drop_databases(self.database_uri, *self.databases.values())

    def stop_processes(self) -> None:
        """Stop every service and the gateway, keeping the vhost and the databases (`start()` starts them again).
        All at once: each takes a few seconds to finish its workers and close its connections."""
        self._terminate(list(self.processes))

    def start_service(self, name: str, instances: int = 1) -> None:
        """Start `instances` processes of the service, competing consumers of its queues on its database."""
        self._separately(name)
        config, service_class = SERVICES[name]
        for number in range(1, instances + 1):
            self._spawn(name if number == 1 else f"{name}#{number}",
                        [sys.executable, "-m", "scripts.run_service", "--config", config, service_class])

    def _separately(self, name: str) -> None:
        if self.together:
            raise RuntimeError(f"the services run in one process here: to start or stop {name} alone, start the "
                               "platform with together=False")

    def processes_of(self, name: str) -> list[str]:
        self._separately(name)
        return [key for key in self.processes if key == name or key.startswith(f"{name}#")]

    def stop_service(self, name: str) -> None:
        """SIGTERM to every process of the service: Nameko lets running workers finish."""
        self._terminate(self.processes_of(name))

    def _terminate(self, keys: list[str]) -> None:
        stopping = [self.processes.pop(key) for key in keys]
        for process in stopping:
            process.send_signal(signal.SIGTERM)
        for process in stopping:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def kill_service(self, name: str) -> None:
        """SIGKILL to every process of the service: no graceful stop, unacked messages go back to their queues,
        nothing is flushed."""
        for key in self.processes_of(name):
            process = self.processes.pop(key)
            process.send_signal(signal.SIGKILL)
            process.wait()

    def queues(self) -> list[dict]:
        """The vhost's queues as the management API reports them (its figures lag by a few seconds)."""
        response = requests.get(f"{self.rabbit_api}/api/queues/{quote(self.vhost, safe='')}", timeout=10)
        response.raise_for_status()
        return response.json()

    def _spawn(self, name: str, command: list[str]) -> None:
        log = open(self.log_dir / f"{name.replace('#', '-')}.log", "ab")
        self.processes[name] = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log,
                                                stderr=subprocess.STDOUT)

    def wait_until_ready(self, timeout: float = 60) -> None:
        """Poll /readyz while processes start (a start-up wait, not waiting for an event)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with {process.returncode}; the end of "
                                       f"{self.log_dir}/{name}.log:\n{self.log_tail(name)}")
            try:
                if requests.get(f"{self.url}/readyz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:  # not listening yet, or too busy starting to answer in time
                pass
            time.sleep(0.3)
        raise RuntimeError(f"the platform did not become ready; see logs in {self.log_dir}")

    def log_tail(self, name: str, lines: int = 25) -> str:
        """The last lines a process wrote, for the message of a test that failed because it exited."""
        path = self.log_dir / f"{name.replace('#', '-')}.log"
        try:
            return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def cli(self, *args: str, **env) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, env={**self.env, **env},
                              capture_output=True, text=True, timeout=60)


class Client:
    """The one HTTP client helper of the tests: JSON in and out, an optional bearer token."""

    def __init__(self, base_url: str, token: str | None = None):
        self.base_url = base_url
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def acting_for(self, member_id: str) -> "Client":
        """The same person, acting for a resident who trusts them (every request carries `X-Acting-For`)."""
        client = Client(self.base_url)
        client.session.headers.update(self.session.headers)
        client.session.headers["X-Acting-For"] = member_id
        return client

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 15)
        return self.session.request(method, self.base_url + path, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def patch(self, path, **kwargs):
        return self.request("PATCH", path, **kwargs)

    def put(self, path, **kwargs):
        return self.request("PUT", path, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)


def readable(response: requests.Response) -> str:
    """An answer as text to look for what people entered in: JSON without its escapes (ä, not \\u00e4),
    iCalendar with its folded lines joined."""
    if not response.content:
        return ""
    if response.headers.get("Content-Type", "").startswith(("application/json", "application/problem+json")):
        return json.dumps(response.json(), ensure_ascii=False)
    return response.text.replace("\r\n ", "")


def eventually(check, seconds: float = 60, interval: float = 0.2):
    """Poll `check` until it returns something true or the deadline passes (waiting on other processes, which
    have no event to wait on); returns the last result."""
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)


def platform_for_module(request, artifacts: Path, together: bool = True, **extra_env):
    """The body of a module-scoped `platform` fixture: a running platform, its logs under artifacts/logs;
    `extra_env` sets the processes' environment (CHECKIN_TIMER_SECONDS="1", ...). The services run in one
    process unless `together` is False (a test that stops or kills one of them)."""
    log_dir = artifacts / "logs" / request.module.__name__.rsplit(".", 1)[-1]
    log_dir.mkdir(parents=True, exist_ok=True)
    running = Platform(log_dir, request.getfixturevalue("database_uri"), together=together, **extra_env).start()
    yield running
    running.stop()
