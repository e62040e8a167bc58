from django.dispatch import Signal

# Sent inside the transaction that frees a seat or a discounted spot (a cancellation,
# a move, a released hold), with `booking`. Receivers act on commit.
capacity_freed = Signal()

# Sent inside the transaction that ended a booking's private links (staff sent a new one, or changed the
# patient's email or mobile), with `booking` and `event`, its history row: the patient is to get the new one.
links_replaced = Signal()

# Sent inside the transaction in which staff changed the email or mobile of a booking still on, with `booking`,
# `event`, `old_email` and `old_phone`: the old ones are to be told, with no link.
contact_changed = Signal()

# Sent when a patient is to type a code texted to the mobile on a booking (booking/verification.py), with
# `booking`, `code` and `key` (names the code): the text is to go at once. The code is in no record.
mobile_code_issued = Signal()

# Sent inside the transaction that refused money paid through a Checkout Session naming one of our bookings
# (not a session this site made for it, or the wrong amount or currency), with `payment` (refused, with its
# reason) and `refund` (None when it could not be asked for automatically): the clinic is to be told.
payment_refused = Signal()
