from django.utils.functional import SimpleLazyObject

from .models import Clinic


def clinic(request):
    """The clinic, for the header and footer of every page. A view that has it loaded already passes its own."""
    return {"clinic": SimpleLazyObject(Clinic.current)}
