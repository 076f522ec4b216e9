"""Gunicorn settings for the gateway: threaded workers (each thread borrows its own RPC proxy)."""
import json
import os

from gunicorn import util

bind = f"{os.environ.get('GATEWAY_HOST', '127.0.0.1')}:{os.environ.get('GATEWAY_PORT', '8080')}"
workers = int(os.environ.get("GATEWAY_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GATEWAY_THREADS", "8"))
# The app is made once, in the master, and the workers are forked from it: one import instead of one per worker,
# and their memory shared. Nothing connects before a request: the RPC pool and the member-event listener start
# in the worker that uses them (gateway/rpc.py, gateway/actors.py).
preload_app = True
timeout = 30
graceful_timeout = 10
accesslog = "-" if os.environ.get("GATEWAY_ACCESS_LOG", "false") == "true" else None
limit_request_line = 8190


def refuse_with_a_problem_document(sock, status_int, reason, mesg):
    """Gunicorn refuses some requests itself, before the app sees them (a request line longer than
    `limit_request_line`: 414; header fields too large: 431; a request it cannot parse: 400). These answers are
    problem documents too, like every other error of the API, instead of gunicorn's HTML page."""
    from gateway.problems import MEDIA_TYPE, document  # loaded with the app by then: workers load it first

    body = json.dumps(document(status_int, mesg)).encode()
    head = f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: {MEDIA_TYPE}\r\n" \
           f"Content-Length: {len(body)}\r\n\r\n"
    util.write_nonblock(sock, head.encode("latin1") + body)


util.write_error = refuse_with_a_problem_document


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
