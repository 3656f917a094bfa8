"""The device's inventory for comparing acquisitions: installed packages with signer and granted
dangerous permissions, enabled accessibility services, notification listeners, device admins
and owners, trusted adb keys and the security settings, each keyed by a stable identity.

It is what ``handsetguard diff`` compares between two reports of one phone; each facet is its
records or an :class:`Unavailable` saying why the input does not have them.
"""

from __future__ import annotations

from handsetguard.device import DeviceState, Unavailable
from handsetguard.parsers.packages import Package
from handsetguard.parsers.settings import Namespace
from handsetguard.privacy import DANGEROUS_PERMISSIONS
from handsetguard.records import record

__all__ = ["SECURITY_SETTINGS", "AdbKeyEntry", "InstalledPackage", "Inventory", "inventory"]

SECURITY_SETTINGS = (
    (Namespace.GLOBAL, "adb_enabled"),
    (Namespace.GLOBAL, "adb_wifi_enabled"),
    (Namespace.GLOBAL, "development_settings_enabled"),
    (Namespace.GLOBAL, "package_verifier_enable"),
    (Namespace.GLOBAL, "verifier_verify_adb_installs"),
    (Namespace.GLOBAL, "install_non_market_apps"),
    (Namespace.GLOBAL, "auto_time"),
    (Namespace.SECURE, "install_non_market_apps"),
    (Namespace.SECURE, "lock_screen_show_notifications"),
    (Namespace.SECURE, "lock_screen_allow_private_notifications"),
    (Namespace.SECURE, "accessibility_enabled"),
    (Namespace.SECURE, "enabled_accessibility_services"),
    (Namespace.SECURE, "enabled_notification_listeners"),
    (Namespace.SECURE, "default_input_method"),
)
"""The settings (user 0) an inventory records: the ones the checks read, and the input method
(a keyboard sees every key typed)."""


@record
class InstalledPackage:
    """One package; ``signers`` are SHA-256 certificate digests (``signer_kind`` "sha256",
    AndroidQF) or the hash codes ``dumpsys package`` prints ("hashcode"), empty when unknown.
    ``signer_source`` says where they were read: "apk" (the signature of the APK files the
    collection holds; ``signer_verified`` whether every one verifies), "packages.json" or
    "dumpsys" (what the phone's package manager reported; ``signer_verified`` None)."""

    name: str
    version_code: int | None
    version_name: str | None
    installer: str | None
    system: bool
    signers: tuple[str, ...]
    signer_kind: str | None
    granted_permissions: tuple[str, ...]
    signer_source: str | None = None
    signer_verified: bool | None = None


@record
class AdbKeyEntry:
    """A trusted adb host key: its MD5 fingerprint as adb shows it (or, for a key that is not
    base64, ``undecodable:`` and its first 24 characters) and its comment."""

    fingerprint: str
    comment: str | None


@record
class Inventory:
    packages: tuple[InstalledPackage, ...] | Unavailable
    accessibility_services: tuple[str, ...] | Unavailable
    notification_listeners: tuple[str, ...] | Unavailable
    device_admins: tuple[str, ...] | Unavailable
    owners: tuple[str, ...] | Unavailable  # "device owner: pkg/cls", "profile owner (user N): …"
    adb_keys: tuple[AdbKeyEntry, ...] | Unavailable
    settings: tuple[tuple[str, str | None], ...] | Unavailable  # ("secure:name", value)


_Signers = tuple[tuple[str, ...], str, bool | None]  # digests, where read, verified


def _certificates(state: DeviceState) -> dict[str, _Signers]:
    """SHA-256 signer digests per package: from the APK files of the collection when it has
    them (their own signatures), else from AndroidQF packages.json."""
    found: dict[str, _Signers] = {}
    if not isinstance(state.apks, Unavailable):
        by_package: dict[str, list[tuple[set[str], bool]]] = {}
        for apk in state.apks.value:
            if apk.package and apk.certificates:
                digests = {c.sha256 for c in apk.certificates}
                by_package.setdefault(apk.package, []).append((digests, apk.verified))
        for name, apks in by_package.items():
            digests = set().union(*(d for d, _ in apks))
            found[name] = (tuple(sorted(digests)), "apk", all(v for _, v in apks))
    for source in (state.package_files, state.packages):
        if isinstance(source, Unavailable):
            continue
        for pkg in source.value.packages:
            digests = {f.certificate_sha256.lower() for f in pkg.files if f.certificate_sha256}
            if digests and pkg.name not in found:
                found[pkg.name] = (tuple(sorted(digests)), "packages.json", None)
    return found


def _package(pkg: Package, certificates: dict[str, _Signers]) -> InstalledPackage:
    known = certificates.get(pkg.name)
    source: str | None = None
    verified: bool | None = None
    if known:
        (signers, source, verified), kind = known, "sha256"
    elif pkg.signatures:
        signers, kind, source = tuple(sorted(set(pkg.signatures))), "hashcode", "dumpsys"
    else:
        signers, kind = (), None
    return InstalledPackage(
        name=pkg.name,
        version_code=pkg.version_code,
        version_name=pkg.version_name,
        installer=pkg.installer,
        system=pkg.is_system,
        signers=signers,
        signer_kind=kind,
        granted_permissions=tuple(sorted(DANGEROUS_PERMISSIONS & pkg.granted_permissions(0))),
        signer_source=source,
        signer_verified=verified,
    )


def _packages(state: DeviceState) -> tuple[InstalledPackage, ...] | Unavailable:
    if isinstance(state.packages, Unavailable):
        return state.packages
    certificates = _certificates(state)
    unique = {pkg.name: pkg for pkg in state.packages.value.packages}
    if not isinstance(state.package_files, Unavailable):
        # AndroidQF's packages.json lists the installed packages too, when dumpsys came first.
        for pkg in state.package_files.value.packages:
            unique.setdefault(pkg.name, pkg)
    return tuple(_package(unique[name], certificates) for name in sorted(unique))


def _setting_components(state: DeviceState, name: str) -> tuple[str, ...] | None:
    setting = state.setting(Namespace.SECURE, name)
    if setting is None:
        return None
    return tuple(sorted({c for c in (setting.value or "").split(":") if "/" in c}))


def _accessibility(state: DeviceState) -> tuple[str, ...] | Unavailable:
    if not isinstance(state.accessibility, Unavailable):
        users = state.accessibility.value.users
        return tuple(sorted({s for user in users for s in user.enabled_services}))
    found = _setting_components(state, "enabled_accessibility_services")
    return state.accessibility if found is None else found


def _listeners(state: DeviceState) -> tuple[str, ...] | Unavailable:
    found = _setting_components(state, "enabled_notification_listeners")
    if found is not None:
        return found
    dumped = state.notification_listeners
    if isinstance(dumped, Unavailable):
        return dumped
    if dumped.value.approved is None:
        return Unavailable("dumpsys notification lists no approved or enabled listeners")
    return tuple(sorted({entry.component for entry in dumped.value.approved[1]}))


def _admins(state: DeviceState) -> tuple[str, ...] | Unavailable:
    if isinstance(state.device_policy, Unavailable):
        return state.device_policy
    return tuple(sorted({admin.component for admin in state.device_policy.value.admins}))


def _owners(state: DeviceState) -> tuple[str, ...] | Unavailable:
    if isinstance(state.device_policy, Unavailable):
        return state.device_policy
    policy = state.device_policy.value
    owners = []
    if policy.device_owner is not None:
        owners.append(
            f"device owner: {policy.device_owner.component or policy.device_owner.package}"
        )
    owners += [
        f"profile owner (user {owner.user_id}): {owner.component or owner.package}"
        for owner in policy.profile_owners
    ]
    return tuple(sorted(owners))


def _adb_keys(state: DeviceState) -> tuple[AdbKeyEntry, ...] | Unavailable:
    if isinstance(state.adb, Unavailable):
        return state.adb
    keys = {
        key.fingerprint or f"undecodable:{key.key_b64[:24]}": key.comment
        for key in state.adb.value.trusted_keys
    }
    return tuple(AdbKeyEntry(fingerprint, keys[fingerprint]) for fingerprint in sorted(keys))


def _settings(state: DeviceState) -> tuple[tuple[str, str | None], ...] | Unavailable:
    if isinstance(state.settings, Unavailable):
        return state.settings
    found = []
    for namespace, name in SECURITY_SETTINGS:
        setting = state.setting(namespace, name)
        if setting is not None:
            found.append((f"{namespace.value}:{name}", setting.value))
    return tuple(found)


def inventory(state: DeviceState) -> Inventory:
    """The inventory of ``state``, every list sorted by its key."""
    return Inventory(
        packages=_packages(state),
        accessibility_services=_accessibility(state),
        notification_listeners=_listeners(state),
        device_admins=_admins(state),
        owners=_owners(state),
        adb_keys=_adb_keys(state),
        settings=_settings(state),
    )
