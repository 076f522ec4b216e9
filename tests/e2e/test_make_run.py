"""`make run` keeps a house's data: stopped with Ctrl-C and started again, every view is the same; `INSTANCES=2`
runs two processes of every service on the same database."""
import contextlib
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from tests.support.house import fill, views
from tests.support.processes import ORGANISER, ROOT, Site, create_vhost, delete_vhost, free_port


class MakeRun:
    """`scripts/run.py` (what `make run` runs) in a process group of its own, as a terminal runs it."""

    def __init__(self, tmp_path):
        self.vhost = f"run-{uuid.uuid4().hex[:8]}"
        self.port = free_port()
        self.site = Site(f"http://127.0.0.1:{self.port}")
        self.log = tmp_path / "make-run.log"
        self.env = {key: value for key, value in os.environ.items() if key != "MONGODB_URI"}  # the embedded one
        self.env.update(DATA_DIR=str(tmp_path / "data"), EMBEDDED_DB_PORT=str(free_port()),
                        GATEWAY_PORT=str(self.port), GATEWAY_WORKERS="2",
                        BOOTSTRAP_ORGANISER_EMAIL=ORGANISER["email"],
                        BOOTSTRAP_ORGANISER_PASSWORD=ORGANISER["password"], PYTHONWARNINGS="ignore")
        self.process = None

    def start(self, **env) -> None:
        self.env["AMQP_URI"] = create_vhost(self.vhost)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen([sys.executable, "scripts/run.py"], cwd=ROOT, env={**self.env, **env},
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:  # a start-up wait: poll until the gateway says all are ready
            assert self.process.poll() is None, self.output()
            try:
                if requests.get(f"{self.site.url}/readyz", timeout=3).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise AssertionError(f"make run did not become ready:\n{self.output()}")

    def ctrl_c(self) -> int:
        """What Ctrl-C in the terminal does: SIGINT to the whole foreground process group."""
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            return self.process.wait(timeout=90)
        finally:
            delete_vhost(self.vhost)  # the queues of this run go; the data must not

    def output(self) -> str:
        return self.log.read_text(errors="replace")


    def leftovers(self) -> list[int]:
        """Processes of this run still alive: those honcho started (each in a group of its own) and the database
        server (its data folder is on its command line)."""
        started = {int(pid) for pid in re.findall(r"started \(pid=(\d+)\)", self.output())}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if self.env["DATA_DIR"].encode() in (entry / "cmdline").read_bytes():
                        started.add(int(entry.name))
                except OSError:
                    pass
        return [pid for pid in started if Path(f"/proc/{pid}").exists()]


@pytest.fixture
def make_run(tmp_path):
    running = MakeRun(tmp_path)
    yield running
    if running.process is not None and running.process.poll() is None:
        os.killpg(running.process.pid, signal.SIGKILL)
    for pid in running.leftovers():  # a failed test leaves nothing running behind
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL) if os.getpgid(pid) == pid else os.kill(pid, signal.SIGKILL)
    delete_vhost(running.vhost)


def test_stopping_and_starting_make_run_keeps_every_member_booking_request_notice_and_preference(make_run):
    make_run.start()
    people = fill(make_run.site)
    before = views(people)
    assert make_run.ctrl_c() == 0, make_run.output()
    assert "Stopping the embedded database" in make_run.output()

    assert make_run.leftovers() == []  # Ctrl-C stopped every process, the database server included
    make_run.start(INSTANCES="2")
    assert views(people) == before  # the same tokens still work: nothing was lost or changed
    for service in ("members", "spaces", "help", "notifications"):  # honcho names the second process `<name>.2`
        assert re.search(rf"{service}\.2 started \(pid=\d+\)", make_run.output()), service
    assert make_run.ctrl_c() == 0
