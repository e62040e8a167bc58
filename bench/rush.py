"""Booking-rush benchmark: the app under gunicorn, PostgreSQL and Redis, and a crowd of patients.

    .venv/bin/python bench/rush.py [--attempts 1000] [--concurrency 50] [--trials 1]

It creates the database `clinic_bench` (dropping any earlier one), migrates it, seeds a
clinic with a $99 promotion of 8 spots and the visit week's 60 one-seat slots, starts
gunicorn with production settings (bench/settings.py: DEBUG off, PostgreSQL, Redis), then:

1. measures throughput and latency of a bare Django view (same server, same middleware,
   no database) and of the landing and availability pages, 50 clients at a time;
2. runs the rush: N patients, 50 at a time, each through the real booking flow from the
   clinic's post: landing page, a day's times (or the list of days when that day is full),
   the details form (CSRF cookie and token), its POST, the booking POST at the price shown
   (again at the new price when the discounted spots went meanwhile), the booking page.
   Each patient has their own email and mobile number, and tries three times at most;
3. checks the database: as many bookings as seats offered once sold out (never more),
   exactly 8 at the promotion price, no slot over capacity, and what patients were told
   equal to what the database holds;

and repeats the rush (re-seeded, gunicorn restarted) for --trials. Exits 1 on any 5xx,
oversell or mismatch. The load client is the standard library only: threads, http.client,
cookies and CSRF by hand. Missed performance targets are reported, not failed.
"""

import argparse
import html
import json
import os
import queue
import random
import re
import runpy
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from datetime import timedelta
from http.client import HTTPConnection, HTTPException
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
VAR_DIR = BENCH_DIR / "var"
VENV_BIN = PROJECT_DIR / ".venv" / "bin"
PROMO_SPOTS = 8
SLOT_HOURS = range(7, 19)  # 7 AM to 6 PM starts: twelve 60-minute slots each weekday
USER_AGENT = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) booking-rush-bench"


# Configuration ---------------------------------------------------------------------------------


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--attempts", type=int, default=1000, help="patients in each rush (default 1000)")
    p.add_argument("--concurrency", type=int, default=50, help="patients at a time, and clients per page test (50)")
    p.add_argument("--trials", type=int, default=1, help="rushes to run, re-seeded in between (default 1)")
    p.add_argument(
        "--slot-capacity",
        type=int,
        default=1,
        help="seats per slot (default 1, as the clinic's); 60 slots in the visit week: 8 discounted + 52 regular seats",
    )
    p.add_argument("--duration", type=float, default=9.0, help="seconds per page throughput test (default 9)")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds the page tests are split into (3)")
    p.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", 8765)))
    p.add_argument("--workers", type=int, help="gunicorn worker processes (default: gunicorn.conf.py's, one per core)")
    p.add_argument("--threads", type=int, help="threads per gunicorn worker (default: gunicorn.conf.py's, 2)")
    p.add_argument(
        "--worker-class",
        choices=["gthread", "sync"],
        help="gunicorn worker class instead of gunicorn.conf.py's (bookings first); gthread serves in arrival order",
    )
    p.add_argument("--database", default="clinic_bench", help="PostgreSQL database to (re)create")
    p.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432", help="PostgreSQL server URL, no database")
    p.add_argument("--redis", default="redis://127.0.0.1:6379/9", help="Redis database for cache and Celery queue")
    p.add_argument("--skip-pages", action="store_true", help="skip the page throughput tests")
    p.add_argument(
        "--profile",
        action="store_true",
        help="cProfile every request, one thread per worker, into bench/var/ (slow: the figures are not the targets')",
    )
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    p.add_argument("--keep", action="store_true", help="keep the database and Redis data afterwards")
    return p.parse_args(argv)


def app_environment(args) -> dict:
    """Production settings over plain HTTP on 127.0.0.1: the client says it came through an HTTPS proxy."""
    origin = f"https://127.0.0.1:{args.port}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PUBLIC_BASE_URL": origin,
        # The load client stands in for the HTTPS proxy on this machine: its X-Forwarded-Proto counts.
        "TRUSTED_PROXIES": "127.0.0.1",
        "DATABASE_URL": f"{args.pg.rstrip('/')}/{args.database}",
        "REDIS_URL": args.redis,
        "CONN_MAX_AGE": os.environ.get("CONN_MAX_AGE", "60"),
        # Messages are queued to Redis and nobody consumes them: no mail or text leaves this machine.
        "EMAIL_URL": "dummymail://",
        "TWILIO_ACCOUNT_SID": "",
        "TWILIO_AUTH_TOKEN": "",
        "TWILIO_FROM_NUMBER": "",
        "TWILIO_MESSAGING_SERVICE_SID": "",
        # A rush comes from one address: the rate limits (clinic/limits.py) would turn it away.
        "RATELIMIT_ENABLE": "false",
        # Pay-at-the-visit mode: confirming books a regular time at once, and holds a discounted spot
        # for the code texted to the mobile (booking/verification.py), which counts against the spots.
        "STRIPE_SECRET_KEY": "",
        "STRIPE_WEBHOOK_SECRET": "",
        "PYTHONUNBUFFERED": "1",
    }
    if args.profile:
        env["BENCH_PROFILE_DIR"] = str(VAR_DIR / "profile")
    return env


# Database, seed and server ---------------------------------------------------------------------


def recreate_database(args) -> None:
    import psycopg

    with psycopg.connect(f"{args.pg.rstrip('/')}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{args.database}"')


def drop_database(args) -> None:
    import psycopg

    with psycopg.connect(f"{args.pg.rstrip('/')}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')


def flush_redis(args) -> None:
    import redis

    redis.Redis.from_url(args.redis).flushdb()


def manage(env: dict, *command: str) -> None:
    subprocess.run([str(VENV_BIN / "python"), "manage.py", *command], cwd=PROJECT_DIR, env=env, check=True)


def setup_django(env: dict) -> None:
    """This process seeds and checks through the ORM (never during a measurement)."""
    for key in ("DJANGO_SETTINGS_MODULE", "DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "PUBLIC_BASE_URL"):
        os.environ[key] = env[key]
    for key in (
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "EMAIL_URL",
        "ALLOWED_HOSTS",
        "CONN_MAX_AGE",
        "RATELIMIT_ENABLE",
    ):
        os.environ[key] = env[key]
    sys.path.insert(0, str(PROJECT_DIR))
    import django

    django.setup()


def seed(slot_capacity: int) -> dict:
    """A clinic, its hours, the assessment, a $99 promotion of 8 spots and the visit week's slots.

    Clears every booking (and its messages, events and sessions) first, so it also re-seeds a trial.
    """
    from datetime import time as clock

    from django.contrib.sessions.models import Session
    from django.db import connection, transaction
    from django.utils import timezone

    from booking.management.commands.seed_demo import demo_clinic, demo_service
    from booking.models import Promotion, Slot

    with transaction.atomic():
        # Every booking, and everything hanging off one (events, messages, intake, ...), whatever the app adds.
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in (Slot, Promotion, Session))
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        clinic = demo_clinic()  # the clinic, its hours and the assessment, as `make run` has them
        service = demo_service(clinic)
        today = timezone.localdate(timezone=clinic.tz)
        monday = today + timedelta(days=7 - today.weekday())
        days = [monday + timedelta(days=n) for n in range(5)]
        promotion = Promotion.objects.create(
            service=service,
            name="Launch week: $99 assessment",
            headline="Launch week for runners with low-back or hip pain",
            price_cents=99_00,
            spots=PROMO_SPOTS,
            visit_starts_on=days[0],
            visit_ends_on=days[-1],
            opens_at=timezone.now() - timedelta(days=1),
            closes_at=clinic.local_datetime(monday + timedelta(days=10), clock.min),
        )
        Slot.objects.bulk_create(
            Slot(
                service=service,
                starts_at=clinic.local_datetime(day, clock(hour)),
                ends_at=clinic.local_datetime(day, clock(hour)) + timedelta(minutes=service.duration_minutes),
                capacity=slot_capacity,
            )
            for day in days
            for hour in SLOT_HOURS
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    seats = sum(Slot.objects.values_list("capacity", flat=True))
    connection.close()
    return {
        "days": [d.isoformat() for d in days],
        "slots": len(days) * len(SLOT_HOURS),
        "seats": seats,
        "promotion_id": promotion.pk,
    }


def check_database(seeded: dict) -> dict:
    """What the database holds after a rush, and whether any rule was broken."""
    from django.db import connection
    from django.db.models import Count, F, Q
    from django.utils import timezone

    from booking.models import Booking, Slot, bookings_taken

    now = timezone.now()
    active = Booking.objects.active(now)
    by_promo = active.filter(promotion_id=seeded["promotion_id"])
    over = list(
        Slot.objects.annotate(taken=bookings_taken(now))
        .filter(taken__gt=F("capacity"))
        .values_list("pk", "taken", "capacity")
    )
    result = {
        "bookings": active.count(),
        "promo_bookings": by_promo.count(),
        "promo_price_bookings": active.filter(price_cents=99_00).count(),
        "all_rows": Booking.objects.count(),
        "statuses": dict(Counter(Booking.objects.values_list("status", flat=True))),
        "slots_over_capacity": over,
        "duplicate_promo_patients": active.filter(promotion__isnull=False)
        .values("email")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .count(),
        "regular_with_promo_price": active.filter(Q(promotion__isnull=True) & Q(price_cents=99_00)).count(),
    }
    connection.close()
    return result


class Server:
    def __init__(self, args, env):
        self.args, self.env = args, env
        self.log = VAR_DIR / "gunicorn.log"  # gunicorn's own log
        self.app_log = VAR_DIR / "app.log"  # what the app writes to stderr (Django's log)
        self.process = None

    def command(self) -> list[str]:
        """gunicorn as the Procfile runs it (its settings from gunicorn.conf.py), unless the options say otherwise."""
        a = self.args
        threads = 1 if a.worker_class == "sync" else a.threads  # gunicorn runs gthread whenever threads > 1
        overrides = {"--worker-class": a.worker_class, "--workers": a.workers, "--threads": threads}
        return [
            str(VENV_BIN / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{a.port}",
            *(item for option, value in overrides.items() if value is not None for item in (option, str(value))),
            "--keep-alive",
            "30",
            "--backlog",
            "2048",
            "--error-logfile",
            str(self.log),
        ]

    def describe(self) -> str:
        """The worker class, workers and threads this server runs, gunicorn.conf.py's where not overridden."""
        conf = runpy.run_path(str(PROJECT_DIR / "gunicorn.conf.py"))
        a = self.args
        worker_class = a.worker_class or conf["worker_class"]
        workers = a.workers or conf["workers"]
        threads = 1 if worker_class == "sync" else (a.threads or conf["threads"])
        return f"{worker_class}, {workers} workers x {threads} threads"

    def start(self) -> None:
        try:
            socket.create_connection(("127.0.0.1", self.args.port), timeout=1).close()
        except OSError:
            pass
        else:
            raise SystemExit(f"Port {self.args.port} is taken by another server: stop it, or pass --port.")
        with open(self.app_log, "ab") as app_log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=PROJECT_DIR,
                env=self.env,
                stdout=app_log,
                stderr=app_log,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited ({self.process.returncode}); see {self.log}")
            try:
                conn = HTTPConnection("127.0.0.1", self.args.port, timeout=2)
                conn.request("GET", "/healthz", headers={"Host": f"127.0.0.1:{self.args.port}"})
                response = conn.getresponse()
                body = response.read()
                conn.close()
                if response.status == 200 and json.loads(body).get("redis") is True and self.process.poll() is None:
                    return
            except (OSError, HTTPException, ValueError):
                pass
            time.sleep(0.2)
        raise SystemExit(f"gunicorn did not answer /healthz in 60 s; see {self.log}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # gunicorn's graceful stop, workers included
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# The client ------------------------------------------------------------------------------------


class Stats:
    """Latency samples per request kind, plus status counts; thread-safe enough (list.append)."""

    def __init__(self):
        self.samples = defaultdict(list)  # kind -> [(start, seconds, status)]
        self.errors = Counter()  # connection errors by kind
        self.notes = defaultdict(Counter)  # kind -> what -> count
        self.bytes = Counter()  # kind -> response bytes
        self.lock = threading.Lock()

    def add(self, kind, start, seconds, status):
        with self.lock:
            self.samples[kind].append((start, seconds, status))

    def add_bytes(self, kind, n):
        with self.lock:
            self.bytes[kind] += n

    def note(self, kind, what):
        with self.lock:
            self.notes[kind][what] += 1

    def error(self, kind):
        with self.lock:
            self.errors[kind] += 1

    def statuses(self) -> Counter:
        return Counter(status for rows in self.samples.values() for _, _, status in rows)

    def count_5xx(self) -> int:
        return sum(n for status, n in self.statuses().items() if status >= 500)

    def summary(self, kind) -> dict:
        rows = self.samples.get(kind, [])
        if not rows:
            return {"n": 0}
        lat = sorted(seconds for _, seconds, _ in rows)
        first = min(start for start, _, _ in rows)
        last = max(start + seconds for start, seconds, _ in rows)
        return {
            "n": len(rows),
            "rps": len(rows) / (last - first) if last > first else 0.0,
            "p50_ms": percentile(lat, 50) * 1000,
            "p95_ms": percentile(lat, 95) * 1000,
            "p99_ms": percentile(lat, 99) * 1000,
            "max_ms": lat[-1] * 1000,
            "statuses": dict(sorted(Counter(status for _, _, status in rows).items())),
            "mean_bytes": self.bytes[kind] / len(rows),
        }


def percentile(sorted_values, pct):
    if not sorted_values:
        return float("nan")
    k = (len(sorted_values) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


class ConnectionFailed(Exception):
    pass


class Client:
    """One keep-alive connection (one per client thread), as a phone's browser or a proxy would hold."""

    def __init__(self, port: int):
        self.port = port
        self.host = f"127.0.0.1:{port}"
        self.conn = None

    def _connection(self):
        if self.conn is None:
            self.conn = HTTPConnection("127.0.0.1", self.port, timeout=60)
        return self.conn

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method, path, headers, body=None):
        """(status, headers, body, seconds). A reused connection the server closed is retried once, as browsers do."""
        for attempt in (1, 2):
            conn = self._connection()
            reused = conn.sock is not None
            start = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                seconds = time.perf_counter() - start
                if response.will_close:
                    self.close()
                return response.status, response.headers, data, seconds
            except (OSError, HTTPException) as exc:
                self.close()
                if attempt == 2 or not reused:
                    raise ConnectionFailed(f"{method} {path}: {exc!r}") from exc
        raise AssertionError("unreachable")


class Browser:
    """One patient's browser: its own cookies, sent by hand (the app's cookies are Secure: we are 'behind HTTPS')."""

    def __init__(self, client: Client, stats: Stats):
        self.client, self.stats = client, stats
        self.cookies: dict[str, str] = {}
        self.origin = f"https://{client.host}"

    def _headers(self, referer=None, form=False):
        headers = {
            "Host": self.client.host,
            "User-Agent": USER_AGENT,
            "Accept": "text/html",
            "X-Forwarded-Proto": "https",  # what the HTTPS proxy in front of gunicorn adds
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if referer:
            headers["Referer"] = self.origin + referer
        if form:
            headers["Origin"] = self.origin
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        return headers

    def _store_cookies(self, headers):
        for line in headers.get_all("Set-Cookie") or []:
            pair, _, attributes = line.partition(";")
            name, _, value = pair.strip().partition("=")
            attributes = attributes.lower()
            if "max-age=0" in attributes or "expires=thu, 01 jan 1970" in attributes:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value.strip('"')

    def go(self, kind, method, path, *, fields=None, referer=None):
        body = urllib.parse.urlencode(fields) if fields is not None else None
        started = time.perf_counter()
        try:
            status, headers, data, seconds = self.client.request(
                method, path, self._headers(referer, form=fields is not None), body
            )
        except ConnectionFailed:
            self.stats.error(kind)
            raise
        self.stats.add(kind, started, seconds, status)
        self.stats.add_bytes(kind, len(data))
        self._store_cookies(headers)
        return status, headers, data.decode("utf-8", "replace")


OPTION_RE = re.compile(r'<a class="choice" href="/book/time/(\d+)/">.*?<span class="choice-meta">([^<]*)</span>', re.S)
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HIDDEN_RE = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
CONFIRM_FORM_RE = re.compile(r'<form method="post" action="(/book/time/\d+/confirm/)">(.*?)</form>', re.S)


def confirm_form(page: str):
    """The review step's form: its action and every hidden field (CSRF token and quoted price included)."""
    match = CONFIRM_FORM_RE.search(page)
    if not match:
        return None, None
    fields = {name: html.unescape(value) for name, value in HIDDEN_RE.findall(match.group(2))}
    return match.group(1), fields


CONFLICTS = {
    "has just been taken": "discounted spots went: new price shown",
    "price for this time has changed": "price changed",
    "one per patient": "already has a discount",
    "someone has just booked": "time taken",
    "very busy": "busy (lock timeout)",
    "can no longer be booked": "time unavailable",
}


def conflict_reason(page: str) -> str:
    return next((reason for text, reason in CONFLICTS.items() if text in page), "other")


def patient_identity(n: int, trial: int) -> dict:
    """Distinct per patient and per trial: the one-discount-per-patient rule must not hide anything."""
    serial = trial * 100_000 + n
    return {
        "name": f"Runner {serial}",
        "email": f"runner{serial}@example.org",
        # (858) 2xx-xxxx: valid US numbers, one per patient.
        "phone": f"(858) {200 + serial // 10_000:03d}-{serial % 10_000:04d}",
        "sms_consent": "on" if n % 2 == 0 else "",
    }


DAY_LINK_RE = re.compile(r'<a class="choice" href="/book/(\d{4}-\d{2}-\d{2})/">')


def patient_flow(browser: Browser, identity: dict, days: list[str], rng: random.Random, max_tries: int = 3) -> str:
    """Book the way a patient on a phone would, from the link in the clinic's post. Returns the outcome.

    Landing page; their preferred day's times (if that day is full, the list of days, then a day
    from it); a time, discounted if one is shown; the details form; its POST (the review step);
    the booking POST with the price shown. When the discounted spots went meanwhile, the patient
    accepts the regular price and confirms again; when the time went, they choose again (3 tries).
    """
    details = {k: v for k, v in identity.items() if v}
    status, _, _ = browser.go("landing", "GET", "/")
    if status != 200:
        return f"landing {status}"
    day = rng.choice(days)
    tried = set()
    for _ in range(max_tries):
        status, _, page = browser.go("availability", "GET", f"/book/{day}/", referer="/")
        if status != 200:
            return f"availability {status}"
        options = [(int(pk), "discounted" in meta) for pk, meta in OPTION_RE.findall(page) if int(pk) not in tried]
        if not options:
            status, _, page = browser.go("days", "GET", "/book/", referer=f"/book/{day}/")
            if status != 200:
                return f"days {status}"
            listed = DAY_LINK_RE.findall(page)
            if not listed:
                return "sold out"
            day = rng.choice(listed)
            continue
        discounted = [o for o in options if o[1]]
        slot_id, _ = rng.choice(discounted or options)
        tried.add(slot_id)
        path = f"/book/time/{slot_id}/"

        status, _, page = browser.go("details_get", "GET", path, referer=f"/book/{day}/")
        if status == 409:
            continue  # someone took the last seat since the list was shown
        if status != 200:
            return f"details form {status}"
        token = CSRF_RE.search(page).group(1)

        status, _, page = browser.go(
            "details_post", "POST", path, fields={"csrfmiddlewaretoken": token, **details}, referer=path
        )
        if status == 409:
            continue
        if status != 200:
            return f"details post {status}"

        for _ in range(2):  # a second round when the price changed under the patient, who accepts it
            action, fields = confirm_form(page)
            if action is None:
                return "no review form"
            status, headers, page = browser.go("booking_post", "POST", action, fields=fields, referer=path)
            if status == 409:
                browser.stats.note("booking POST 409", conflict_reason(page))
            if status in (302, 303):
                target = urllib.parse.urlsplit(headers["Location"]).path
                status, _, page = browser.go("booking_page", "GET", target, referer=path)
                if status != 200:
                    return f"booking page {status}"
                return "booked promo" if fields.get("quoted_price_cents") == "9900" else "booked regular"
            if status == 409 and CONFIRM_FORM_RE.search(page):
                continue  # "The last discounted spot has just been taken ... confirm to book it at this price."
            break
        if status == 409:
            continue  # the time went, or the database was busy: choose again
        return f"booking post {status}"
    return "gave up"


def run_rush(args, seeded: dict, trial: int, meter: "CpuMeter") -> dict:
    stats = Stats()
    outcomes = Counter()
    patients = queue.Queue()
    for n in range(args.attempts):
        patients.put(n)
    lock = threading.Lock()

    def worker(index):
        client = Client(args.port)
        rng = random.Random(trial * 10_007 + index)
        try:
            while True:
                try:
                    n = patients.get_nowait()
                except queue.Empty:
                    return
                browser = Browser(client, stats)
                try:
                    outcome = patient_flow(browser, patient_identity(n, trial), seeded["days"], rng)
                except ConnectionFailed as exc:
                    outcome = f"connection error: {exc}"[:80]
                with lock:
                    outcomes[outcome] += 1
        finally:
            client.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.concurrency)]
    cpu_before = meter.sample()
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    cpu = CpuMeter.used(cpu_before, meter.sample())

    booking_rows = stats.samples.get("booking_post", [])
    booked_at = [s + d for s, d, st in booking_rows if st in (302, 303)]
    posts_until_sold_out = [r for r in booking_rows if booked_at and r[0] <= max(booked_at)]
    sell_out = (max(booked_at) - started) if booked_at else None
    requests = sum(len(v) for v in stats.samples.values())
    # The clients start together, so their first booking POSTs arrive together: that wave, and the rest.
    by_start = sorted(booking_rows)
    waves = {"first": by_start[: args.concurrency], "later": by_start[args.concurrency :]}
    return {
        "trial": trial,
        "elapsed_s": elapsed,
        "attempts_per_s": args.attempts / elapsed,
        "requests": requests,
        "requests_per_s": requests / elapsed,
        "booking_posts": len(booking_rows),
        # Booking POSTs per second from the start of the rush until the last seat went.
        "booking_posts_per_s": len(posts_until_sold_out) / sell_out if sell_out else 0.0,
        "sold_out_after_s": sell_out,
        "cpu_s": cpu,
        "outcomes": dict(outcomes.most_common()),
        "conflicts": dict(stats.notes["booking POST 409"].most_common()),
        "http_5xx": stats.count_5xx(),
        "connection_errors": dict(stats.errors),
        "statuses": dict(sorted(stats.statuses().items())),
        "kinds": {kind: stats.summary(kind) for kind in sorted(stats.samples)},
        "booking_post_p95_ms": {
            wave: percentile(sorted(seconds for _, seconds, _ in rows), 95) * 1000
            for wave, rows in waves.items()
            if rows
        },
    }


def run_page_test(args, kind: str, paths: list[str], seconds: float, stats: Stats) -> float:
    """`concurrency` clients GET `paths` in turn on keep-alive connections for `seconds`; returns requests/s."""
    stop_at = time.perf_counter() + seconds
    before = len(stats.samples.get(kind, []))

    def worker(index):
        client = Client(args.port)
        browser = Browser(client, stats)
        i = index
        try:
            while time.perf_counter() < stop_at:
                browser.go(kind, "GET", paths[i % len(paths)])
                browser.cookies.clear()
                i += 1
        except ConnectionFailed:
            pass
        finally:
            client.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return (len(stats.samples.get(kind, [])) - before) / (time.perf_counter() - started)


class CpuMeter:
    """CPU seconds used by gunicorn (master and workers), by the database's backends, and by this client."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, server: "Server", database: str):
        self.server, self.database = server, database

    @staticmethod
    def _stat(pid: str):
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
        return int(fields[1]), int(fields[11]) + int(fields[12])  # ppid, utime + stime

    def sample(self) -> dict:
        """Ticks per process (a process that ends between two samples takes its last ticks with it)."""
        master = self.server.process.pid if self.server.process else -1
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        busy = sum(fields) - fields[3] - fields[4]  # all but idle and iowait
        sample = {"client": time.process_time(), "app": {}, "db": {}, "machine": busy}
        needle = f" {self.database} ".encode()
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                ppid, ticks = self._stat(pid)
                if int(pid) == master or ppid == master:
                    sample["app"][pid] = ticks
                else:
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        if needle in f.read().replace(b"\0", b" ") + b" ":
                            sample["db"][pid] = ticks
            except (OSError, ValueError, IndexError):
                continue  # gone meanwhile
        return sample

    @classmethod
    def used(cls, before: dict, after: dict) -> dict:
        """CPU seconds between two samples."""
        used = {"client": after["client"] - before["client"]}
        for k in ("app", "db"):
            used[k] = sum(t - before[k].get(pid, 0) for pid, t in after[k].items()) / cls.TICK
        # Whatever else ran meanwhile (other processes, the kernel): large means the figures are not this app's.
        used["other"] = max((after["machine"] - before["machine"]) / cls.TICK - sum(used.values()), 0.0)
        return used

    @classmethod
    def per_request(cls, before: dict, after: dict, requests: int) -> dict:
        return {k: v * 1000 / max(requests, 1) for k, v in cls.used(before, after).items()}


def measure_pages(args, meter: CpuMeter, day_paths: list[str]) -> dict:
    """Bare view, landing and availability pages in turn, `rounds` times; the median round's rate of each."""
    kinds = {"bare": ["/bench/bare/"], "landing": ["/"], "availability": day_paths}
    stats = Stats()
    rates = defaultdict(list)
    cpu = defaultdict(lambda: defaultdict(float))
    for _ in range(args.rounds):
        for kind, paths in kinds.items():
            before, n0 = meter.sample(), len(stats.samples.get(kind, []))
            rates[kind].append(run_page_test(args, kind, paths, args.duration / args.rounds, stats))
            after = meter.sample()
            for k, v in CpuMeter.per_request(before, after, len(stats.samples[kind]) - n0).items():
                cpu[kind][k] += v / args.rounds
    pages = {}
    for kind in kinds:
        pages[kind] = stats.summary(kind)
        pages[kind]["rps"] = statistics.median(rates[kind])
        pages[kind]["rounds_rps"] = [round(r, 1) for r in rates[kind]]
        pages[kind]["cpu_ms_per_request"] = dict(cpu[kind])
        pages[kind]["connection_errors"] = stats.errors.get(kind, 0)
    return pages


# Report ----------------------------------------------------------------------------------------


def fmt_row(name, s):
    if not s.get("n"):
        return f"  {name:<22} (none)"
    return (
        f"  {name:<22} {s['n']:>6}  {s['rps']:>8.1f}/s  p50 {s['p50_ms']:>7.1f}  p95 {s['p95_ms']:>7.1f}"
        f"  p99 {s['p99_ms']:>7.1f}  max {s['max_ms']:>7.1f} ms  {s['mean_bytes'] / 1000:>5.1f} kB  {s['statuses']}"
    )


def fmt_cpu(cpu: dict) -> str:
    return f"app {cpu['app']:.2f} + db {cpu['db']:.2f} + client {cpu['client']:.2f} (+ other {cpu['other']:.2f})"


def check(label, ok, detail):
    print(f"  [{'PASS' if ok else 'FAIL'}] {label}: {detail}")
    return ok


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.profile:
        args.threads = 1  # a profile of one thread among several would count the others' time too
    if not (VENV_BIN / "gunicorn").exists():
        raise SystemExit(f"No .venv: run `make -C {PROJECT_DIR} .venv/.installed` first.")
    VAR_DIR.mkdir(exist_ok=True)
    for log in ("gunicorn.log", "app.log"):
        (VAR_DIR / log).unlink(missing_ok=True)
    if args.profile:
        shutil.rmtree(VAR_DIR / "profile", ignore_errors=True)
    env = app_environment(args)

    print(f"Booking rush: {args.attempts} patients, {args.concurrency} at a time, {args.trials} trial(s)")
    recreate_database(args)
    flush_redis(args)
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    setup_django(env)
    seeded = seed(args.slot_capacity)
    print(
        f"Seeded: promotion of {PROMO_SPOTS} spots at $99 (regular $175); visit week {seeded['days'][0]} to "
        f"{seeded['days'][-1]}, {seeded['slots']} slots x capacity {args.slot_capacity} = {seeded['seats']} seats "
        f"({PROMO_SPOTS} discounted + {seeded['seats'] - PROMO_SPOTS} regular)"
    )
    server = Server(args, env)
    print("gunicorn: " + " ".join(server.command()[1:]) + f" ({server.describe()})")
    server.start()
    meter = CpuMeter(server, args.database)
    load = os.getloadavg()[0]
    print(f"Load average before the run: {load:.2f} on {os.cpu_count()} CPUs (what else ran: 'other' CPU below)")
    results = {"config": vars(args), "seeded": seeded, "trials": [], "load_before": load}
    ok = True
    try:
        day_paths = [f"/book/{d}/" for d in seeded["days"]]
        # Warm every worker and thread: imports, templates, database connections.
        run_page_test(args, "warmup", ["/bench/bare/", "/", *day_paths], 2.0, Stats())

        pages = {}
        if not args.skip_pages:
            print(
                f"\nPage throughput: {args.concurrency} clients, keep-alive, {args.duration:g} s each "
                f"in {args.rounds} interleaved rounds (rate: median round)"
            )
            print(f"  {'':<22} {'reqs':>6}  {'rate':>10}  latency (ms)")
            pages = measure_pages(args, meter, day_paths)
            for kind, summary in pages.items():
                print(fmt_row(kind, summary))
            print(
                "  CPU per request (ms): "
                + "; ".join(f"{k} {fmt_cpu(v['cpu_ms_per_request'])}" for k, v in pages.items())
            )
            bare = pages["bare"]["rps"]
            for kind in ("landing", "availability"):
                pages[kind]["ratio_to_bare"] = pages[kind]["rps"] / bare if bare else 0.0
            print(
                f"  ratio to bare: landing {pages['landing']['ratio_to_bare']:.0%}, "
                f"availability {pages['availability']['ratio_to_bare']:.0%}"
            )
        results["pages"] = pages

        for trial in range(1, args.trials + 1):
            if trial > 1:
                # A fresh start: new seed, empty queue, and no process remembering the last rush's pages.
                server.stop()
                seeded = seed(args.slot_capacity)
                flush_redis(args)
                server.start()
                run_page_test(args, "warmup", ["/bench/bare/", "/", *day_paths], 1.0, Stats())
            rush = run_rush(args, seeded, trial, meter)
            db = check_database(seeded)
            rush["database"] = db
            results["trials"].append(rush)
            print(
                f"\nRush {trial}/{args.trials}: {args.attempts} patients in {rush['elapsed_s']:.2f} s = "
                f"{rush['attempts_per_s']:.1f} attempts/s; {rush['requests']} requests = "
                f"{rush['requests_per_s']:.1f} req/s"
            )
            print(
                f"  booking POSTs: {rush['booking_posts']}, {rush['booking_posts_per_s']:.1f}/s until sold out "
                f"(after {rush['sold_out_after_s'] or 0:.2f} s)"
            )
            print(
                f"  CPU: app {rush['cpu_s']['app']:.1f} s, db {rush['cpu_s']['db']:.1f} s, "
                f"client {rush['cpu_s']['client']:.1f} s, other processes {rush['cpu_s']['other']:.1f} s "
                f"over {rush['elapsed_s']:.1f} s on {os.cpu_count()} CPUs"
            )
            print(f"  outcomes: {rush['outcomes']}")
            print(f"  booking POST 409s: {rush['conflicts']}")
            waves = rush["booking_post_p95_ms"]
            print(
                f"  booking POST p95: the first {args.concurrency}, sent together, {waves.get('first', 0):.0f} ms; "
                f"the rest {waves.get('later', 0):.0f} ms"
            )
            for kind in (
                "landing",
                "availability",
                "days",
                "details_get",
                "details_post",
                "booking_post",
                "booking_page",
            ):
                print(fmt_row(kind, rush["kinds"].get(kind, {})))
            told = rush["outcomes"].get("booked promo", 0) + rush["outcomes"].get("booked regular", 0)
            trial_ok = all(
                [
                    check(
                        "bookings",
                        # Once a patient found every day full, every seat must have been sold; never more.
                        db["bookings"] == seeded["seats"]
                        if rush["outcomes"].get("sold out")
                        else db["bookings"] <= seeded["seats"],
                        f"{db['bookings']} made of {seeded['seats']} seats offered "
                        f"({db['promo_bookings']} promo + {db['bookings'] - db['promo_bookings']} regular)",
                    ),
                    check(
                        "promotion",
                        # Every visit-week time is discounted while a spot is left: the first 8 bookings take them.
                        db["promo_bookings"] == min(PROMO_SPOTS, db["bookings"]) == db["promo_price_bookings"]
                        and not db["regular_with_promo_price"]
                        and not db["duplicate_promo_patients"],
                        f"{db['promo_bookings']} bookings on it, {db['promo_price_bookings']} at $99 "
                        f"(exactly {min(PROMO_SPOTS, db['bookings'])})",
                    ),
                    check(
                        "no oversell",
                        not db["slots_over_capacity"] and db["bookings"] <= seeded["seats"],
                        f"slots over capacity: {db['slots_over_capacity'] or 'none'}",
                    ),
                    check(
                        "patients told = database",
                        told == db["bookings"] == db["all_rows"],
                        f"{told} booked pages, {db['bookings']} active bookings, {db['all_rows']} rows",
                    ),
                    check("5xx", rush["http_5xx"] == 0, f"{rush['http_5xx']}"),
                    check("connection errors", not rush["connection_errors"], f"{rush['connection_errors'] or 0}"),
                ]
            )
            ok = ok and trial_ok
    finally:
        server.stop()
        if not args.keep:
            flush_redis(args)
            from django.db import connections

            connections.close_all()
            drop_database(args)

    summarize(args, results)
    if args.profile:
        profile_report()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))
    print("\nRESULT:", "OK" if ok else "FAILED (oversell, 5xx or mismatch: see above)")
    return 0 if ok else 1


def profile_report() -> None:
    """With --profile: each kind of request's mean profiled time, and its top functions in bench/var/."""
    import io
    import pstats

    files = defaultdict(list)
    for path in (VAR_DIR / "profile").glob("*.prof"):
        files[path.name.split("-")[0]].append(str(path))
    print("\nProfiles (cProfile inflates every figure; compare them with each other only):")
    for kind, paths in sorted(files.items()):
        out = io.StringIO()
        stats = pstats.Stats(paths[0], stream=out)
        for path in paths[1:]:
            stats.add(path)
        stats.sort_stats("cumulative").print_stats(60)
        report = VAR_DIR / f"profile-{kind}.txt"
        report.write_text(out.getvalue())
        print(f"  {kind:<14} {len(paths):>6} requests, {stats.total_tt / len(paths) * 1000:7.1f} ms each -> {report}")


def summarize(args, results) -> None:
    trials = results["trials"]
    if not trials:
        return
    pages = results.get("pages") or {}
    posts = [t["kinds"].get("booking_post", {}) for t in trials]
    print(f"\nTargets ({len(trials)} trial(s); worst trial shown):")
    worst_rate = min(t["booking_posts_per_s"] for t in trials)
    worst_attempts = min(t["attempts_per_s"] for t in trials)
    check(
        "contended booking attempts >= 100/s",
        worst_attempts >= 100,
        f"{worst_attempts:.1f} patients/s over the whole rush; booking POSTs {worst_rate:.1f}/s while seats were left",
    )
    if pages:
        for kind in ("landing", "availability"):
            check(
                f"{kind} >= 70% of bare",
                pages[kind]["ratio_to_bare"] >= 0.7,
                f"{pages[kind]['rps']:.0f}/s vs {pages['bare']['rps']:.0f}/s = {pages[kind]['ratio_to_bare']:.0%}",
            )
    worst_p95 = max(p.get("p95_ms", 0) for p in posts)
    check("booking POST p95 <= 250 ms", worst_p95 <= 250, f"{worst_p95:.0f} ms at {args.concurrency} clients")
    oversold = sum(
        1 for t in trials if t["database"]["slots_over_capacity"] or t["database"]["promo_bookings"] > PROMO_SPOTS
    )
    fives = sum(t["http_5xx"] for t in trials)
    check("zero oversell", oversold == 0, f"{oversold} of {len(trials)} trials oversold")
    check("zero 5xx", fives == 0, f"{fives}")


if __name__ == "__main__":
    sys.exit(main())
