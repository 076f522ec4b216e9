# The two commands of the README: `make run` and `make test`. Everything else is a helper of those.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: install run test test-waiting test-rest unit integration e2e browser static bench chaos mutation clean translations backup restore

$(INSTALLED): requirements.txt requirements-dev.txt requirements-embedded.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(INSTALLED)

# axe-core, injected into pages by the browser tests (package-lock.json pins it).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch node_modules/.installed

install: $(INSTALLED)

## Start the whole platform in the foreground (Ctrl-C stops everything). INSTANCES=2 runs two of each service.
run: install
	$(PY) scripts/run.py

## Every service's database in one dated archive under backups/ (the embedded one of `make run`, or MONGODB_URI's).
backup: install
	$(PY) -m scripts.backup backup

## Load a backup into an empty store: stop the platform, then `make restore FILE=backups/cohousing-backup-….tar.gz`.
restore: install
	@test -n "$(FILE)" || { echo "Say which backup: make restore FILE=backups/cohousing-backup-....tar.gz"; exit 2; }
	$(PY) -m scripts.backup restore "$(FILE)"

## The whole test suite, against the real RabbitMQ at AMQP_URI, as three pytest sessions at once, each printing
## its report when it is done: the tests that spend minutes waiting (on real minutes, on processes killed and
## restarted, on a broker node starting) and the fuzzing, everything else, and the browser. On 2 cores one
## session computes while another waits: about 10 minutes instead of 21 one after the other.
WAITING_TESTS := tests/chaos tests/e2e/test_care_api.py tests/e2e/test_api_fuzzing.py tests/e2e/test_make_run.py
test: install node_modules/.installed
	$(MAKE) --no-print-directory -j3 --output-sync=target test-waiting test-rest browser

test-waiting: install
	$(PY) -m pytest $(WAITING_TESTS)

test-rest: install
	$(PY) -m pytest $(addprefix --ignore=,$(WAITING_TESTS))

unit: install
	$(PY) -m pytest tests/unit

integration: install
	$(PY) -m pytest tests/integration

e2e: install
	$(PY) -m pytest tests/e2e

## Headless Chromium (/usr/bin/chromium) on the web pages; a pytest session of its own, without eventlet's patching.
browser: install node_modules/.installed
	$(PY) -m pytest tests/browser --confcutdir=tests/browser \
		--override-ini="addopts=--import-mode=importlib -p no:cacheprovider"

static: install
	$(PY) -m pytest tests/static

## After changing words on the web pages: collect the msgids and update each language's catalog (then translate
## what is new or marked fuzzy; tests/unit/gateway/test_web_catalogs.py holds every catalog to completeness).
translations: install
	$(VENV)/bin/pybabel extract -F gateway/babel.cfg -k L_ -k lazy_gettext --no-location --sort-output \
		--project "cohousing-platform web pages" -o gateway/translations/messages.pot .
	$(VENV)/bin/pybabel update -i gateway/translations/messages.pot -d gateway/translations \
		--ignore-obsolete --width 120
	$(PY) scripts/fill_english_catalog.py gateway/translations/en/LC_MESSAGES/messages.po

## Mutation testing of the booking rules and claim, the help privacy projection, the gateway's authorization and the
## notification routing, on the unit tests (not part of `make test`): the share of mutants killed, per module.
mutation: install
	$(PY) scripts/mutation.py

clean:
	rm -rf $(VENV) .run test-artifacts node_modules mutants

## Faults under load: services killed, a broker node of the test's own restarted (both in `make test` too), and the
## database server killed and stopped (only here: over a minute of outages). The machine's RabbitMQ is not touched.
chaos: install
	$(PY) -m pytest tests/chaos --override-ini="addopts=--import-mode=importlib -p no:cacheprovider"

## Benchmarks (figures, not pass/fail): booking creation through the gateway, notices to every member, and a
## whole house's check-in deadline (10,000 residents, 5 % missing it), 200 members signing up at once for 50
## places of an activity, with 1 and 2 instances.
bench: install
	$(PY) bench/bookings.py
	$(PY) bench/notices.py
	$(PY) bench/care.py
	$(PY) bench/decisions.py
	$(PY) bench/activities.py
