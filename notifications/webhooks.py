from django.http import HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.twiml.messaging_response import MessagingResponse

from .gsm import to_gsm7
from .inbound import inbound_text_handle
from .outbox import delivery_status_record
from .twilio_gateway import request_is_from_twilio


@csrf_exempt
@require_POST
def twilio_status(request):
    """Twilio's delivery reports. 200 even for messages we do not know, so Twilio stops retrying."""
    if not request_is_from_twilio(request):
        return HttpResponseForbidden("Bad signature.")
    delivery_status_record(
        message_sid=request.POST.get("MessageSid", ""),
        status=request.POST.get("MessageStatus", ""),
        error_code=request.POST.get("ErrorCode", ""),
    )
    return HttpResponse(status=200)


LONGEST_TEXT = 1600  # Twilio's own limit on a message's body


def _field(request, name: str, length: int) -> str:
    """A posted field as text the database keeps: cut to `length`, without NUL characters (which PostgreSQL
    refuses)."""
    return request.POST.get(name, "").replace("\x00", "")[:length]


def _media_count(request) -> int:
    """How many photos or files came with the text (MMS). Their addresses (MediaUrl0, ...) are never read."""
    count = request.POST.get("NumMedia", "")
    return min(int(count), 10) if count.isdecimal() and len(count) < 3 else 0


@csrf_exempt
@require_POST
def twilio_inbound(request):
    """A text to the clinic's number: kept, and answered through the outbox (notifications/inbound.py); the
    response's TwiML is empty but for the one answer that cannot wait in the outbox."""
    if not request_is_from_twilio(request):
        return HttpResponseForbidden("Bad signature.")
    reply = inbound_text_handle(
        sender=_field(request, "From", 20),
        body=_field(request, "Body", LONGEST_TEXT),
        message_sid=_field(request, "MessageSid", 64),
        opt_out_type=_field(request, "OptOutType", 20),
        media_count=_media_count(request),
    )
    response = MessagingResponse()
    if reply:
        response.message(to_gsm7(reply))
    return HttpResponse(str(response), content_type="text/xml")
