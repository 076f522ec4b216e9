"""What both benchmarks measure the same way: percentiles, the memory of the platform's processes, and a light
HTTP client for the load generator (it shares the machine's cores with the platform it measures)."""
import http.client
import json
import os
from pathlib import Path
from urllib.parse import urlsplit


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
