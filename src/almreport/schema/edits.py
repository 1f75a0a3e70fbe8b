"""Model of data/edits.yaml: the editorial changes of this edition (chapter "Om denne utgaven").

`artifacts` are the kinds of PDF-extraction debris removed everywhere without listing each
instance; `chapters` gives the cross-reference id of each chapter with edits (so "Om denne
utgaven" refers to it without opening its notebook; almreport.check compares the ids with the
notebooks); `edits` are the wording changes, each with the text as printed and as edited.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from almreport.schema.base import ItemError, Record, require_unique

Text = Annotated[str, StringConstraints(min_length=1)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]
ChapterPath = Annotated[str, StringConstraints(pattern=r"^(index|chapters/[a-z0-9-]+)\.ipynb$")]
SectionId = Annotated[str, StringConstraints(pattern=r"^sec-[a-z0-9]+(-[a-z0-9]+)*$")]
EditKind = Literal["typo", "spelling", "grammar", "punctuation", "lost-word", "wording",
                   "number"]


class Artifact(Record):
    """One kind of extraction debris removed throughout the text."""

    id: Slug
    description: Text = Field(description="Norwegian, as a noun phrase: 'sidetall'")
    example: Text | None = Field(default=None, description="a typical instance from the source")


class Edit(Record):
    """One change of wording: `original` as in the source, `edited` as printed now."""

    chapter: ChapterPath = Field(description="the notebook that prints the edited text")
    section: Text = Field(description="where in the chapter: '4.4.1', 'Forord', ...")
    kind: EditKind
    original: Text
    edited: Text
    note: Text = Field(description="why (Norwegian)")
    by: Text | None = Field(default=None, description="who decided (engineer/notes file)")

    @model_validator(mode="after")
    def _changed(self) -> Edit:
        if self.original == self.edited:
            raise ItemError(("edited",), "is the same as original (nothing was edited)")
        return self


class Edits(Record):
    artifacts: list[Artifact] = Field(min_length=1)
    chapters: dict[ChapterPath, SectionId] = Field(
        default_factory=dict,
        description="each chapter with edits, in book order -> the id of its title "
                    "('# Tittel {#sec-id}'), by which the list of edits refers to it")
    edits: list[Edit] = Field(default_factory=list)

    @model_validator(mode="after")
    def _chapters_listed(self) -> Edits:
        for i, edit in enumerate(self.edits):
            if edit.chapter not in self.chapters:
                raise ItemError(("edits", i, "chapter"), f"{edit.chapter} is not listed under "
                                "`chapters` (add it there with the id of its title)")
        return self

    @model_validator(mode="after")
    def _unique(self) -> Edits:
        seen: dict[tuple[str, str], int] = {}
        for i, edit in enumerate(self.edits):
            key = (edit.chapter, edit.original)
            if key in seen:
                raise ItemError(("edits", i, "original"), f"the same edit is listed twice "
                                f"(also edits[{seen[key]}])")
            seen[key] = i
        require_unique(self.artifacts, "artifact id", at=("artifacts",))
        return self
