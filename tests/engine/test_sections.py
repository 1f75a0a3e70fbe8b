"""Parsing a chapter section by section (bookbuild.sections, through assemble.parse_cached)
must give exactly the AST pandoc makes of the whole text, whatever the text holds, and read
only the sections an edit changed."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookbuild import pandoc, sections
from bookbuild.assemble import SECTIONS, parse_cached


def whole(markdown: str) -> dict:
    return pandoc.markdown_to_ast(markdown)


def parsed(markdown: str, store: Path) -> dict:
    return parse_cached(markdown, store, what="kapittel")


# Pieces of chapters, including everything pandoc reads across a whole text.
TEXTS = ["Mål", "Organisering", "Resultater", "Mål og hensikt"]
headers = st.builds(
    lambda level, text, ident: f"{'#' * level} {text}" + (f" {{#{ident}}}" if ident else ""),
    st.integers(1, 3), st.sampled_from(TEXTS),
    st.sampled_from([None, None, "resultater", "mal-1", "sec-org", "sec-mal"]))
PIECES = [
    "Tekst med kilde [@dahl2006] og mer.",
    "Se @sec-mal og [-@sec-org; @nibr2007, s. 3].",
    "En merknad^[med kilde [@dahl2006]] her.",
    "En fotnote[^a] her.",
    "[^a]: Fotnoten, med [@nibr2007].",
    "Se [Organisering] og [Mål][].",
    "En [lenke][ref] her.",
    "[ref]: https://example.org/side",
    "Klammer [slik] i teksten.",
    "(@) Et eksempel.\n(@neste) Et til.",
    "Som i (@neste).",
    "```\n# ikke en overskrift\n```",
    "::: {.boks}\n# Overskrift i en boks\n\nTekst.\n:::",
    "- et punkt\n- et punkt til [@dahl2006]",
    "| a | b |\n|---|---|\n| 1 | 2 |\n\n: Tabell {#tbl-x}",
    "---\ntitle: metadata\n---",
    "<div>\n\n# Overskrift i HTML\n\n</div>",
    "$$\nx = 1\n$$",
    "\\newcommand{\\tre}{3}\n\nMatte $\\tre$.",
    "Vanlig avsnitt uten noe spesielt.",
    "![Figur](figures/a.svg){#fig-a}",
    "[Lenke til Mål](#sec-mal)",
]
bodies = st.lists(st.sampled_from(PIECES), max_size=4).map("\n\n".join)
chapters = st.lists(st.tuples(headers, bodies), min_size=1, max_size=5)


def text_of(parts: list[tuple[str, str]], lead: str = "Innledende tekst [@dahl2006].") -> str:
    return "\n\n".join([lead, *(f"{h}\n\n{b}" for h, b in parts)]) + "\n"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chapters, st.data())
def test_any_text_and_any_edit_of_it_parse_as_the_whole_text(parts, data):
    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder)
        first = text_of(parts)
        assert parsed(first, store) == whole(first)
        # An edit of one section, read with the first text's sections stored.
        i = data.draw(st.integers(0, len(parts) - 1))
        parts[i] = (data.draw(headers), data.draw(bodies))
        second = text_of(parts, lead=data.draw(st.sampled_from(
            ["Innledende tekst [@dahl2006].", "Innledning^[En merknad.] uten kilde."])))
        assert parsed(second, store) == whole(second)


PLAIN = text_of([
    ("# Mål {#sec-mal}", "Målet [@dahl2006] var klart^[Se også [@nibr2007]].\n\nMer tekst."),
    ("## Organisering {#sec-org}", "Styret [@nibr2007] møttes.\n\n| a | b |\n|---|---|\n| 1 | 2 |"),
    ("## Resultater", "Se @sec-mal. Resultatet ble 15 [@dahl2006]."),
])


def test_an_edit_has_pandoc_read_only_the_section_it_changed(monkeypatch, tmp_path):
    read: list[str] = []
    real = sections.markdown_to_ast

    def recording(text: str, **kwargs) -> dict:
        read.append(text)
        return real(text, **kwargs)

    monkeypatch.setattr(sections, "markdown_to_ast", recording)
    assert parsed(PLAIN, tmp_path) == whole(PLAIN)
    read.clear()
    edited = PLAIN.replace("Resultatet ble 15", "Resultatet ble 16")
    assert parsed(edited, tmp_path) == whole(edited)
    assert len(read) == 1
    assert "Resultatet ble 16" in read[0]
    assert "Målet" not in read[0] and "Styret" not in read[0]


def test_a_citation_added_early_renumbers_the_notes_of_the_sections_after_it(tmp_path):
    parsed(PLAIN, tmp_path)
    edited = PLAIN.replace("Mer tekst.", "Mer tekst [@nibr2007] og^[en merknad].")
    doc = parsed(edited, tmp_path)
    assert doc == whole(edited)
    numbers = [c["citationNoteNum"] for e in pandoc.iter_elements(doc["blocks"])
               if e["t"] == "Cite" for c in e["c"][0]]
    assert numbers == sorted(numbers) and numbers[-1] == 8  # sections read before: 6


BASE = text_of([("# Mål", "[^a]: Fotnoten.\n\nTekst[^a]."), ("# Organisering", "Tekst.")])
ADDED = [  # sections added to BASE one by one, with what pandoc reads across a whole text
    ("# Tillegg\n\nSe [Organisering].",),  # a header in another section
    ("# Organisering {#sec-annen}\n\nSe [Organisering].",),  # pandoc links the first one
    ("# Tillegg\n\nFotnoten[^a] står her.",),  # defined in another section
    ("# Mål\n\nSamme tekst, så pandoc gir den identifikatoren mal-1.",),
    ("# T1\n\n(@) Et eksempel.", "# T2\n\n(@) Et eksempel til."),  # numbered across the text
    ("# T1\n\nEn [lenke][ref].\n\n[ref]: /a", "# T2\n\nEn [lenke][ref].\n\n[ref]: /b"),
    ("# T1\n\nTekst[^b].\n\n[^b]: En.", "# T2\n\nTekst[^b].\n\n[^b]: To."),
    ("# T1\n\n\\newcommand{\\tre}{3}", "# T2\n\nMatte $\\tre$."),  # a macro
    ("# Tillegg\n\n---\ntitle: Metadata\n---",),
    ("# Tillegg\n\n<!--\n\n# I en kommentar\n\n-->",),
    ("# Tillegg\n\n\\begin{minipage}\n\n# I et TeX-miljø\n\n\\end{minipage}",),
    ("# Tillegg\n\n```\n\n# I en kodeblokk\n```",),
    ("# Tillegg\n\n::: {.boks}\n\n# I en boks\n\nTekst.\n:::",),
]
CHANGED = [  # (section before, after, another section): the other one read the first
    ("# Mål\n\n[^a]: Fotnoten.", "# Mål\n\n[^a]: En annen fotnote.", "# T\n\nFotnoten[^a]."),
    ("# Mål\n\nTekst.", "# Mål og hensikt\n\nTekst.", "# T\n\nSe [Mål]."),
    ("# Mål\n\nTekst.", "# Mål og hensikt\n\nTekst.", "# Mål\n\nEn til."),
]


@pytest.mark.parametrize("added", ADDED)
def test_what_pandoc_reads_across_sections_gives_the_whole_texts_ast(added, tmp_path):
    text = BASE
    parsed(text, tmp_path)
    for section in added:
        text += f"\n{section}\n"
        assert parsed(text, tmp_path) == whole(text)


@pytest.mark.parametrize(("before", "after", "rest"), CHANGED)
def test_a_section_that_read_another_is_not_kept_from_before_that_one_changed(
        before, after, rest, tmp_path):
    first, second = f"{before}\n\n{rest}\n", f"{after}\n\n{rest}\n"
    assert parsed(first, tmp_path) == whole(first)
    assert parsed(second, tmp_path) == whole(second)


def test_the_store_keeps_only_the_sections_of_the_current_text(tmp_path):
    from bookbuild.assemble import _parse_all

    class Chapter:
        def __init__(self, markdown: str) -> None:
            self.markdown = markdown
            self.ref = type("Ref", (), {"path": Path("kapittel.ipynb")})()

    _parse_all([Chapter(PLAIN)], tmp_path)
    first = {p.name for p in (tmp_path / SECTIONS).iterdir()}
    _parse_all([Chapter(PLAIN.replace("Resultatet ble 15", "Resultatet ble 16"))], tmp_path)
    second = {p.name for p in (tmp_path / SECTIONS).iterdir()}
    assert len(first) == len(second) == 4  # the lead and three sections
    assert len(first - second) == 1 and len(second - first) == 1
