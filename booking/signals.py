from django.dispatch import Signal

# Sent inside the transaction that frees a seat or a discounted spot (a cancellation,
# a move, a released hold), with `booking`. Receivers act on commit.
capacity_freed = Signal()
