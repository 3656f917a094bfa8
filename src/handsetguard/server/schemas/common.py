"""The error body and the page envelope every list endpoint returns."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

__all__ = ["ErrorBody", "ErrorOut", "Page"]

T = TypeVar("T")


class ErrorBody(BaseModel):
    code: str = Field(description="stable machine-readable reason code")
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class ErrorOut(BaseModel):
    error: ErrorBody


class Page(BaseModel, Generic[T]):  # noqa: UP046 (pydantic generic, Python 3.11)
    items: list[T]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page")
