"""The patient's language: English at the site's plain addresses, Spanish under /es/ (i18n_patterns).

A first visit follows the browser's Accept-Language: a patient whose phone prefers Spanish, arriving at an
English address of a patient page, is sent to the same page in Spanish. Choosing a language with the link on
every page (`?lang=xx`) is remembered in Django's language cookie, and from then on the address decides.
"""

from django.conf import settings
from django.http import HttpResponseRedirect
from django.urls import translate_url
from django.utils import translation

CHOSEN = "lang"  # the query parameter of the language links


LANGUAGE_CODES = tuple(code for code, _ in settings.LANGUAGES)  # in the order messages give them


def staff_choices() -> list[tuple[str, str]]:
    """The patients' languages as staff read them, in English: English, Spanish."""
    return [(code, translation.get_language_info(code)["name"]) for code, _ in settings.LANGUAGES]


class FirstVisitLanguage:
    """After LocaleMiddleware: a first GET of an English patient page from a browser that prefers another
    language goes to that language's address; a language chosen by its link is remembered."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.GET.get(CHOSEN)
        if chosen in LANGUAGE_CODES:
            response = self.get_response(request)
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                chosen,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
            return response
        if request.method == "GET" and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            preferred = translation.get_language_from_request(request)
            on_default = translation.get_language_from_path(request.path_info) is None
            if on_default and preferred != settings.LANGUAGE_CODE and preferred in LANGUAGE_CODES:
                there = translate_url(request.path, preferred)
                if there != request.path:  # a page of the patient's, with an address in that language
                    query = request.META.get("QUERY_STRING", "")  # a campaign's tags, say: kept
                    response = HttpResponseRedirect(f"{there}?{query}" if query else there)
                    response.headers["Vary"] = "Accept-Language, Cookie"
                    return response
        return self.get_response(request)


def alternates(request) -> dict:
    """The same page in each language, for the language links and the hreflang alternates."""
    path = request.path
    pages = {code: translate_url(path, code) for code in LANGUAGE_CODES}
    if len(set(pages.values())) < len(pages):  # a page with one address for all (the admin, a webhook)
        return {"language_pages": {}}
    match = getattr(request, "resolver_match", None)
    private = bool(match and {"token", "reference"} & set(match.kwargs))
    return {
        # Search engines are told of a page's other language only where its address holds no private link.
        "language_pages": {} if private else {code: pages[code] for code, _ in settings.LANGUAGES},
        "other_languages": [
            (code, name, pages[code]) for code, name in settings.LANGUAGES if code != translation.get_language()
        ],
    }
