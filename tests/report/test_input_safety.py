"""YAML is only loaded safely, and nothing a record or the config says reaches outside the
project."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from buildcheck import bookbuild

from almreport.loader import RecordError, load_yaml
from almreport.records import LazyRecords
from bookbuild.errors import BuildError
from bookbuild.project import load_project

ROOT = Path(__file__).resolve().parents[2]
UNSAFE = re.compile(r"yaml\.(load|load_all|unsafe_load|full_load)\s*\(|Loader\s*=\s*yaml\.(Loader|"
                    r"FullLoader|UnsafeLoader)|yaml\.(UnsafeLoader|FullLoader)\b")
EXPLOIT = "x: !!python/object/apply:os.system ['touch {marker}']\n"


def sources() -> list[Path]:
    folders = [ROOT / "src", ROOT / "chapters", ROOT / "tests"]
    return [p for f in folders for p in f.rglob("*") if p.suffix in (".py", ".ipynb")]


def test_no_unsafe_yaml_loading_in_the_source():
    offenders = [f"{p.relative_to(ROOT)}: {m.group()}" for p in sources()
                 if p.name != Path(__file__).name
                 for m in UNSAFE.finditer(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_python_tag_in_a_record_is_refused(tmp_path: Path):
    marker = tmp_path / "pwned"
    record = tmp_path / "data.yaml"
    record.write_text(EXPLOIT.format(marker=marker), encoding="utf-8")
    with pytest.raises(RecordError, match="tag not allowed"):
        load_yaml(record, root=tmp_path)
    assert not marker.exists()


def test_python_tag_in_the_book_config_is_refused(tmp_path: Path):
    marker = tmp_path / "pwned"
    (tmp_path / "_quarto.yml").write_text(EXPLOIT.format(marker=marker), encoding="utf-8")
    run = bookbuild(tmp_path, "build")
    assert run.code == 1 and run.err.startswith("Feil: _quarto.yml:1: invalid YAML")
    assert "Traceback" not in run.text
    assert not marker.exists()


def test_records_hold_no_paths():
    """No record field names a file: records cannot point the build at other files."""
    names = set()
    for schema in (ROOT / "schemas").glob("*.json"):
        names |= set(re.findall(r'"([a-z_]+)":\s*\{', schema.read_text(encoding="utf-8")))
    assert not {n for n in names if re.search(r"path|file|dir|src|href|url|image", n)}


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/passwd", "total/../../x"])
def test_a_subproject_id_is_never_a_path(tmp_path: Path, name: str):
    with pytest.raises(KeyError):
        LazyRecords(ROOT).subproject(name)


@pytest.mark.parametrize("pattern", ["../hemmelig.txt", "/etc/passwd", "data/../../x"])
def test_resources_outside_the_project_are_refused(tmp_path: Path, pattern: str):
    (tmp_path / "_quarto.yml").write_text(
        f"project:\n  type: book\n  resources: ['{pattern}']\n", encoding="utf-8")
    with pytest.raises(BuildError, match="must be a path inside the project"):
        load_project(tmp_path)


def test_a_symlink_out_of_the_project_is_not_published(tmp_path: Path):
    outside = tmp_path / "hemmelig.txt"
    outside.write_text("hemmelig", encoding="utf-8")
    root = tmp_path / "bok"
    shutil.copytree(ROOT / "tests/engine/fixtures/minibook", root)
    (root / "data/lenke.csv").symlink_to(outside)
    config = root / "_quarto.yml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "  output-dir: _book\n", "  output-dir: _book\n  resources: ['data/*.csv']\n"), "utf-8")
    run = bookbuild(root, "build", "--html-only")
    assert run.code == 0, run.text
    assert not (root / "_book/data/lenke.csv").exists()
