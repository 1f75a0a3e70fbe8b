"""The engine's fast JSON (orjson) must mean what the standard library's JSON means: the same
data back, and text pandoc and the caches read the same way."""

import json

from hypothesis import given
from hypothesis import strategies as st

from bookbuild import jsontext

# JSON-like data as pandoc ASTs and memo entries hold it (no NaN: JSON has none).
scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text() | \
    st.floats(allow_nan=False, allow_infinity=False)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20)


@given(values)
def test_round_trip_gives_the_same_data(value):
    assert jsontext.loads(jsontext.dumps(value)) == value


@given(values)
def test_the_standard_library_reads_the_same_data(value):
    assert json.loads(jsontext.dumps(value)) == value
    assert jsontext.loads(json.dumps(value)) == value


def test_non_string_keys_become_strings_as_json_does():
    value = {1: "a", 2.5: "b", None: "c", False: "d"}
    assert jsontext.loads(jsontext.dumps(value)) == json.loads(json.dumps(value))


def test_text_keeps_characters_and_reads_from_bytes():
    ast = {"t": "Str", "c": "Spørreundersøkelsen – «svært stor» grad\u2028"}
    text = jsontext.dumps(ast)
    assert "ø" in text and "«" in text  # UTF-8 characters as they are, not \u escapes
    assert jsontext.loads(text.encode("utf-8")) == ast
