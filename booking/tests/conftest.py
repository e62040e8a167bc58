import socket

import pytest
import time_machine

from booking.tests.pages import NOW


@pytest.fixture
def clock():
    """The clock stopped at NOW (a Monday morning in San Diego); tests may move it."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def offer(clock, promotion):
    """The conftest promotion, made once the clock is frozen: $99 for visits April 7 to 16."""
    return promotion


@pytest.fixture
def cache_down(settings):
    """Django's cache is Redis, unreachable: the real failure, a closed port on this machine."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed once the probe is: nothing listens there
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }
    settings.RATELIMIT_ENABLE = True
