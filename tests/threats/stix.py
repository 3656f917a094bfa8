"""STIX2 bundles for tests: indicators tied to one malware family, as MVT's feeds write them."""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["stix_bundle", "write_stix"]


def stix_bundle(
    *patterns: str,
    family: str = "Fam",
    description: str | None = None,
    extra: list[dict[str, object]] | None = None,
) -> str:
    """A bundle (JSON text): one ``indicator`` per pattern (``[type = 'value']``), each tied to
    the ``malware`` ``family`` by an ``indicates`` relationship; ``extra`` objects appended."""
    malware: dict[str, object] = {"type": "malware", "id": "malware--1", "name": family}
    if description is not None:
        malware["description"] = description
    objects: list[dict[str, object]] = [malware]
    for n, pattern in enumerate(patterns):
        objects.append({"type": "indicator", "id": f"indicator--{n}", "pattern": pattern})
        objects.append(
            {
                "type": "relationship",
                "id": f"relationship--{n}",
                "relationship_type": "indicates",
                "source_ref": f"indicator--{n}",
                "target_ref": "malware--1",
            }
        )
    return json.dumps({"type": "bundle", "id": "bundle--1", "objects": objects + (extra or [])})


def write_stix(path: Path, *patterns: str, family: str = "Fam") -> Path:
    path.write_text(stix_bundle(*patterns, family=family), encoding="utf-8")
    return path
