import json

import stripe
from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .payments import MalformedEvent, stripe_event_process


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe's events, verified against the raw body. 2xx for handled, repeated and ignored events alike."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        return HttpResponse("Online payments are not configured.", status=404)
    try:
        event = json.loads(request.body)
        if not isinstance(event, dict):  # the stripe library assumes an object
            raise MalformedEvent("An event is a JSON object.")
        stripe.Webhook.construct_event(request.body, request.headers.get("Stripe-Signature"), secret)
        stripe_event_process(event)
    except stripe.SignatureVerificationError:
        return HttpResponseBadRequest("Bad signature.")
    except (ValueError, MalformedEvent):  # JSON that does not parse, or is not an event
        return HttpResponseBadRequest("Malformed event.")
    return HttpResponse(status=200)
