from django.utils.functional import SimpleLazyObject

from .models import Clinic


def clinic(request):
    return {"clinic": SimpleLazyObject(Clinic.current)}
