"""Reading fields of Stripe objects defensively: a signed event is trusted, not its shapes."""

MAX_ID = 255
MAX_CENTS = 2**31 - 1


class MalformedEvent(ValueError):
    pass


def text(obj: dict, key: str, *, max_length: int = MAX_ID) -> str | None:
    value = obj.get(key)
    return value if isinstance(value, str) and 0 < len(value) <= max_length else None


def cents(obj: dict, key: str) -> int | None:
    value = obj.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_CENTS else None


def mapping(obj: dict, key: str) -> dict:
    value = obj.get(key)
    return value if isinstance(value, dict) else {}
