# The two commands: `make run` and `make test`. Everything they need is installed here.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PUBLIC_BASE_URL ?= http://127.0.0.1:$(PORT)

.PHONY: run test worker beat lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.txt
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

var/static:
	mkdir -p var/static

run: $(VENV)/.installed | var/static
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: $(VENV)/.installed-dev | var/static
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# With REDIS_URL set: the background worker and the scheduler (holds expiry).
worker: $(VENV)/.installed
	$(BIN)/celery -A clinic worker --loglevel=INFO

beat: $(VENV)/.installed
	$(BIN)/celery -A clinic beat --loglevel=INFO

clean:
	rm -rf $(VENV) var/db.sqlite3* var/static
