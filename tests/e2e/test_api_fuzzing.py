"""Hostile and odd input, generated from the OpenAPI document by schemathesis, against the running platform:
as a resident and as an organiser, no request may end in a server error, and every answer (its status, content
type, body and headers) must be one the document declares; invalid requests must be refused. Valid and invalid
requests, one operation at a time and in chains that follow the document's links (schemathesis.toml)."""
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.support.house import fill
from tests.support.processes import eventually

SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")
CONFIG = str(Path(__file__).with_name("schemathesis.toml"))
ERASURE = ("DELETE /api/v1/members/me",)
ACCOUNT_CHANGES = ("PATCH /api/v1/members/me", "PATCH /api/v1/members/{member_id}")
# Operations that would take from the rest of a run the rights it logs in with. Erasing one's account ends the
# login. An organiser may also give up the role (PATCH /members/me) once the run has registered a second one,
# and deactivate or demote members found in the directory (PATCH /members/{member_id}), itself included; a
# resident can do neither (their attempts are refused, and run with the rest). These run after the main runs,
# as members made for them (test_operations_that_change_the_account_of_the_run).
LEFT_OUT = {"ayse": ERASURE, "organiser": ERASURE + ACCOUNT_CHANGES}
ACCOUNT_RUNS = {
    # With the directory, whose member ids the changes take (a link).
    "organiser changes": ("organiser", (*ACCOUNT_CHANGES, "GET /api/v1/members")),
    "resident erasure": ("resident", ERASURE),
    "organiser erasure": ("organiser", ERASURE),
}


@pytest.fixture(scope="module")
def house(platform):
    """A house with members, a room, bookings, a help request with an offer and a notice: the lists the runs
    start from hold real ids, so chains of calls reach real things. And the members of the account runs, logged
    in now: the runs try wrong passwords, after which a login waits."""
    people = fill(platform)
    # A decision in the lists too (once the decisions service has heard of the members), so that the links
    # from the list of decisions lead somewhere.
    closes = (datetime.now(timezone.utc) + timedelta(days=5)).replace(microsecond=0).isoformat()
    assert eventually(lambda: people["organiser"].post("/api/v1/decisions", json={
        "title": "Farbe der Haustür", "body": "Welche Farbe?", "kind": "poll", "options": ["Gelb", "Blau"],
        "closes_at": closes}).status_code == 201, seconds=30), "the decisions service never heard of the members"
    for run, (role, _) in ACCOUNT_RUNS.items():
        people[run], _ = platform.join(people["organiser"], f"{run.replace(' ', '-')}@example.org", role=role)
    return people


def fuzz(platform, client, tmp_path, *options: str) -> str:
    """Run schemathesis against the platform as `client`'s member; returns its report, after checking it."""
    result = subprocess.run(
        [SCHEMATHESIS, "--config-file", CONFIG, "run", f"{platform.url}/api/openapi.json",
         "-H", f"Authorization: {client.session.headers['Authorization']}", *options],
        capture_output=True, text=True, timeout=600, cwd=tmp_path)  # its cache stays out of the work tree
    assert result.returncode == 0, result.stdout[-8000:]
    return result.stdout


@pytest.mark.parametrize("member", ["ayse", "organiser"])
def test_generated_requests_cause_no_server_error_and_no_undocumented_response(platform, house, member, tmp_path):
    report = fuzz(platform, house[member], tmp_path, *(f"--exclude-name={name}" for name in LEFT_OUT[member]))
    summary = re.search(r"(\d+) generated, (\d+) passed", report)
    assert summary and int(summary.group(1)) >= 1500, report[-2000:]
    stateful = re.search(r"Scenarios: +(\d+)\s+API Links: +(\d+) covered", report)
    assert stateful and int(stateful.group(1)) >= 10 and int(stateful.group(2)) >= 10, report[-2000:]


@pytest.mark.parametrize("run", ACCOUNT_RUNS)
def test_operations_that_change_the_account_of_the_run(platform, house, run, tmp_path):
    _, operations = ACCOUNT_RUNS[run]
    # Nothing links to DELETE /members/me: without links there is no stateful phase to run.
    phases = ("--phases=examples,coverage,fuzzing",) if operations == ERASURE else ()
    report = fuzz(platform, house[run], tmp_path, "--max-examples=10", *phases,
                  *(f"--include-name={name}" for name in operations))
    assert re.search(rf"Tested: +{len(operations)}\b", report), report[-2000:]
