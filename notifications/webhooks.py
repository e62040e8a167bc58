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


@csrf_exempt
@require_POST
def twilio_inbound(request):
    """A text to the clinic's number, answered with TwiML."""
    if not request_is_from_twilio(request):
        return HttpResponseForbidden("Bad signature.")
    reply = inbound_text_handle(
        sender=request.POST.get("From", "")[:20],
        body=request.POST.get("Body", "")[:1600],
        message_sid=request.POST.get("MessageSid", "")[:64],
        opt_out_type=request.POST.get("OptOutType", "")[:20],
    )
    response = MessagingResponse()
    if reply:
        response.message(to_gsm7(reply))
    return HttpResponse(str(response), content_type="text/xml")
