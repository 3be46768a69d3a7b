# make demo: set up .venv and render a full cluster from built-in defaults (no cloud needed).
# make test: set up .venv and run lint, format check, mypy --strict and the tests.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SHARED ?= ../shared
DEMO_OUT := build/demo.yaml

.PHONY: demo test debian-packages programs lint typecheck unit bench clean

# The management cluster's programs (etcd, kube-apiserver, the Cluster API controllers,
# clusterctl), built from their Go modules once per pin; shared by the tests and `kaas devcloud`.
export KAAS_PROGRAMS_DIR ?= $(CURDIR)/.state/programs

$(BIN)/kaas: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(BIN)/kaas
	@mkdir -p build
	$(BIN)/kaas cluster render demo > $(DEMO_OUT)
	@cat $(DEMO_OUT)
	@echo "--- kinds rendered:"
	@grep '^kind:' $(DEMO_OUT) | sort | uniq -c
	@if [ -f $(SHARED)/tools/crd_validate.py ]; then \
		$(BIN)/python $(SHARED)/tools/crd_validate.py $(DEMO_OUT); \
	else echo "$(SHARED) not found: skipping crd_validate.py"; fi

lint: $(BIN)/kaas
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(BIN)/kaas
	$(BIN)/mypy

# Test sessions side by side: most of the time goes into waiting for the real controllers
# (CAPO requeues a load balancer deletion after 15 s), not into CPU. Each worker has its own
# local cloud and management cluster; a file's tests stay on one worker.
TEST_WORKERS ?= 2

unit: $(BIN)/kaas
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

# MariaDB, RabbitMQ, qemu-utils, cloud-init, OpenSSH for the local cloud, the user-data check and
# the real-SSH tests.
debian-packages:
	bash scripts/install-debian-packages

programs: $(BIN)/kaas
	$(BIN)/kaas devcloud build

test: debian-packages programs lint typecheck unit

bench: $(BIN)/kaas
	$(BIN)/python bench/render.py

clean:
	rm -rf $(VENV) build .mypy_cache .ruff_cache .pytest_cache .hypothesis
