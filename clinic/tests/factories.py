from datetime import time
from io import BytesIO

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw, ImageFilter

from clinic.models import Clinic, Closure, OpeningHours, Practitioner
from clinic.photos import photo_from_upload, practitioner_photo_set


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic
        skip_postgeneration_save = True

    name = "Project Performance Physical Therapy"
    phone = "+16192681397"
    email = "admin@projectperformancept.com"
    street = "4901 Morena Blvd, Suite 501"
    city = "San Diego"
    region = "CA"
    postal_code = "92117"
    time_zone = "America/Los_Angeles"

    @factory.post_generation
    def hours(clinic, create, extracted, **kwargs):
        """Mon–Fri 7:00–19:00, Sat 7:00–15:00, Sun closed, as the clinic's post says."""
        if not create or extracted is False:
            return
        for weekday in range(5):
            OpeningHours.objects.create(clinic=clinic, weekday=weekday, opens_at=time(7), closes_at=time(19))
        OpeningHours.objects.create(clinic=clinic, weekday=5, opens_at=time(7), closes_at=time(15))


class ClosureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Closure

    clinic = factory.SubFactory(ClinicFactory)
    reason = "Holiday"


class PractitionerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Practitioner
        skip_postgeneration_save = True

    clinic = factory.SubFactory(ClinicFactory)
    name = "Brandon Pascual"

    @factory.post_generation
    def photo(practitioner, create, extracted, **kwargs):
        """`photo=True`: a portrait uploaded, as staff upload one in the admin (or `photo=<bytes>`: that one)."""
        if create and extracted:
            data = extracted if isinstance(extracted, bytes) else portrait()
            practitioner_photo_set(practitioner=practitioner, photo=photo_from_upload(upload(data)))


def portrait(width: int = 900, height: int = 1200, *, image_format: str = "JPEG", **options) -> bytes:
    """A photo-like picture (shading, shapes and grain, as a camera's are), encoded as `image_format`."""
    base = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    picture = Image.blend(base, Image.new("RGB", (width, height), "#c08060"), 0.6)
    draw = ImageDraw.Draw(picture)
    draw.ellipse((width * 0.3, height * 0.15, width * 0.7, height * 0.5), fill="#d9a589")
    draw.ellipse((width * 0.1, height * 0.55, width * 0.9, height * 1.2), fill="#2d4a6b")
    grain = Image.effect_noise((width, height), 12).convert("RGB")
    picture = Image.blend(picture, grain, 0.08).filter(ImageFilter.GaussianBlur(1))
    out = BytesIO()
    picture.save(out, image_format, **options)
    return out.getvalue()


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)
