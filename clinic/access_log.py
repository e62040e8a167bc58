"""gunicorn's access log, with the patients' private links masked (see clinic/privacy.py).

Used by gunicorn.conf.py; the request line, path, query and referrer can all carry a link.
"""

from gunicorn.glogging import Logger

from .privacy import mask_private_links


class PrivateLinksMasked(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: mask_private_links(value) if isinstance(value, str) else value for key, value in atoms.items()}
