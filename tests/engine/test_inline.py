"""Inline expressions `{python} expr` in markdown."""

from bookbuild.inline import find_inline, has_inline, substitute


def codes(text):
    return [e.code for e in find_inline(text)]


def test_finds_expressions_in_order():
    text = "Det var `{python} n` svar av `{python} f(total, 2)` mulige."
    assert codes(text) == ["n", "f(total, 2)"]


def test_substitution_replaces_whole_span():
    text = "A `{python} a` og B `{python} b`."
    exprs = find_inline(text)
    assert substitute(text, exprs, ["1", "2,5"]) == "A 1 og B 2,5."


def test_ignores_fenced_code_blocks():
    text = (
        "før `{python} x`\n\n```python\n`{python} y`\n```\n\n"
        "~~~~\n`{python} z`\n~~~~\netter `{python} w`"
    )
    assert codes(text) == ["x", "w"]


def test_unclosed_fence_hides_the_rest():
    assert codes("```\n`{python} y`\n") == []


def test_ignores_longer_backtick_spans_and_plain_code():
    text = "Skriv ``{python} x`` eller `` `{python} y` `` eller `kode`; men `{python} z`."
    assert codes(text) == ["z"]


def test_unmatched_backtick_is_literal():
    assert codes("en ` løs og `{python} v`") == []  # the lone backtick opens a span up to `{
    assert codes("`{python} v` og en løs `") == ["v"]


def test_empty_expression_and_other_languages_are_ignored():
    assert codes("`{python}` og `{r} 1+1`") == []
    assert not has_inline("ingen uttrykk her")
    assert has_inline("`{python} 1`")


def test_offsets_point_at_the_span():
    text = "xx `{python} 1 + 1` yy"
    (expr,) = find_inline(text)
    assert text[expr.start : expr.end] == "`{python} 1 + 1`"
