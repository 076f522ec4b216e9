"""The Dockerfile, read without Docker: a pinned multi-stage build of the runtime dependencies only, a final stage
that runs as an unprivileged user, and a default command that is the Procfile's gateway."""
import json
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, with continuation lines joined and comments left out."""
    joined, pending = [], ""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue  # Docker drops comment lines, even between continuation lines
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        joined.append(pending + stripped)
        pending = ""
    return [(keyword.upper(), arguments.strip())
            for keyword, _, arguments in (line.partition(" ") for line in joined)]


def stages() -> list[dict]:
    found = []
    for keyword, arguments in instructions():
        if keyword == "FROM":
            words = [word for word in arguments.split() if not word.startswith("--")]
            found.append({"image": words[0], "name": words[2] if len(words) > 2 else None, "steps": []})
        elif found:
            found[-1]["steps"].append((keyword, arguments))
    return found


def final_stage() -> dict:
    return stages()[-1]


def steps(keyword: str, stage: dict | None = None) -> list[str]:
    return [arguments for name, arguments in (stage or final_stage())["steps"] if name == keyword]


def environment() -> dict[str, str]:
    env = {}
    for arguments in steps("ENV"):
        for pair in shlex.split(arguments):
            name, _, value = pair.partition("=")
            env[name] = value
    return env


def test_the_image_is_built_in_at_least_two_stages():
    assert len(stages()) >= 2


def test_every_stage_starts_from_an_image_pinned_by_tag_and_never_latest():
    earlier = set()
    for stage in stages():
        image = stage["image"]
        if image in earlier:
            continue  # built on an earlier stage of this file
        name = image.split("@", 1)[0].rsplit("/", 1)[-1]
        assert ":" in name or "@" in image, f"{image} has no tag (Docker would take latest)"
        assert not name.endswith(":latest"), f"{image} uses the latest tag"
        earlier.add(stage["name"])


def test_the_final_stage_starts_from_the_same_base_as_the_builder():
    assert final_stage()["image"] == stages()[0]["image"]


def test_the_final_stage_runs_as_an_unprivileged_user_with_a_fixed_uid():
    users = steps("USER")
    assert users, "the final stage sets no USER: it would run as root"
    assert users[-1].split(":")[0] not in ("root", "0")
    assert any("--uid 10001" in command for command in steps("RUN")), "the app user needs the fixed uid 10001"


def test_only_the_runtime_requirements_are_installed():
    text = (ROOT / "Dockerfile").read_text()
    assert "requirements-dev.txt" not in text
    assert any("requirements.txt" in copy.split()[0] for copy in steps("COPY", stages()[0]))


def test_the_final_stage_copies_the_virtualenv_and_the_code():
    sources = {copy.split()[-2].rstrip("/") for copy in steps("COPY")}
    assert {"/opt/venv", "services", "gateway", "scripts"} <= sources, sources
    assert any(copy.startswith("--from=") for copy in steps("COPY")), "the virtualenv comes from the builder"


def test_the_virtualenv_is_on_the_path_and_output_is_unbuffered():
    env = environment()
    assert env["PATH"].startswith("/opt/venv/bin:")
    assert env["PYTHONUNBUFFERED"] == "1"
    assert steps("WORKDIR")[-1] == "/app"
    assert "8080" in " ".join(steps("EXPOSE")).split()


def test_the_default_command_is_the_gateway_command_of_the_procfile():
    procfile = dict(line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if ":" in line)
    gateway = shlex.split(procfile["gateway"])
    gateway[0] = Path(gateway[0]).name  # .venv/bin/gunicorn locally, on the PATH in the image
    assert json.loads(steps("CMD")[-1]) == gateway


def test_the_build_context_leaves_out_local_state_and_secrets():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert {".venv", ".git", ".run", "test-artifacts", "**/__pycache__", ".env"} <= ignored
