"""PNG twins of SVG figures, drawn from the SVG by Typst's renderer (resvg) in the build.

Kernels display figures as SVG only: having matplotlib draw every figure a second time as PNG
costs more than the rest of a chart. The PNG is kept under the SVG's content hash, so an
unchanged figure is never drawn again.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path

from bookbuild.errors import BuildError
from bookbuild.nbmarkdown import write_if_changed

PPI = 144.0  # twice the SVG's 72 pt per inch: the size matplotlib's retina PNGs have
_PAGE = "#set page(width: auto, height: auto, margin: 0pt, fill: white)\n#image(\"figure.svg\")\n"


def ensure_png_twins(figures: list[Path], store: Path) -> None:
    """Give every SVG in `figures` a PNG next to it with the same name."""
    for svg in figures:
        if svg.suffix == ".svg" and svg.is_file():
            write_if_changed(svg.with_suffix(".png"), png_of(svg.read_bytes(), store))


def prune(figures: list[Path], store: Path) -> None:
    """Forget the PNGs of SVGs no chapter shows any more (the store stays as small as the book)."""
    used = {f"{_key(svg.read_bytes())}.png" for svg in figures
            if svg.suffix == ".svg" and svg.is_file()}
    for old in store.glob("*.png"):
        if old.name not in used:
            old.unlink(missing_ok=True)


def _key(svg: bytes) -> str:
    return hashlib.sha256(b"%g\0" % PPI + svg).hexdigest()


def png_of(svg: bytes, store: Path) -> bytes:
    kept = store / f"{_key(svg)}.png"
    if kept.is_file():
        return kept.read_bytes()
    png = _render(svg)
    write_if_changed(kept, png)
    return png


def _render(svg: bytes) -> bytes:
    import typst

    work = Path(tempfile.mkdtemp(prefix="bookbuild-png-"))
    try:
        (work / "figure.svg").write_bytes(svg)
        (work / "main.typ").write_text(_PAGE, encoding="utf-8")
        return typst.compile(str(work / "main.typ"), root=str(work), format="png", ppi=PPI,
                             ignore_system_fonts=True)
    except typst.TypstError as exc:
        raise BuildError(f"PNG of an SVG figure: typst failed: {exc.message}") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
