# newsmon: two commands do everything. `make demo` runs the product offline, `make test` passes the tests.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export NEWSMON_DATA_DIR ?= $(CURDIR)/data
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: setup demo run test test-demo-replay lint format bench bench-real-weight clean compose-env

# Quick when nothing changed: the stamp is newer than every file that decides the install.
setup: $(STAMP)
$(STAMP): requirements.txt constraints.txt pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt -c constraints.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $(STAMP)

demo: setup
	$(BIN)/python -m newsmon.launch demo

run: setup
	$(BIN)/python -m newsmon.launch run

test: setup
	$(BIN)/python -m pytest -q tests

# The long variant of tests/test_batching_demo.py: a run at every 30-minute slot with a new item and a run every day
# of the demo corpus (the suite replays its busy days so, and a run per stretch of quiet days); bench/batching.py too.
test-demo-replay: setup
	NEWSMON_DEMO_REPLAY=full $(BIN)/python -m pytest -q tests/test_batching_demo.py

lint: setup
	$(BIN)/ruff check include dags plugins tests bench
	$(BIN)/ruff format --check include dags plugins tests bench

format: setup
	$(BIN)/ruff format include dags plugins tests bench
	$(BIN)/ruff check --fix include dags plugins tests bench

# docker-compose.yaml has no default secrets: this writes them, generated, into .env (never over an existing one).
compose-env:
	@test ! -e .env || { echo ".env exists; not overwriting it"; exit 0; } && \
	umask 077 && $(PY) -c 'import base64, os, secrets; print(f"AIRFLOW_JWT_SECRET={secrets.token_hex(32)}\nAIRFLOW_SECRET_KEY={secrets.token_hex(32)}\nAIRFLOW_FERNET_KEY={base64.urlsafe_b64encode(os.urandom(32)).decode()}\nNEWSMON_ADMIN_PASSWORD={secrets.token_urlsafe(18)}")' > .env && \
	chmod 600 .env && echo "wrote .env (secrets and the admin password for docker compose; keep it private)"

bench: setup
	$(BIN)/python bench/run_all.py

# The simulated day at real news pages' weight, 1x, 2x and 4x (140,000 articles: over an hour on 2 shared cores)
bench-real-weight: setup
	$(BIN)/python bench/end_to_end.py --weight real --scales 1,2,4

clean:
	rm -rf $(VENV) airflow_home data .pytest_cache
