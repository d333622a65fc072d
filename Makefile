# The jobs people run. Every target works from a fresh clone: it creates .venv and fetches the Kafka jars
# (Maven Central, via kafka-broker/pom.xml) when they are missing. CI runs `make test`, exactly as a person does.
PYTHON ?= python3
# pytest-xdist: three workers (the integration tests mostly wait on brokers and apps, so 2 cores keep 3 busy),
# a test file per worker at a time so that a module's apps start once, in the order of tests/conftest.py
# (see docs/development.md). PYTEST_WORKERS=0 runs everything in this process.
PYTEST_WORKERS ?= 3
PYTEST_PARALLEL := -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help venv kafka-jars stream-apps browser-deps kafka-up kafka-down kafka-status lint test test-fast demo bench docs docs-serve scdf-metadata clean

help:
	@echo "make demo        run the recipe's pipeline (time -> python-router -> even/odd loggers) on a local broker"
	@echo "                 (SCDF's prebuilt apps if Maven serves them; a refusal is remembered a day, ASK_MAVEN=1 asks again)"
	@echo "make test        lint, type-check and run every test (unit, contract, integration on a real broker)"
	@echo "make test-fast   only the tests that need no broker"
	@echo "make stream-apps build the Spring Cloud Stream apps of the demo and tests (stream-apps/, Maven; only when changed)"
	@echo "make browser-deps  installs Debian's chromium and chromium-driver for the browser test, when missing"
	@echo "make kafka-up    start a local Apache Kafka (KRaft) in the background; make kafka-down stops it"
	@echo "make bench       side-by-side benchmarks (see docs/benchmarks.md; BENCH_ARGS=--quick for a short run)"
	@echo "make docs        regenerate docs/transforms.md, META-INF/ and the Dockerfile's SCDF labels, then build the site into site/"
	@echo "make docs-serve  serve the documentation at http://127.0.0.1:8000, rebuilt as you edit docs/"
	@echo "make lint        ruff check, ruff format --check, mypy --strict"
	@echo "make scdf-metadata  print SCDF's configuration metadata, the visible list and the image labels' sizes"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "python-router needs Python 3.11 or newer: install it and run make again (or PYTHON=python3.11 make ...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	@touch $(STAMP)

venv: $(STAMP)

kafka-jars: $(STAMP)
	$(BIN)/python scripts/local_kafka.py fetch

stream-apps: $(STAMP)
	$(BIN)/python scripts/stream_apps.py build

# The browser test (tests/sidecar/test_sidecar_browser.py) drives Debian's headless Chromium through its
# chromedriver; apt installs both when either is missing (as root; through sudo otherwise).
CHROMIUM := /usr/bin/chromium
CHROMEDRIVER := /usr/bin/chromedriver
APT := $(if $(filter 0,$(shell id -u)),,sudo) env DEBIAN_FRONTEND=noninteractive apt-get

browser-deps:
	@if [ -x $(CHROMIUM) ] && [ -x $(CHROMEDRIVER) ]; then :; else \
		echo "browser-deps: installing Debian's chromium and chromium-driver for the browser test"; \
		$(APT) update -q && $(APT) install -y -q -o DPkg::Lock::Timeout=600 chromium chromium-driver; \
	fi

kafka-up: $(STAMP)
	$(BIN)/python scripts/local_kafka.py up

kafka-down: $(STAMP)
	$(BIN)/python scripts/local_kafka.py down

kafka-status: $(STAMP)
	$(BIN)/python scripts/local_kafka.py status

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint kafka-jars stream-apps browser-deps
	$(BIN)/pytest $(PYTEST_PARALLEL)

test-fast: $(STAMP) browser-deps
	$(BIN)/pytest $(PYTEST_PARALLEL) -m 'not kafka and not e2e'

demo: kafka-jars stream-apps
	$(BIN)/python scripts/demo.py

bench: kafka-jars stream-apps
	$(BIN)/python -m bench $(BENCH_ARGS)

docs: $(STAMP)
	$(BIN)/python -m transforms.docs --write docs/transforms.md
	$(BIN)/python -m python_router.scdf_metadata --write .
	$(BIN)/mkdocs build --strict

docs-serve: $(STAMP)
	$(BIN)/mkdocs serve --strict --dev-addr 127.0.0.1:8000

scdf-metadata: $(STAMP)
	@$(BIN)/python -m python_router.scdf_metadata

clean:
	-$(BIN)/python scripts/local_kafka.py down
	rm -rf .kafka stream-apps/target .pytest_cache .mypy_cache .ruff_cache bench/results site
