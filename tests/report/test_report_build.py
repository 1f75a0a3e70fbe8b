"""The real build, end to end: what a reader of the site and the PDF must find.

Expected headings and captions come from the source's table of contents (the seed text) when
it is present, else from the copy below; survey numbers come straight from data/survey.yaml.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from pypdf import PdfReader

from almreport import lint

# Copy of the numbered headings in the source's "Innhold" (seed lines 40-108), used when the
# seed text is absent. Unnumbered parts carry an empty number.
SOURCE_TOC = """\
|Forord
|Sammendrag
1|Arena – Innovasjon i nettverk
1.1|Mål og fokus
1.2|Nettverk, innovasjon og læring
2|Lettmetallmiljøet – fra konsern til klynge
2.1|Raufoss og Toten i omstilling
2.1.1|Et tradisjonelt industrimiljø
2.1.2|Internasjonalisering og fisjonering på Raufoss
2.2|Andre elementer i det regionale innovasjonssystem
2.2.1|Skoler og høgskolemiljø
2.2.2|Næringsrådet og TotAl-gruppen
2.2.3|Gjøvik kunnskapspark – regionalt innovasjonssenter
2.2.4|RTIM – forsknings- og teknologisenter
2.2.5|Det offentlige og virkemiddelapparatet
2.3|Transformasjon og behov for samspill
3|Forprosjekt – Arena Lettmetall
3.1|Innovasjon Innlandet
3.2|Et forprosjekt mot lettmetallindustrien
3.2.1|Initiativ og organisering
3.2.2|Fokus og aktiviteter
3.2.3|Erfaringer
4|Arena Lettmetall – hovedprosjekt
4.1|Evaluering av hovedprosjektet – data og metode
4.2|Søknad og organisering
4.2.1|Hovedprosjektsøknad
4.2.2|Organisering
4.3|Mål og aktiviteter
4.4|Delmål og resultater
4.4.1|TotAl-gruppen
4.4.2|RISC-inkubatoren
4.4.3|Nordic Aluminium Academy
4.4.4|FoU
4.4.5|Kommersialisering
4.4.6|Funding
4.4.7|Informasjon og samfunnskontakt
4.4.8|Intraprenørskap
4.4.9|Skandinavisk samarbeid
4.4.10|Oppsummering rundt delmålene og faser i utvikling
4.5|Hovedmål, hensikt og resultater
4.5.1|Organisering
4.5.2|Samspill
4.5.3|Kompetanse
4.5.4|Kommunikasjon
4.6|Samlet vurdering av resultater
5|Krise, suksessfaktorer og læring
5.1|Ekstern krise og interne utfordringer
5.2|Mulige suksessfaktorer
5.3|Samspill, forsterking og mobilisering
5.4|Understøttende og kompletterende
|Litteratur
Vedlegg 1|Spørreskjema
"""
# Copy of the source's "Tabelloversikt" and "Figuroversikt" (seed lines 116-136).
SOURCE_CAPTIONS = {
    "Tabell 4.1": "Hvor godt vurderes oppnåelsen av de enkelte delmål",
    "Tabell 4.2": "Hvor godt vurderes oppnåelsen av mål og hensikt og innretning på prosjektet",
    "Tabell 4.3": "Hvor godt vurderes organisering av prosjektet",
    "Tabell 4.4": "Samspillseffekter",
    "Tabell 4.5": "Kompetanseutvikling og læring",
    "Tabell 4.6": "Ekstern kommunikasjon",
    "Figur 2.1": "Faser i industriutviklingen i Gjøvik/Toten-regionen",
    "Figur 2.2": "Fra RA via industripark til en dynamisk klynge?",
    "Figur 2.3": "Hvordan skape en dynamisk lettmetallklynge?",
}
FIGURE_LABELS = ["fig-industrifaser", "fig-ra-til-klynge", "fig-dynamisk-klynge"]
TABLE_LABELS = ["tbl-delmal", "tbl-mal-hensikt", "tbl-organisering", "tbl-samspill",
                "tbl-kompetanse", "tbl-kommunikasjon"]
_LEADER = re.compile(r"\s*\.{2,}\s*\d+\s*$")  # "Mål og fokus ......13"


def squash(text: str) -> str:
    return " ".join(text.replace("\u00ad", "").split())


# --- expected values from the source -------------------------------------------------------


def toc_from_seed(seed: str) -> list[tuple[str, str]]:
    """(number, title) of the source's Innhold, from "Forord" to "Vedlegg 1 Spørreskjema"."""
    lines = seed.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "Innhold")
    entries = []
    for line in lines[start + 1:]:
        if not _LEADER.search(line):
            continue
        title = _LEADER.sub("", line).strip()
        if title in ("Tabelloversikt", "Figuroversikt"):
            continue  # generated lists, not sections
        number, _, rest = title.partition(" ")
        if re.fullmatch(r"\d+(\.\d+)*", number):
            entries.append((number, rest.strip()))
        elif title.startswith("Vedlegg "):
            entries.append((" ".join(title.split()[:2]), " ".join(title.split()[2:])))
            break
        else:
            entries.append(("", title))
    return entries


def captions_from_seed(seed: str) -> dict[str, str]:
    """Tabelloversikt/Figuroversikt entries, wrapped lines joined, leaders removed."""
    found: dict[str, str] = {}
    current = None
    block = seed[seed.index("Tabelloversikt \n"):seed.index("Sammendrag \n", seed.index(
        "Figuroversikt \n"))]
    for line in block.splitlines():
        if match := re.match(r"\s*((?:Tabell|Figur) \d+\.\d+)\s+(.*)", line):
            current = match.group(1)
            found[current] = match.group(2)
        elif current and line.strip() and not line.strip().isdigit() and "NIBR" not in line:
            found[current] += " " + line.strip()
        if current and _LEADER.search(found[current]):
            found[current] = _LEADER.sub("", found[current]).strip()
            current = None
    return {number: squash(title) for number, title in found.items()}


@pytest.fixture(scope="module")
def source_toc(request: pytest.FixtureRequest) -> list[tuple[str, str]]:
    try:
        seed = request.getfixturevalue("seed_text")
    except pytest.skip.Exception:
        seed = None
    expected = [tuple(line.split("|", 1)) for line in SOURCE_TOC.splitlines()]
    if seed is not None:
        parsed = toc_from_seed(seed)
        assert parsed == expected, "the embedded copy of the source TOC is out of date"
    return expected


@pytest.fixture(scope="module")
def source_captions(request: pytest.FixtureRequest) -> dict[str, str]:
    try:
        seed = request.getfixturevalue("seed_text")
    except pytest.skip.Exception:
        return SOURCE_CAPTIONS
    parsed = captions_from_seed(seed)
    assert parsed == SOURCE_CAPTIONS, "the embedded copy of the source captions is out of date"
    return parsed


# --- the built report ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def pages(built_book) -> list[BeautifulSoup]:
    return [BeautifulSoup(p.read_text(encoding="utf-8"), "html.parser")
            for p in built_book.result.pages]


@pytest.fixture(scope="module")
def pdf_body(built_book) -> str:
    """The PDF's text from the Forord on, without the pages of the contents and the lists of
    tables and figures (they repeat every heading and caption)."""
    texts = [page.extract_text() or "" for page in PdfReader(built_book.result.pdf).pages]
    first = next(i for i, t in enumerate(texts) if t.lstrip().startswith("Forord"))
    return squash(" ".join(t for t in texts[first:] if not _is_outline_page(t)))


def _is_outline_page(text: str) -> bool:
    """A page of the contents or a list: most lines end in a dot leader and a page number."""
    lines = [line for line in text.splitlines() if line.strip()]
    leaders = [line for line in lines if re.search(r"(\. ){3,}.*\d+\s*$", line)]
    return len(leaders) > len(lines) / 2


def headings(page: BeautifulSoup) -> list[str]:
    main = page.find("main") or page
    return [squash(h.get_text(" ")) for h in main.find_all(re.compile(r"^h[1-6]$"))
            if h.get("id") != "bb-toc-title"]


def in_order(needles: list[str], haystack: list[str] | str) -> list[str]:
    """The needles not found in order: each must come after the previous one."""
    missing, pos = [], 0
    for needle in needles:
        if isinstance(haystack, str):
            found = haystack.find(needle, pos)
            ok = found >= 0
            pos = found + len(needle) if ok else pos
        else:
            idx = next((i for i in range(pos, len(haystack)) if haystack[i] == needle), -1)
            ok = idx >= 0
            pos = idx + 1 if ok else pos
        if not ok:
            missing.append(needle)
    return missing


def test_html_has_every_source_heading_in_order(pages, source_toc) -> None:
    shown = [h for page in pages for h in headings(page)]
    expected = [squash(f"{n} {t}") for n, t in source_toc]
    assert in_order(expected, shown) == []


def test_pdf_has_every_source_heading_in_order(pdf_body, source_toc) -> None:
    expected = [squash(f"{n} {t}") for n, t in source_toc]
    assert in_order(expected, pdf_body) == []


def test_captions_carry_the_source_titles(pages, pdf_body, source_captions) -> None:
    html = squash(" ".join(p.get_text(" ") for p in pages))
    for number, title in source_captions.items():
        pattern = re.escape(number) + r":?\s+" + re.escape(squash(title))
        assert re.search(pattern, html), f"HTML lacks '{number} {title}'"
        assert re.search(pattern, pdf_body), f"PDF lacks '{number} {title}'"


def test_reference_list_has_an_entry_per_cited_work(built_book, project_root) -> None:
    cited = {key for nb in lint.book_notebooks(project_root)
             for cell in lint.read_cells(project_root, nb)
             for text in lint._texts(cell)
             for key in lint._CITE_RE.findall(text)
             if not re.match(r"(fig|tbl|sec)-", key)}
    assert cited, "the report cites works"
    aliases = _bib_aliases(project_root / "references.bib")
    page = BeautifulSoup((built_book.book / "chapters" / "litteratur.html").read_text(
        encoding="utf-8"), "html.parser")
    entries = {div["id"].removeprefix("ref-") for div in page.select("[id^=ref-]")}
    assert {aliases.get(key, key) for key in cited} - entries == set()


def _bib_aliases(bib: Path) -> dict[str, str]:
    """BibLaTeX `ids` alias -> main key."""
    aliases = {}
    for entry in re.split(r"\n(?=@)", bib.read_text(encoding="utf-8")):
        key = re.match(r"@\w+\{([^,\s]+),", entry.strip())
        ids = re.search(r"^\s*ids\s*=\s*\{([^}]*)\}", entry, re.M)
        if key and ids:
            aliases.update({a.strip(): key.group(1) for a in ids.group(1).split(",")})
    return aliases


def test_questionnaire_page_has_every_question(built_book, project_root) -> None:
    survey = yaml.safe_load((project_root / "data" / "survey.yaml").read_text(encoding="utf-8"))
    page = built_book.book / "chapters" / "vedlegg-1-sporreskjema.html"
    text = squash(BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").get_text(" "))
    wordings = [item["wording"] for block in survey["blocks"] for item in block["items"]]
    assert len(wordings) > 20
    assert [w for w in wordings if squash(w) not in text] == []


def test_every_page_is_norwegian_with_search_and_pdf_link(built_book, pages) -> None:
    for path, page in zip(built_book.result.pages, pages, strict=True):
        assert page.html.get("lang") == "nb", path.name
        assert page.find(id="search") is not None, path.name
        link = page.find("a", string=re.compile(r"^\s*Last ned PDF\s*$"))
        assert link is not None, path.name
        assert (path.parent / link["href"]).resolve() == built_book.result.pdf.resolve()
    assert built_book.result.pdf.stat().st_size > 0


@pytest.mark.parametrize("label", FIGURE_LABELS + TABLE_LABELS)
def test_figure_files_exist(built_book, label: str) -> None:
    for folder in (built_book.root / "figures", built_book.book / "figures"):
        for suffix in (".svg", ".png"):
            path = folder / f"{label}{suffix}"
            assert path.is_file() and path.stat().st_size > 0, path


@pytest.mark.parametrize("label", TABLE_LABELS)
def test_table_csv_counts_equal_the_survey_data(built_book, label: str) -> None:
    survey = yaml.safe_load((built_book.root / "data" / "survey.yaml").read_text(encoding="utf-8"))
    block = next(b for b in survey["blocks"] if f"tbl-{b['id']}" == label)
    scale = {s["label"]: s["id"] for s in survey["scale"]}
    rows = read_csv(built_book.book / "data" / "tables" / f"{label}.csv")
    assert [row["Nr."] for row in rows] == [str(item["id"]) for item in block["items"]]
    for row, item in zip(rows, block["items"], strict=True):
        shown = {scale[col.removesuffix(" (antall)")]: int(value)
                 for col, value in row.items() if col.endswith(" (antall)")}
        assert shown == item["counts"], item["id"]


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def test_split_conversions_equal_whole_book(built_book, tmp_path: Path) -> None:
    """On the real report: per-chapter Typst and citations-only citeproc give exactly what one
    pandoc call over the whole book gives (footnotes, labels, raw blocks, the reference list)."""
    from splitcheck import assert_split_conversions_match

    from bookbuild.execute import execute_book
    from bookbuild.project import load_project

    project = load_project(built_book.root)
    assert_split_conversions_match(project, execute_book(project), tmp_path / "typst")
