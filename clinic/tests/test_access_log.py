"""gunicorn's access log names the pages patients open, never their private links."""

from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from clinic.access_log import PrivateLinksMasked
from clinic.privacy import mask_private_links


def test_the_access_log_masks_private_links_in_the_path_query_and_referrer():
    config = Config()
    config.set("logger_class", "clinic.access_log.PrivateLinksMasked")
    log = PrivateLinksMasked(config)
    request = SimpleNamespace(
        method="GET",
        path="/manage/ABC.1x:sig/move/",
        query="next=/intake/tok:en/",
        uri="/manage/ABC.1x:sig/move/",
        version=(1, 1),
        headers=[("REFERER", "https://book.example.com/waitlist/claim/key:sig/")],
    )
    response = SimpleNamespace(status="200 OK", headers=[], sent=100, response_length=100)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/manage/ABC.1x:sig/move/",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": "https://book.example.com/waitlist/claim/key:sig/",
        "REMOTE_ADDR": "127.0.0.1",
    }

    atoms = log.atoms(response, request, environ, SimpleNamespace(seconds=0, microseconds=1000))

    text = " ".join(str(value) for value in atoms.values())
    assert "/manage/[private link]/move/" in text
    assert "ABC.1x:sig" not in text and "tok:en" not in text and "key:sig" not in text


@pytest.mark.parametrize(
    "line",
    [
        "GET /manage/ABC.1x:sig HTTP/1.1",  # the link without its last slash, before Django redirects
        "GET /waitlist/claim/key:sig?from=sms HTTP/1.1",
        "POST /waitlist/leave/key:sig/ HTTP/1.1",
        'Not Found: "/intake/tok:en#step-2"',
        "see <https://book.example.com/manage/ABC.1x:sig>",
    ],
)
def test_a_private_link_is_masked_however_it_ends(line):
    masked = mask_private_links(line)
    assert "[private link]" in masked
    assert "ABC.1x:sig" not in masked and "key:sig" not in masked and "tok:en" not in masked
