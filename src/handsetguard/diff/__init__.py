"""Diff: what changed between two acquisitions of one device, from their JSON reports.

Public API (stable; the service diffs consecutive stored reports with it)::

    from handsetguard.diff import diff_documents, DifferentDevices, DiffError
    result = diff_documents(old_doc, new_doc, force=False)   # Mappings: parsed report JSON
    result.facets        # tuple[Facet]: name, title, comparable, reason, changes (FACETS order)
    result.changes       # tuple[Change] over all facets, most serious first within a facet
    result.of_concern    # the changes whose severity is in CONCERN (critical, high)
    result.empty         # no change at all
    result.to_json()     # the handsetguard.diff/1 document (schema: diff.schema.json)

Inputs are ``handsetguard.report/1`` documents (``handsetguard check --format json``); the
report's ``inventory`` (packages with signers and granted dangerous permissions, enabled
accessibility services, notification listeners, device admins, owners, trusted adb keys,
security settings) and its ``checks``, ``threats``, ``device`` patch levels and build, and
``rating`` are compared. A facet one side lacks (an older report, a section the input did not
have) is *not comparable*, with the reason, and has no changes.

Each :class:`Change` has ``facet``, ``key`` (stable identity within the facet: a package name;
``"<package> <permission>"``; a component; an adb key fingerprint; ``"namespace:name"`` of a
setting; a check id; a threat's package; ``"OS patch level"``), ``kind`` (a :class:`ChangeKind`:
stable id in ``.value``, words in ``.label``, e.g. ``signer_changed`` "same package, different
signer", ``admin_added`` "new device admin", ``patch_backwards`` "patch level went backwards",
``bootloader_unlocked`` "bootloader unlocked since", ``app_removed``), ``severity`` (the check
model's :class:`Severity`), ``old`` / ``new`` (JSON values; ``None`` where absent) and a
one-sentence ``detail``. Strings are as read from the reports: render them through
``handsetguard.textsafe`` (the renderers here do).

Identity (:mod:`handsetguard.diff.identity`): serial, IMEI (when a report carries
``device.imei``), brand, model and device name must not differ where both sides know them;
otherwise :class:`DifferentDevices` (a :class:`DiffError`) is raised unless ``force=True``. The
build fingerprint is not an identity (an OS update changes it).
"""

from handsetguard.diff.core import FACETS, diff_documents
from handsetguard.diff.model import (
    CONCERN,
    DIFF_SCHEMA_VERSION,
    Change,
    ChangeKind,
    Diff,
    DifferentDevices,
    DiffError,
    Facet,
    IdentityCheck,
    Severity,
    Side,
)

__all__ = [
    "CONCERN",
    "DIFF_SCHEMA_VERSION",
    "FACETS",
    "Change",
    "ChangeKind",
    "Diff",
    "DiffError",
    "DifferentDevices",
    "Facet",
    "IdentityCheck",
    "Severity",
    "Side",
    "diff_documents",
]
