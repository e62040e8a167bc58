from django.dispatch import Signal

# Sent inside the transaction in which a "yes" on the red-flag screen flagged a booking for review before the
# visit, with `booking`: the clinic is to be told once (the booking and its admin page, never an answer).
intake_flagged = Signal()

# Sent inside the transaction that issued a code to open saved answers, with `booking`, `channel` ("email" or
# "sms"), `code` and `key` (names the code): the code is to go at once, whatever the hour, and is kept in no
# record. Each receiver answers whether it went out: False when the mobile asked not to be texted (STOP).
intake_code_issued = Signal()
