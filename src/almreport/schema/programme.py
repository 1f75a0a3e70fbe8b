"""The Arena programme that financed the project (chapter 1.1)."""

from __future__ import annotations

from pydantic import Field

from almreport.schema.base import Record
from almreport.schema.common import Id, Text, When


class Programme(Record):
    id: Id
    name: Text
    started: When
    started_note: Text = Field(description="how it started, in the report's words")
    partners: list[Id] = Field(min_length=1, description="organisation ids behind the programme")
    administered_by: Id
    offers: Text = Field(description="what the programme offers projects")
    main_goal: Text
    sub_goals: list[Text] = Field(min_length=1, description="delmål, in the report's order")
    means: list[Text] = Field(
        min_length=1, description="how regional projects are to reach the goals"
    )
    target_group: Text
    source_note: Text = Field(description="the footnote naming the source of the goals")
