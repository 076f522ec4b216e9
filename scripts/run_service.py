"""Run one Nameko service: `nameko run` for a service class given as module:Class, with its config file.

    python -m scripts.run_service --config services/spaces/config.yml services.spaces.service:SpacesService

Several instances of a service are several such processes (`INSTANCES=2 make run`, replicas in Kubernetes):
competing consumers of the same queues on the same database. `--instances N` runs N containers in one
process instead, which only a test of the containers themselves needs.
`--also CONFIG module:Class` (repeatable) runs further services' containers in the same process, each with its
own config, as `nameko run` does with several services: the end-to-end tests start a platform for each test
module this way, at a seventh of the start-up work of a process per service. SIGTERM or Ctrl-C stops every
instance gracefully: Nameko lets running workers finish.
"""
import eventlet

eventlet.monkey_patch()  # noqa: E402  (before anything opens a socket)

import argparse  # noqa: E402
import importlib  # noqa: E402
import logging.config  # noqa: E402
import signal  # noqa: E402

from nameko.containers import ServiceContainer  # noqa: E402

from services.common.config import load_service_config  # noqa: E402

def load_class(spec: str):
    module_name, _, class_name = spec.partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--instances", type=int, default=1)
    parser.add_argument("--also", nargs=2, action="append", default=[], metavar=("CONFIG", "SERVICE"),
                        help="another service in this process: its config file and module:Class")
    parser.add_argument("service", help="module:Class")
    args = parser.parse_args()

    config = load_service_config(args.config)
    if "LOGGING" in config:
        logging.config.dictConfig(config["LOGGING"])
    if args.also:  # one log for several services: each line names its logger (services.<name>...) instead
        for handler in logging.getLogger().handlers:
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    service_class = load_class(args.service)
    containers = [ServiceContainer(service_class, config) for _ in range(max(1, args.instances))]
    containers += [ServiceContainer(load_class(spec), load_service_config(path)) for path, spec in args.also]
    for container in containers:
        container.start()
    for name in dict.fromkeys(container.service_name for container in containers):
        logging.getLogger(__name__).info("%s running with %d instance(s)", name,
                                         sum(container.service_name == name for container in containers))

    stopping = eventlet.event.Event()

    def stop(signum, frame):
        # Signal handlers run in the main loop and must not block: hand over to a green thread.
        if not stopping.ready():
            stopping.send(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    waiters = [eventlet.spawn(container.wait) for container in containers]
    watcher = eventlet.spawn(lambda: [waiter.wait() for waiter in waiters])
    while not stopping.ready() and not watcher.dead:
        eventlet.sleep(0.2)
    for container in containers:
        eventlet.spawn(container.stop)
    for waiter in waiters:
        try:
            waiter.wait()
        except Exception:  # a container that crashed has reported it already
            pass


if __name__ == "__main__":
    main()
