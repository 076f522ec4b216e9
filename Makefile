# The two commands of the README: `make run` and `make test`. Everything else is a helper of those.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: install run test unit integration e2e static bench chaos clean

$(INSTALLED): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(INSTALLED)

install: $(INSTALLED)

## Start the whole platform in the foreground (Ctrl-C stops everything). INSTANCES=2 runs two of each service.
run: install
	$(PY) scripts/run.py

## The whole test suite, against the real RabbitMQ at AMQP_URI.
test: install
	$(PY) -m pytest

unit: install
	$(PY) -m pytest tests/unit

integration: install
	$(PY) -m pytest tests/integration

e2e: install
	$(PY) -m pytest tests/e2e

static: install
	$(PY) -m pytest tests/static

clean:
	rm -rf $(VENV) .run test-artifacts

## Faults that take the local RabbitMQ down and bring it back (not part of `make test`).
chaos: install
	$(PY) -m pytest tests/chaos --override-ini="addopts=--import-mode=importlib -p no:cacheprovider"

## Benchmarks (figures, not pass/fail): booking creation through the gateway with 1 and 2 instances.
bench: install
	$(PY) bench/bookings.py
	$(PY) bench/notices.py
