"""docker-compose.yml, read without Docker: every container is checked by health, pinned, wired to the broker and
the database, and in step with the Procfile, .env.example, the broker's configuration and the healthcheck script."""
import os
import re
import shlex
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
INFRASTRUCTURE = ("rabbitmq", "mongo")
SERVICE_CLASS = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*")  # package.module:Class
# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?message}, ${VAR?message}; `$$` is a literal dollar sign.
VARIABLE = re.compile(r"(?<!\$)\$\{(?P<name>[A-Za-z_]\w*)(?P<rest>[^}]*)\}"
                      r"|(?<!\$)\$(?P<bare>[A-Za-z_]\w*)")


# -- reading the files ---------------------------------------------------------------------------------------------
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())  # the safe loader resolves the `<<` merge keys


def services() -> dict:
    return compose()["services"]


def argv(command) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else list(command or [])


def nameko_service(command) -> dict | None:
    """`--config` and `module:Class` of a command that runs a Nameko service, or None for any other command.

    Two runners start services: `nameko run` (one instance per process, as in the containers) and
    `scripts/run_service.py` (several instances in one process, as `make run` does).
    """
    options = runner_options(argv(command))
    if options is None:
        return None
    found = {"config": None, "target": None}
    rest = iter(options)
    for word in rest:
        if word == "--config":
            found["config"] = next(rest, None)
        elif word.startswith("--config="):
            found["config"] = word.split("=", 1)[1]
        elif word.startswith("--") and "=" not in word:
            next(rest, None)  # the value of another option, such as --instances 2
        elif SERVICE_CLASS.fullmatch(word):
            found["target"] = word
    return found


def runner_options(words: list[str]) -> list[str] | None:
    for index, word in enumerate(words):
        if Path(word).name == "nameko" and words[index + 1:index + 2] == ["run"]:
            return words[index + 2:]
        if word == "scripts.run_service" or word.endswith("scripts/run_service.py"):
            return words[index + 1:]
    return None


def nameko_services_in_compose() -> dict[str, dict]:
    return {name: run for name, service in services().items() if (run := nameko_service(service.get("command")))}


def procfile() -> dict[str, str]:
    """Procfile lines are `name: command`."""
    entries = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, command = line.split(":", 1)
            entries[name.strip()] = command.strip()
    return entries


def nameko_services_in_procfile() -> dict[str, dict]:
    # Only lines that run a Nameko service: `gateway` is gunicorn and `ready` is a helper of `make run`.
    return {name: run for name, command in procfile().items() if (run := nameko_service(command))}


def application_services() -> dict[str, dict]:
    """The containers of the platform's own image: whatever is built here, or runs a Nameko service."""
    return {name: service for name, service in services().items()
            if "build" in service or nameko_service(service.get("command"))}


def environment(service: dict) -> dict:
    value = service.get("environment") or {}
    if isinstance(value, list):
        return dict(item.split("=", 1) if "=" in item else (item, None) for item in value)
    return value


def with_defaults(text: str) -> str:
    """What Compose makes of `text` when no variable is set: defaults filled in, everything else empty."""
    def default(match):
        rest = match.group("rest") or ""
        return rest.split("-", 1)[1] if rest.startswith((":-", "-")) else ""
    return VARIABLE.sub(default, text)


def masked(text: str) -> tuple[str, dict[str, str]]:
    """`text` with each ${...} replaced by a plain token, so that its colons do not confuse a URL parser."""
    tokens = {}

    def mask(match):
        token = f"var{len(tokens)}"
        tokens[token] = match.group(0)
        return token
    return VARIABLE.sub(mask, text), tokens


def amqp_uri_parts(service: dict) -> dict:
    text, tokens = masked(environment(service)["AMQP_URI"])
    parts = urlsplit(text)
    return {"user": tokens.get(parts.username, parts.username), "password": tokens.get(parts.password, parts.password),
            "host": parts.hostname, "vhost": parts.path[1:] or "/"}


def env_example() -> list[tuple[str, str, str]]:
    """(name, value, the line above it) for each assignment in .env.example."""
    lines = (ROOT / ".env.example").read_text().splitlines()
    entries = []
    for number, line in enumerate(lines):
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            entries.append((name.strip(), value.strip(), lines[number - 1] if number else ""))
    return entries


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def healthcheck(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "scripts/healthcheck.py", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env={**os.environ, **env})


# -- every container -----------------------------------------------------------------------------------------------
def test_every_service_has_an_image_or_a_build():
    missing = [name for name, service in services().items() if not (service.get("image") or service.get("build"))]
    assert not missing, f"services without image or build: {missing}"


def test_every_service_has_a_healthcheck_with_a_test():
    missing = [name for name, service in services().items() if not (service.get("healthcheck") or {}).get("test")]
    assert not missing, f"services without a healthcheck test: {missing}"


def test_no_image_floats_on_latest_or_on_an_omitted_tag():
    for name, service in services().items():
        image = with_defaults(service.get("image") or "")
        if not image and "build" in service:
            continue
        reference, _, digest = image.partition("@")
        last_part = reference.rsplit("/", 1)[-1]
        tag = last_part.split(":", 1)[1] if ":" in last_part else ""
        assert tag or digest, f"{name}: image {service['image']!r} has no tag (Docker would take latest)"
        assert tag != "latest", f"{name}: image {service['image']!r} uses the latest tag"


def test_every_container_of_the_platform_image_uses_one_image_name():
    names = {service.get("image") for service in application_services().values()}
    assert len(names) == 1 and None not in names, f"application services should share one image name: {names}"


# -- the application services --------------------------------------------------------------------------------------
def test_the_members_service_and_the_gateway_are_application_services():
    assert {"members", "gateway"} <= set(application_services())


@pytest.mark.parametrize("name", sorted(application_services()))
def test_every_application_service_is_given_the_broker_and_the_database(name):
    env = environment(application_services()[name])
    assert env.get("AMQP_URI"), f"{name} has no AMQP_URI"
    assert env.get("MONGODB_URI"), f"{name} has no MONGODB_URI"


@pytest.mark.parametrize("name", sorted(application_services()))
def test_every_application_service_waits_for_a_healthy_broker_and_database(name):
    depends_on = application_services()[name].get("depends_on") or {}
    assert isinstance(depends_on, dict), f"{name}: depends_on must name a condition for each service"
    for needed in INFRASTRUCTURE:
        assert (depends_on.get(needed) or {}).get("condition") == "service_healthy", \
            f"{name} does not wait for {needed} to be healthy"


@pytest.mark.parametrize("name", sorted(application_services()))
def test_every_application_service_logs_in_to_the_broker_as_the_user_the_broker_creates(name):
    broker = environment(services()["rabbitmq"])
    uri = amqp_uri_parts(application_services()[name])
    assert uri["host"] == "rabbitmq"
    assert uri["user"] == broker["RABBITMQ_DEFAULT_USER"]
    assert uri["password"] == broker["RABBITMQ_DEFAULT_PASS"]


def test_the_services_use_the_virtual_host_the_broker_creates():
    conf = (ROOT / "deploy/rabbitmq/rabbitmq.conf").read_text()
    default_vhost = re.search(r"^default_vhost\s*=\s*(\S+)", conf, re.MULTILINE)
    vhost = default_vhost.group(1) if default_vhost else "/"
    for name, service in application_services().items():
        assert amqp_uri_parts(service)["vhost"] == vhost, f"{name} uses another vhost than {vhost!r}"


def test_the_broker_configuration_is_mounted_read_only_from_deploy():
    volumes = [volume for volume in services()["rabbitmq"].get("volumes", []) if isinstance(volume, str)]
    mounts = [volume for volume in volumes if volume.startswith("./deploy/rabbitmq/rabbitmq.conf:")]
    assert mounts, "rabbitmq does not mount deploy/rabbitmq/rabbitmq.conf"
    assert all(mount.endswith(":ro") for mount in mounts)
    assert (ROOT / "deploy/rabbitmq/rabbitmq.conf").is_file()


@pytest.mark.parametrize("name", sorted(application_services()))
def test_every_application_healthcheck_runs_the_healthcheck_script_for_its_own_name(name):
    test = argv(application_services()[name]["healthcheck"]["test"])
    assert test[-3:] == ["python", "scripts/healthcheck.py", name]


# -- in step with the Procfile -------------------------------------------------------------------------------------
def test_the_procfile_runs_at_least_one_nameko_service():
    assert "members" in nameko_services_in_procfile()


@pytest.mark.parametrize("name", sorted(nameko_services_in_procfile()))
def test_every_nameko_service_of_the_procfile_runs_in_compose_with_the_same_config_and_class(name):
    in_compose = nameko_services_in_compose()
    assert name in in_compose, f"{name} is in the Procfile but docker-compose.yml does not run it"
    assert in_compose[name] == nameko_services_in_procfile()[name]


def test_every_nameko_service_in_compose_is_in_the_procfile():
    extra = set(nameko_services_in_compose()) - set(nameko_services_in_procfile())
    assert not extra, f"docker-compose.yml runs services the Procfile does not: {sorted(extra)}"


# -- the gateway ---------------------------------------------------------------------------------------------------
def test_the_gateway_publishes_the_port_it_listens_on():
    gateway = services()["gateway"]
    env = environment(gateway)
    assert env.get("GATEWAY_HOST") == "0.0.0.0", "gunicorn must listen beyond the container's loopback"
    container_ports = {str(port).rsplit(":", 1)[-1].split("/")[0] for port in gateway.get("ports", [])}
    assert str(env.get("GATEWAY_PORT")) in container_ports


def test_the_gateway_runs_in_production_with_a_secret_that_must_be_given():
    env = environment(services()["gateway"])
    assert env.get("PLATFORM_ENV") == "production"
    assert re.fullmatch(r"\$\{GATEWAY_SECRET:\?.+\}", env.get("GATEWAY_SECRET", "")), \
        "GATEWAY_SECRET must be required (${GATEWAY_SECRET:?message}), never defaulted"


def test_the_gateway_waits_for_every_nameko_service_to_be_healthy():
    depends_on = services()["gateway"].get("depends_on") or {}
    for name in nameko_services_in_compose():
        assert (depends_on.get(name) or {}).get("condition") == "service_healthy", f"gateway does not wait for {name}"


# -- .env.example --------------------------------------------------------------------------------------------------
def test_env_example_names_every_variable_the_compose_file_uses():
    used = {match.group("name") or match.group("bare") for match in VARIABLE.finditer(COMPOSE_FILE.read_text())}
    listed = {name for name, _, _ in env_example()}
    assert used, "the compose file uses no variable: the pattern is broken"
    assert not used - listed, f".env.example lacks {sorted(used - listed)}"


def test_every_variable_in_env_example_is_explained_by_the_comment_above_it():
    unexplained = [name for name, _, above in env_example() if not above.lstrip().startswith("#")]
    assert not unexplained, f"no comment above {unexplained}"


def test_a_copied_env_example_cannot_start_the_platform_with_a_published_secret():
    required = {match.group("name") for match in VARIABLE.finditer(COMPOSE_FILE.read_text())
                if (match.group("rest") or "").startswith((":?", "?"))}
    values = {name: value for name, value, _ in env_example()}
    assert {"RABBITMQ_PASSWORD", "GATEWAY_SECRET", "CHECKIN_LINK_SECRET"} <= required
    filled = {name for name in required if values.get(name)}
    assert not filled, f".env.example gives required secrets a value: {sorted(filled)}"


# -- scripts/healthcheck.py ----------------------------------------------------------------------------------------
def test_the_healthcheck_reports_a_gateway_with_nothing_listening_as_unhealthy():
    port = free_port()
    result = healthcheck("gateway", GATEWAY_PORT=str(port))
    assert result.returncode == 1
    assert result.stdout.count("\n") == 1 and not result.stderr, (result.stdout, result.stderr)
    assert result.stdout.startswith("gateway unhealthy:") and f":{port}/healthz" in result.stdout


def test_the_healthcheck_reports_a_gateway_answering_healthz_as_healthy():
    server = subprocess.Popen([sys.executable, "-c", HEALTHZ_SERVER], stdout=subprocess.PIPE, text=True)
    try:
        port = server.stdout.readline().strip()
        result = healthcheck("gateway", GATEWAY_PORT=port)
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert result.returncode == 0, result.stdout
    assert result.stdout.startswith("gateway healthy:") and result.stdout.count("\n") == 1


def test_the_healthcheck_reports_an_unreachable_broker_without_revealing_its_password():
    result = healthcheck("members", AMQP_URI=f"pyamqp://cohousing:not-to-be-printed@127.0.0.1:{free_port()}/")
    assert result.returncode == 1
    assert result.stdout.startswith("members unhealthy:") and result.stdout.count("\n") == 1, result.stdout
    assert "not-to-be-printed" not in result.stdout + result.stderr


def test_the_healthcheck_never_exits_2_which_docker_reserves():
    assert healthcheck().returncode == 1
    assert healthcheck("two", "names").returncode == 1


HEALTHZ_SERVER = """
import http.server

class Healthz(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/healthz" else 404)
        self.end_headers()
        self.wfile.write(b'{"status": "ok"}')

    def log_message(self, *args):
        pass

server = http.server.HTTPServer(("127.0.0.1", 0), Healthz)
print(server.server_address[1], flush=True)
server.serve_forever()
"""
