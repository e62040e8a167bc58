"""Patients booking the clinic's $99 assessment from its post, for Locust (bench/run.py starts it).

Each simulated patient books once, on a phone, with a person's pauses between pages: the offer,
the list of days, a day's times, choosing a time (which holds it), its details form (its CSRF
token), the details POST, the review step, the booking POST at the price shown, the booking's page.
When the discounted spots went meanwhile (409 with a new review form) they accept the regular
price and confirm again; when their time went, they choose another (three tries). Each has their
own email and mobile, so the one-discount-per-patient rule hides nothing. Then they stay idle:
Locust would start a new patient in place of one that stopped, and the rush is a fixed number of
patients.

bench/run.py passes, in the environment:
  BENCH_HOSTS     the servers, comma-separated; patients are dealt out among them in turn
  BENCH_PATIENTS  how many patients this rush has: the run ends when each has finished
  BENCH_TRIAL     makes the patients' emails and numbers differ from one rush to the next
  BENCH_RESULTS   a JSON file for what patients were told, and every status the servers gave
"""

import html
import itertools
import json
import os
import random
import re
import urllib.parse
from collections import Counter

import gevent
from locust import HttpUser, between, events, task

HOSTS = os.environ.get("BENCH_HOSTS", "http://127.0.0.1:8765").split(",")
PATIENTS = int(os.environ.get("BENCH_PATIENTS", "1000"))
TRIAL = int(os.environ.get("BENCH_TRIAL", "1"))
USER_AGENT = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) booking-rush-bench"

DAY_LINK_RE = re.compile(r'<a class="cal-day[^"]*" href="/book/(\d{4}-\d{2}-\d{2})/"')
OPTION_RE = re.compile(
    r'<button class="choice" type="submit" formaction="/book/time/(\d+)/">.*?'
    r'<span class="choice-meta">([^<]*)</span>',
    re.S,
)
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HIDDEN_RE = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
CONFIRM_FORM_RE = re.compile(r'<form method="post" action="(/book/held/\w+/confirm/)">(.*?)</form>', re.S)

# Why a booking POST was refused, from the words of the page the patient got.
CONFLICTS = {
    "has just been taken": "discounted spots went: new price shown",
    "price for this time has changed": "price changed",
    "one per patient": "already has a discount",
    "someone has just booked": "time taken",
    "very busy": "busy (lock timeout)",
    "can no longer be booked": "time unavailable",
}

serials = itertools.count()
outcomes: Counter = Counter()
conflicts: Counter = Counter()
statuses: Counter = Counter()


def patient_identity(serial: int) -> dict:
    n = TRIAL * 100_000 + serial
    return {
        "name": f"Runner {n}",
        "email": f"runner{n}@example.org",
        "phone": f"(858) {200 + n // 10_000:03d}-{n % 10_000:04d}",  # valid US numbers, one per patient
        **({"sms_consent": "on"} if serial % 2 == 0 else {}),
    }


def confirm_form(page: str):
    """The review step's form: its action and every hidden field (CSRF token and quoted price included)."""
    match = CONFIRM_FORM_RE.search(page)
    if not match:
        return None, None
    return match.group(1), {name: html.unescape(value) for name, value in HIDDEN_RE.findall(match.group(2))}


class Patient(HttpUser):
    host = HOSTS[0]  # each patient's own server is set in on_start
    wait_time = between(1, 3)  # reading a page, choosing, typing: between every two steps

    def on_start(self):
        self.serial = next(serials)
        self.rng = random.Random(TRIAL * 100_003 + self.serial)
        self.client.base_url = HOSTS[self.serial % len(HOSTS)]
        self.origin = "https://" + urllib.parse.urlsplit(self.client.base_url).netloc
        self.client.headers.update(
            {
                "User-Agent": USER_AGENT,
                "Accept": "text/html",
                "X-Forwarded-Proto": "https",  # what the HTTPS proxy adds
                # ... and the patient's own address (one phone each; 198.18.0.0/15 is for benchmarks), which the
                # server trusts from its proxy (TRUSTED_PROXIES): rate limits and holds count per address.
                "X-Forwarded-For": f"198.18.{self.serial // 256 % 256}.{self.serial % 256}",
                # A connection a request, as the proxy opens to gunicorn (nginx's default): one kept open over a
                # patient's pause would be closed by gunicorn (keepalive, 2 s) and could lose the next request.
                "Connection": "close",
            }
        )
        self.finished = False

    def go(self, name, method, path, *, expect=(200,), referer=None, data=None):
        """One request, counted under `name`; a status in `expect` is not a failure in Locust's figures."""
        headers = {"Referer": self.origin + referer} if referer else {}
        if data is not None:
            headers["Origin"] = self.origin
        with self.client.request(
            method, path, name=name, data=data, headers=headers, allow_redirects=False, catch_response=True
        ) as response:
            for cookie in self.client.cookies:
                cookie.secure = False  # plain HTTP to gunicorn, as from the HTTPS proxy: send them back all the same
            if response.status_code in expect:
                response.success()
            else:
                response.failure(repr(getattr(response, "error", None) or response.status_code))
            return response

    @task
    def book(self):
        if self.finished:
            gevent.sleep(3600)  # stays on the page it ended on: see the module's docstring
            return
        outcome = self.journey(patient_identity(self.serial))
        outcomes[outcome] += 1
        self.finished = True
        if sum(outcomes.values()) >= PATIENTS:
            gevent.spawn(self.environment.runner.quit)

    def journey(self, identity: dict, max_tries: int = 3) -> str:
        if self.go("offer", "GET", "/").status_code != 200:
            return "offer page failed"
        tried: set[int] = set()
        for _ in range(max_tries):
            self.wait()
            response = self.go("days", "GET", "/book/", referer="/")
            if response.status_code != 200:
                return "days page failed"
            days = DAY_LINK_RE.findall(response.text)
            if not days:
                return "sold out"
            day = self.rng.choice(days)
            self.wait()
            response = self.go("day's times", "GET", f"/book/{day}/", referer="/book/")
            if response.status_code != 200:
                return "day's times failed"
            options = [(int(pk), "discounted" in meta) for pk, meta in OPTION_RE.findall(response.text)]
            options = [o for o in options if o[0] not in tried]
            if not options:
                continue  # the day filled up since the list of days was shown
            discounted = [o for o in options if o[1]]
            slot_id, _ = self.rng.choice(discounted or options)
            tried.add(slot_id)
            self.wait()
            choose = f"/book/time/{slot_id}/"
            response = self.go("choose (hold)", "POST", choose, expect=(303, 409), referer=f"/book/{day}/", data={})
            if response.status_code == 409:
                continue  # someone took the last seat since the list was shown
            if response.status_code != 303:
                return "choosing a time failed"
            path = urllib.parse.urlsplit(response.headers["Location"]).path
            response = self.go("details form", "GET", path, referer=f"/book/{day}/")
            if response.status_code != 200:
                return "details form failed"
            token = CSRF_RE.search(response.text).group(1)

            self.wait()  # typing name, email and mobile
            response = self.go(
                "details POST",
                "POST",
                path,
                expect=(303, 409),
                referer=path,
                data={"csrfmiddlewaretoken": token, **identity},
            )
            if response.status_code == 409:
                continue
            if response.status_code != 303:
                return "details POST failed"
            response = self.go("review", "GET", path + "review/", referer=path)
            if response.status_code != 200:
                return "review failed"

            for _ in range(2):  # again at the new price when the discounted spots went meanwhile
                action, fields = confirm_form(response.text)
                if action is None:
                    return "no review form"
                self.wait()
                response = self.go("booking POST", "POST", action, expect=(303, 302, 409), referer=path, data=fields)
                if response.status_code in (302, 303):
                    target = urllib.parse.urlsplit(response.headers["Location"]).path
                    if self.go("booking page", "GET", target, referer=path).status_code != 200:
                        return "booking page failed"
                    return "booked promo" if fields.get("quoted_price_cents") == "9900" else "booked regular"
                if response.status_code != 409:
                    return "booking POST failed"
                conflicts[next((why for text, why in CONFLICTS.items() if text in response.text), "other")] += 1
                if not CONFIRM_FORM_RE.search(response.text):
                    break  # the time went, or the database was busy: choose again
        return "gave up"


@events.request.add_listener
def count_status(response=None, exception=None, **kwargs):
    status = getattr(response, "status_code", 0)  # 0: no answer
    statuses[str(status) if status else f"connection error: {exception}"[:100]] += 1


@events.quitting.add_listener
def write_results(environment, **kwargs):
    path = os.environ.get("BENCH_RESULTS")
    if path:
        with open(path, "w") as f:
            json.dump({"outcomes": outcomes, "conflicts": conflicts, "statuses": statuses}, f, indent=2)
