import pytest

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("desk", "desk@example.com", "the-right-password-1", is_staff=True)


def attempt(client, password):
    return client.post(LOGIN, {"username": "desk", "password": password})


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(client, staff, settings):
    settings.AXES_FAILURE_LIMIT = 5
    for _ in range(4):
        assert attempt(client, "wrong").status_code == 200  # the login form again, with its error
    assert attempt(client, "wrong").status_code == 429
    locked = attempt(client, "the-right-password-1")
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_right_password_before_the_limit_logs_in_and_resets_the_count(client, staff):
    for _ in range(3):
        attempt(client, "wrong")
    assert attempt(client, "the-right-password-1").status_code == 302
    client.logout()
    for _ in range(4):
        assert attempt(client, "wrong").status_code == 200
