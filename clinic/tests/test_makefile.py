"""The Makefile: `make run` is a developer's own site with no set-up, and installs take only the locked files."""

import os
import subprocess
import time

import pytest
from django.conf import settings


def make(*args, cwd=settings.BASE_DIR, **environ) -> subprocess.CompletedProcess:
    # A shell with none of the site's settings: no DEBUG, no SECRET_KEY, no REDIS_URL.
    base = {name: os.environ[name] for name in ("PATH", "HOME") if name in os.environ}
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=cwd,
        env={**base, **environ},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def recording_venv(tmp_path):
    """A virtualenv whose python and celery only write down each command and the DEBUG it ran with."""
    bin_dir = tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    record = tmp_path / "commands.txt"
    for tool in ("python", "celery"):
        (bin_dir / tool).write_text(f'#!/bin/sh\necho "{tool} $* DEBUG=$DEBUG" >> "{record}"\n')
        (bin_dir / tool).chmod(0o755)
    installed = tmp_path / "venv" / ".installed"
    installed.touch()
    later = time.time() + 60
    os.utime(installed, (later, later))  # installed after the locks changed: make installs nothing
    return tmp_path / "venv", record


@pytest.mark.parametrize("shell", [{}, {"DEBUG": "false"}, {"DEBUG": ""}], ids=["unset", "false", "empty"])
def test_make_run_turns_debug_on_itself_so_it_needs_no_secret_key(recording_venv, shell):
    venv, record = recording_venv

    result = make("run", f"VENV={venv}", "PORT=8099", **shell)

    assert result.returncode == 0, result.stdout + result.stderr
    commands = record.read_text().splitlines()
    assert [command.split(" DEBUG=")[0] for command in commands if "manage.py" in command] == [
        "python manage.py migrate --noinput",
        "python manage.py seed_demo",
        "python manage.py runserver 127.0.0.1:8099",
    ]
    assert all(command.endswith(" DEBUG=true") for command in commands), commands


@pytest.mark.parametrize("target", ["worker", "beat"])
def test_the_worker_and_scheduler_keep_the_debug_they_are_given_as_production_runs_them(recording_venv, target):
    venv, record = recording_venv

    assert make(target, f"VENV={venv}").returncode == 0
    assert make(target, f"VENV={venv}", DEBUG="true").returncode == 0

    assert [command.rsplit(" DEBUG=")[1] for command in record.read_text().splitlines()] == ["", "true"]


def test_installs_take_only_the_files_the_locks_name_by_hash(tmp_path):
    result = make("--dry-run", "--always-make", f"VENV={tmp_path / 'venv'}", f"{tmp_path / 'venv'}/.installed-dev")

    installs = [line for line in result.stdout.splitlines() if " install " in line]
    assert [line.split()[-1] for line in installs] == ["requirements.txt", "requirements-dev.txt"]
    assert all("--require-hashes --no-deps" in line for line in installs), installs
