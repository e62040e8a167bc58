"""Texts in the GSM-7 alphabet, so one message is one or two segments, not four (UCS-2)."""

import math
import unicodedata

BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
EXTENDED = set("^{}\\[~]|€")  # each takes two characters' room

REPLACEMENTS = {
    "‘": "'",
    "’": "'",
    "“": '"',
    "”": '"',
    "–": "-",
    "—": "-",
    "…": "...",
    "•": "-",
    "·": "-",
    "\u00a0": " ",
    "\u2009": " ",
    "\u202f": " ",
}


def to_gsm7(text: str) -> str:
    """The closest GSM-7 text: typographic punctuation made plain, accents dropped where GSM has none."""
    out = []
    for char in text:
        char = REPLACEMENTS.get(char, char)
        if is_gsm7(char):
            out.append(char)
            continue
        plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
        out.append(plain if plain and all(c in BASIC for c in plain) else "?")
    return "".join(out)


def is_gsm7(text: str) -> bool:
    return all(c in BASIC or c in EXTENDED for c in text)


def segments(text: str) -> int:
    """How many SMS segments a GSM-7 text takes: 160 characters alone, 153 each when split."""
    length = sum(2 if c in EXTENDED else 1 for c in text)
    return 1 if length <= 160 else math.ceil(length / 153)
