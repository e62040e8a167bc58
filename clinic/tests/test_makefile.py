"""The Makefile: installs take only the locked files."""

import os
import subprocess

from django.conf import settings


def make(*args, cwd=settings.BASE_DIR, **environ) -> subprocess.CompletedProcess:
    base = {name: os.environ[name] for name in ("PATH", "HOME") if name in os.environ}
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=cwd,
        env={**base, **environ},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_installs_take_only_the_files_the_locks_name_by_hash(tmp_path):
    result = make("--dry-run", "--always-make", f"VENV={tmp_path / 'venv'}", f"{tmp_path / 'venv'}/.installed-dev")

    installs = [line for line in result.stdout.splitlines() if " install " in line]
    assert [line.split()[-1] for line in installs] == ["requirements.txt", "requirements-dev.txt"]
    assert all("--require-hashes --no-deps" in line for line in installs), installs
