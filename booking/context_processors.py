from .stripe_gateway import payments_online


def payments(request):
    """Whether patients pay online when booking, or at the visit."""
    return {"pay_online": payments_online()}
