from django.dispatch import Signal

# Sent inside the transaction that frees a seat or a discounted spot (a cancellation,
# a move, a released hold), with `booking`; or opens a blocked time, with `booking` None. Receivers act on commit.
capacity_freed = Signal()

# Sent inside the transaction that ended a booking's private links (staff sent a new one, or changed the
# patient's email or mobile), with `booking` and `event`, its history row: the patient is to get the new one.
links_replaced = Signal()

# Sent when a patient asked for their link again ("Resend my link", resend.py), with `booking` and `channel`
# ("email" or "sms": how they asked): the link goes to the booking's own email or mobile, never elsewhere.
links_requested = Signal()

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

# Sent inside the transaction that booked a seat (a confirmed booking, or a hold confirmed), with `booking`:
# the patient and the clinic are to be told. Receivers queue in the same transaction, so the messages commit
# with the booking or not at all.
booking_confirmed = Signal()

# Sent inside the transaction that cancelled a booking, with `booking`, `event` (its history row), `notify`:
# whether the patient is to be told (a confirmed booking, unless the caller sends its own, more specific
# notice), and `by_patient`: whether the patient did it online (the clinic is then told).
booking_cancelled = Signal()

# Sent inside the transaction that moved a booking, with `booking`, `previous_starts_at`, `move` (the history
# row of this move, so each move is told once) and `by_patient` (moved online: the clinic is then told).
booking_rescheduled = Signal()

# Sent inside the transaction that asked Stripe for a refund, with `refund` and `notify`: whether the patient is
# to be told of it (not when the caller sends its own notice, or the money was refused).
refund_requested = Signal()

# Sent inside the transaction that cancelled a booking whose payment came after its hold lapsed and was
# refunded, with `booking`: the patient is to get a refund notice instead of a confirmation.
late_payment_refunded = Signal()
