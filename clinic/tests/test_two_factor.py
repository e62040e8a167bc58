"""Staff sign in with two factors: required with DEBUG off for clinicians and superusers, offered to the front desk."""

import re
from base64 import b32decode
from io import StringIO

import pytest
import time_machine
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from assessments.roles import CLINICIAN, ensure_groups
from clinic import two_factor
from clinic.tests.audit import Audit
from clinic.tests.staff import PASSWORD, staff_user

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"
SETUP = "/admin/two-factor/"
INTAKES = "/admin/assessments/intake/"


@pytest.fixture(autouse=True)
def debug_off(settings):
    settings.DEBUG = False  # as in production (pytest-django's default too, said out loud)


@pytest.fixture
def clock():
    """Each test moves the clock on by a TOTP step where it needs a fresh code (a code works only once)."""
    with time_machine.travel("2026-03-02 16:00:00+00:00", tick=False) as traveller:
        yield traveller


def app_code(device: TOTPDevice) -> str:
    """The code the phone's app shows now."""
    device.refresh_from_db()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift):06d}"


def other_code(code: str) -> str:
    return f"{(int(code) + 500_000) % 1_000_000:06d}"


def enroll(user) -> tuple[TOTPDevice, list[str]]:
    """An authenticator app and backup codes, set up earlier."""
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    return device, two_factor.backup_codes_replace(user=user)


def log_in(client, user, code: str | None = None):
    data = {"username": user.username, "password": PASSWORD}
    if code is not None:
        data["code"] = code
    return client.post(LOGIN, data)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def sent_to_setup(response) -> bool:
    return response.status_code == 302 and response.url.startswith(SETUP)


# Who must use two factors --------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["clinician", "superuser"])
def test_with_debug_off_a_password_alone_leads_a_clinician_or_superuser_to_setup_not_to_the_admin(client, who, request):
    user = request.getfixturevalue(who)

    response = log_in(client, user)

    assert response.status_code == 302 and signed_in(client)
    assert sent_to_setup(client.get(response.url))
    assert sent_to_setup(client.get("/admin/"))
    assert sent_to_setup(client.get(INTAKES))
    assert sent_to_setup(client.get("/staff/intakes/1/print/"))  # the printable answers, outside /admin/ too
    assert sent_to_setup(client.get("/admin/login/"))  # not "you are not authorized"
    setup = client.get(SETUP)
    assert setup.status_code == 200
    assert not admin.site.has_permission(setup.wsgi_request)  # for pages that ask the site themselves
    assert 'id="user-tools"' not in setup.content.decode()


@pytest.mark.parametrize("who", ["clinician", "superuser"])
def test_with_debug_on_a_clinician_or_superuser_works_with_a_password_alone(client, settings, who, request):
    settings.DEBUG = True
    user = request.getfixturevalue(who)

    assert log_in(client, user).status_code == 302
    assert client.get("/admin/").status_code == 200
    assert client.get(INTAKES).status_code == 200


def test_the_front_desk_works_without_two_factor_and_is_offered_it(client, front_desk):
    assert log_in(client, front_desk).status_code == 302

    home = client.get("/admin/")
    assert home.status_code == 200
    assert f'href="{SETUP}">Two-factor sign-in</a>' in home.content.decode()
    assert client.get("/admin/booking/booking/").status_code == 200
    page = client.get(SETUP).content.decode()
    assert "optional for your account" in page


def test_the_front_desk_can_turn_on_two_factor_and_then_needs_a_code(client, front_desk, clock):
    log_in(client, front_desk)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=front_desk)

    client.post(SETUP, {"code": app_code(device)})
    client.logout()
    clock.shift(30)

    assert log_in(client, front_desk).status_code == 200  # the password alone no longer does
    assert not signed_in(client)
    assert log_in(client, front_desk, app_code(device)).status_code == 302


# Setting it up ---------------------------------------------------------------------------------------------


def test_the_setup_page_shows_a_qr_code_and_the_key_to_type_and_keeps_them_on_reload(client, clinician):
    log_in(client, clinician)

    page = client.get(SETUP).content.decode()

    device = TOTPDevice.objects.get(user=clinician, confirmed=False)
    secret = two_factor._typed_secret(device)
    assert re.search(r'<img [^>]*src="data:image/svg\+xml', page)
    assert secret in page and len(secret.replace(" ", "")) == 32  # base32 of a 20-byte key
    assert 'autocomplete="one-time-code"' in page
    assert '<label for="id_code"' in page
    assert secret in client.get(SETUP).content.decode()
    assert TOTPDevice.objects.filter(user=clinician).count() == 1


def test_the_setup_qr_code_carries_the_clinics_name_and_the_secret(clinician):
    device = two_factor.setup_device_get(user=clinician)

    assert device.config_url.startswith("otpauth://totp/Project%20Performance%20PT%3Aclinician?")
    assert "issuer=Project%20Performance%20PT" in device.config_url


def test_a_wrong_first_code_is_refused_and_nothing_is_turned_on(client, clinician):
    log_in(client, clinician)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=clinician)

    response = client.post(SETUP, {"code": other_code(app_code(device))})

    assert response.status_code == 200
    assert two_factor.WRONG_CODE in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert not StaticDevice.objects.filter(user=clinician).exists()
    assert sent_to_setup(client.get(INTAKES))


def test_the_right_first_code_turns_it_on_verifies_the_session_and_shows_ten_backup_codes(client, clinician):
    log_in(client, clinician)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=clinician)

    response = client.post(SETUP, {"code": app_code(device)})

    assert response.status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    codes = list(StaticToken.objects.filter(device__user=clinician).values_list("token", flat=True))
    assert len(codes) == 10
    page = response.content.decode()
    assert all(f"<code>{code}</code>" in page for code in codes)
    assert 'href="/admin/">Continue</a>' in page
    assert client.get(INTAKES).status_code == 200
    assert "Two-factor sign-in is on" in client.get(SETUP).content.decode()
    assert not any(code in client.get(SETUP).content.decode() for code in codes)  # shown once


def test_after_setup_continue_goes_back_to_the_page_that_was_asked_for(client, clinician):
    log_in(client, clinician)
    setup = client.get(INTAKES).url
    device = two_factor.setup_device_get(user=clinician)

    response = client.post(setup, {"code": app_code(device)})

    assert f'href="{INTAKES}">Continue</a>' in response.content.decode()


def test_setup_waiting_for_a_code_can_be_left_by_logging_out(client, clinician):
    log_in(client, clinician)

    response = client.post(SETUP, {"sign_out": "Log out"})

    assert response.status_code == 302 and not signed_in(client)


def test_the_setup_page_needs_a_signed_in_staff_member(client, django_user_model):
    assert client.get(SETUP).url.startswith("/admin/login/")
    patient = django_user_model.objects.create_user("patient", password=PASSWORD)
    client.force_login(patient)
    assert client.get(SETUP).url.startswith("/admin/login/")


# Signing in once it is on ------------------------------------------------------------------------------


def test_the_login_page_asks_for_the_code_in_a_labelled_one_time_code_field(client):
    page = client.get("/admin/login/").content.decode()

    assert '<label for="id_code">Code from your authenticator app (or a backup code):</label>' in page
    assert re.search(r'<input [^>]*name="code"[^>]*autocomplete="one-time-code"', page)


def test_an_enrolled_clinician_signs_in_with_password_and_the_apps_code(client, clinician):
    device, _ = enroll(clinician)

    response = log_in(client, clinician, app_code(device))

    assert response.status_code == 302 and response.url == "/admin/"
    assert client.get(INTAKES).status_code == 200


def test_the_code_may_be_typed_with_a_space_as_apps_show_it(client, clinician):
    device, _ = enroll(clinician)
    code = app_code(device)

    assert log_in(client, clinician, f"{code[:3]} {code[3:]}").status_code == 302


@pytest.mark.parametrize("code", ["", "wrong"])
def test_a_missing_or_wrong_code_is_refused_with_the_same_message_as_a_wrong_password(client, clinician, code):
    device, _ = enroll(clinician)
    code = other_code(app_code(device)) if code == "wrong" else code

    refused = log_in(client, clinician, code)

    assert refused.status_code == 200 and not signed_in(client)
    assert 'name="code"' in refused.content.decode()
    wrong_password = client.post(LOGIN, {"username": clinician.username, "password": "not-it", "code": code})
    assert refused.context["form"].non_field_errors() == wrong_password.context["form"].non_field_errors()
    assert refused.context["form"].non_field_errors() == [two_factor.SIGN_IN_REFUSED]


def test_a_backup_code_signs_in_once_and_only_once(client, clinician, clock):
    _, codes = enroll(clinician)

    assert log_in(client, clinician, codes[0].upper()).status_code == 302
    assert client.get(INTAKES).status_code == 200
    client.logout()

    assert log_in(client, clinician, codes[0]).status_code == 200
    assert not signed_in(client)
    clock.shift(2)  # django-otp makes the next try after a wrong code wait a moment
    assert log_in(client, clinician, codes[1]).status_code == 302


def test_a_backup_code_does_not_hold_up_the_apps_code_at_the_next_sign_in(client, clinician, clock):
    device, codes = enroll(clinician)
    assert log_in(client, clinician, codes[0]).status_code == 302
    client.logout()

    # The clock has not moved: had the backup code been tried on the app as well, the app would make it wait.
    assert log_in(client, clinician, app_code(device)).status_code == 302


def test_wrong_codes_lock_the_login_out_like_wrong_passwords(client, clinician, settings):
    settings.AXES_FAILURE_LIMIT = 5
    device, _ = enroll(clinician)
    wrong = other_code(app_code(device))

    for _ in range(4):
        assert log_in(client, clinician, wrong).status_code == 200
    assert log_in(client, clinician, wrong).status_code == 429
    assert log_in(client, clinician, app_code(device)).status_code == 429
    assert not signed_in(client)


@pytest.mark.parametrize("garbage", ["7" * 5000, "12ab!?<script>", "１２３４５６", "a\x00b", "' OR 1=1 --"])
def test_garbage_codes_get_a_clear_message_never_an_error(client, clinician, garbage):
    enroll(clinician)

    response = log_in(client, clinician, garbage)
    assert response.status_code == 200 and not signed_in(client)
    assert two_factor.SIGN_IN_REFUSED in response.content.decode()


@pytest.mark.parametrize("garbage", ["7" * 5000, "12ab!?", "１２３４５６", "a\x00b", ""])
def test_garbage_first_codes_get_a_clear_message_never_an_error(client, clinician, garbage):
    log_in(client, clinician)

    response = client.post(SETUP, {"code": garbage})

    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert not TOTPDevice.objects.filter(user=clinician, confirmed=True).exists()


# Once it is on ---------------------------------------------------------------------------------------------


def test_new_backup_codes_replace_the_old_ones(client, clinician, clock):
    device, old = enroll(clinician)
    log_in(client, clinician, app_code(device))

    response = client.post(SETUP, {"new_backup_codes": "Make new backup codes"})

    new = list(StaticToken.objects.filter(device__user=clinician).values_list("token", flat=True))
    assert len(new) == 10 and not set(new) & set(old)
    assert all(code in response.content.decode() for code in new)
    client.logout()
    clock.shift(30)
    assert log_in(client, clinician, old[0]).status_code == 200
    clock.shift(2)  # django-otp makes the next try after a wrong code wait a moment
    assert log_in(client, clinician, new[0]).status_code == 302


def test_an_unverified_session_must_give_a_code_before_making_backup_codes(client, clinician):
    log_in(client, clinician)
    device, old = enroll(clinician)  # set up since this session began without a code

    response = client.post(SETUP, {"new_backup_codes": "Make new backup codes"})

    assert response.status_code == 200
    assert set(StaticToken.objects.filter(device__user=clinician).values_list("token", flat=True)) == set(old)
    assert client.post(SETUP, {"code": app_code(device)}).status_code == 302
    assert client.get(INTAKES).status_code == 200


def test_the_device_admins_show_no_secret_key_or_backup_code(client, superuser):
    device, codes = enroll(superuser)
    log_in(client, superuser, app_code(device))

    totp_page = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/").content.decode()
    static = StaticDevice.objects.get(user=superuser)
    static_page = client.get(f"/admin/otp_static/staticdevice/{static.pk}/change/").content.decode()

    assert device.key not in totp_page
    assert not any(code in static_page for code in codes)


# Resetting it ----------------------------------------------------------------------------------------------


def test_a_superuser_resets_a_clinicians_two_factor_and_they_set_it_up_again(client, superuser, clinician, clock):
    device, _ = enroll(superuser)
    enroll(clinician)
    log_in(client, superuser, app_code(device))

    response = client.post(
        "/admin/auth/user/", {"action": "reset_two_factor", "_selected_action": [clinician.pk]}, follow=True
    )

    assert response.status_code == 200
    assert "Two-factor sign-in reset for 1 user(s)" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=clinician).exists()
    assert not StaticDevice.objects.filter(user=clinician).exists()
    assert TOTPDevice.objects.filter(user=superuser).exists()
    client.logout()
    assert log_in(client, clinician).status_code == 302
    assert sent_to_setup(client.get("/admin/"))


def test_staff_who_are_not_superusers_do_not_get_the_reset_action(client, front_desk, clinician):
    front_desk.user_permissions.add(*Permission.objects.filter(codename__in=["view_user", "change_user"]))
    enroll(clinician)
    log_in(client, front_desk)

    users = client.get("/admin/auth/user/")
    client.post("/admin/auth/user/", {"action": "reset_two_factor", "_selected_action": [clinician.pk]})

    assert users.status_code == 200
    assert "reset_two_factor" not in users.content.decode()
    assert TOTPDevice.objects.filter(user=clinician).exists()
    assert StaticDevice.objects.filter(user=clinician).exists()


# In a browser ------------------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_clinician_sets_up_two_factor_in_the_browser_and_signs_in_with_the_keyboard(
    desktop_page, live_server, django_user_model
):
    ensure_groups(Group, Permission)  # a transactional test may run after the database was flushed
    staff_user(django_user_model, "clinician", CLINICIAN)
    page, audit = desktop_page, Audit(desktop_page)

    page.goto(live_server.url + INTAKES)
    audit()
    page.get_by_label("Username").fill("clinician")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Two-factor sign-in")).to_be_visible()
    expect(page.get_by_role("img", name="QR code to scan with your authenticator app")).to_be_visible()
    audit()

    # The key typed by hand gives the same codes as the one in the QR code.
    secret = page.locator("li code").inner_text().replace(" ", "")
    page.get_by_label("Code from your authenticator app").fill(f"{totp(b32decode(secret)):06d}")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", name="Your backup codes")).to_be_visible()
    audit()
    backup_code = page.locator(".backup-codes code").first.inner_text()
    page.get_by_role("link", name="Continue").click()
    expect(page.get_by_role("heading", name="Select intake to view")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").focus()
    page.keyboard.type("clinician")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    page.keyboard.type(backup_code)
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Two-factor sign-in")).to_be_visible()
    audit()
    assert len(audit.pages) == 4


# make run ---------------------------------------------------------------------------------------------------


def test_seed_demo_says_how_to_turn_on_two_factor(settings):
    out = StringIO()
    call_command("seed_demo", stdout=out)

    assert f"{settings.PUBLIC_BASE_URL}/admin/two-factor/" in out.getvalue()
    assert "optional while DEBUG is on" in out.getvalue()
