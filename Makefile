# Two commands: `make run` starts the whole platform, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SERVICES := publishing moderation notifications search_indexer
TEST_BROKER_URL ?= amqp://guest:guest@127.0.0.1:5672/platform_test
PYTEST := $(PY) -m pytest

.PHONY: run test bench bench-search install preflight migrate topology asyncapi clean-venv

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed

preflight: install
	$(PY) bin/preflight.py run

migrate: preflight
	@for s in $(SERVICES); do echo "== migrate $$s"; DJANGO_SETTINGS_MODULE=$$s.settings $(PY) manage.py migrate --noinput -v 0 || exit 1; done

topology: preflight
	@for s in $(SERVICES); do echo "== topology $$s"; DJANGO_SETTINGS_MODULE=$$s.settings $(PY) manage.py topology || exit 1; done

run: migrate topology
	@echo "== starting every process of every service (Ctrl-C stops them all)"
	@echo "   publishing http://127.0.0.1:8001  moderation http://127.0.0.1:8002"
	@echo "   notifications http://127.0.0.1:8003  search_indexer http://127.0.0.1:8004"
	$(VENV)/bin/honcho start -f Procfile

test: install
	$(PY) bin/preflight.py test
	BROKER_URL=$(TEST_BROKER_URL) $(PYTEST) --ds=config.eventbus.tests.settings config
	@for s in $(SERVICES); do BROKER_URL=$(TEST_BROKER_URL) $(PYTEST) --ds=$$s.settings $$s || exit 1; done
	BROKER_URL=$(TEST_BROKER_URL) $(PYTEST) -p no:django tests

bench: install
	$(PY) bin/preflight.py test
	DJANGO_SETTINGS_MODULE=config.eventbus.tests.settings \
	EVENTBUS_TEST_BROKER_URL=amqp://guest:guest@127.0.0.1:5672/platform_bench \
	EVENTBUS_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/eventbus_bench \
	$(PY) -m bench.eventbus_bench $(BENCH_ARGS)

bench-search: install
	$(PY) bin/preflight.py run
	DJANGO_SETTINGS_MODULE=search_indexer.settings \
	SEARCH_INDEXER_DATABASE_URL=postgres://postgres@127.0.0.1:5432/search_bench \
	$(PY) -m search_indexer.bench $(BENCH_ARGS)

asyncapi: install
	@for s in $(SERVICES); do DJANGO_SETTINGS_MODULE=$$s.settings $(PY) manage.py asyncapi || exit 1; done

clean-venv:
	rm -rf $(VENV)
