"""What both benchmarks measure the same way: percentiles, the memory of the platform's processes, and a light
HTTP client for the load generator (it shares the machine's cores with the platform it measures)."""
import http.client
import json
import os
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit


def machine_speed() -> float:
    """Milliseconds one core of this machine takes for a fixed piece of Python work like the platform's own
    (JSON in and out, dicts, dates), best of five. Machines differ (the same code measured 173 and 96 bookings/s
    on two machines of this kind), so a figure compares with another only next to this one; smaller is faster."""
    booking = {"id": "5d0f3c2e-8a4b-4f7e-9c61-2b7d9e0a1c55", "space_id": "room", "member_id": "member",
               "purpose": "Geburtstag", "status": "confirmed", "series_id": None, "rules": {"slot": 30, "max": 240}}
    start = datetime(2026, 11, 25, 17, 0, tzinfo=timezone.utc)
    best = float("inf")
    for _ in range(5):
        began = time.process_time()
        for number in range(4_000):
            moment = start + timedelta(minutes=30 * number)
            end = moment + timedelta(hours=1)
            text = json.dumps({**booking, "start": moment.isoformat(), "end": end.isoformat()})
            copied = {key: value for key, value in json.loads(text).items() if value is not None}
            datetime.fromisoformat(copied["start"]).astimezone(timezone.utc)
        best = min(best, time.process_time() - began)
    return round(best * 1000, 1)


def write_results(name: str, speed: float, results: list[dict]) -> None:
    """`bench-results/<name>.json`: when and where it was measured (cores, the machine figure) and the results."""
    folder = Path(__file__).resolve().parent.parent / "bench-results"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(
        {"measured_at": datetime.now(timezone.utc).isoformat(), "cores": os.cpu_count(), "machine_ms": speed,
         "results": results}, indent=2))


def machine_line(speed: float) -> str:
    return f"machine: {speed} ms for the reference work of bench/measure.py, smaller is faster"


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def rss_mb(pid: int) -> float:
    """Resident memory of one process and its children (the gateway's gunicorn workers), in MiB."""
    total_kib = 0
    for member in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kib += int(line.split()[1])
        except FileNotFoundError:
            pass  # it ended meanwhile
    return round(total_kib / 1024, 1)


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except FileNotFoundError:
            pass
    return found + [grandchild for child in found for grandchild in _children(child)]


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) used so far by one process and its children (gunicorn's workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for member in [pid, *_children(pid)]:
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rpartition(")")[2].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def platform_cpu(platform) -> dict[str, float]:
    return {name: cpu_seconds(process.pid) for name, process in platform.processes.items()}


def platform_rss(platform) -> dict[str, float]:
    """MiB per process the platform started (a service with N instances runs them in one process)."""
    return {name: rss_mb(process.pid) for name, process in platform.processes.items()}


class LightClient:
    """One keep-alive HTTP/1.1 connection with a bearer token, on `http.client`: a booking costs the load
    generator a fraction of what `requests` costs, so less of the shared CPU goes to measuring."""

    def __init__(self, base_url: str, token: str):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)

    def post(self, path: str, body: dict) -> int:
        try:
            return self._post(path, body)
        except (http.client.HTTPException, ConnectionError):
            self.connection.close()  # the server closed an idle connection: open a new one, once
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
            return self._post(path, body)

    def _post(self, path: str, body: dict) -> int:
        self.connection.request("POST", path, body=json.dumps(body), headers=self.headers)
        response = self.connection.getresponse()
        response.read()
        return response.status

    def close(self) -> None:
        self.connection.close()


def print_memory(results: list[dict], key: str, label: str, width: int) -> None:
    """The RSS table of a bench: one row per run (`key` names the run's instance count) at rest and after load."""
    names = list(results[0]["rss_mib_at_rest"])
    print(f"{label:>{len(label)}} {'':>12}" + "".join(f"{name:>{width}}" for name in names))
    for row in results:
        for moment in ("at_rest", "after_load"):
            values = row[f"rss_mib_{moment}"]
            print(f"{row[key]:>{len(label)}} {moment.replace('_', ' '):>12}"
                  + "".join(f"{values.get(name, ''):>{width}}" for name in names))
