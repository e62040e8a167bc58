import json

import stripe
from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .payments import MalformedEvent, stripe_event_process
from .services import BookingBusy


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe's events, verified against the raw body. 2xx for handled, repeated and ignored events alike."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        return HttpResponse("Online payments are not configured.", status=404)
    try:
        stripe.Webhook.construct_event(request.body, request.headers.get("Stripe-Signature"), secret)
    except stripe.SignatureVerificationError:
        return HttpResponseBadRequest("Bad signature.")
    except (ValueError, TypeError, AttributeError, RecursionError):  # signed, but not a JSON object
        return HttpResponseBadRequest("Malformed event.")
    try:
        stripe_event_process(json.loads(request.body))
    except MalformedEvent:
        return HttpResponseBadRequest("Malformed event.")
    except BookingBusy:
        return HttpResponse("Busy; send it again.", status=503)
    return HttpResponse(status=200)
