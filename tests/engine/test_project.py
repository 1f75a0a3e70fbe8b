"""Loading _quarto.yml and [tool.bookbuild]."""

from pathlib import Path

import pytest

from bookbuild.errors import BuildError
from bookbuild.project import load_project

CONFIG = """\
project:
  type: book
  output-dir: ut
book:
  title: "En bok"
  subtitle: "Undertittel"
  author: "Forfatter"
  date: "2007-03"
  publisher: "Forlag"
  chapters:
    - index.ipynb
    - part: "Del 1"
      chapters:
        - kap/01-a.ipynb
  appendices:
    - kap/vedlegg.ipynb
lang: {lang}
language:
  crossref-ch-prefix: "Kapittel"
bibliography: refs.bib
execute:
  echo: false
format:
  html:
    toc: true
"""


def make_book(root: Path, lang: str = "nb", config: str | None = None) -> Path:
    (root / "kap").mkdir(parents=True, exist_ok=True)
    for name in ("index.ipynb", "kap/01-a.ipynb", "kap/vedlegg.ipynb"):
        (root / name).write_text("{}", encoding="utf-8")
    (root / "_quarto.yml").write_text(config or CONFIG.format(lang=lang), encoding="utf-8")
    return root


def test_loads_metadata_chapters_and_paths(tmp_path):
    project = load_project(make_book(tmp_path))
    assert project.root == tmp_path.resolve()
    assert (project.title, project.subtitle, project.author) == (
        "En bok",
        "Undertittel",
        "Forfatter",
    )
    assert (project.date, project.publisher, project.lang) == ("2007-03", "Forlag", "nb")
    assert [c.path.as_posix() for c in project.chapters] == [
        "index.ipynb",
        "kap/01-a.ipynb",
        "kap/vedlegg.ipynb",
    ]
    assert [c.appendix for c in project.chapters] == [False, False, True]
    assert [c.href for c in project.chapters] == ["index.html", "kap/01-a.html", "kap/vedlegg.html"]
    assert project.output_dir == tmp_path.resolve() / "ut"
    assert project.build_dir == tmp_path.resolve() / "_build"
    assert project.bibliography == tmp_path.resolve() / "refs.bib"
    assert project.execute == {"echo": False}
    assert project.formats["html"] == {"toc": True}
    assert project.engine == {}


def test_norwegian_defaults_with_overrides(tmp_path):
    language = load_project(make_book(tmp_path)).language
    assert language["crossref-ch-prefix"] == "Kapittel"  # override wins
    assert language["crossref-fig-title"] == "Figur"
    assert language["crossref-tbl-title"] == "Tabell"
    assert language["crossref-apx-prefix"] == "Bilag"
    assert language["crossref-lof-title"] == "Figuroversikt"
    assert language["toc-title-document"] == "Innholdsfortegnelse"
    assert language["section-title-references"] == "Referanser"


def test_english_defaults_for_other_languages(tmp_path):
    language = load_project(make_book(tmp_path, lang="en")).language
    assert language["crossref-fig-title"] == "Figure"
    assert language["crossref-apx-prefix"] == "Appendix"
    assert language["crossref-ch-prefix"] == "Kapittel"


def test_engine_settings_from_pyproject(tmp_path):
    make_book(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.bookbuild]\ncheck = "pkg.check:run"\ntimeout = 30\n'
    )
    assert load_project(tmp_path).engine == {"check": "pkg.check:run", "timeout": 30}


def test_bad_yaml_reports_file_and_line(tmp_path):
    bad = 'book:\n  title: "x"\n  chapters: [index.ipynb\nlang: nb\n'
    make_book(tmp_path, config=bad)
    with pytest.raises(BuildError, match=r"^_quarto\.yml:4: "):
        load_project(tmp_path)


def test_missing_chapter_is_named(tmp_path):
    make_book(tmp_path)
    (tmp_path / "kap" / "01-a.ipynb").unlink()
    with pytest.raises(BuildError, match=r"_quarto\.yml:14: .*kap/01-a\.ipynb"):
        load_project(tmp_path)
