"""The apps' layers (README, "Layers"): each app imports only the apps below it, and none dodges a cycle with
an import inside a function. `make lint` runs the import-linter contract; these tests hold it to its word."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
APPS = ["clinic", "booking", "assessments", "waitlist", "notifications", "frontdesk"]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

# In-function imports that are no cycle dodge: Celery tasks import their service in the body (the service
# imports the task module to queue it), and AppConfig.ready connects what the apps below announce, after the
# models are loaded.
ALLOWED = {"tasks.py", "apps.py"}


def function_level_app_imports(path: Path) -> list[str]:
    """`from <app> import ...` / `import <app>` statements of the project's apps inside a function in `path`."""
    found = []
    for function in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                modules = [node.module or ""]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            found += [module for module in modules if module.split(".")[0] in APPS]
    return found


def test_no_app_module_imports_another_app_inside_a_function():
    offenders = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if {"tests", "migrations"} & set(relative.parts) or path.name in ALLOWED:
                continue
            offenders += [
                f"{relative}: {module}" for module in function_level_app_imports(path) if module.split(".")[0] != app
            ]
    assert offenders == []


def test_the_scan_sees_an_import_inside_a_function(tmp_path):
    module = tmp_path / "services.py"
    module.write_text("def notify():\n    from notifications.notices import notify_refund\n    import os\n")
    assert function_level_app_imports(module) == ["notifications.notices"]


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-logo", "--no-cache", "--config", str(ROOT / ".importlinter")],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(cwd)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_apps_keep_their_layers():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_the_layers_contract_breaks_on_an_import_that_points_up(tmp_path):
    """A copy of the apps in which booking imports notifications again, as it once did, fails the contract."""
    for package in ["config", *APPS]:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    services = tmp_path / "booking" / "services.py"
    services.write_text("from notifications.notices import notify_booking_confirmed\n" + services.read_text())

    result = lint_imports(tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "booking.services -> notifications.notices" in result.stdout
