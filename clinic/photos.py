"""A practitioner's photo: the upload checked, cut square and kept in the few sizes pages show.

Pages show the photo small (about 100 CSS pixels), so the upload itself is never served: it is made
into WebP squares 160 and 320 pixels wide (the second for sharp screens), a few kilobytes each, with
no metadata (a phone's photo carries where it was taken). They are rows in the database, served by
clinic/views.py under a URL that names the upload's hash, so browsers may keep them for a year: a new
photo has new URLs.
"""

import hashlib
import warnings
from dataclasses import dataclass
from io import BytesIO

from django.db import transaction
from PIL import Image, ImageOps, UnidentifiedImageError

from .models import Practitioner, PractitionerPhoto

CONTENT_TYPE = "image/webp"
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 48-megapixel phone photo is downscaled by the phone's own "share" already
READABLE_FORMATS = ("JPEG", "PNG", "WEBP")

NOT_A_PHOTO = "That file is not a photo we can read. Please choose a JPEG, PNG or WebP image."
TOO_BIG = "That photo is larger than 10 MB. Please choose a smaller one."
TOO_MANY_PIXELS = "That photo has too many pixels. Please choose one under 40 megapixels."
TOO_SMALL = "That photo is too small ({width} × {height} pixels). Please choose one at least 320 pixels on each side."
MIN_SIDE = 320


class PhotoError(ValueError):
    """Why an upload cannot be the photo, in words for the staff member who chose it."""


@dataclass(frozen=True)
class Variant:
    width: int
    height: int
    data: bytes


@dataclass(frozen=True)
class Photo:
    digest: str
    variants: tuple[Variant, ...]


def photo_from_upload(upload) -> Photo:
    """The sizes pages show, from an uploaded file (anything with read() and size); PhotoError if it is none."""
    if upload.size > MAX_UPLOAD_BYTES:
        raise PhotoError(TOO_BIG)
    raw = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(raw) > MAX_UPLOAD_BYTES:
        raise PhotoError(TOO_BIG)
    image = _opened(raw)
    try:
        square = _squared(image)
        variants = tuple(_variant(square, width) for width in PractitionerPhoto.WIDTHS)
    except (OSError, ValueError):  # a colour mode Pillow reads but cannot convert
        raise PhotoError(NOT_A_PHOTO) from None
    return Photo(digest=hashlib.sha256(raw).hexdigest()[:16], variants=variants)


def _opened(raw: bytes) -> Image.Image:
    """The decoded image, its size checked from the header before a pixel is decoded."""
    with warnings.catch_warnings():
        # Pillow warns before decoding a huge image and refuses a larger one: both are too large here.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(BytesIO(raw), formats=READABLE_FORMATS)
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise PhotoError(TOO_MANY_PIXELS)
            if min(width, height) < MIN_SIDE:
                raise PhotoError(TOO_SMALL.format(width=width, height=height))
            image = ImageOps.exif_transpose(image)  # a phone's portrait photo is stored sideways
            image.load()
        except PhotoError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise PhotoError(TOO_MANY_PIXELS) from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
            raise PhotoError(NOT_A_PHOTO) from None
    return image


def _squared(image: Image.Image) -> Image.Image:
    """On white (no transparency in a portrait), cut square a little above the middle, where a face is."""
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, "white")
        background.paste(image, mask=image.getchannel("A"))
        image = background
    image = image.convert("RGB")
    side = min(image.size)
    return ImageOps.fit(image, (side, side), method=Image.Resampling.LANCZOS, centering=(0.5, 0.35))


def _variant(square: Image.Image, width: int) -> Variant:
    out = BytesIO()
    square.resize((width, width), Image.Resampling.LANCZOS).save(out, "WEBP", quality=78, method=6)
    return Variant(width=width, height=width, data=out.getvalue())


@transaction.atomic
def practitioner_photo_set(*, practitioner: Practitioner, photo: Photo | None) -> None:
    """Replace the practitioner's photo (None: remove it). Saving the practitioner renews the offer page."""
    practitioner.photos.all().delete()
    if photo:
        PractitionerPhoto.objects.bulk_create(
            PractitionerPhoto(
                practitioner=practitioner,
                digest=photo.digest,
                width=variant.width,
                height=variant.height,
                content_type=CONTENT_TYPE,
                data=variant.data,
            )
            for variant in photo.variants
        )
    practitioner.photo_digest = photo.digest if photo else ""
    practitioner.save(update_fields=["photo_digest"])
