"""What arrives from outside: ids and numbers from cards, object ids, text to keep and show."""

from __future__ import annotations

import pytest

from appraisal.inputs import (
    MAX_ID,
    card_number,
    clean_strings,
    clean_text,
    has_control,
    is_object_id,
)

BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
BIDI += ["\u200e", "\u200f", "\u061c"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, 1), ("1", 1), ("0042", 42), (MAX_ID, MAX_ID), (str(MAX_ID), MAX_ID)],
)
def test_a_card_number_is_ascii_digits_or_a_json_integer(value, expected):
    assert card_number(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "²",  # str.isdigit() says yes, int() says no
        "１",  # fullwidth: int() reads it as 1
        "١",  # Arabic-Indic digit one
        "9" * 4400,  # beyond int()'s limit on digits
        "9" * 11,
        2**63,  # beyond SQLite's integers
        2**31,  # beyond PostgreSQL's INTEGER
        str(2**31),
        -1,
        "-1",
        0,
        "0",
        "",
        " 1",
        "1\n",
        "+1",
        "1_0",
        "0x1",
        1.0,
        1.5,
        True,
        False,
        None,
        [1],
        {"id": 1},
        b"1",
    ],
)
def test_anything_else_is_no_card_number(value):
    assert card_number(value) is None


def test_a_card_number_may_have_a_range_of_its_own():
    assert [card_number(v, 2, 3) for v in ("1", "2", 3, "4")] == [None, 2, 3, None]


@pytest.mark.parametrize(
    "value",
    ["5a5a5a5a-0000-4000-8000-000000000001", "5A5A5A5A-0000-4000-8000-00000000000F"],
)
def test_an_object_id_is_a_guid(value):
    assert is_object_id(value)


@pytest.mark.parametrize(
    "value",
    [
        "5a5a5a5a-0000-4000-8000-0000000000010000",  # 40 characters
        "5a5a5a5a-0000-4000-8000-00000000\x0001",
        "5a5a5a5a-0000-4000-8000-000000000001\n",
        "5a5a5a5a000040008000000000000001",
        "5a5a5a5g-0000-4000-8000-000000000001",
        "",
        None,
        42,
    ],
)
def test_anything_else_is_not_an_object_id(value):
    assert not is_object_id(value)


def test_clean_text_removes_nul_and_other_controls():
    assert clean_text("a\x00b\x07c\x1bd\x7fe\x85f") == "abcdef"
    assert has_control("a\x00b") and has_control("a\tb") and not has_control("a b")
    assert has_control("a\x1bb", multiline=True) and not has_control("a\r\n\tb", multiline=True)


def test_clean_text_keeps_line_breaks_and_tabs_only_in_multiline_text():
    assert clean_text("one\r\ntwo\rthree\n\tfour", multiline=True) == "one\ntwo\nthree\n\tfour"
    assert clean_text("one\r\ntwo\tthree") == "one two three"


@pytest.mark.parametrize("mark", BIDI)
def test_clean_text_removes_every_direction_override_and_mark(mark):
    assert clean_text(f"fdp{mark}.exe", multiline=True) == "fdp.exe"


def test_clean_text_keeps_right_to_left_letters_and_joiners():
    text = "שלום עולם مرحبا بالعالم می\u200cخواهم 👩\u200d👩\u200d👧 café ÆØÅ"
    assert clean_text(text) == text


def test_clean_text_replaces_a_lone_surrogate():
    assert clean_text("a\ud800b") == "a\ufffdb"


def test_clean_strings_cleans_every_string_keys_too():
    value = {"user\x00": {"name": "Ann\x00\u202e", "n": 1, "ok": True}, "list": ["a\x00", None]}
    assert clean_strings(value) == {
        "user": {"name": "Ann", "n": 1, "ok": True},
        "list": ["a", None],
    }
    assert clean_strings({"note": "a\r\nb"}, multiline=True) == {"note": "a\nb"}
