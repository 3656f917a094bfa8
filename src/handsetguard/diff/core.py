"""diff_documents: two JSON report documents of one device -> :class:`Diff`."""

from __future__ import annotations

from collections.abc import Mapping

from handsetguard.diff.document import Doc
from handsetguard.diff.identity import check_identity
from handsetguard.diff.inventory_facets import inventory_facets
from handsetguard.diff.model import Diff, Side
from handsetguard.diff.posture_facets import posture_facets

__all__ = ["FACETS", "diff_documents"]

FACETS = (
    "packages",
    "permissions",
    "accessibility_services",
    "notification_listeners",
    "device_admins",
    "owners",
    "adb_keys",
    "settings",
    "checks",
    "threats",
    "patch_levels",
    "build",
    "rating",
)


def diff_documents(
    old: Mapping[str, object], new: Mapping[str, object], *, force: bool = False
) -> Diff:
    """The changes from ``old`` to ``new`` (two ``handsetguard.report/1`` documents).

    Raises :class:`DifferentDevices` when an identity field differs (unless ``force``) and
    :class:`DiffError` when a document is not a report or a field has the wrong shape."""
    a, b = Doc.of("old", old), Doc.of("new", new)
    identity = check_identity(a, b, force=force)
    facets = (*inventory_facets(a, b), *posture_facets(a, b))
    assert tuple(f.name for f in facets) == FACETS
    return Diff(Side.of(old), Side.of(new), identity, force, facets)
