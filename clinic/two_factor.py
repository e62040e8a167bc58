"""Two-factor sign-in for staff: the password, then a code from an authenticator app (TOTP) or a backup code.

Required while DEBUG is off for superusers and for anyone holding a permission listed in
`TWO_FACTOR_REQUIRED_PERMISSIONS` (reading intake answers); offered to everyone else on the staff site.
django-otp keeps the devices and marks a session verified; ClinicAdminSite (admin_site.py) lets a
staff member in only when `two_factor_required` is false or their session is verified, and sends
one who still needs it to `two_factor_page` at /admin/two-factor/.
"""

from base64 import b32encode
from urllib.parse import urlencode

import django_otp
import segno
from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import logout, user_login_failed
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import devices_for_user, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

BACKUP_CODE_COUNT = 10
# Longer than any app code (6 digits) or backup code (8 letters and digits; StaticToken holds up to 16).
MAX_CODE_LENGTH = 16
SIGN_IN_REFUSED = (
    "Please enter the correct username and password for a staff account and, if you have set up "
    "two-factor sign-in, the code your authenticator app shows now (or an unused backup code)."
)
WRONG_CODE = "That code did not work. Enter the code your authenticator app shows now."
TOO_MANY_TRIES = "Too many wrong codes in a row. Wait a minute, then enter the code your app shows now."


class TwoFactorError(Exception):
    """A code was refused; the message is safe to show."""


def two_factor_required(user) -> bool:
    """Whether `user` must sign in with two factors (read at call time: tests and `make run` change DEBUG)."""
    if settings.DEBUG:
        return False
    return user.is_superuser or any(user.has_perm(name) for name in settings.TWO_FACTOR_REQUIRED_PERMISSIONS)


def is_verified(user) -> bool:
    # OTPMiddleware gives request.user `is_verified()`; a user loaded any other way has not shown a code.
    return bool(getattr(user, "is_verified", None) and user.is_verified())


def setup_pending(user) -> bool:
    """A signed-in staff member who must use two factors and has not in this session."""
    return user.is_active and user.is_staff and two_factor_required(user) and not is_verified(user)


def _clean_code(code: str) -> str:
    # Apps show "123 456"; backup codes are stored in lower case.
    return "".join(code.split()).replace("-", "").lower()


def _is_app_code(code: str) -> bool:
    return code.isascii() and code.isdigit()


# Services ---------------------------------------------------------------------------------------------


def device_verify(*, user, code: str):
    """The confirmed device of `user` that accepts `code` (a backup code is used up), or None."""
    code = _clean_code(code)
    if not code or len(code) > MAX_CODE_LENGTH:
        return None
    with transaction.atomic():
        for device in devices_for_user(user, for_verify=True):
            # Digits go to the app, letters to the backup codes: every refusal slows that device's next
            # try (django-otp's throttle), and a typo in one must not hold up the other.
            if isinstance(device, TOTPDevice) != _is_app_code(code):
                continue
            if device.verify_token(code):
                return device
    return None


def setup_device_get(*, user) -> TOTPDevice:
    """The app being set up: the same secret until it is confirmed, so reloading keeps the QR code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def setup_confirm(*, user, code: str) -> TOTPDevice:
    """Confirm the app being set up with its first code; raises TwoFactorError when refused."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("pk").first()
        allowed = device is not None and device.verify_is_allowed()[0]
        # A refusal is recorded (the throttle), so it is raised only once this transaction has committed.
        verified = allowed and device.verify_token(code)
        if verified:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    if device is not None and not allowed:
        raise TwoFactorError(TOO_MANY_TRIES)
    if not verified:
        raise TwoFactorError(WRONG_CODE)
    return device


def backup_codes_replace(*, user) -> list[str]:
    """New one-time backup codes for `user`, in place of any left. Shown once: only they keep them."""
    codes: list[str] = []
    while len(codes) < BACKUP_CODE_COUNT:
        code = StaticToken.random_token()
        if not _is_app_code(code) and code not in codes:  # all digits would be taken for an app code
            codes.append(code)
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def two_factor_reset(*, users) -> None:
    """Remove the app and the backup codes of `users`: they set two-factor sign-in up again."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user__in=users).delete()
        StaticDevice.objects.filter(user__in=users).delete()


# Forms ------------------------------------------------------------------------------------------------


def _code_input(*, digits_only: bool) -> forms.TextInput:
    # Backup codes have letters, so the sign-in field keeps the full keyboard; the first code is digits only.
    attrs = {"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false", "size": "12"}
    attrs["inputmode"] = "numeric" if digits_only else "text"
    return forms.TextInput(attrs=attrs)


class StaffLoginForm(AdminAuthenticationForm):
    """The staff site's login: username, password and, once set up, a code (checked after the password)."""

    error_messages = {**AdminAuthenticationForm.error_messages, "invalid_login": SIGN_IN_REFUSED}

    code = forms.CharField(
        label="Code from your authenticator app (or a backup code)",
        required=False,
        help_text="Leave empty if you have not set up two-factor sign-in.",
        widget=_code_input(digits_only=False),
    )

    def clean(self):
        super().clean()  # authenticate(): django-axes counts the failures and locks the login out
        user = self.get_user()
        if user is not None and user_has_device(user):
            device = device_verify(user=user, code=self.cleaned_data.get("code", ""))
            if device is None:
                # A wrong code counts toward the lockout like a wrong password, and reads the same,
                # so neither the message nor the lockout tells whether the password was right.
                credentials = {"username": self.cleaned_data.get("username")}
                user_login_failed.send(sender=type(self), credentials=credentials, request=self.request)
                raise self.get_invalid_login_error()
            # django-otp's user_logged_in receiver marks the new session verified by this device.
            user.otp_device = device
        return self.cleaned_data


class FirstCodeForm(forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app",
        help_text="The 6 digits the app shows for this account.",
        widget=_code_input(digits_only=True),
        error_messages={"required": "Enter the 6 digits your authenticator app shows."},
    )

    def clean_code(self):
        code = _clean_code(self.cleaned_data["code"])
        if not (_is_app_code(code) and len(code) == 6):
            raise forms.ValidationError("Enter the 6 digits your authenticator app shows, without letters.")
        return code


class SessionCodeForm(forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app (or a backup code)",
        widget=_code_input(digits_only=False),
        error_messages={"required": "Enter the code your authenticator app shows, or a backup code."},
    )


# The page ---------------------------------------------------------------------------------------------


def setup_url(admin_site, next_url: str = "") -> str:
    url = reverse("admin:two_factor", current_app=admin_site.name)
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _next_url(request, admin_site) -> str:
    next_url = request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return next_url
    return reverse("admin:index", current_app=admin_site.name)


def _qr_code(device: TOTPDevice) -> str:
    return segno.make_qr(device.config_url, error="m").svg_data_uri(scale=5, dark="#000", light="#fff")


def _typed_secret(device: TOTPDevice) -> str:
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def two_factor_page(admin_site, request):
    """Set up two-factor sign-in, show a code for this session, or make new backup codes."""
    user = request.user
    if not (user.is_active and user.is_staff):
        return redirect_to_login(request.get_full_path(), reverse("admin:login", current_app=admin_site.name))
    if request.method == "POST" and "sign_out" in request.POST:
        logout(request)
        return redirect("admin:login")
    next_url = _next_url(request, admin_site)
    extra: dict = {}
    has_device = user_has_device(user)

    if has_device and not is_verified(user):
        state = "verify"
        form = SessionCodeForm(request.POST or None)
        if form.is_valid():
            device = device_verify(user=user, code=form.cleaned_data["code"])
            if device is not None:
                django_otp.login(request, device)
                return redirect(next_url)
            form.add_error("code", WRONG_CODE)
        extra["form"] = form
    elif has_device:
        state = "on"
        if request.method == "POST" and "new_backup_codes" in request.POST:
            extra["backup_codes"] = backup_codes_replace(user=user)
    else:
        state = "set_up"
        form = FirstCodeForm(request.POST or None)
        if form.is_valid():
            try:
                device = setup_confirm(user=user, code=form.cleaned_data["code"])
            except TwoFactorError as error:
                form.add_error("code", str(error))
            else:
                django_otp.login(request, device)
                state = "on"
                extra["backup_codes"] = backup_codes_replace(user=user)
        if state == "set_up":
            device = setup_device_get(user=user)
            extra |= {"form": form, "qr_code": _qr_code(device), "secret": _typed_secret(device)}

    context = {
        # After a code is accepted the session is verified: the header and menu come back.
        **admin_site.each_context(request),
        "title": "Two-factor sign-in",
        "state": state,
        "required": two_factor_required(user),
        "next_url": next_url,
        **extra,
    }
    request.current_app = admin_site.name
    return TemplateResponse(request, "admin/two_factor.html", context)
