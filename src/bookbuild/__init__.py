"""Generic build engine: a Quarto-compatible book project -> HTML site + PDF."""

from bookbuild.errors import BuildError

__all__ = ["BuildError"]
