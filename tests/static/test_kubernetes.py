"""deploy/k8s, read without a cluster: every manifest parses and names itself, kustomization.yaml applies every
manifest, every Deployment is pinned, bounded, probed, unprivileged, configured and scaled, and stays in step
with docker-compose.yml, the services' config.yml files and the operators' resources."""
import re
import shlex
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
KUSTOMIZATION = K8S / "kustomization.yaml"
SECRET_EXAMPLE = K8S / "secret.example.yaml"
CONFIGMAP_NAME = "cohousing-config"
SECRET_NAME = "cohousing-secrets"
PLATFORM_USER = 10001
# Settings without a safe default for production: they hold passwords or the token-signing secret.
SECRET_SETTINGS = {"AMQP_URI", "MONGODB_URI", "GATEWAY_SECRET", "CHECKIN_LINK_SECRET"}
# `${NAME:default}` in the services' config.yml files (Nameko's environment substitution).
CONFIG_VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_]\w*)(?::(?P<default>[^}]*))?\}")
# env("NAME", ...), env_int(...), env_bool(...), os.environ.get("NAME"), os.getenv("NAME") in Python code.
CODE_VARIABLE = re.compile(r"""(?:\benv(?:_int|_bool)?|os\.environ\.get|os\.getenv)\(\s*["'](?P<name>\w+)["']""")
# Read by libraries rather than by the platform's code.
LIBRARY_SETTINGS = {"PROMETHEUS_MULTIPROC_DIR"}


# -- reading the files ---------------------------------------------------------------------------------------------
def manifest_files() -> list[Path]:
    return sorted(K8S.glob("*.yaml")) + sorted(K8S.glob("*.yml"))


def documents(path: Path) -> list[dict]:
    return [document for document in yaml.safe_load_all(path.read_text()) if document is not None]


def applied_objects() -> list[dict]:
    """Every object `kubectl apply -k` sends: the documents of the files kustomization.yaml lists."""
    return [document for name in kustomization()["resources"] for document in documents(K8S / name)]


def kustomization() -> dict:
    return yaml.safe_load(KUSTOMIZATION.read_text())


def of_kind(kind: str) -> dict[str, dict]:
    return {obj["metadata"]["name"]: obj for obj in applied_objects() if obj["kind"] == kind}


def one_of_kind(kind: str) -> dict:
    found = list(of_kind(kind).values())
    assert len(found) == 1, f"expected one {kind} in deploy/k8s, found {len(found)}"
    return found[0]


def deployments() -> dict[str, dict]:
    return of_kind("Deployment")


def containers(deployment: dict) -> list[dict]:
    return deployment["spec"]["template"]["spec"]["containers"]


def secret_example() -> dict:
    return next(doc for doc in documents(SECRET_EXAMPLE) if doc["kind"] == "Secret"
                and doc["metadata"]["name"] == SECRET_NAME)


def compose_services() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def nameko_run(command) -> dict | None:
    """`--config` and `module:Class` of a `nameko run` command (a string or a list), or None for another one."""
    words = shlex.split(command) if isinstance(command, str) else list(command or [])
    for index, word in enumerate(words):
        if Path(word).name == "nameko" and words[index + 1:index + 2] == ["run"]:
            options, found = iter(words[index + 2:]), {"config": None, "targets": []}
            for option in options:
                if option == "--config":
                    found["config"] = next(options, None)
                elif option.startswith("--config="):
                    found["config"] = option.split("=", 1)[1]
                elif not option.startswith("-"):
                    found["targets"].append(option)
            return found
    return None


def nameko_services_in_compose() -> dict[str, dict]:
    return {name: run for name, service in compose_services().items()
            if (run := nameko_run(service.get("command")))}


def config_variables() -> dict[str, set[str]]:
    """Every `${NAME:default}` the services' config.yml files read: name -> the defaults seen."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "services").glob("*/config.yml")):
        for match in CONFIG_VARIABLE.finditer(path.read_text()):
            found.setdefault(match["name"], set()).add(match["default"] or "")
    return found


def code_variables() -> set[str]:
    names = set()
    for folder in ("services", "gateway", "scripts"):
        for path in (ROOT / folder).rglob("*.py"):
            names.update(match["name"] for match in CODE_VARIABLE.finditer(path.read_text()))
    return names


def effective(container: dict, pod: dict, key: str):
    """A securityContext setting as it applies to the container: its own, or else the pod's."""
    own = container.get("securityContext") or {}
    return own[key] if key in own else (pod.get("securityContext") or {}).get(key)


def labels_match(selector: dict, labels: dict) -> bool:
    return bool(selector) and all(labels.get(key) == value for key, value in selector.items())


DEPLOYMENT_NAMES = sorted(deployments()) if KUSTOMIZATION.exists() else []


# -- the files -----------------------------------------------------------------------------------------------------
def test_the_kubernetes_manifests_exist():
    assert KUSTOMIZATION.exists() and len(manifest_files()) > 2


@pytest.mark.parametrize("path", manifest_files(), ids=lambda path: path.name)
def test_every_manifest_starts_with_a_comment_saying_what_it_is_for(path):
    assert path.read_text().startswith("# "), f"{path.name} does not start with a comment"


@pytest.mark.parametrize("path", manifest_files(), ids=lambda path: path.name)
def test_every_document_parses_and_has_an_api_version_a_kind_and_a_name(path):
    found = documents(path)
    assert found, f"{path.name} holds no document"
    for document in found:
        assert isinstance(document, dict), f"{path.name}: a document is not a mapping"
        assert document.get("apiVersion"), f"{path.name}: a document has no apiVersion"
        assert document.get("kind"), f"{path.name}: a document has no kind"
        assert (document.get("metadata") or {}).get("name"), f"{path.name}: a {document['kind']} has no name"


def test_the_kustomization_lists_exactly_the_manifests_present_except_the_secret_example():
    listed = kustomization()["resources"]
    assert len(listed) == len(set(listed)), "kustomization.yaml lists a file twice"
    present = {path.name for path in manifest_files()} - {KUSTOMIZATION.name, SECRET_EXAMPLE.name}
    assert set(listed) == present


def test_the_kustomization_puts_everything_in_the_cohousing_namespace_and_creates_it():
    assert kustomization()["namespace"] == "cohousing"
    assert "cohousing" in of_kind("Namespace")


def test_no_applied_object_is_a_secret():
    assert not of_kind("Secret"), "real Secrets are created by hand, never applied from the repository"


def test_every_object_has_the_platform_labels():
    for obj in applied_objects():
        labels = obj["metadata"].get("labels") or {}
        assert labels.get("app.kubernetes.io/part-of") == "cohousing", f"{obj['kind']} {obj['metadata']['name']}"
        if obj["kind"] != "Namespace":
            assert labels.get("app.kubernetes.io/name"), f"{obj['kind']} {obj['metadata']['name']}"
            assert labels.get("app.kubernetes.io/component"), f"{obj['kind']} {obj['metadata']['name']}"


# -- every Deployment ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", DEPLOYMENT_NAMES)
def test_every_deployment_runs_the_platform_image_on_a_pinned_tag(name):
    compose_image = compose_services()["gateway"]["image"].split(":")[0]
    for container in containers(deployments()[name]):
        repository, _, tag = container["image"].rpartition(":")
        assert repository and "/" not in tag, f"{name}: {container['image']} has no tag"
        assert tag != "latest", f"{name}: {container['image']} floats on latest"
        assert repository.endswith(compose_image), f"{name}: {container['image']} is not the platform image"
        assert container.get("imagePullPolicy") == "IfNotPresent"


@pytest.mark.parametrize("name", DEPLOYMENT_NAMES)
def test_every_container_has_cpu_and_memory_requests_and_limits(name):
    for container in containers(deployments()[name]):
        resources = container.get("resources") or {}
        for bound in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                assert (resources.get(bound) or {}).get(resource), f"{name}: no {resource} in {bound}"


@pytest.mark.parametrize("name", DEPLOYMENT_NAMES)
def test_every_container_has_a_readiness_and_a_liveness_probe(name):
    for container in containers(deployments()[name]):
        for probe in ("readinessProbe", "livenessProbe"):
            assert set(container.get(probe) or {}) & {"exec", "httpGet", "tcpSocket", "grpc"}, \
                f"{name}: no {probe} that checks anything"


@pytest.mark.parametrize("name", DEPLOYMENT_NAMES)
def test_every_container_runs_as_the_unprivileged_platform_user_on_a_read_only_root(name):
    pod = deployments()[name]["spec"]["template"]["spec"]
    for container in containers(deployments()[name]):
        assert effective(container, pod, "runAsNonRoot") is True, name
        assert effective(container, pod, "runAsUser") == PLATFORM_USER, name
        own = container.get("securityContext") or {}
        assert own.get("allowPrivilegeEscalation") is False, name
        assert own.get("readOnlyRootFilesystem") is True, name
        assert "ALL" in (own.get("capabilities") or {}).get("drop", []), name
        mounts = {mount["mountPath"] for mount in container.get("volumeMounts") or []}
        assert "/tmp" in mounts, f"{name}: a read-only root needs a writable /tmp"


@pytest.mark.parametrize("name", DEPLOYMENT_NAMES)
def test_every_container_reads_the_configmap_and_the_secret(name):
    for container in containers(deployments()[name]):
        sources = container.get("envFrom") or []
        assert {"configMapRef": {"name": CONFIGMAP_NAME}} in sources, name
        assert {"secretRef": {"name": SECRET_NAME}} in sources, name


@pytest.mark.parametrize("name", DEPLOYMENT_NAMES)
def test_every_deployment_runs_at_least_two_instances_and_waits_for_running_work(name):
    spec = deployments()[name]["spec"]
    assert spec.get("replicas", 1) >= 2
    assert spec["template"]["spec"].get("terminationGracePeriodSeconds", 30) >= 30
    assert labels_match(spec["selector"]["matchLabels"], spec["template"]["metadata"]["labels"])


@pytest.mark.parametrize("name", DEPLOYMENT_NAMES)
def test_every_deployment_has_an_autoscaler_from_two_instances_on_cpu(name):
    autoscalers = [hpa for hpa in of_kind("HorizontalPodAutoscaler").values()
                   if hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}]
    assert len(autoscalers) == 1, f"{name} has {len(autoscalers)} HorizontalPodAutoscalers"
    spec = autoscalers[0]["spec"]
    assert autoscalers[0]["apiVersion"] == "autoscaling/v2"
    assert 2 <= spec["minReplicas"] < spec["maxReplicas"]
    assert any(metric["type"] == "Resource" and metric["resource"]["name"] == "cpu" for metric in spec["metrics"])


@pytest.mark.parametrize("name", DEPLOYMENT_NAMES)
def test_every_deployment_has_a_disruption_budget_that_keeps_one_instance(name):
    labels = deployments()[name]["spec"]["template"]["metadata"]["labels"]
    budgets = [pdb for pdb in of_kind("PodDisruptionBudget").values()
               if labels_match(pdb["spec"]["selector"]["matchLabels"], labels)]
    assert len(budgets) == 1, f"{name} has {len(budgets)} PodDisruptionBudgets"
    assert budgets[0]["apiVersion"] == "policy/v1"
    assert budgets[0]["spec"].get("minAvailable", 0) >= 1


# -- in step with docker-compose.yml -------------------------------------------------------------------------------
def test_compose_runs_nameko_services_to_compare_with():
    assert len(nameko_services_in_compose()) >= 4


@pytest.mark.parametrize("name", sorted(nameko_services_in_compose()))
def test_every_nameko_service_of_compose_has_a_deployment_running_the_same_command(name):
    assert name in deployments(), f"docker-compose.yml runs {name}; deploy/k8s has no Deployment for it"
    expected = nameko_services_in_compose()[name]
    commands = [nameko_run(container.get("command")) for container in containers(deployments()[name])]
    assert expected in commands, f"{name}: {commands} differ from docker-compose.yml's {expected}"


@pytest.mark.parametrize("name", sorted(nameko_services_in_compose()))
def test_every_nameko_service_is_probed_with_the_healthcheck_compose_uses(name):
    healthcheck = compose_services()[name]["healthcheck"]["test"]
    expected = healthcheck[1:] if healthcheck[0] in ("CMD", "CMD-SHELL") else healthcheck
    for container in containers(deployments()[name]):
        for kind in ("readinessProbe", "livenessProbe"):
            probe = container[kind]
            assert probe["exec"]["command"] == expected, f"{name}: {kind} differs from compose"
            # The health RPC has 5 s, on top of starting Python and importing nameko.
            assert probe["timeoutSeconds"] >= 10 and probe["failureThreshold"] >= 3, f"{name}: {kind}"
        assert container["livenessProbe"].get("initialDelaySeconds", 0) > \
            container["readinessProbe"].get("initialDelaySeconds", 0), name


def test_the_gateway_runs_the_images_default_command_and_is_probed_over_http():
    gateway = deployments()["gateway"]
    (container,) = containers(gateway)
    assert "command" not in container and "args" not in container
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    mounts = {mount["mountPath"] for mount in container.get("volumeMounts") or []}
    assert one_of_kind("ConfigMap")["data"]["PROMETHEUS_MULTIPROC_DIR"] in mounts


def test_the_gateway_service_sends_port_80_to_the_gateways_port():
    service = of_kind("Service")["gateway"]
    (container,) = containers(deployments()["gateway"])
    labels = deployments()["gateway"]["spec"]["template"]["metadata"]["labels"]
    assert labels_match(service["spec"]["selector"], labels)
    (port,) = service["spec"]["ports"]
    ports = {p.get("name"): p["containerPort"] for p in container["ports"]}
    target = ports.get(port["targetPort"], port["targetPort"])
    assert port["port"] == 80
    assert target == int(one_of_kind("ConfigMap")["data"]["GATEWAY_PORT"]) == 8080
    for kind in ("readinessProbe", "livenessProbe"):
        assert ports.get(container[kind]["httpGet"]["port"], container[kind]["httpGet"]["port"]) == target


# -- the broker and the database -----------------------------------------------------------------------------------
def test_the_rabbitmq_cluster_has_three_nodes_and_quorum_queues_by_default():
    cluster = one_of_kind("RabbitmqCluster")
    assert cluster["apiVersion"] == "rabbitmq.com/v1beta1"
    assert cluster["spec"]["replicas"] == 3
    settings = dict(line.split("=", 1) for line in cluster["spec"]["rabbitmq"]["additionalConfig"].splitlines()
                    if "=" in line and not line.lstrip().startswith("#"))
    assert {key.strip(): value.strip() for key, value in settings.items()}.get("default_queue_type") == "quorum"


def test_the_mongodb_replica_set_has_three_members():
    database = one_of_kind("MongoDBCommunity")
    assert database["apiVersion"] == "mongodbcommunity.mongodb.com/v1"
    assert database["spec"]["type"] == "ReplicaSet"
    assert database["spec"]["members"] == 3
    assert database["spec"]["users"], "the platform needs a user of its own"


def test_the_configmap_asks_for_majority_journaled_writes_that_are_retried():
    data = one_of_kind("ConfigMap")["data"]
    assert data["MONGODB_WRITE_CONCERN"] == "majority"
    assert data["MONGODB_RETRY_WRITES"] == "true"
    assert data["MONGODB_JOURNAL"] == "true"
    assert int(data["MONGODB_SERVER_SELECTION_TIMEOUT_MS"]) < 5000  # inside the gateway's RPC timeout


def test_the_example_amqp_uri_points_at_the_rabbitmq_cluster_with_a_heartbeat():
    uri = urlsplit(secret_example()["stringData"]["AMQP_URI"])
    cluster = one_of_kind("RabbitmqCluster")["metadata"]["name"]
    assert uri.scheme in ("amqp", "pyamqp") and uri.port == 5672
    assert uri.hostname.split(".")[0] == cluster and uri.hostname.split(".")[1] == "cohousing"
    assert parse_qs(uri.query).get("heartbeat") == [one_of_kind("ConfigMap")["data"]["AMQP_HEARTBEAT"]]


def test_the_example_mongodb_uri_names_every_member_of_the_replica_set_and_majority_writes():
    uri = urlsplit(secret_example()["stringData"]["MONGODB_URI"])
    database = one_of_kind("MongoDBCommunity")
    options = parse_qs(uri.query)
    hosts = uri.netloc.rsplit("@", 1)[-1].split(",")
    assert len(hosts) == database["spec"]["members"]
    # The MongoDB Community Operator names the replica set after the resource.
    assert options.get("replicaSet") == [database["metadata"]["name"]]
    assert options.get("w") == ["majority"] and options.get("retryWrites") == ["true"]


# -- settings: which come from where ------------------------------------------------------------------------------
def test_the_settings_without_a_safe_default_are_read_by_the_platform():
    read = set(config_variables()) | code_variables()
    assert SECRET_SETTINGS <= read, f"no longer read: {SECRET_SETTINGS - read}; update SECRET_SETTINGS"


def test_every_setting_without_a_safe_default_comes_from_the_secret_and_not_the_configmap():
    configmap = one_of_kind("ConfigMap")["data"]
    example = secret_example()["stringData"]
    for name in SECRET_SETTINGS:
        assert name not in configmap, f"{name} is secret: it belongs in {SECRET_NAME}, not {CONFIGMAP_NAME}"
        assert name in example, f"{name} is missing from {SECRET_EXAMPLE.name}"
    for name in config_variables():
        if re.search(r"PASSWORD|SECRET|_URI$", name):
            assert name not in configmap, f"{name} looks secret: it belongs in {SECRET_NAME}"


def test_every_configmap_and_secret_key_is_a_setting_the_platform_reads():
    read = set(config_variables()) | code_variables() | LIBRARY_SETTINGS
    keys = set(one_of_kind("ConfigMap")["data"]) | set(secret_example()["stringData"])
    assert keys <= read, f"set but never read (a typo?): {sorted(keys - read)}"


def test_the_secret_example_is_an_example_with_placeholder_values():
    header = SECRET_EXAMPLE.read_text().split("apiVersion")[0]
    assert "example" in header.lower() and "kubectl create secret generic" in header
    for key, value in secret_example()["stringData"].items():
        if key != "BOOTSTRAP_ORGANISER_EMAIL":
            assert "CHANGE-ME" in value, f"{key} does not look like a placeholder"
