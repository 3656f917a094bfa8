"""The error body, the page envelope every list endpoint returns, and :class:`Strict`, the
base of every request body: one validation for both databases."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "INT32_MAX",
    "ErrorBody",
    "ErrorOut",
    "Page",
    "Strict",
    "UTCTime",
    "forbidden_character",
]

T = TypeVar("T")

INT32_MAX = 2**31 - 1
"""The largest count any column holds (PostgreSQL ``integer``): integer inputs stay below it."""

# C0 controls but tab, line feed and carriage return; DEL and C1; UTF-16 surrogates (which no
# database can store as UTF-8). PostgreSQL refuses NUL in text and SQLite stores it: refusing
# all of them here makes both accept exactly the same input.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def forbidden_character(text: str) -> str | None:
    """The first character of ``text`` no request may carry, as ``U+XXXX``, or None."""
    found = _FORBIDDEN.search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


def _strings(value: Any) -> Any:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)


class Strict(BaseModel):
    """A request body: unknown fields refused, and no string anywhere in it (nested lists
    and dicts included; nested models check their own) with a control character."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _no_control_characters(self) -> Strict:
        for name, value in self.__dict__.items():
            for text in _strings(value):
                bad = forbidden_character(text)
                if bad is not None:
                    raise ValueError(f"{name}: control character {bad} not allowed")
        return self


def _utc_range(value: datetime) -> datetime:
    # Within years 0001-9998 in UTC, so that no conversion or +1 day overflows.
    if not datetime(1, 1, 2, tzinfo=UTC) <= value <= datetime(9998, 12, 31, tzinfo=UTC):
        raise ValueError("time out of range (years 0001-9998)")
    return value.astimezone(UTC)


UTCTime = Annotated[AwareDatetime, AfterValidator(_utc_range)]
"""A time with its zone (``Z`` or an offset; one without is refused, never guessed), kept
as UTC."""


class ErrorBody(BaseModel):
    code: str = Field(description="stable machine-readable reason code")
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class ErrorOut(BaseModel):
    error: ErrorBody


class Page(BaseModel, Generic[T]):  # noqa: UP046 (pydantic generic, Python 3.11)
    items: list[T]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page")
