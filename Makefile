# Two commands: `make run` starts the whole platform, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SERVICES := publishing moderation notifications search_indexer
TEST_BROKER_URL ?= amqp://guest:guest@127.0.0.1:5672/platform_test
PYTEST := $(PY) -m pytest

.PHONY: run test bench bench-search install install-dev preflight migrate topology asyncapi clean-venv

# Two installs: what the services run (`make run`, the image) and, on top, the test and benchmark
# tools (`make test`, `make bench*`). Each stamp is remade when its file changes.
$(VENV)/.installed-run: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed-run

install-dev: $(VENV)/.installed-dev

preflight: install
	$(PY) bin/preflight.py run

# var/run.env (written by preflight): each service migrates, and later runs, as its own database role.
migrate: preflight
	@set -a && . var/run.env && set +a && for s in $(SERVICES); do echo "== migrate $$s"; DJANGO_SETTINGS_MODULE=$$s.settings $(PY) manage.py migrate --noinput -v 0 || exit 1; done

# Every producer's exchanges first, then every consumer's queues and bindings, before any process starts.
topology: preflight
	@for s in $(SERVICES); do DJANGO_SETTINGS_MODULE=$$s.settings $(PY) manage.py topology --exchanges || exit 1; done
	@for s in $(SERVICES); do echo "== topology $$s"; DJANGO_SETTINGS_MODULE=$$s.settings $(PY) manage.py topology || exit 1; done

# supervisord runs every Procfile process, restarting the ones that die; SCALE=N: N of every consumer and relay.
SCALE ?= 1
run: migrate topology
	@echo "== starting every process of every service (Ctrl-C stops them all)"
	@echo "   publishing http://127.0.0.1:8001  moderation http://127.0.0.1:8002"
	@echo "   notifications http://127.0.0.1:8003  search_indexer http://127.0.0.1:8004"
	@echo "   processes: $(VENV)/bin/supervisorctl -c var/supervisord.conf status (restart|stop|start NAME)"
	@set -a && . var/run.env && set +a && SCALE=$(SCALE) $(PY) bin/supervise.py

test: install-dev
	$(PY) bin/preflight.py test
	BROKER_URL=$(TEST_BROKER_URL) $(PYTEST) --ds=config.eventbus.tests.settings config
	@for s in $(SERVICES); do BROKER_URL=$(TEST_BROKER_URL) $(PYTEST) --ds=$$s.settings $$s || exit 1; done
	BROKER_URL=$(TEST_BROKER_URL) $(PYTEST) -p no:django tests --ignore=tests/drills
	BROKER_URL=$(TEST_BROKER_URL) $(PYTEST) -p no:django tests/drills

bench: install-dev
	$(PY) bin/preflight.py test
	DJANGO_SETTINGS_MODULE=config.eventbus.tests.settings \
	EVENTBUS_TEST_BROKER_URL=amqp://guest:guest@127.0.0.1:5672/platform_bench \
	EVENTBUS_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/eventbus_bench \
	$(PY) -m bench.eventbus_bench $(BENCH_ARGS)

bench-search: install-dev
	$(PY) bin/preflight.py run
	DJANGO_SETTINGS_MODULE=search_indexer.settings \
	SEARCH_INDEXER_DATABASE_URL=postgres://postgres@127.0.0.1:5432/search_bench \
	$(PY) -m search_indexer.bench $(BENCH_ARGS)

# DEBUG: writing the documents needs no secret key (a fresh clone has no var/secrets.env yet).
asyncapi: install
	@for s in $(SERVICES); do DEBUG=true DJANGO_SETTINGS_MODULE=$$s.settings $(PY) manage.py asyncapi || exit 1; done

clean-venv:
	rm -rf $(VENV)

# The moderation rules on hostile 200,000-character inputs and ordinary articles, per input and per rule,
# next to the engine before RE2 (BENCH_ARGS="--rounds 5 --baseline-limit 10"; moderation/bench_rules.py).
.PHONY: bench-rules
bench-rules: install-dev
	$(PY) -m moderation.bench_rules $(BENCH_ARGS)

# With `make run` going (another terminal): four stories through the real HTTP APIs, step by step (bin/demo.py).
# var/run.env: the users it creates go through manage.py as each service's own database role, as in `make run`.
.PHONY: demo
demo: install
	@test -f var/run.env || { echo "make demo: no var/run.env yet: start \`make run\` first"; exit 1; }
	@set -a && . var/run.env && set +a && $(PY) bin/demo.py

# Submissions at fixed rates through the HTTP API, timed to every service's events, with CPU per article by
# process kind (BENCH_ARGS="--rates 10,20,50 --seconds 60"; bench/e2e_bench.py). Uses the platform of a running
# `make run`; with none it starts one as `make run` does (migrate, topology, supervisord) and stops it at the end.
.PHONY: bench-e2e
bench-e2e: install-dev
	@if test -f var/run.env; then set -a && . var/run.env && set +a; fi && MAKE="$(MAKE)" $(PY) -m bench.e2e_bench $(BENCH_ARGS)
