"""Texts in the GSM-7 alphabet, so one message is one or two segments, not four (UCS-2).

Spanish texts too: GSM-7 has é, ñ, ü, ¿ and ¡ but not á, í, ó or ú, and one character outside it turns the whole
text into UCS-2, 67 characters a segment once split. A private link alone takes about 100 characters, so a Spanish
text with its accents would take three or four segments; written in GSM-7 (á, í, ó, ú lose their accent, "SÍ"
becomes "SI") it takes two, like the English. The emails keep every accent.
"""

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
    """How many SMS segments a text takes: in GSM-7, 160 characters alone, 153 each when split; any other text goes
    as UCS-2, 70 UTF-16 units alone, 67 each when split."""
    if not is_gsm7(text):
        units = len(text.encode("utf-16-le")) // 2
        return 1 if units <= 70 else math.ceil(units / 67)
    length = sum(2 if c in EXTENDED else 1 for c in text)
    return 1 if length <= 160 else math.ceil(length / 153)
