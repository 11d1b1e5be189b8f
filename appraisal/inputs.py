"""What arrives from outside — card data, Teams activities, roster files — made safe to keep.

Both stores must take exactly what the other takes: PostgreSQL refuses NUL in text and numbers
beyond its 32-bit INTEGER columns, where SQLite would keep them. So ids are checked, and text is
cleaned, here, before either store sees them. Text shown to other people also loses the
invisible controls that change the direction it is displayed in (a file name or comment could
otherwise appear reversed on someone else's card); right-to-left letters are kept.
"""

from __future__ import annotations

import re
from typing import Any

#: The largest id or number a card may carry: the stores' ids are 32-bit signed integers.
MAX_ID = 2**31 - 1

_DIGITS = re.compile(r"[0-9]{1,10}")
_HEX = "[0-9a-fA-F]"
_OBJECT_ID = re.compile(f"{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}")
#: Control characters (C0 but tab and line feed, DEL, C1).
_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f"
#: Marks and embeddings that reorder text: ALM, LRM, RLM, LRE..RLO, LRI..PDI.
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_REMOVED = re.compile(f"[{_CONTROLS}{_BIDI}]")
_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_BREAKS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAK = re.compile(r"\r\n?")
_SURROGATE = re.compile("[\ud800-\udfff]")


def card_number(value: object, low: int = 1, high: int = MAX_ID) -> int | None:
    """A whole number from card data, or None unless it is one, within low..high.

    A JSON integer (never a bool or a float) or a string of ASCII digits: not '²', '١' or
    a fullwidth '１' (which str.isdigit and int() accept), nor signs, spaces or underscores.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _DIGITS.fullmatch(value):
        number = int(value)
    else:
        return None
    return number if low <= number <= high else None


def is_object_id(value: object) -> bool:
    """True for an Entra object id: a GUID, 36 characters of hex digits and dashes."""
    return isinstance(value, str) and _OBJECT_ID.fullmatch(value) is not None


def has_control(value: str, multiline: bool = False) -> bool:
    """True when the text holds a control character (NUL, ESC and the like).

    Tabs and line breaks count as controls unless the text may be `multiline`.
    """
    pattern = _CONTROL_BUT_BREAKS if multiline else _ANY_CONTROL
    return pattern.search(value) is not None


def without_surrogates(value: str) -> str:
    """The text with each lone UTF-16 surrogate (which no store or encoder takes) as U+FFFD."""
    if value.isascii():
        return value
    return _SURROGATE.sub("\ufffd", value)


def clean_text(value: str, multiline: bool = False) -> str:
    """Text without control characters or direction overrides; line breaks only if `multiline`.

    Line breaks become '\\n' (a space in one-line text, as tabs do); a lone UTF-16 surrogate
    becomes U+FFFD. Nothing is trimmed: callers strip as their field needs.
    """
    text = _LINE_BREAK.sub("\n", without_surrogates(value))
    if not multiline:
        text = text.replace("\n", " ").replace("\t", " ")
    return _REMOVED.sub("", text)


def clean_strings(value: Any, multiline: bool = False) -> Any:
    """A JSON-like value with every string in it (keys too) passed through clean_text."""
    if isinstance(value, str):
        return clean_text(value, multiline)
    if isinstance(value, dict):
        return {
            clean_text(k) if isinstance(k, str) else k: clean_strings(v, multiline)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [clean_strings(item, multiline) for item in value]
    return value
