"""Request and response models of project templates (a leaf: no service, handler or storage)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

ParameterKind = Literal["dataset", "column", "integer"]


class TemplateParameter(BaseModel):
    name: str = Field(description="the Python name the template's parameters cell assigns")
    kind: ParameterKind = Field(description="dataset: a dataset id the user may read (required); column: a "
                                "column name or null; integer: a whole number within minimum..maximum")
    description: str = ""
    required: bool = Field(description="true for a dataset; the others keep the template's value when absent")
    default: int | str | None = Field(default=None, description="the template's value")
    minimum: int | None = None
    maximum: int | None = None


class TemplateOut(BaseModel):
    id: str = Field(description="the notebook's file name without .ipynb, unique over all template directories")
    title: str
    description: str
    source: str = Field(description="'bundled', or the template directory it was found in")
    cells: int = Field(description="number of cells")
    parameters: list[TemplateParameter]


class TemplateList(BaseModel):
    templates: list[TemplateOut]
