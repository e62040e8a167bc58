"""Settings for the clinic's booking site, read from the environment.

Every variable is listed with its default in `.env.example` and the README.
With `DEBUG=true` and nothing else (as `make run` sets it) this runs the
embedded default: SQLite under `var/`, Celery tasks in-process, email to the
console. With DEBUG off the site refuses to start without a SECRET_KEY of its own
(config/startup.py).
"""

from pathlib import Path

import environ
from csp.constants import NONE, SELF

from clinic.client import TrustedProxies

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Off unless said: `make run` and the test suite turn it on for themselves.
DEBUG = env.bool("DEBUG", default=False)

# Published with the code, so it may sign nothing but a developer's own links and sessions.
development_key = "insecure-development-key-do-not-use-in-production"
secret_key = env.str("SECRET_KEY", default="") or (development_key if DEBUG else "")
# It signs the patients' private links and the staff's sessions: whoever knows it can make either. With DEBUG
# off, a key that is not the site's own is left out: Django refuses anything that signs, and the web app and
# the Celery workers refuse to start (config/startup.py). Commands that sign nothing (migrate, collectstatic,
# makemigrations) still run, as Django intends them to without a key.
SECRET_KEY_PROBLEM = ""
if not DEBUG:
    if not secret_key:
        SECRET_KEY_PROBLEM = "SECRET_KEY is not set"
    elif secret_key == development_key:
        SECRET_KEY_PROBLEM = "SECRET_KEY is the development key published with the code"
    elif len(secret_key) < 50:
        SECRET_KEY_PROBLEM = f"SECRET_KEY has {len(secret_key)} characters"
SECRET_KEY = "" if SECRET_KEY_PROBLEM else secret_key

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = [PUBLIC_BASE_URL]
# The proxies of the clinic's own in front of the app, by count or address (clinic/client.py): their
# X-Forwarded-For gives the client's address for login lockouts, rate limits and the access log, and their
# X-Forwarded-Proto whether the client came over HTTPS. From anyone else both headers are ignored.
TRUSTED_PROXIES = TrustedProxies.parse(env.str("TRUSTED_PROXIES", default=""))
if TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

if not DEBUG:
    # Send cookies only over HTTPS, and ask browsers to stay on it.
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

INSTALLED_APPS = [
    "frontdesk.apps.FrontDeskAdminConfig",  # Django's admin, on the front desk's site (Today is its home)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",  # the trigram index's operator class (booking/models.py); harmless on SQLite
    "axes",
    "django_ratelimit",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_htmx",
    "clinic",
    "booking",
    "assessments",
    "notifications",
    "waitlist",
    "frontdesk",  # admin screens that span the apps above: registered last
]

MIDDLEWARE = [
    "clinic.client.ForwardedProtoFromTrustedProxies",  # before anything asks whether the request is secure
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",  # the page's language, from its address (/es/...)
    "clinic.languages.FirstVisitLanguage",  # a first visit follows Accept-Language; a chosen one is kept
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    "django_htmx.middleware.HtmxMiddleware",  # request.htmx: Today's panels answer with a fragment
]

# Content-Security-Policy: scripts, styles and images from this site only (no inline scripts or styles
# anywhere); forms post here, or go on to Stripe Checkout by redirect.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF, "https://checkout.stripe.com"],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# Repeated failed admin logins lock that username from that address for a while.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out login before any password check
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.int("LOGIN_LOCKOUT_MINUTES", default=30) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "clinic.client.client_ip"
AXES_ENABLE_ADMIN = False  # clinic/admin.py registers its screens, with its action's permission declared

# Two-factor sign-in for staff (clinic/two_factor.py): a code from an authenticator app, or a backup code.
# While DEBUG is off it is required of superusers and of anyone holding one of these permissions.
TWO_FACTOR_REQUIRED_PERMISSIONS = ["assessments.view_intake_answers"]
OTP_TOTP_ISSUER = "Project Performance PT"  # the name authenticator apps show beside the code
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the device admins never show a secret key or a backup code

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "clinic.context_processors.clinic",
                "clinic.languages.alternates",
                "booking.context_processors.payments",
            ],
        },
    },
    {
        # Texts and plain-text emails: nothing to escape, "D'Andre & Co" stays as written.
        "NAME": "text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {"autoescape": False},
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes SQLite's write lock when a transaction starts, so the
    # count-then-insert in a booking is serialised even without row locks.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL;",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
# Django's cache: Redis when REDIS_URL is set, else Django's default, each process's own memory (make run's one).
# django-redis keeps one Redis client per process, where Django's own backend builds one for every call: a kept
# availability page is then served with about half the work.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            # Redis unreachable: give up within a second or two (rate limits then count nothing, availability pages are
            # rendered for each visitor) rather than hang. Its errors reach the caller as redis-py raised them.
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
        }
    }

# Rate limits (django-ratelimit) count in Django's cache: Redis in production, shared by every process.
# RATELIMIT_ENABLE=false turns them off, for load tests only.
RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", default=True)
RATELIMIT_IP_META_KEY = "clinic.client.client_ip"
RATELIMIT_VIEW = "clinic.views.rate_limited"
SILENCED_SYSTEM_CHECKS = []
if not REDIS_URL:
    # make run's single process: its memory is the shared cache.
    SILENCED_SYSTEM_CHECKS += ["django_ratelimit.E003", "django_ratelimit.W001"]

# The public availability pages (offer, days, times) are kept in Django's cache (Redis: shared by every process and
# machine; local memory without it) for at most this long: renewed everywhere as soon as a booking, slot or offer
# change commits, they lag only what changes by the clock (a hold lapsing). The booking always counts under lock.
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=2)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Patient pages in English at their plain addresses and in Spanish under /es/ (config/urls.py); staff pages
# stay in English. Catalogs in locale/ (docs/languages.md).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="America/Los_Angeles")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

CSRF_FAILURE_VIEW = "clinic.views.csrf_failure"
MESSAGE_STORAGE = "django.contrib.messages.storage.cookie.CookieStorage"

vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="webmaster@localhost")

# Booking rules.
BOOKING_HOLD_MINUTES = env.int("BOOKING_HOLD_MINUTES", default=15)
BOOKING_MIN_NOTICE_HOURS = env.int("BOOKING_MIN_NOTICE_HOURS", default=2)
BOOKING_DAYS_AHEAD = env.int("BOOKING_DAYS_AHEAD", default=42)
# How long a booking waits for another booking's row lock before saying "busy, try again".
BOOKING_LOCK_TIMEOUT_MS = env.int("BOOKING_LOCK_TIMEOUT_MS", default=5000)

# Intake: the private link works until this many days after the visit.
INTAKE_LINK_DAYS = env.int("INTAKE_LINK_DAYS", default=7)

# Self-service: the patient's private booking link works until this many days after the visit;
# moving or cancelling online (with a full refund) ends this many hours before it.
MANAGE_LINK_DAYS = env.int("MANAGE_LINK_DAYS", default=7)
CANCELLATION_CUTOFF_HOURS = env.int("CANCELLATION_CUTOFF_HOURS", default=24)

# Text-to-claim: the booking link texted in answer to a first text (carrying that mobile) works this many days.
TEXTED_LINK_DAYS = env.int("TEXTED_LINK_DAYS", default=7)

# Waiting list: how long an offered spot is held for the person offered it.
WAITLIST_OFFER_MINUTES = env.int("WAITLIST_OFFER_MINUTES", default=30)

# Staff (and every) session ends after this many idle minutes.
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=15)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True

# Payments: with both keys set, patients pay online through Stripe Checkout;
# without them, payment is due at the visit.
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")  # a Stripe-compatible mock server, for testing

# Texts: with an account, a token and a sender (a number or a messaging
# service), texts go through Twilio; otherwise they are printed to the console
# and kept in the outbox.
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM_NUMBER = env.str("TWILIO_FROM_NUMBER", default="")
TWILIO_MESSAGING_SERVICE_SID = env.str("TWILIO_MESSAGING_SERVICE_SID", default="")
# Texts go only to mobiles in these countries (ISO codes): patients elsewhere are asked to call.
SMS_ALLOWED_COUNTRIES = env.list("SMS_ALLOWED_COUNTRIES", default=["US", "CA"])

# Celery: without a broker, tasks run in-process as they are called.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
# With Redis down, a request that queues a task gives up on it within seconds and its rows wait for the periodic
# sweeps (clinic/queue.py): a connection attempt waits 1 s, a publish is tried twice, a silent Redis is given 2 s
# to answer (more than the 1 s a worker's wait for tasks takes).
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 2}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "expire-lapsed-holds": {"task": "booking.tasks.expire_lapsed_holds", "schedule": 60.0},
    "resend-unsent-refunds": {"task": "booking.tasks.resend_unsent_refunds", "schedule": 5 * 60.0},
    "queue-reminders": {"task": "notifications.tasks.queue_reminders", "schedule": 60.0},
    "send-due-messages": {"task": "notifications.tasks.send_due_messages", "schedule": 60.0},
    "offer-freed-spots": {"task": "waitlist.tasks.offer_freed_spots", "schedule": 60.0},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_private_links": {"()": "clinic.privacy.MaskPrivateLinks"}},
    "formatters": {
        "django.server": {"()": "django.utils.log.ServerFormatter", "format": "[{server_time}] {message}", "style": "{"}
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["mask_private_links"]},
        # The development server's request log, as Django writes it, with the links masked too.
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["mask_private_links"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
}
