"""The front desk's pages over five busy years: how long each takes, signed in as the front desk.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/clinic_admin_bench .venv/bin/python bench/admin_pages.py

DATABASE_URL names a PostgreSQL database for the benchmark alone (created when missing). On the first run
it is migrated, seeded (`seed_demo`) and given five years of history (`generate_history --force`: 100,000
past bookings and 300,000 messages; `--bookings` and `--messages` change that), then analysed; later runs
use that history as it is. A database holding bookings that generate_history did not make is refused.

It signs in a Front desk user through Django's test Client (production settings, bench/settings.py:
DEBUG off, the request over HTTPS), requests each page twice to warm up and then --requests times (20),
and prints the median and 95th percentile of each, its queries, and whether the page shows the booking
it looked for. Target: each under 150 ms. A missed target is reported, not failed.
"""

import argparse
import io
import math
import os
import secrets
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

PROJECT_DIR = Path(__file__).resolve().parent.parent
TARGET_MS = 150
USERNAME = "bench-front-desk"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=int, default=20, help="timed requests per page (20)")
    p.add_argument("--bookings", type=int, default=100_000, help="past bookings to generate on a new database")
    p.add_argument("--messages", type=int, default=300_000, help="messages to generate on a new database")
    return p.parse_args(argv)


def ensure_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"Created the database {name}.")


def setup_django() -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench.settings",  # production settings, static files collected under bench/var/
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="testserver",
        EMAIL_URL="dummymail://",
        TWILIO_ACCOUNT_SID="",
        STRIPE_SECRET_KEY="",
    )
    sys.path.insert(0, str(PROJECT_DIR))
    import django

    django.setup()


def ensure_history(args) -> None:
    from django.core.management import call_command
    from django.db import connection

    from booking.models import Booking
    from notifications.models import Message

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    if Message.objects.filter(dedupe_key__startswith="history:").exists():
        return
    if Booking.objects.exists():
        sys.exit("This database has bookings of its own: give the benchmark a database of its own (DATABASE_URL).")
    call_command("seed_demo", stdout=io.StringIO())
    call_command("generate_history", bookings=args.bookings, messages=args.messages, force=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def front_desk_client():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    user, _ = get_user_model().objects.get_or_create(username=USERNAME, defaults={"is_staff": True})
    user.groups.add(Group.objects.get(name="Front desk"))
    client = Client()
    client.force_login(user)
    return client


def pages() -> list[tuple[str, str, str]]:
    """(name, URL, what the page should show): searches look for one booking from the history."""
    from booking.models import Booking
    from clinic.models import display_phone

    sample = Booking.objects.filter(sms_consent=True, status=Booking.Status.ATTENDED).order_by("pk")
    booking = sample[sample.count() // 2]
    bookings, outbox = "/admin/booking/booking/", "/admin/notifications/message/"
    return [
        ("Today (the admin's home)", "/admin/", ""),
        ("Today, the week", "/admin/?span=week", ""),
        ("Bookings: upcoming", bookings, ""),
        ("Bookings: past", f"{bookings}?visit=past", ""),
        ("Bookings: all", f"{bookings}?visit=all", ""),
        ("Bookings: search name", f"{bookings}?q={quote(booking.patient_name)}", booking.reference),
        ("Bookings: search surname", f"{bookings}?q={quote(booking.patient_name.split()[-1])}", ""),
        ("Bookings: search phone", f"{bookings}?q={quote(display_phone(booking.phone))}", booking.reference),
        ("Bookings: search email", f"{bookings}?q={quote(booking.email)}", booking.reference),
        ("Bookings: search reference", f"{bookings}?q={booking.reference}", booking.reference),
        ("Slots", "/admin/booking/slot/", ""),
        ("Outbox", outbox, ""),
        ("Outbox: search email", f"{outbox}?q={quote(booking.email)}", booking.reference),
        ("Outbox: search phone", f"{outbox}?q={quote(display_phone(booking.phone))}", booking.reference),
        ("Outbox: search reference", f"{outbox}?q={booking.reference}", booking.reference),
    ]


def measure(client, url: str, requests: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):
        response = client.get(url, secure=True)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, secure=True)
    count = len(queries)  # read before the next request clears the connection's log
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        client.get(url, secure=True)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {
        "status": response.status_code,
        "body": response.content.decode(errors="replace"),
        "queries": count,
        "median": statistics.median(times),
        "p95": times[math.ceil(0.95 * len(times)) - 1],
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL database for the benchmark alone (postgres://USER@HOST/NAME).")
    ensure_database(url)
    setup_django()
    ensure_history(args)

    from booking.models import Booking
    from notifications.models import Message

    print(f"{Booking.objects.count():,} bookings, {Message.objects.count():,} messages; {args.requests} requests each")
    client = front_desk_client()
    header = f"{'page':<28} {'status':>6} {'queries':>7} {'median ms':>9} {'p95 ms':>7}  {'found':<5} target"
    print(header)
    print("-" * len(header))
    missed = 0
    for name, page_url, expect in pages():
        result = measure(client, page_url, args.requests)
        found = "" if not expect else ("yes" if expect in result["body"] else "NO")
        ok = result["status"] == 200 and result["p95"] < TARGET_MS and found != "NO"
        missed += not ok
        print(
            f"{name:<28} {result['status']:>6} {result['queries']:>7} {result['median']:>9.1f} "
            f"{result['p95']:>7.1f}  {found:<5} {'ok' if ok else 'MISSED'}"
        )
    print(f"\n{missed} page(s) missed the {TARGET_MS} ms target (p95), or did not answer 200, or missed the booking.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
