"""The inventory facets: packages and signers, granted dangerous permissions, enabled
components (accessibility, notification listeners, device admins, owners), trusted adb keys
and security settings, each change keyed by its stable identity and graded."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from handsetguard.checks.model import Severity
from handsetguard.diff.document import Doc
from handsetguard.diff.model import Change, ChangeKind, Facet

__all__ = ["inventory_facets"]

Item = Mapping[str, object]

# (setting, the value that weakens the phone, the severity of turning it that way)
_WEAKENING: dict[str, tuple[Callable[[str | None], bool], Severity]] = {
    "global:adb_enabled": (lambda v: v == "1", Severity.HIGH),
    "global:adb_wifi_enabled": (lambda v: v == "1", Severity.HIGH),
    "global:development_settings_enabled": (lambda v: v == "1", Severity.MEDIUM),
    "global:package_verifier_enable": (lambda v: v == "0", Severity.HIGH),
    "global:verifier_verify_adb_installs": (lambda v: v == "0", Severity.MEDIUM),
    "global:install_non_market_apps": (lambda v: v == "1", Severity.HIGH),
    "secure:install_non_market_apps": (lambda v: v == "1", Severity.HIGH),
    "global:auto_time": (lambda v: v == "0", Severity.LOW),
    "secure:lock_screen_show_notifications": (lambda v: v == "1", Severity.LOW),
    "secure:lock_screen_allow_private_notifications": (lambda v: v == "1", Severity.LOW),
    "secure:accessibility_enabled": (lambda v: v == "1", Severity.LOW),
}
# A new keyboard sees every key typed; the service lists have their own facets.
_ANY_CHANGE = {"secure:default_input_method": Severity.MEDIUM}
_COVERED = {"secure:enabled_accessibility_services", "secure:enabled_notification_listeners"}


def _sort(changes: list[Change]) -> tuple[Change, ...]:
    order = {severity: index for index, severity in enumerate(Severity)}
    return tuple(sorted(changes, key=lambda c: (order[c.severity], c.key, c.kind.value)))


def _facet(name: str, title: str, reasons: list[str | None], changes: list[Change]) -> Facet:
    why = [reason for reason in reasons if reason]
    if why:
        return Facet(name, title, False, "; ".join(why))
    return Facet(name, title, True, None, _sort(changes))


def _system_packages(doc: Doc) -> set[str]:
    packages, _ = doc.keyed("packages", "package")
    return {name for name, item in (packages or {}).items() if item.get("system") is True}


def _strings(item: Item, field: str) -> list[str]:
    """A list-of-strings field of an item (anything else in it is dropped: not a value)."""
    value = item.get(field)
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _package_changes(old: dict[str, Item], new: dict[str, Item]) -> list[Change]:
    changes = [
        Change(
            "packages",
            name,
            ChangeKind.APP_REMOVED,
            Severity.LOW,
            dict(old[name]),
            None,
            f"{name} is no longer installed",
        )
        for name in sorted(old.keys() - new.keys())
    ]
    for name in sorted(new.keys() - old.keys()):
        item = new[name]
        system = item.get("system") is True
        grants = _strings(item, "granted_permissions")
        severity = Severity.LOW if system else Severity.MEDIUM
        changes.append(
            Change(
                "packages",
                name,
                ChangeKind.APP_INSTALLED,
                severity,
                None,
                dict(item),
                f"{name} is newly installed"
                + (f" (installer {item.get('installer')})" if item.get("installer") else "")
                + (f", granted {len(grants)} dangerous permission(s)" if grants else ""),
            )
        )
    for name in sorted(old.keys() & new.keys()):
        changes += _same_package(name, old[name], new[name])
    return changes


def _version(item: Item) -> int | None:
    value = item.get("version_code")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _same_package(name: str, a: Item, b: Item) -> list[Change]:
    changes = []
    signers_a, signers_b = _strings(a, "signers"), _strings(b, "signers")
    same_kind = a.get("signer_kind") == b.get("signer_kind") and a.get("signer_kind") is not None
    if same_kind and signers_a and signers_b and set(signers_a) != set(signers_b):
        changes.append(
            Change(
                "packages",
                name,
                ChangeKind.SIGNER_CHANGED,
                Severity.CRITICAL,
                signers_a,
                signers_b,
                f"{name} is signed by another certificate: another app under the same name",
            )
        )
    va, vb = _version(a), _version(b)
    if va is not None and vb is not None and va != vb:
        down = vb < va
        changes.append(
            Change(
                "packages",
                name,
                ChangeKind.APP_DOWNGRADED if down else ChangeKind.APP_UPDATED,
                Severity.MEDIUM if down else Severity.INFO,
                {"version_code": va, "version_name": a.get("version_name")},
                {"version_code": vb, "version_name": b.get("version_name")},
                f"{name} version {va} -> {vb}",
            )
        )
    if a.get("installer") != b.get("installer"):
        changes.append(
            Change(
                "packages",
                name,
                ChangeKind.INSTALLER_CHANGED,
                Severity.MEDIUM,
                a.get("installer"),
                b.get("installer"),
                f"{name} installer {a.get('installer')} -> {b.get('installer')}",
            )
        )
    return changes


def _permission_changes(old: dict[str, Item], new: dict[str, Item]) -> list[Change]:
    changes = []
    for name in sorted(old.keys() & new.keys()):
        had = set(_strings(old[name], "granted_permissions"))
        has = set(_strings(new[name], "granted_permissions"))
        system = new[name].get("system") is True
        changes += [
            Change(
                "permissions",
                f"{name} {permission}",
                ChangeKind.PERMISSION_GRANTED,
                Severity.LOW if system else Severity.MEDIUM,
                False,
                True,
                f"{name} was granted {permission}",
            )
            for permission in sorted(has - had)
        ]
        changes += [
            Change(
                "permissions",
                f"{name} {permission}",
                ChangeKind.PERMISSION_REVOKED,
                Severity.INFO,
                True,
                False,
                f"{name} no longer holds {permission}",
            )
            for permission in sorted(had - has)
        ]
    return changes


def _package_of(item: str) -> str:
    """The package of ``pkg/cls``, also in an owner's ``device owner: pkg/cls``."""
    return item.rsplit(": ", 1)[-1].split("/", 1)[0]


def _component_facet(
    old: Doc,
    new: Doc,
    facet: str,
    title: str,
    kinds: tuple[ChangeKind, ChangeKind],
    severity: Severity,
    verb: str,
) -> Facet:
    a, why_a = old.strings(facet)
    b, why_b = new.strings(facet)
    if a is None or b is None:
        return _facet(facet, title, [why_a, why_b], [])
    system = _system_packages(new)
    added, gone = kinds
    changes = [
        Change(
            facet,
            item,
            added,
            Severity.LOW if _package_of(item) in system else severity,
            None,
            item,
            f"{item} is newly {verb}",
        )
        for item in sorted(b - a)
    ]
    changes += [
        Change(facet, item, gone, Severity.INFO, item, None, f"{item} is no longer {verb}")
        for item in sorted(a - b)
    ]
    return _facet(facet, title, [], changes)


def _adb_facet(old: Doc, new: Doc) -> Facet:
    a, why_a = old.keyed("adb_keys", "fingerprint")
    b, why_b = new.keyed("adb_keys", "fingerprint")
    if a is None or b is None:
        return _facet("adb_keys", "Trusted adb keys", [why_a, why_b], [])
    changes = [
        Change(
            "adb_keys",
            key,
            ChangeKind.ADB_KEY_ADDED,
            Severity.HIGH,
            None,
            dict(b[key]),
            f"a new computer is trusted for USB debugging: {key}"
            + (f" ({b[key].get('comment')})" if b[key].get("comment") else ""),
        )
        for key in sorted(b.keys() - a.keys())
    ]
    changes += [
        Change(
            "adb_keys",
            key,
            ChangeKind.ADB_KEY_REMOVED,
            Severity.INFO,
            dict(a[key]),
            None,
            f"adb key {key} is no longer trusted",
        )
        for key in sorted(a.keys() - b.keys())
    ]
    return _facet("adb_keys", "Trusted adb keys", [], changes)


def _setting_values(items: dict[str, Item]) -> dict[str, str | None]:
    return {
        key: value if isinstance(value := item.get("value"), str) else None
        for key, item in items.items()
    }


def _settings_facet(old: Doc, new: Doc) -> Facet:
    a, why_a = old.keyed("settings", "key")
    b, why_b = new.keyed("settings", "key")
    if a is None or b is None:
        return _facet("settings", "Security settings", [why_a, why_b], [])
    va, vb = _setting_values(a), _setting_values(b)
    changes = []
    for key in sorted((va.keys() | vb.keys()) - _COVERED):
        was, now = va.get(key), vb.get(key)
        if was == now:
            continue
        if key in _WEAKENING:
            weakens, worst = _WEAKENING[key]
            severity = worst if weakens(now) else Severity.INFO
        else:
            severity = _ANY_CHANGE.get(key, Severity.INFO)
        changes.append(
            Change(
                "settings",
                key,
                ChangeKind.SETTING_CHANGED,
                severity,
                was,
                now,
                f"{key} {was if was is not None else '(unset)'} -> "
                f"{now if now is not None else '(unset)'}",
            )
        )
    return _facet("settings", "Security settings", [], changes)


def inventory_facets(old: Doc, new: Doc) -> list[Facet]:
    packages_a, why_a = old.keyed("packages", "package")
    packages_b, why_b = new.keyed("packages", "package")
    if packages_a is None or packages_b is None:
        packages = _facet("packages", "Installed packages", [why_a, why_b], [])
        permissions = _facet("permissions", "Granted dangerous permissions", [why_a, why_b], [])
    else:
        packages = _facet(
            "packages", "Installed packages", [], _package_changes(packages_a, packages_b)
        )
        permissions = _facet(
            "permissions",
            "Granted dangerous permissions",
            [],
            _permission_changes(packages_a, packages_b),
        )
    return [
        packages,
        permissions,
        _component_facet(
            old,
            new,
            "accessibility_services",
            "Accessibility services",
            (ChangeKind.ACCESSIBILITY_ENABLED, ChangeKind.ACCESSIBILITY_DISABLED),
            Severity.HIGH,
            "enabled",
        ),
        _component_facet(
            old,
            new,
            "notification_listeners",
            "Notification listeners",
            (ChangeKind.LISTENER_ENABLED, ChangeKind.LISTENER_DISABLED),
            Severity.HIGH,
            "approved",
        ),
        _component_facet(
            old,
            new,
            "device_admins",
            "Device admins",
            (ChangeKind.ADMIN_ADDED, ChangeKind.ADMIN_REMOVED),
            Severity.HIGH,
            "active as a device admin",
        ),
        _component_facet(
            old,
            new,
            "owners",
            "Device and profile owners",
            (ChangeKind.DEVICE_OWNER_CHANGED, ChangeKind.OWNER_REMOVED),
            Severity.HIGH,
            "set",
        ),
        _adb_facet(old, new),
        _settings_facet(old, new),
    ]
