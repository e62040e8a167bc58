# The two commands: `make run` and `make test`. Everything they need is installed here.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PUBLIC_BASE_URL ?= http://127.0.0.1:$(PORT)

.PHONY: run test worker beat lint lock clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The locks name every package with the hashes of its files: pip installs exactly those files, or stops.
$(VENV)/.installed: $(BIN)/python requirements.txt
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements-dev.txt
	touch $@

# After changing a pin in requirements.in or requirements-dev.in: lock it and everything it needs, with hashes.
# Other pins stay as they are; LOCK_ARGS="--upgrade-package NAME" (or --upgrade) moves them.
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links $(LOCK_ARGS)
lock: $(BIN)/python
	$(BIN)/pip install --quiet pip-tools==7.7.0
	$(PIP_COMPILE) --output-file requirements.txt requirements.in
	$(PIP_COMPILE) --output-file requirements-dev.txt requirements-dev.in

# axe-core, which the browser tests inject into each page to check accessibility.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --silent

var/static:
	mkdir -p var/static

# A developer's own site: DEBUG on, whatever the shell or .env says, so it needs no SECRET_KEY.
run: export DEBUG = true

# Without REDIS_URL, tasks run in-process and a scheduler beside the server fires the
# periodic ones (reminders, retries, hold expiry); with it, run `make worker` and `make beat`.
run: $(VENV)/.installed | var/static
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@if [ -z "$$REDIS_URL" ]; then \
		$(BIN)/celery -A config beat --loglevel=WARNING --schedule var/celerybeat-schedule & \
		trap "kill $$! 2>/dev/null" EXIT INT TERM; \
	fi; \
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: $(VENV)/.installed-dev node_modules/.package-lock.json | var/static
	$(BIN)/python -m pytest

# pip-audit asks PyPI about each locked package; one PyPI has no answer for is listed as skipped.
# lint-imports: each app imports only the apps below it (.importlinter; README, "Layers").
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo
	$(BIN)/pip-audit --disable-pip --require-hashes --progress-spinner off -r requirements-dev.txt

# With REDIS_URL set: the background worker and the scheduler.
worker: $(VENV)/.installed
	$(BIN)/celery -A config worker --loglevel=INFO --concurrency=2

beat: $(VENV)/.installed
	$(BIN)/celery -A config beat --loglevel=INFO

# The booking-rush benchmark (bench/README.md): needs PostgreSQL and Redis on 127.0.0.1, Locust (in the
# test tools) and wrk (Debian's package) for page throughput. Options through ARGS, e.g. ARGS="--trials 10".
bench: $(VENV)/.installed-dev
	@command -v wrk >/dev/null || echo "wrk is not installed: no page throughput (apt-get install -y wrk)"
	$(BIN)/python bench/run.py $(ARGS)

clean:
	rm -rf $(VENV) node_modules var/db.sqlite3* var/static
