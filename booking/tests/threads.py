"""Real threads, each on its own database connection, released at the same instant."""

import threading
from collections import Counter

from django.db import connection


def race(attempts):
    """Run each callable in its own thread, all released together; return what each returned or raised."""
    barrier = threading.Barrier(len(attempts))
    outcomes = [None] * len(attempts)

    def run(i, attempt):
        try:
            barrier.wait(timeout=10)
            outcomes[i] = attempt()
        except Exception as exc:  # the test inspects every outcome
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a booking thread hung: deadlock or lock wait"
    return outcomes


def kinds(outcomes) -> Counter:
    """How many of each outcome a race had, by type: {"Booking": 1, "BookingError": 19}."""
    return Counter(type(o).__name__ for o in outcomes)
