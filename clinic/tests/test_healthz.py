import pytest
from django.db import OperationalError, connection

pytestmark = pytest.mark.django_db


def test_healthy_database_answers_200(client, settings):
    settings.REDIS_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"ok": True, "database": True}
    assert "no-cache" in response["Cache-Control"]


def test_unreachable_database_answers_503(client, settings, monkeypatch):
    settings.REDIS_URL = ""

    def broken_cursor(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] is False


def test_configured_redis_is_checked(client, settings):
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set (CI always sets it)")
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["redis"] is True


def test_unreachable_redis_answers_503(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"ok": False, "database": True, "redis": False}


def test_healthz_is_get_only(client):
    assert client.post("/healthz").status_code == 405
