"""`make run` builds its SQLite database from the migrations: every one of them must run there, forwards and
back (the suite itself runs on PostgreSQL)."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings


def manage(*args: str, database: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "DEBUG": "true"}
    env.pop("REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True
    )


def test_every_migration_runs_on_a_fresh_sqlite_database_and_the_latest_go_back(tmp_path):
    database = tmp_path / "db.sqlite3"

    forwards = manage("migrate", "--noinput", database=database)
    back = manage("migrate", "booking", "0009", "--noinput", database=database)
    again = manage("migrate", "--noinput", database=database)

    for step in (forwards, back, again):
        assert step.returncode == 0, step.stderr[-3000:]
