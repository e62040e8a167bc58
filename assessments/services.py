"""The intake questionnaire's writes and its access log. No answer ever leaves in a message or a log line."""

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from booking.models import Booking
from clinic.client import Visitor
from clinic.codes import Check, code_check, code_issue

from .forms import STEPS, StepForm, typed_anything
from .models import ConsentDocument, Intake, IntakeAccess, RedFlagReview
from .roles import READ_ANSWERS
from .signals import intake_code_issued, intake_flagged

# The bookings whose questionnaire link works (until INTAKE_LINK_DAYS after the visit, booking/links.py).
OPEN_STATUSES = [Booking.Status.HELD, Booking.Status.CONFIRMED, Booking.Status.ATTENDED]


def next_step(intake: Intake | None) -> str | None:
    done = intake.steps_done if intake else []
    return next((step for step in STEPS if step not in done), None)


@transaction.atomic
def intake_save_step(*, booking: Booking, step: str, form: StepForm, visitor: Visitor) -> Intake:
    """Save one valid step (in place of any draft of it); a "yes" on the safety screen flags the booking and
    alerts the clinic once. The consent step records the versions of the wording the patient signed."""
    Intake.objects.get_or_create(booking=booking)
    intake = Intake.objects.select_for_update().get(booking=booking)
    flags_before = intake.flags_raised
    for name, value in form.cleaned_data.items():
        setattr(intake, name, value)
    intake.drafts = {name: values for name, values in intake.drafts.items() if name != step}
    if intake.flags_raised != flags_before:
        intake.red_flag_review = None  # reviewed answers changed: the review no longer holds (it stays on record)
    if step not in intake.steps_done:
        intake.steps_done = [name for name in STEPS if name in {*intake.steps_done, step}]
    now = timezone.now()
    if step == "consent":
        intake.signed_at, intake.signed_ip = now, visitor.ip
    if next_step(intake) is None and intake.completed_at is None:
        intake.completed_at = now
    intake.save()
    intake_access_log(visitor, booking=booking, action=IntakeAccess.Action.PATIENT_SAVE, detail=step)
    if step == "screen" and intake.has_red_flag:
        _flag_for_review(booking)
    return intake


@transaction.atomic
def intake_save_draft(*, booking: Booking, step: str, values: dict, visitor: Visitor) -> Intake | None:
    """Keep a step as the patient typed it, to finish later: unchecked, so not an answer (nothing is flagged or
    counted done) until the step is sent. A step left empty keeps no draft; None when there is nothing at all."""
    if step not in STEPS:
        raise ValueError(f"No such step: {step}")
    if not typed_anything(values) and not Intake.objects.filter(booking=booking).exists():
        return None
    Intake.objects.get_or_create(booking=booking)
    intake = Intake.objects.select_for_update().get(booking=booking)
    drafts = {name: kept for name, kept in intake.drafts.items() if name != step}
    if typed_anything(values):
        drafts[step] = values
    intake.drafts = {name: drafts[name] for name in STEPS if name in drafts}
    intake.save(update_fields=["drafts", "updated_at"])
    intake_access_log(visitor, booking=booking, action=IntakeAccess.Action.PATIENT_DRAFT, detail=step)
    return intake


def _flag_for_review(booking: Booking) -> None:
    Booking.objects.filter(pk=booking.pk).update(review_before_visit=True)
    intake_flagged.send(sender=Intake, booking=booking)


class ReviewRefused(Exception):
    """A red-flag review that cannot be recorded; the message is safe to show (it names no answer)."""


def review_may_be_recorded(intake: Intake) -> bool:
    return intake.booking.review_before_visit or intake.has_red_flag


@transaction.atomic
def red_flag_review_record(*, intake_id: int, outcome: str, note: str, visitor: Visitor) -> RedFlagReview:
    """Record that a clinician reviewed the intake's red flags: the latest review is the one that holds, every
    earlier one stays on record, and the access log says who did it (the outcome, never the note)."""
    user = visitor.user
    if user is None or not user.has_perm(READ_ANSWERS):
        raise ReviewRefused("Only staff who may read intake answers record a red-flag review.")
    if outcome not in RedFlagReview.Outcome.values:
        raise ReviewRefused("Choose what came of the review: called the patient, cleared, or referred.")
    intake = Intake.objects.select_for_update().select_related("booking").get(pk=intake_id)
    if not review_may_be_recorded(intake):
        raise ReviewRefused("This intake has no red flag to review.")
    review = RedFlagReview.objects.create(intake=intake, reviewed_by=user, outcome=outcome, note=note.strip())
    intake.red_flag_review = review
    intake.save(update_fields=["red_flag_review"])
    intake_access_log(
        visitor,
        booking=intake.booking,
        action=IntakeAccess.Action.FLAG_REVIEW,
        granted_by=IntakeAccess.GrantedBy.STAFF,
        detail=outcome,
    )
    return review


def intake_access_log(
    visitor: Visitor, *, booking: Booking | None, action: str, granted_by: str = "", detail: str = ""
) -> IntakeAccess:
    """Record who did what with intake answers: the signed-in user (if any), the client's address behind the
    proxy, and the browser it says it is."""
    return IntakeAccess.objects.create(
        booking=booking,
        user=visitor.user,
        action=action,
        granted_by=granted_by,
        detail=detail[:200],
        ip_address=visitor.ip,
        user_agent=visitor.user_agent,
    )


# Opening saved answers from another browser: a code sent to the booking's own email or mobile.

CODE_PURPOSE = "intake"
EMAIL, SMS = "email", "sms"  # where a code goes: the outbox's channels (notifications.models.Message.Channel)


def _code_subject(booking: Booking) -> str:
    return f"intake:{booking.reference}"


def code_channels(booking: Booking) -> list[str]:
    """Where a code that opens saved answers may go: the email and mobile the patient typed themselves (the
    mobile if they agreed to texts). Whoever typed one for them, at the desk, could read what is sent there."""
    channels = [] if booking.email_by_staff or not booking.email else [EMAIL]
    if booking.sms_consent and not booking.phone_by_staff:
        channels.append(SMS)
    return channels


def intake_code_send(*, booking: Booking, channel: str, visitor: Visitor) -> bool:
    """Send a one-time code to the email or mobile on the booking, at once; False if it cannot go (the mobile
    texted STOP). Raises CodeLocked after too many wrong codes.

    The outbox is above this app: the code goes through `intake_code_issued`, whose receiver (notifications)
    queues it in this transaction and answers whether it will go out. No receiver, no code sent.
    """
    if channel not in code_channels(booking):
        raise ValueError(f"No code goes to this booking's {channel}.")
    with transaction.atomic():  # a code replaces the last one only if its message is in the outbox too
        issued = code_issue(purpose=CODE_PURPOSE, subject=_code_subject(booking))
        answers = intake_code_issued.send(
            sender=Intake, booking=booking, channel=channel, code=issued.code, key=str(issued.key)
        )
        intake_access_log(visitor, booking=booking, action=IntakeAccess.Action.CODE_SENT, detail=channel)
    return bool(answers) and all(sent for _, sent in answers)


def intake_code_check(*, booking: Booking, code: str, visitor: Visitor) -> Check:
    result = code_check(purpose=CODE_PURPOSE, subject=_code_subject(booking), code=code)
    action = IntakeAccess.Action.CODE_ACCEPTED if result == Check.ACCEPTED else IntakeAccess.Action.CODE_REFUSED
    granted_by = IntakeAccess.GrantedBy.CODE if result == Check.ACCEPTED else ""
    intake_access_log(visitor, booking=booking, action=action, granted_by=granted_by)
    return result


# The privacy notice and the consent to treatment ------------------------------------------------------------


class ConsentDocumentError(Exception):
    """A change to the wording that cannot be made; the message is safe to show to staff."""


@transaction.atomic
def consent_document_publish(*, document_id: int, user) -> ConsentDocument:
    """Publish a draft as the next version of its document: patients read and sign it from now on, in English
    and, where it has one, in its Spanish wording (both fixed from now on, as the whole version is). Earlier
    versions stay as they were, with every intake that points at them."""
    document = ConsentDocument.objects.select_for_update().get(pk=document_id)
    if document.is_published:
        raise ConsentDocumentError(f"{document} is published already. To change it, copy it into a new draft.")
    if not document.body.strip():  # the English, which every patient may be shown
        raise ConsentDocumentError(f"{document} has no wording yet.")
    latest = ConsentDocument.objects.filter(kind=document.kind).aggregate(latest=Max("version"))["latest"] or 0
    document.version, document.published_at, document.published_by = latest + 1, timezone.now(), user
    try:
        with transaction.atomic():
            document.save(update_fields=["version", "published_at", "published_by", "updated_at"])
    except IntegrityError:  # the same version published by someone else at this very moment
        raise ConsentDocumentError(
            f"Another {document.get_kind_display()} was published at the same moment. Publish again."
        ) from None
    return document


def consent_document_copy(*, document_id: int) -> ConsentDocument:
    """A new draft with a document's wording (in English and in Spanish), to edit and publish as its next version."""
    source = ConsentDocument.objects.get(pk=document_id)
    return ConsentDocument.objects.create(kind=source.kind, body=source.body, body_es=source.body_es)
