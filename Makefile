# The two commands: `make run` and `make test`. Everything they need is installed here.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PUBLIC_BASE_URL ?= http://127.0.0.1:$(PORT)

.PHONY: run test worker beat lint clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.txt
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# axe-core, which the browser tests inject into each page to check accessibility.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --silent

var/static:
	mkdir -p var/static

# Without REDIS_URL, tasks run in-process and a scheduler beside the server fires the
# periodic ones (reminders, retries, hold expiry); with it, run `make worker` and `make beat`.
run: $(VENV)/.installed | var/static
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@if [ -z "$$REDIS_URL" ]; then \
		$(BIN)/celery -A clinic beat --loglevel=WARNING --schedule var/celerybeat-schedule & \
		trap "kill $$! 2>/dev/null" EXIT INT TERM; \
	fi; \
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: $(VENV)/.installed-dev node_modules/.package-lock.json | var/static
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# With REDIS_URL set: the background worker and the scheduler.
worker: $(VENV)/.installed
	$(BIN)/celery -A clinic worker --loglevel=INFO --concurrency=2

beat: $(VENV)/.installed
	$(BIN)/celery -A clinic beat --loglevel=INFO

# The booking-rush benchmark (README: "Booking-rush benchmark"): needs PostgreSQL and Redis on 127.0.0.1.
# Options through ARGS, e.g. make bench ARGS="--trials 10".
bench: $(VENV)/.installed
	$(BIN)/python bench/rush.py $(ARGS)

clean:
	rm -rf $(VENV) node_modules var/db.sqlite3* var/static
