"""Typed, defensive reads of a ``handsetguard.report/1`` document: a wrong shape is a
:class:`DiffError` naming the side and the field, never a KeyError or a TypeError."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from handsetguard.diff.model import DiffError
from handsetguard.records import record

__all__ = ["REPORT_SCHEMA", "Doc", "FacetItems"]

REPORT_SCHEMA = "handsetguard.report/1"


@record
class FacetItems:
    """One section of a side: its items, or why it cannot be compared (``items`` None)."""

    items: Sequence[object] | None
    reason: str | None


@record
class Doc:
    """One side of the diff: ``name`` is "old" or "new" (for messages)."""

    name: str
    data: Mapping[str, object]

    @classmethod
    def of(cls, name: str, data: object) -> Doc:
        if not isinstance(data, Mapping):
            raise DiffError(f"{name} report: not a JSON object")
        schema = data.get("schema")
        if schema != REPORT_SCHEMA:
            raise DiffError(
                f"{name} report: schema is {schema!r}, expected {REPORT_SCHEMA!r} "
                "(the output of handsetguard check --format json)"
            )
        return cls(name, data)

    def mapping(self, *path: str) -> Mapping[str, object] | None:
        """The object at ``path``; ``None`` when absent or null; DiffError when not an object."""
        value: object = self.data
        for key in path:
            if not isinstance(value, Mapping):
                return None
            value = value.get(key)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise DiffError(f"{self.name} report: {'.'.join(path)} is not an object")
        return value

    def text(self, *path: str) -> str | None:
        parent = self.mapping(*path[:-1]) if len(path) > 1 else self.data
        value = None if parent is None else parent.get(path[-1])
        if value is None:
            return None
        if isinstance(value, bool | int | float):
            return str(value)
        if not isinstance(value, str):
            raise DiffError(f"{self.name} report: {'.'.join(path)} is not a string")
        return value

    def records(self, key: str) -> list[Mapping[str, object]] | None:
        """The list of objects at top-level ``key``; ``None`` when the key is absent."""
        if key not in self.data:
            return None
        return self.objects(self.data[key], key)

    def objects(self, value: object, where: str) -> list[Mapping[str, object]]:
        if not isinstance(value, list):
            raise DiffError(f"{self.name} report: {where} is not a list")
        for index, item in enumerate(value):
            if not isinstance(item, Mapping):
                raise DiffError(f"{self.name} report: {where}[{index}] is not an object")
        return value

    def inventory(self, facet: str) -> FacetItems:
        """An inventory facet; not comparable when the report predates the inventory or the
        input lacked the section."""
        inventory = self.mapping("inventory")
        if inventory is None:
            return FacetItems(None, f"the {self.name} report has no inventory (an older report)")
        section = self.mapping("inventory", facet)
        if section is None:
            return FacetItems(None, f"the {self.name} report's inventory has no {facet}")
        items = section.get("items")
        if items is None:
            reason = section.get("reason")
            why = reason if isinstance(reason, str) else "not recorded"
            return FacetItems(None, f"{self.name}: {why}")
        if not isinstance(items, list):
            raise DiffError(f"{self.name} report: inventory.{facet}.items is not a list")
        return FacetItems(items, None)

    def strings(self, facet: str) -> tuple[set[str] | None, str | None]:
        found = self.inventory(facet)
        if found.items is None:
            return None, found.reason
        values = set()
        for index, item in enumerate(found.items):
            if not isinstance(item, str):
                raise DiffError(
                    f"{self.name} report: inventory.{facet}.items[{index}] not a string"
                )
            values.add(item)
        return values, None

    def keyed(
        self, facet: str, key: str
    ) -> tuple[dict[str, Mapping[str, object]] | None, str | None]:
        """An inventory facet of objects, by the string field ``key`` of each."""
        found = self.inventory(facet)
        if found.items is None:
            return None, found.reason
        by_key: dict[str, Mapping[str, object]] = {}
        for index, item in enumerate(self.objects(found.items, f"inventory.{facet}.items")):
            name = item.get(key)
            if not isinstance(name, str):
                raise DiffError(
                    f"{self.name} report: inventory.{facet}.items[{index}] has no {key}"
                )
            by_key[name] = item
        return by_key, None
