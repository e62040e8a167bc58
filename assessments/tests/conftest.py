import pytest
import time_machine
from django.contrib.auth.models import Group

from .helpers import NOW, make_booking


@pytest.fixture
def clock():
    """The clock stopped at NOW (Monday 8:00 AM in San Diego); tests may move it."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def booking(service):
    """A confirmed visit on Thursday at 10:00 AM, for Dana Cruz."""
    return make_booking(service)


def _staff(django_user_model, username: str, group: str | None = None, **fields):
    user = django_user_model.objects.create_user(username, password="not-used-here", is_staff=True, **fields)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def front_desk(django_user_model):
    return _staff(django_user_model, "frontdesk", "Front desk")


@pytest.fixture
def clinician(django_user_model):
    return _staff(django_user_model, "clinician", "Clinician")


@pytest.fixture
def superuser(django_user_model):
    return _staff(django_user_model, "boss", is_superuser=True)
