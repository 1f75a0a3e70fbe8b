"""After assembly, conversions are split per section (Typst) or chapter (HTML) or cut down
(citeproc) and kept in the build folder by content: the output must equal the one-call,
uncached conversion, a changed part is converted again, an unchanged one is not, a damaged
entry is ignored."""

from __future__ import annotations

from pathlib import Path

import pytest
from splitcheck import citeproc_both_ways, split_typst, whole_book_typst

from bookbuild import citations, html, pandoc, typst
from bookbuild.assemble import Book, assemble_book
from bookbuild.execute import ExecutedChapter
from bookbuild.project import ChapterRef, Project, builtin_language

BIB = """@book{hansen2001a,
  author = {Hansen, Per}, title = {Regional utvikling}, publisher = {Forlaget}, year = {2001}
}
@book{hansen2001b,
  author = {Hansen, Per}, title = {Klynger i Norge}, publisher = {Forlaget}, year = {2001}
}
@article{berg1999,
  author = {Berg, Anne}, title = {Klynger og innovasjon}, journal = {Plan}, year = {1999}
}
@misc{ukjent2005, author = {Olsen, Kari}, title = {Notat}, year = {2005}}
"""

# Chapters that end and start with every kind of block whose spacing pandoc decides.
CHAPTERS = {
    "index.ipynb": "# Forord {.unnumbered}\n\nSom @hansen2001a viser [se også @berg1999, s. 4; "
                   "-@hansen2001b].[^n]\n\n[^n]: Jf. @hansen2001a og [@hansen2001b].\n\n"
                   "```{=typst}\n#pagebreak()\n```\n",
    "chapters/a.ipynb": "# Analyse\n\n- punkt en\n- punkt to\n\n1. a\n2. b\n",
    "chapters/b.ipynb": "Tekst uten overskrift først.\n\n::: {#boks .merknad}\nI en boks "
                        "[@berg1999].\n:::\n",
    "chapters/tom.ipynb": "",
    "chapters/c.ipynb": "# Tall\n\n| År | Antall |\n|----|--------|\n| 2005 | 12 |\n\n"
                        ": Antall {#tbl-tall}\n\n```\nkode\n```\n",
    "chapters/d.ipynb": "> Sitat med fotnote.[^1]\n\n[^1]: Fotnote.\n\n---\n\nSlutt.\n",
    "chapters/litteratur.ipynb": "---\nnocite: |\n  @ukjent2005\n---\n\n"
                                 "# Litteratur {.unnumbered}\n\n::: {#refs}\n:::\n",
}


def make_project(root: Path, chapters: dict[str, str]) -> tuple[Project, list[ExecutedChapter]]:
    root.mkdir(parents=True, exist_ok=True)
    if not (root / "references.bib").exists():
        (root / "references.bib").write_text(BIB, encoding="utf-8")
    refs = [ChapterRef(Path(p), False, Path(p).with_suffix(".html").as_posix())
            for p in chapters]
    project = Project(
        root=root, raw={}, title="Bok", subtitle=None, author="", date=None, publisher=None,
        lang="nb", language=builtin_language("nb"), chapters=refs,
        bibliography=root / "references.bib", execute={}, formats={"typst": {"toc": True}},
        output_dir=root / "_book", build_dir=root / "_build",
    )
    return project, [ExecutedChapter(r, chapters[r.path.as_posix()], [], [], False)
                     for r in refs]


def make_book(root: Path, chapters: dict[str, str] = CHAPTERS) -> Book:
    return assemble_book(*make_project(root, chapters))


@pytest.fixture
def pandoc_calls(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Arguments of every pandoc run made through the writers and citeproc."""
    calls: list[list[str]] = []
    real = pandoc.run

    def counting(args: list[str], stdin: str, **kwargs) -> pandoc.PandocResult:
        calls.append(args)
        return real(args, stdin, **kwargs)

    monkeypatch.setattr(typst, "run", counting)
    monkeypatch.setattr(citations, "run", counting)
    monkeypatch.setattr(pandoc, "run", counting)
    return calls


def test_typst_per_chapter_equals_whole_book(tmp_path: Path) -> None:
    book = make_book(tmp_path)
    whole = whole_book_typst(book)
    assert "#pagebreak()" in whole and "<boks>" in whole and "#footnote" in whole
    assert split_typst(book, tmp_path / "store") == whole
    assert split_typst(book, tmp_path / "store") == whole  # from the store


def test_typst_only_changed_section_is_converted(tmp_path: Path, monkeypatch) -> None:
    inputs: list[str] = []
    real = typst.run

    def recording(args: list[str], stdin: str, **kwargs) -> pandoc.PandocResult:
        inputs.append(stdin)
        return real(args, stdin, **kwargs)

    monkeypatch.setattr(typst, "run", recording)
    store = tmp_path / "store"
    chapters = {**CHAPTERS, "chapters/e.ipynb": "# Første\n\nEn.\n\n## Andre\n\nTo.\n"}
    split_typst(make_book(tmp_path / "one", chapters), store)
    assert 1 <= len(inputs) <= 2  # every section in one run, or two when there are many
    entries = set(store.iterdir())
    inputs.clear()
    edited = {**chapters, "chapters/e.ipynb": chapters["chapters/e.ipynb"].replace("To", "Tre")}
    book = make_book(tmp_path / "two", edited)
    text = split_typst(book, store)
    assert len(inputs) == 1
    assert '"Tre."' in inputs[0] and '"En."' not in inputs[0] and "Analyse" not in inputs[0]
    assert "Tre." in text and "To." not in text
    assert text == whole_book_typst(book)
    assert len(set(store.iterdir()) - entries) == 1  # the old entry of the section was pruned
    assert len(list(store.iterdir())) == len(entries)


def test_typst_of_a_text_that_shows_the_sentinel_equals_whole_book(tmp_path: Path) -> None:
    shown = f"# Kode\n\n```\n{typst.SENTINEL}\n```\n\n# Etter\n\nTekst.\n"
    book = make_book(tmp_path, {**CHAPTERS, "chapters/e.ipynb": shown})
    assert split_typst(book, tmp_path / "store") == whole_book_typst(book)


def test_typst_damaged_entry_is_ignored(tmp_path: Path, pandoc_calls) -> None:
    book = make_book(tmp_path)
    store = tmp_path / "store"
    expected = split_typst(book, store)
    victim = sorted(store.iterdir())[0]
    data = victim.read_bytes()
    victim.write_bytes(data[: len(data) // 2])  # truncated
    pandoc_calls.clear()
    assert split_typst(book, store) == expected
    assert len(pandoc_calls) == 1


def test_citeproc_on_citations_only_equals_whole_book(tmp_path: Path) -> None:
    project, executed = make_project(tmp_path, CHAPTERS)
    from splitcheck import assembled_without_citations

    pairs = assembled_without_citations(project, executed)
    split, whole = citeproc_both_ways(project, pairs)
    assert "2001a" in split and "2001b" in split and "ref-ukjent2005" in split
    assert split == whole


def test_citeproc_result_reused_until_bibliography_changes(tmp_path: Path,
                                                           pandoc_calls) -> None:
    first = make_book(tmp_path)
    runs = sum("--citeproc" in c for c in pandoc_calls)
    assert runs == 1
    again = make_book(tmp_path)
    assert sum("--citeproc" in c for c in pandoc_calls) == runs  # from _build/citeproc
    assert [c.ast for c in again.chapters] == [c.ast for c in first.chapters]
    bib = tmp_path / "references.bib"
    bib.write_text(bib.read_text(encoding="utf-8").replace("Notat", "Arbeidsnotat"), "utf-8")
    changed = make_book(tmp_path)
    assert sum("--citeproc" in c for c in pandoc_calls) == runs + 1
    assert "Arbeidsnotat" in str(changed.chapters[-1].ast)
    assert len(list((tmp_path / "_build" / "citeproc").iterdir())) == 1


def test_html_pages_reused_and_equal_to_uncached(tmp_path: Path, pandoc_calls) -> None:
    book = make_book(tmp_path)
    html.write_site(book, tmp_path / "site1", None)
    pandoc_calls.clear()
    html.write_site(book, tmp_path / "site2", None)
    assert pandoc_calls == []
    for chapter in book.chapters:
        first = (tmp_path / "site1" / chapter.ref.href).read_bytes()
        assert (tmp_path / "site2" / chapter.ref.href).read_bytes() == first
    edited = {**CHAPTERS, "chapters/a.ipynb": CHAPTERS["chapters/a.ipynb"].replace("en", "én")}
    book = make_book(tmp_path, edited)
    pandoc_calls.clear()
    html.write_site(book, tmp_path / "site3", None)
    assert len([c for c in pandoc_calls if "html5" in c]) == 1
    assert "punkt én" in (tmp_path / "site3" / "chapters/a.html").read_text(encoding="utf-8")
