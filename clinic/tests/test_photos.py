"""The practitioner's photo: uploaded in the admin, kept as small WebP squares, served with a long cache life."""

import struct
import zlib
from io import BytesIO

import pytest
from django.test import Client
from PIL import Image

from clinic.models import Practitioner, PractitionerPhoto
from clinic.photos import MAX_UPLOAD_BYTES, practitioner_photo_set
from clinic.tests.factories import PractitionerFactory, portrait, upload

pytestmark = pytest.mark.django_db

ADD = "/admin/clinic/practitioner/add/"


def fields(clinic, **changes) -> dict:
    return {"clinic": clinic.pk, "name": "Brandon Pascual", "credentials": "PT, DPT", "bio": "", **changes}


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims `width` × `height` pixels, with a few bytes of data: decoding it would need
    gigabytes (a "decompression bomb")."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + header
    ihdr = struct.pack(">I", len(header)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    data = zlib.compress(b"\0" * 64)
    idat = struct.pack(">I", len(data)) + b"IDAT" + data + struct.pack(">I", zlib.crc32(b"IDAT" + data))
    iend = struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND"))
    return b"\x89PNG\r\n\x1a\n" + ihdr + idat + iend


def small_photo(practitioner) -> Image.Image:
    return Image.open(BytesIO(bytes(practitioner.photos.get(width=160).data))).convert("L")


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def test_manager_uploads_a_photo_and_it_is_kept_as_small_webp_squares(manager_client, clinic):
    response = manager_client.post(ADD, {**fields(clinic, featured="on"), "photo": upload(portrait(1200, 1600))})

    assert response.status_code == 302, response.content.decode()
    brandon = Practitioner.objects.get()
    assert (brandon.credentials, brandon.featured, len(brandon.photo_digest)) == ("PT, DPT", True, 16)
    photos = list(brandon.photos.all())
    assert [(p.width, p.height, p.content_type) for p in photos] == [(160, 160, "image/webp"), (320, 320, "image/webp")]
    for photo in photos:
        image = Image.open(BytesIO(bytes(photo.data)))
        assert (image.format, image.size) == ("WEBP", (photo.width, photo.width))
        assert not image.info.get("exif")  # where a phone's photo was taken stays on the phone
    assert [len(p.data) < limit for p, limit in zip(photos, (8_000, 25_000), strict=True)] == [True, True]


def test_a_sideways_phone_photo_is_turned_upright_before_it_is_cut_square(clinic):
    # Stored 1600 wide and 1200 high, with EXIF orientation 6: the phone was held upright.
    stored = Image.open(BytesIO(portrait(1200, 1600))).rotate(90, expand=True)
    exif = Image.Exif()
    exif[0x0112] = 6
    out = BytesIO()
    stored.save(out, "JPEG", exif=exif)
    brandon = PractitionerFactory(clinic=clinic, photo=out.getvalue())
    upright = PractitionerFactory(clinic=clinic, name="Upright", photo=portrait(1200, 1600))
    turned, straight = (
        Image.open(BytesIO(bytes(p.photos.get(width=160).data))).convert("L") for p in (brandon, upright)
    )
    # The same picture either way: the square is cut from the upright portrait, not from the sideways one.
    difference = sum(
        abs(a - b) for a, b in zip(turned.get_flattened_data(), straight.get_flattened_data(), strict=True)
    ) / (160 * 160)
    assert difference < 8


def test_a_new_photo_replaces_the_old_at_new_urls_and_removing_it_leaves_none(manager_client, clinic):
    brandon = PractitionerFactory(clinic=clinic, photo=True)
    old_url = brandon.photo_src
    response = manager_client.post(
        f"/admin/clinic/practitioner/{brandon.pk}/change/",
        {**fields(clinic), "photo": upload(portrait(800, 800), name="new.png", content_type="image/png")},
    )
    assert response.status_code == 302, response.content.decode()
    brandon.refresh_from_db()
    assert brandon.photo_src != old_url
    assert Client().get(old_url).status_code == 404
    assert Client().get(brandon.photo_src).status_code == 200
    assert PractitionerPhoto.objects.count() == 2

    response = manager_client.post(
        f"/admin/clinic/practitioner/{brandon.pk}/change/", {**fields(clinic), "remove_photo": "on"}
    )
    assert response.status_code == 302
    brandon.refresh_from_db()
    assert (brandon.photo_digest, brandon.photo_src, PractitionerPhoto.objects.count()) == ("", "", 0)


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"name,phone\nBrandon,619\n", "staff.csv", "That file is not a photo we can read."),
        (b"GIF89a" + b"\0" * 400, "photo.gif", "That file is not a photo we can read."),
        (portrait(900, 1200)[:4000], "cut-short.jpg", "That file is not a photo we can read."),
        (portrait(200, 300), "tiny.jpg", "That photo is too small (200 × 300 pixels)."),
        (png_claiming(8_000, 6_000), "huge.png", "That photo has too many pixels."),
        (png_claiming(60_000, 60_000), "bomb.png", "That photo has too many pixels."),
        (b"\xff" * (MAX_UPLOAD_BYTES + 1), "heavy.jpg", "That photo is larger than 10 MB."),
    ],
)
def test_a_bad_upload_is_a_message_on_the_form_and_nothing_is_saved(manager_client, clinic, data, name, message):
    response = manager_client.post(ADD, {**fields(clinic), "photo": upload(data, name=name)})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Practitioner.objects.exists()
    assert not PractitionerPhoto.objects.exists()


def test_the_front_desk_sees_practitioners_but_cannot_change_their_photo(client, front_desk, clinic):
    brandon = PractitionerFactory(clinic=clinic, photo=True)
    client.force_login(front_desk)
    assert client.get(f"/admin/clinic/practitioner/{brandon.pk}/change/").status_code == 200  # view only
    response = client.post(f"/admin/clinic/practitioner/{brandon.pk}/change/", {**fields(clinic), "remove_photo": "on"})
    assert response.status_code == 403
    brandon.refresh_from_db()
    assert brandon.photo_digest


def test_a_photo_is_served_only_under_its_own_digest_and_sizes(clinic):
    brandon = PractitionerFactory(clinic=clinic, photo=True)
    assert Client().get(brandon.photo_url(320)).status_code == 200
    assert Client().head(brandon.photo_url(160)).status_code == 200
    assert Client().get(brandon.photo_url(640)).status_code == 404
    brandon.photo_digest = "0" * 16
    assert Client().get(brandon.photo_url(160)).status_code == 404
    assert Client().post(brandon.photo_url(160)).status_code == 405


def test_removing_a_photo_that_was_never_there_changes_nothing(clinic):
    brandon = PractitionerFactory(clinic=clinic)
    practitioner_photo_set(practitioner=brandon, photo=None)
    assert (brandon.photo_digest, brandon.photos.count()) == ("", 0)
