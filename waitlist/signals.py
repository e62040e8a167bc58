from django.dispatch import Signal

# Sent inside the transaction that offered someone waiting a freed place (a hold made for them), with `booking`
# (the hold) and `expires_at`: they are to be told at once, with their claim link. Offers are made outside the
# clinic's quiet hours only.
offer_made = Signal()

# Sent inside the transaction that put someone on a waiting list, with `entry`: they are told they are on it, with
# the private link that takes them off it (waitlist/links.py).
entry_joined = Signal()
