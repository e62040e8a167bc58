"""Staff members for the tests, in the roles a migration made (Front desk, Clinician, Manager)."""

from django.contrib.auth.models import Group

PASSWORD = "a-long-staff-password-1"  # for the tests that sign in through the login form


def staff_user(django_user_model, username: str, group: str | None = None, **fields):
    user = django_user_model.objects.create_user(username, f"{username}@example.com", PASSWORD, is_staff=True, **fields)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user
