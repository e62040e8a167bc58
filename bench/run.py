"""Booking-rush benchmark: the app under gunicorn, PostgreSQL and Redis; wrk for page throughput, Locust for patients.

    .venv/bin/python bench/run.py [--patients 1000] [--within 60] [--trials 1] [--servers 1]

It creates the database `clinic_bench` (dropping any earlier one), seeds a clinic with a $99
promotion of 8 spots and the visit week's 60 one-seat slots, starts gunicorn as the Procfile does
(gunicorn.conf.py; bench/settings.py: production settings plus a bare view), then:

1. page throughput with wrk (if installed): the bare Django view, the offer page, the list of
   days and a day's times, in interleaved rounds, with the CPU share of wrk and of the server;
2. the rush with Locust (bench/locustfile.py): --patients patients arriving evenly within
   --within seconds, each through the real booking journey with a person's pauses;
3. the database checks: never more bookings than seats, exactly 8 at $99, no slot over
   capacity, what patients were told equal to what the database holds; with --servers 2, that
   each server's "spots left" was never staler than PAGE_CACHE_SECONDS.

Exits 1 on any 5xx, connection error, oversell or mismatch. Missed speed targets are reported, not failed.
"""

import argparse
import csv
import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from bisect import bisect_right
from collections import Counter
from datetime import timedelta
from pathlib import Path

import psutil

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
VAR_DIR = BENCH_DIR / "var"
VENV_BIN = PROJECT_DIR / ".venv" / "bin"
PROMO_SPOTS = 8
SLOT_HOURS = range(7, 19)  # 7 AM to 6 PM starts: twelve 60-minute slots each weekday
TARGET_MS = 250
SPOTS_RE = re.compile(r'id="spots-left"><strong>(?:(\d+) of \d+</strong>|All \d+ discounted spots are taken)')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--patients", type=int, default=1000, help="patients in each rush (1000)")
    p.add_argument(
        "--within",
        default="60",
        help="seconds over which they arrive (60); several, comma-separated, run one rush each: 60,30,15",
    )
    p.add_argument("--trials", type=int, default=1, help="rushes at each --within, re-seeded in between (1)")
    p.add_argument("--servers", type=int, default=1, choices=[1, 2], help="gunicorn instances, on successive ports")
    p.add_argument("--slot-capacity", type=int, default=1, help="seats per slot (1); 60 slots in the visit week")
    p.add_argument("--wrk-seconds", type=int, default=5.0, help="seconds per wrk measurement (5)")
    p.add_argument("--rounds", type=int, default=3, help="interleaved wrk rounds; the median round counts (3)")
    p.add_argument("--connections", type=int, default=50, help="wrk's open connections (50)")
    p.add_argument("--skip-pages", action="store_true", help="skip the wrk page throughput")
    p.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", 8765)))
    p.add_argument("--workers", type=int, help="gunicorn workers per server (WEB_CONCURRENCY; default the config's)")
    p.add_argument("--database", default="clinic_bench", help="PostgreSQL database to (re)create")
    p.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432", help="PostgreSQL server URL, no database")
    p.add_argument("--redis", default="redis://127.0.0.1:6379/9", help="Redis database for cache and Celery queue")
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    p.add_argument("--keep", action="store_true", help="keep the database and Redis data afterwards")
    return p.parse_args(argv)


def app_environment(args) -> dict:
    """Production settings over plain HTTP on 127.0.0.1: the clients say they came through an HTTPS proxy."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PUBLIC_BASE_URL": f"https://127.0.0.1:{args.port}",
        # wrk and Locust stand in for the HTTPS proxy on this machine: their X-Forwarded-Proto counts.
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
    if args.workers:
        env["WEB_CONCURRENCY"] = str(args.workers)
    return env


# Database and seed -----------------------------------------------------------------------------


def recreate_database(args, create=True) -> None:
    import psycopg

    with psycopg.connect(f"{args.pg.rstrip('/')}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{args.database}"')


def flush_redis(args) -> None:
    import redis

    redis.Redis.from_url(args.redis).flushdb()


def setup_django(env: dict) -> None:
    """This process seeds and checks through the ORM (never during a measurement)."""
    os.environ.update(env)
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
    return {"days": [d.isoformat() for d in days], "seats": seats, "promotion_id": promotion.pk}


def check_database(seeded: dict) -> dict:
    """What the database holds after a rush, and whether any rule was broken."""
    from django.db import connection
    from django.db.models import Count, F, Q
    from django.utils import timezone

    from booking.models import Booking, Slot, bookings_taken

    now = timezone.now()
    active = Booking.objects.active(now)
    by_promo = active.filter(promotion_id=seeded["promotion_id"])
    result = {
        "bookings": active.count(),
        "promo_bookings": by_promo.count(),
        "promo_price_bookings": active.filter(price_cents=99_00).count(),
        "all_rows": Booking.objects.count(),
        "statuses": dict(Counter(Booking.objects.values_list("status", flat=True))),
        "slots_over_capacity": list(
            Slot.objects.annotate(taken=bookings_taken(now))
            .filter(taken__gt=F("capacity"))
            .values_list("pk", "taken", "capacity")
        ),
        "duplicate_promo_patients": active.filter(promotion__isnull=False)
        .values("email")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .count(),
        "regular_with_promo_price": active.filter(Q(promotion__isnull=True) & Q(price_cents=99_00)).count(),
        # When each discounted spot went, for the servers' "spots left" (check_spots_shown).
        "promo_taken_at": sorted(t.timestamp() for t in by_promo.values_list("created_at", flat=True)),
    }
    connection.close()
    return result


# Servers ---------------------------------------------------------------------------------------


class Server:
    def __init__(self, port: int, env: dict):
        self.port, self.env = port, env
        self.url = f"http://127.0.0.1:{port}"
        self.log = VAR_DIR / f"gunicorn-{port}.log"
        self.process = None

    def start(self) -> None:
        """gunicorn as the Procfile runs it: its settings from gunicorn.conf.py, read from the project directory."""
        if self.answers():
            raise SystemExit(f"Port {self.port} is taken by another server: stop it, or pass --port.")
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [str(VENV_BIN / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{self.port}"],
                cwd=PROJECT_DIR,
                env=self.env,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited ({self.process.returncode}); see {self.log}")
            if self.answers():
                return
            time.sleep(0.2)
        raise SystemExit(f"gunicorn did not answer /healthz in 60 s; see {self.log}")

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                return json.loads(response.read()).get("redis") is True
        except (OSError, ValueError):
            return False

    def get(self, path: str) -> str:
        request = urllib.request.Request(self.url + path, headers={"X-Forwarded-Proto": "https"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.read().decode()

    def cpu_seconds(self) -> float:
        """The master's and its workers' CPU time (a worker that ended meanwhile takes its own with it)."""
        total = 0.0
        try:
            master = psutil.Process(self.process.pid)
            for process in [master, *master.children(recursive=True)]:
                times = process.cpu_times()
                total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
        return total

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # gunicorn's graceful stop, workers included
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# Measuring -------------------------------------------------------------------------------------


class CpuShare:
    """Shares of the machine's CPU over a measurement: a client run as a child process, the servers, the rest."""

    def __init__(self, servers):
        self.servers = servers

    def __enter__(self):
        self.started = time.monotonic()
        self.children = self._children()
        self.app = sum(s.cpu_seconds() for s in self.servers)
        self.machine = psutil.cpu_times()
        return self

    def __exit__(self, *exc):
        elapsed = (time.monotonic() - self.started) * psutil.cpu_count()
        machine = psutil.cpu_times()
        busy = sum(machine) - machine.idle - machine.iowait
        busy -= sum(self.machine) - self.machine.idle - self.machine.iowait
        self.client = (self._children() - self.children) / elapsed
        self.app = (sum(s.cpu_seconds() for s in self.servers) - self.app) / elapsed
        self.other = max(busy / elapsed - self.client - self.app, 0.0)  # PostgreSQL, other people's work

    @staticmethod
    def _children() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # children that ended: the client, here
        return usage.ru_utime + usage.ru_stime


def wrk(args, server: Server, path: str) -> dict:
    """wrk on one page, two threads; the header the HTTPS proxy would add."""
    command = ["wrk", "-t2", f"-c{args.connections}", f"-d{args.wrk_seconds:g}s", "--latency"]
    command += ["-H", "X-Forwarded-Proto: https", server.url + path]
    with CpuShare([server]) as cpu:
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": wrk_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
        "p99_ms": wrk_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),
        "non_2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(1) if errors else "",
        "cpu": {"client": cpu.client, "app": cpu.app, "other": cpu.other},
    }


def wrk_ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000}[unit]


def measure_pages(args, server: Server, day: str) -> dict:
    pages = {"bare view": "/bench/bare/", "offer": "/", "days": "/book/", "a day's times": f"/book/{day}/"}
    for path in pages.values():  # fresh workers: imports, templates, connections
        warm = ["wrk", "-t2", "-c8", "-d1s", "-H", "X-Forwarded-Proto: https", server.url + path]
        subprocess.run(warm, capture_output=True, check=True)
    rounds = {name: [] for name in pages}
    for _ in range(args.rounds):
        for name, path in pages.items():
            rounds[name].append(wrk(args, server, path))
    result = {}
    for name, runs in rounds.items():
        median = sorted(runs, key=lambda r: r["rps"])[len(runs) // 2]
        result[name] = {**median, "rounds_rps": [round(r["rps"]) for r in runs]}
    return result


class SpotsWatcher:
    """Reads "spots left" from every server's offer page twice a second, with when each read began and ended."""

    def __init__(self, servers):
        self.servers, self.samples, self.running = servers, [], True
        self.thread = threading.Thread(target=self.watch, daemon=True)

    def watch(self):
        while self.running:
            for server in self.servers:
                sent = time.time()
                try:
                    match = SPOTS_RE.search(server.get("/"))
                except OSError:
                    match = None
                if match:
                    self.samples.append((server.port, sent, time.time(), int(match.group(1) or 0)))
            time.sleep(0.5)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()


def check_spots_shown(samples, taken_at: list[float], cache_seconds: float) -> list[str]:
    """Each server showed a count that was true at some moment in the PAGE_CACHE_SECONDS before it answered.

    A spot's row is stamped a moment before its transaction commits: half a second of slack for that.
    """

    def left(at: float) -> int:
        return PROMO_SPOTS - bisect_right(taken_at, at)

    stale = []
    for port, sent, received, shown in samples:
        if not left(received) <= shown <= left(sent - cache_seconds - 0.5):
            stale.append(f"port {port} showed {shown} at +{received - samples[0][1]:.1f} s (true: {left(received)})")
    return stale


def run_locust(args, servers, seeded, trial: int, within: float) -> dict:
    prefix = VAR_DIR / f"locust-{trial}"
    results = VAR_DIR / f"locust-{trial}.json"
    env = {
        **os.environ,
        "BENCH_HOSTS": ",".join(s.url for s in servers),
        "BENCH_PATIENTS": str(args.patients),
        "BENCH_TRIAL": str(trial),
        "BENCH_RESULTS": str(results),
    }
    command = [str(VENV_BIN / "locust"), "-f", str(BENCH_DIR / "locustfile.py"), "--headless", "--only-summary"]
    command += ["-u", str(args.patients), "-r", f"{args.patients / within:.3f}", "--run-time", f"{within + 120:.0f}s"]
    command += ["--csv", str(prefix), "--loglevel", "WARNING", "--exit-code-on-error", "0"]
    with open(VAR_DIR / f"locust-{trial}.log", "w") as log, CpuShare(servers) as cpu:
        started = time.monotonic()
        subprocess.run(command, cwd=BENCH_DIR, env=env, stdout=log, stderr=log, check=True)
    rush = json.loads(results.read_text())
    rush["elapsed_s"] = time.monotonic() - started
    rush["cpu"] = {"client": cpu.client, "app": cpu.app, "other": cpu.other}
    with open(f"{prefix}_stats.csv") as f:
        rush["steps"] = {row["Name"]: row for row in csv.DictReader(f)}
    return rush


# Report ----------------------------------------------------------------------------------------

STEPS = [
    "offer",
    "days",
    "day's times",
    "choose (hold)",
    "details form",
    "details POST",
    "review",
    "booking POST",
    "booking page",
]
PAGES = ["offer", "days", "day's times", "details form", "review", "booking page"]


def check(label, ok, detail):
    print(f"  [{'PASS' if ok else 'FAIL'}] {label}: {detail}")
    return ok


def report_rush(args, seeded, rush, db, stale) -> bool:
    steps = rush["steps"]
    print(f"  {'step':<22} {'reqs':>6} {'fails':>6} {'req/s':>7}   p50   p95   p99   max (ms)")
    for name in STEPS:
        s = steps.get(name)
        if s:
            print(
                f"  {name:<22} {s['Request Count']:>6} {s['Failure Count']:>6} {float(s['Requests/s']):>7.1f}"
                f" {s['50%']:>5} {s['95%']:>5} {s['99%']:>5} {float(s['Max Response Time']):>5.0f}"
            )
    outcomes, statuses = Counter(rush["outcomes"]), Counter(rush["statuses"])
    print(f"  outcomes: {dict(outcomes.most_common())}; booking POST 409s: {rush['conflicts']}")
    print(f"  statuses: {dict(sorted(statuses.items()))}; {rush['elapsed_s']:.0f} s; " + fmt_cpu(rush["cpu"]))
    told = outcomes["booked promo"] + outcomes["booked regular"]
    fives = sum(n for status, n in statuses.items() if status.startswith("5"))
    lost = sum(n for status, n in statuses.items() if status.startswith("connection"))
    post_p95 = float(steps.get("booking POST", {}).get("95%") or 0)
    page_p95 = max([float(steps[name]["95%"]) for name in PAGES if name in steps], default=0.0)
    rush["p95_ms"] = {"booking POST": post_p95, "pages (worst)": page_p95}
    checks = [
        check(
            "bookings",
            # Once a patient found every day full, every seat must have been sold; never more.
            db["bookings"] == seeded["seats"] if outcomes["sold out"] else db["bookings"] <= seeded["seats"],
            f"{db['bookings']} made of {seeded['seats']} seats offered ({db['promo_bookings']} at the promotion)",
        ),
        check(
            "promotion",
            db["promo_bookings"] == min(PROMO_SPOTS, db["bookings"]) == db["promo_price_bookings"]
            and not db["regular_with_promo_price"]
            and not db["duplicate_promo_patients"],
            f"{db['promo_bookings']} bookings on it, {db['promo_price_bookings']} at $99 (exactly "
            f"{min(PROMO_SPOTS, db['bookings'])}); patients told $99: {outcomes['booked promo']}",
        ),
        check(
            "no oversell",
            not db["slots_over_capacity"] and db["bookings"] <= seeded["seats"],
            f"slots over capacity: {db['slots_over_capacity'] or 'none'}",
        ),
        check(
            "patients told = database",
            told == db["bookings"] == db["all_rows"] and outcomes["booked promo"] == db["promo_bookings"],
            f"{told} booked pages, {db['bookings']} active bookings, {db['all_rows']} rows",
        ),
        check(
            "every journey ended as a patient's can",
            set(outcomes) <= {"booked promo", "booked regular", "sold out", "gave up"},
            f"{dict(outcomes.most_common())}",
        ),
        check("every patient finished", outcomes.total() == args.patients, f"{outcomes.total()} of {args.patients}"),
        check("5xx and connection errors", not fives and not lost, f"{fives} 5xx, {lost} without an answer"),
    ]
    if args.servers > 1:
        checks.append(
            check(
                "servers' spots left",
                not stale,
                f"{len(stale)} stale of {rush['spots_samples']} reads" + (f": {stale[:3]}" if stale else ""),
            )
        )
    print(
        f"  (target) booking POST p95 {post_p95:.0f} ms, worst page p95 {page_p95:.0f} ms: "
        + ("met" if max(post_p95, page_p95) <= TARGET_MS else f"over {TARGET_MS} ms")
    )
    return all(checks)


def fmt_cpu(cpu: dict) -> str:
    return f"CPU share: client {cpu['client']:.0%}, app {cpu['app']:.0%}, other {cpu['other']:.0%}"


def main(argv=None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the servers and Locust on the way out
    if not (VENV_BIN / "locust").exists():
        raise SystemExit(f"No Locust: run `make -C {PROJECT_DIR} .venv/.installed-dev` first.")
    shutil.rmtree(VAR_DIR, ignore_errors=True)
    VAR_DIR.mkdir()
    env = app_environment(args)
    arrivals = [float(w) for w in args.within.split(",")]

    recreate_database(args)
    flush_redis(args)
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        subprocess.run([VENV_BIN / "python", "manage.py", *command, "-v", "0"], cwd=PROJECT_DIR, env=env, check=True)
    setup_django(env)
    from django.conf import settings

    seeded = seed(args.slot_capacity)
    servers = [Server(args.port + n, env) for n in range(args.servers)]
    print(
        f"Seeded: {PROMO_SPOTS} spots at $99, {seeded['seats']} seats in the visit week {seeded['days'][0]} to "
        f"{seeded['days'][-1]}. {len(servers)} gunicorn server(s) on ports "
        f"{', '.join(str(s.port) for s in servers)}; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    )
    results = {"config": vars(args), "pages": {}, "rushes": []}
    ok = True
    try:
        for server in servers:
            server.start()
        if args.skip_pages:
            pass
        elif not shutil.which("wrk"):
            print("\nPage throughput: skipped, wrk is not installed (apt-get install -y wrk)")
        else:
            print(f"\nPage throughput on port {servers[0].port}: wrk -t2 -c{args.connections}, {args.rounds} rounds")
            pages = results["pages"] = measure_pages(args, servers[0], seeded["days"][0])
            bare = pages["bare view"]["rps"]
            for name, page in pages.items():
                print(
                    f"  {name:<14} {page['rps']:>7.0f} req/s = {page['rps'] / bare:>4.0%} of bare "
                    f"(rounds {page['rounds_rps']}), p50 {page['p50_ms']:.1f} ms, p99 {page['p99_ms']:.1f} ms, "
                    f"non-2xx {page['non_2xx']}; {fmt_cpu(page['cpu'])}"
                )
                ok = check(f"{name} answered", not page["non_2xx"], f"{page['non_2xx']} non-2xx") and ok
        trial = 0
        for within in arrivals:
            for _ in range(args.trials):
                trial += 1
                if trial > 1:  # a fresh start: new seed, empty queue and cache, fresh processes
                    for server in servers:
                        server.stop()
                    seeded = seed(args.slot_capacity)
                    flush_redis(args)
                    for server in servers:
                        server.start()
                print(
                    f"\nRush {trial}: {args.patients} patients arriving within {within:g} s "
                    f"({args.patients / within:.1f}/s), load average {os.getloadavg()[0]:.2f}"
                )
                with SpotsWatcher(servers if args.servers > 1 else []) as watcher:
                    rush = run_locust(args, servers, seeded, trial, within)
                db = check_database(seeded)
                stale = check_spots_shown(watcher.samples, db["promo_taken_at"], settings.PAGE_CACHE_SECONDS)
                rush.update(within=within, database=db, spots_samples=len(watcher.samples), stale=stale)
                ok = report_rush(args, seeded, rush, db, stale) and ok
                results["rushes"].append(rush)
    finally:
        for server in servers:
            server.stop()
        if not args.keep:
            from django.db import connections

            connections.close_all()
            flush_redis(args)
            recreate_database(args, create=False)

    if len(results["rushes"]) > 1:
        print("\nAll rushes (arrival window: booking POST p95 / worst page p95, ms):")
        for rush in results["rushes"]:
            p95 = rush["p95_ms"]
            print(f"  within {rush['within']:g} s: {p95['booking POST']:.0f} / {p95['pages (worst)']:.0f}")
        median = statistics.median(r["p95_ms"]["booking POST"] for r in results["rushes"])
        print(f"  median booking POST p95: {median:.0f} ms")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))
    print("\nRESULT:", "OK" if ok else "FAILED (oversell, 5xx or mismatch: see above)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
