"""DEBUG on while the settings load, for the test suite (pytest.ini loads this with -p, before pytest-django).

The suite runs on a developer's settings: static files served as they are, with no collected manifest, and no
redirect to HTTPS. DEBUG is off unless said, and pytest-django reads the settings before any conftest, so it is
said here. Django's test runner still runs each test with settings.DEBUG False, as production does; an
environment that sets DEBUG keeps its own.
"""

import os

os.environ.setdefault("DEBUG", "true")
