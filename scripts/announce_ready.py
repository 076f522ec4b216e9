"""Part of `make run`: wait until the gateway reports every service ready, say so, then stay quietly alive
(honcho stops the whole platform when any of its processes exits)."""
import os
import signal
import time
import urllib.error
import urllib.request

url = f"http://127.0.0.1:{os.environ.get('GATEWAY_PORT', '8080')}"
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=3) as response:
            if response.status == 200:
                organiser = os.environ.get("BOOTSTRAP_ORGANISER_EMAIL", "")
                print(f"Platform ready at {url}/  — log in as {organiser}", flush=True)
                break
    except (urllib.error.URLError, OSError):
        pass
    time.sleep(1)  # polling a process that is starting up, not waiting for an event
else:
    print(f"The platform did not become ready within 2 minutes; see {url}/readyz", flush=True)
signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
while True:
    signal.pause()
