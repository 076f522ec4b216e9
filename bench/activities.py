"""`make bench`, fourth part: a shared meal everyone wants to come to, measured on this machine.

200 members (each with a client of their own, logged in beforehand) sign up at the same moment, through the
gateway, for an activity with 50 places: sign-ups per second over the whole burst, p50/p95 of one sign-up, and the
check that exactly 50 are confirmed and the other 150 wait in order (positions 1..150, each once). With 1 and 2
instances of every service. Prints figures and the check; the check failing is the one thing that fails the run
(exit status 1). Writes bench-results/activities.json. Smaller sizes for a quick try: see `--help`.
"""
import json
import statistics
import sys
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")  # nameko's import of it, not ours

from bench.measure import (  # noqa: E402
    LightClient, bench_arguments, cpu_by_process, per_unit, percentile, print_process_table, process_ids,
    run_bench, start_platform,
)

PASSWORD = "benchmark password 1"
METRICS = [
    ("sign-ups per second (burst)", "signups_per_second"),
    ("sign-up p50 ms", "signup_p50_ms"),
    ("sign-up p95 ms", "signup_p95_ms"),
    ("burst wall time s", "burst_seconds"),
    ("confirmed (must be the places)", "confirmed"),
    ("waitlisted", "waitlisted"),
    ("answers other than 201", "refused"),
]


class SigningClient(LightClient):
    def post_json(self, path: str, body: dict) -> tuple[int, dict]:
        self.connection.request("POST", path, body=json.dumps(body), headers=self.headers)
        response = self.connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")


def members(platform, organiser, count: int) -> list[str]:
    """`count` new members, joined and logged in four at a time; their tokens."""
    def one(index: int) -> str:
        email = f"gast{index}@example.org"
        code = organiser.post("/api/v1/invitations", json={"email": email, "role": "resident"}).json()["code"]
        joined = platform.client().post("/api/v1/members", json={
            "invitation_code": code, "email": email, "password": PASSWORD, "display_name": f"Gast {index}",
            "preferred_language": "de"})
        assert joined.status_code == 201, joined.text
        return platform.client().post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}).json()["token"]

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(one, range(count)))


def measure(instances: int, database, sizes) -> dict:
    platform = start_platform("activities", database, instances)
    try:
        organiser = platform.organiser()
        tokens = members(platform, organiser, sizes.members)
        start = (datetime.now(timezone.utc) + timedelta(days=3)).replace(microsecond=0)
        activity = organiser.post("/api/v1/activities", json={
            "title": "Sommerfest", "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=3)).isoformat(),
            "capacity": sizes.places}).json()
        path = f"/api/v1/activities/{activity['id']}/signups"
        clients = [SigningClient(platform.url, token) for token in tokens]
        for client in clients:  # open each keep-alive connection before the burst
            client.connection.connect()
        ready = threading.Barrier(len(clients) + 1)
        answers: list = [None] * len(clients)

        def sign_up(index: int) -> None:
            ready.wait()
            began = time.perf_counter()
            status, body = clients[index].post_json(path, {})
            answers[index] = (status, body, (time.perf_counter() - began) * 1000)

        pids = process_ids(platform, database)
        cpu_before = cpu_by_process(pids)
        threads = [threading.Thread(target=sign_up, args=(index,)) for index in range(len(clients))]
        for thread in threads:
            thread.start()
        ready.wait()
        began = time.perf_counter()
        for thread in threads:
            thread.join()
        burst = time.perf_counter() - began
        cpu_after = cpu_by_process(pids)
        for client in clients:
            client.close()

        times = [ms for _, _, ms in answers]
        accepted = [body for status, body, _ in answers if status == 201]
        seen = organiser.get(f"/api/v1/activities/{activity['id']}").json()
        positions = sorted(body["position"] for body in accepted if body["status"] == "waitlisted")
        confirmed = sum(1 for body in accepted if body["status"] == "confirmed")
        exact = (confirmed == seen["confirmed"] == seen["places_taken"] == sizes.places
                 and positions == list(range(1, sizes.members - sizes.places + 1)))
        print_process_table(f"CPU ms per sign-up, {instances} instance(s)",
                            {"ms": per_unit(cpu_before, cpu_after, len(clients), 1000)}, total="ms")
        return {"instances": instances, "members": sizes.members, "places": sizes.places,
                "signups_per_second": round(len(clients) / burst, 1), "burst_seconds": round(burst, 2),
                "signup_p50_ms": round(statistics.median(times), 1), "signup_p95_ms": round(percentile(times, 0.95), 1),
                "confirmed": seen["confirmed"], "places_taken": seen["places_taken"], "waitlisted": seen["waitlisted"],
                "refused": len(clients) - len(accepted), "exactly_the_places_confirmed": exact}
    finally:
        platform.stop()


def main() -> None:
    parser = bench_arguments(__doc__)
    parser.add_argument("--members", type=int, default=200, help="members signing up at the same moment")
    parser.add_argument("--places", type=int, default=50, help="places of the activity")
    sizes = parser.parse_args()
    results = run_bench("activities", f"A shared meal: {sizes.members} members sign up at once for {sizes.places} "
                                      "places", measure, sizes)
    print(f"{'':<34}{'instances':>10}{'now':>18}")
    for label, field in METRICS:
        for number, row in enumerate(results):
            print(f"{label if number == 0 else '':<34}{row['instances']:>10}{row[field]:>18}")
    for row in results:
        verdict = "yes" if row["exactly_the_places_confirmed"] else "NO"
        print(f"exactly {row['places']} confirmed, the rest waiting in order 1..{row['members'] - row['places']} "
              f"({row['instances']} instance(s)): {verdict}")
    if not all(row["exactly_the_places_confirmed"] for row in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
