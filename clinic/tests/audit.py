"""Checks run on every page of the browser journeys: axe-core's accessibility rules and the CSP.

axe-core is the npm package (`make test` installs it with `npm ci`), injected
into the page through the DevTools protocol, which the page's own
Content-Security-Policy does not govern; the policy still governs everything
the page itself loads and runs, and any refusal is reported on the console.
"""

from pathlib import Path

import pytest
from django.conf import settings

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = {"serious", "critical"}


class Audit:
    def __init__(self, page):
        if not AXE.exists():
            pytest.fail(f"{AXE} is missing: `make test` installs it (npm ci).")
        self.page = page
        self.pages: list[str] = []
        self.csp_errors: list[str] = []
        self._axe_running = False
        page.on("console", self._console)

    def _console(self, message):
        # axe's own probing (colour contrast on long pages) sets inline styles the policy refuses: not the page's.
        if "Content Security Policy" in message.text and not self._axe_running:
            self.csp_errors.append(f"{self.page.url}: {message.text}")

    def __call__(self, page=None) -> None:
        """No serious or critical axe violations on the page as it is now, and nothing refused by the CSP."""
        page = page or self.page
        assert not self.csp_errors, "\n".join(self.csp_errors)
        self._axe_running = True
        try:
            if not page.evaluate("typeof window.axe !== 'undefined'"):
                page.evaluate(AXE.read_text())
            result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
            page.evaluate("() => new Promise(done => setTimeout(done))")  # its console messages arrive first
        finally:
            self._axe_running = False
        serious = [
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"]
            if v["impact"] in SERIOUS
        ]
        assert not serious, f"{page.url}:\n" + "\n".join(serious)
        self.pages.append(page.url)
