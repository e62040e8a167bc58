"""The locks (requirements.txt, requirements-dev.txt, made by `make lock`): every package the site or its tests
install is pinned to one version and to the hashes of its files, and agrees with the pins made by hand."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(settings.BASE_DIR)
LOCKS = ["requirements.txt", "requirements-dev.txt"]
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


def entries(lock: str) -> list[tuple[str, list[str]]]:
    """Each entry of a lock: its requirement and its options, continuation lines joined, comments left out."""
    text = (ROOT / lock).read_text().replace("\\\n", " ")
    lines = (line.split("#", 1)[0].split() for line in text.splitlines())
    return [(words[0], words[1:]) for words in lines if words]


def locked(lock: str) -> dict[str, str]:
    pins = (Requirement(requirement) for requirement, _ in entries(lock))
    return {canonicalize_name(pin.name): str(pin.specifier) for pin in pins}


def pinned_by_hand(source: str) -> dict[str, str]:
    lines = (line.split("#", 1)[0].strip() for line in (ROOT / source).read_text().splitlines())
    pins = (Requirement(line) for line in lines if line and not line.startswith("-"))
    return {canonicalize_name(pin.name): str(pin.specifier) for pin in pins}


@pytest.mark.parametrize("lock", LOCKS)
def test_every_package_in_a_lock_is_one_version_with_the_hashes_of_its_files(lock):
    assert len(entries(lock)) > 40
    for requirement, options in entries(lock):
        assert re.fullmatch(r"[a-z0-9][a-z0-9._-]*==[0-9][0-9a-z.+!-]*", requirement), requirement
        assert options, f"{requirement} has no --hash"
        assert all(HASH.fullmatch(option) for option in options), (requirement, options)


@pytest.mark.parametrize(
    "source, lock", [("requirements.in", "requirements.txt"), ("requirements-dev.in", "requirements-dev.txt")]
)
def test_each_pin_made_by_hand_is_the_version_locked(source, lock):
    by_hand, in_lock = pinned_by_hand(source), locked(lock)
    assert {name: in_lock.get(name) for name in by_hand} == by_hand, f"run make lock after changing {source}"


def test_the_tests_run_on_the_very_files_the_site_installs():
    site = dict(entries("requirements.txt"))
    tests = dict(entries("requirements-dev.txt"))
    assert {requirement: tests.get(requirement) for requirement in site} == site
