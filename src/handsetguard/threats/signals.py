"""The behaviour signals of one app, each with the facts and lines it rests on: where it came
from, the powers it holds over the owner, what it used in the background, whether it hides its
icon, whether its name poses as the system's. :mod:`handsetguard.threats.behaviour` weighs them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from handsetguard.checks.catalogs import KNOWN_STORES
from handsetguard.checks.model import EvidenceItem
from handsetguard.device import DeviceState, Unavailable
from handsetguard.evidence import Provenance
from handsetguard.parsers.appops import EventKind
from handsetguard.parsers.package_components import PackageComponents, PackageLines
from handsetguard.parsers.packages import Package
from handsetguard.parsers.settings import Namespace
from handsetguard.privacy import CATEGORY_OPS, Category
from handsetguard.records import record

_OP_CATEGORY = {op: category for category, ops in CATEGORY_OPS.items() for op in ops}

__all__ = [
    "BACKGROUND_CATEGORIES",
    "RECENT_INSTALL",
    "SYSTEM_PREFIXES",
    "Seen",
    "Signal",
    "app_signals",
    "candidates",
    "seen_on",
]

# Prefixes of the platform's and the big OEMs' own packages: an app under one of them that is
# not a system app is wearing someone else's name.
SYSTEM_PREFIXES = (
    "android.",
    "com.android.",
    "com.google.android.",
    "com.sec.android.",
    "com.samsung.android.",
    "com.miui.",
    "com.xiaomi.",
    "com.huawei.",
    "com.oppo.",
    "com.coloros.",
    "com.oneplus.",
    "com.vivo.",
    "com.qualcomm.",
    "com.mediatek.",
)
# What stalkerware reports back, in the order a summary names them.
BACKGROUND_CATEGORIES = (
    Category.LOCATION,
    Category.MICROPHONE,
    Category.CAMERA,
    Category.SMS,
    Category.CALL_LOG,
    Category.CONTACTS,
)
RECENT_INSTALL = timedelta(days=14)


@record
class Signal:
    """One signal seen: its stable code, a detail for the plain sentence (a category, an
    installer) and the evidence."""

    code: str
    detail: str
    evidence: tuple[EvidenceItem, ...]


def _package_of(component: str) -> str:
    return component.split("/", 1)[0].strip("{} ")


def candidates(state: DeviceState, seen: Seen | None = None) -> list[str]:
    """The apps to score: every non-system package, and any package holding a power whose
    record is not in the package list (unknown counts as third-party, as in the checks)."""
    seen = seen_on(state) if seen is None else seen
    known: dict[str, Package] = {}
    if not isinstance(state.packages, Unavailable):
        known = {pkg.name: pkg for pkg in state.packages.value.packages}
    names = {name for name, pkg in known.items() if not pkg.is_system}
    holders = {*seen.accessibility, *seen.listeners, *seen.admins}
    names |= {name for name in holders if name not in known}
    return sorted(names)


def _accessibility(state: DeviceState) -> list[tuple[str, EvidenceItem]]:
    """Enabled accessibility services: dumpsys accessibility, else the secure setting."""
    if not isinstance(state.accessibility, Unavailable):
        origin = state.accessibility.origin
        return [
            (service, EvidenceItem(f"accessibility service enabled: {service}", origin.at(u.line)))
            for u in state.accessibility.value.users
            for service in u.enabled_services
        ]
    setting = state.setting(Namespace.SECURE, "enabled_accessibility_services")
    if setting is None or not setting.value:
        return []
    where = state.setting_origin(setting)
    return [
        (s, EvidenceItem(f"secure enabled_accessibility_services: {s}", where))
        for s in setting.value.split(":")
        if "/" in s
    ]


def _listeners(state: DeviceState) -> list[tuple[str, EvidenceItem]]:
    """Approved notification listeners: the secure setting, else dumpsys notification."""
    setting = state.setting(Namespace.SECURE, "enabled_notification_listeners")
    if setting is not None:
        where = state.setting_origin(setting)
        return [
            (c, EvidenceItem(f"secure enabled_notification_listeners: {c}", where))
            for c in (setting.value or "").split(":")
            if "/" in c
        ]
    dumped = state.notification_listeners
    if isinstance(dumped, Unavailable) or dumped.value.approved is None:
        return []
    kind, entries = dumped.value.approved
    return [
        (
            e.component,
            EvidenceItem(
                f"{kind.value} notification listener: {e.component}", dumped.origin.at(e.line)
            ),
        )
        for e in entries
    ]


def _line(record: PackageLines | None, key: str, fallback: int) -> int:
    """The 0-based line ``key`` is printed on, else the package's header line."""
    found = None if record is None else record.facts.get(key)
    return fallback if found is None else found[0]


def _install_chain(
    state: DeviceState, pkg: Package, facts: PackageComponents | None
) -> Signal | None:
    """Not from a known store: the installer, or the app that asked for the install
    (``initiatingPackageName``, Android 11+: what an app that sets a fake installer cannot
    hide), is not a store. No installer at all is adb (or an unrecorded one)."""
    installer, initiating = pkg.installer, pkg.initiating_package
    if installer in KNOWN_STORES and (initiating is None or initiating in KNOWN_STORES):
        return None
    record = None if facts is None else facts.packages.get(pkg.name)
    origin = None if isinstance(state.packages, Unavailable) else state.packages.origin

    def where(key: str) -> Provenance | None:
        return None if origin is None else origin.at(_line(record, key, pkg.line))

    evidence = [
        EvidenceItem(
            f"{pkg.name} installed by {installer or 'adb or unknown'}",
            where("installerPackageName"),
        )
    ]
    if initiating is not None:
        evidence.append(
            EvidenceItem(
                f"{pkg.name} install started by {initiating}", where("initiatingPackageName")
            )
        )
    originating = None if record is None else record.value("originatingPackageName")
    if originating is not None:
        evidence.append(
            EvidenceItem(
                f"{pkg.name} install came from {originating}", where("originatingPackageName")
            )
        )
    detail = installer or "adb or an unrecorded installer"
    if initiating and initiating != installer:
        detail = f"{detail}, started by {initiating}"
    return Signal("sideloaded", detail, tuple(evidence))


def _hidden_icon(state: DeviceState, name: str) -> Signal | None:
    """Every MAIN activity of the app is disabled for user 0: it took its icon off."""
    found = state.package_components
    if isinstance(found, Unavailable) or found.value.main_activities is None:
        return None
    mains = found.value.main_activities.get(name, ())
    disabled = found.value.disabled(name)
    if not mains or not all(a.name in disabled for a in mains):
        return None
    record = found.value.packages[name]
    evidence = [EvidenceItem(f"MAIN activity {a.name}", found.origin.at(a.line)) for a in mains] + [
        EvidenceItem(f"disabled for user 0: {c.name}", found.origin.at(c.line))
        for c in record.disabled
        if c.user == 0 and c.name in {a.name for a in mains}
    ]
    return Signal("hidden_icon", "", tuple(evidence))


def _background_uses(state: DeviceState) -> dict[str, dict[Category, list[EvidenceItem]]]:
    """Every background access (not a refusal) per package and category, in dump order."""
    found: dict[str, dict[Category, list[EvidenceItem]]] = {}
    if isinstance(state.appops, Unavailable):
        return found
    origin = state.appops.origin
    for entry in state.appops.value.entries:
        category = _OP_CATEGORY.get(entry.op)
        if category is None or not entry.package:
            continue
        for event in entry.events:
            if event.kind is EventKind.ACCESS and event.foreground is False:
                fact = f"{entry.op} in the background ({event.raw_time})"
                item = EvidenceItem(fact, origin.at(event.line))
                found.setdefault(entry.package, {}).setdefault(category, []).append(item)
    return found


def _background(seen: Seen, name: str) -> Iterator[Signal]:
    uses = seen.background.get(name, {})
    for category in BACKGROUND_CATEGORIES:
        if category in uses:
            items = tuple(uses[category][:3])
            yield Signal(f"background_{category.value}", category.value, items)


def _poses_as_system(state: DeviceState, pkg: Package, sideloaded: bool) -> Signal | None:
    """A system-looking name on an app that is not a system app, not platform-signed and
    not from a store (a store ties a package name to its publisher: Google's own
    com.google.android.apps.* from Play are not posing)."""
    if not sideloaded or not pkg.name.startswith(SYSTEM_PREFIXES):
        return None
    if pkg.is_system or pkg.updated_system_app:
        return None
    packages = state.packages
    if isinstance(packages, Unavailable):
        return None
    platform = packages.value.get("android")
    if platform is not None and pkg.signatures and set(pkg.signatures) & set(platform.signatures):
        return None  # platform-signed: the OEM's own app, installed as an update
    where = packages.origin.at(pkg.line)
    return Signal(
        "poses_as_system",
        pkg.name,
        (EvidenceItem(f"{pkg.name} is not a system app and not platform-signed", where),),
    )


def _recent(state: DeviceState, pkg: Package, facts: PackageComponents | None) -> Signal | None:
    installed, acquired = pkg.first_install_time, state.acquired_at
    if installed is None or acquired is None or isinstance(state.packages, Unavailable):
        return None
    # Both are the phone's wall clock: firstInstallTime is printed naive, local.
    age = acquired.replace(tzinfo=None) - installed.replace(tzinfo=None)
    if not timedelta(0) <= age <= RECENT_INSTALL:
        return None
    record = None if facts is None else facts.packages.get(pkg.name)
    where = state.packages.origin.at(_line(record, "firstInstallTime", pkg.line))
    stamp = f"{installed:%Y-%m-%d %H:%M}"
    hours = int(age.total_seconds()) // 3600
    before = f"{age.days} day(s)" if age.days else f"{hours} hour(s)"
    fact = f"first installed {stamp}, {before} before this report"
    return Signal("recent_install", stamp, (EvidenceItem(fact, where),))


def _powers(seen: Seen, name: str) -> Iterator[Signal]:
    for code, holders in (
        ("accessibility", seen.accessibility),
        ("notification_listener", seen.listeners),
        ("device_admin", seen.admins),
    ):
        if name in holders:
            yield Signal(code, "", tuple(holders[name]))


@record
class Seen:
    """What the signals read, indexed by package once per device (not once per app)."""

    accessibility: dict[str, list[EvidenceItem]]
    listeners: dict[str, list[EvidenceItem]]
    admins: dict[str, list[EvidenceItem]]
    background: dict[str, dict[Category, list[EvidenceItem]]]


def _by_package(found: list[tuple[str, EvidenceItem]]) -> dict[str, list[EvidenceItem]]:
    grouped: dict[str, list[EvidenceItem]] = {}
    for component, item in found:
        grouped.setdefault(_package_of(component), []).append(item)
    return grouped


def seen_on(state: DeviceState) -> Seen:
    admins: dict[str, list[EvidenceItem]] = {}
    if not isinstance(state.device_policy, Unavailable):
        origin = state.device_policy.origin
        for admin in state.device_policy.value.admins:
            item = EvidenceItem(f"device admin: {admin.component}", origin.at(admin.line))
            admins.setdefault(admin.package, []).append(item)
    return Seen(
        _by_package(_accessibility(state)),
        _by_package(_listeners(state)),
        admins,
        _background_uses(state),
    )


def app_signals(state: DeviceState, name: str, seen: Seen | None = None) -> list[Signal]:
    """Every signal of ``name``, in a fixed order (how it came, powers, hiding, use);
    ``seen`` is :func:`seen_on` of ``state``, computed here when not given."""
    seen = seen_on(state) if seen is None else seen
    pkg = None if isinstance(state.packages, Unavailable) else state.packages.value.get(name)
    found = state.package_components
    facts = None if isinstance(found, Unavailable) else found.value
    signals: list[Signal | None] = []
    if pkg is not None:
        chain = _install_chain(state, pkg, facts)
        signals += [chain, _poses_as_system(state, pkg, chain is not None)]
    signals += list(_powers(seen, name))
    signals.append(_hidden_icon(state, name))
    signals += list(_background(seen, name))
    if pkg is not None:
        signals.append(_recent(state, pkg, facts))
    return [s for s in signals if s is not None]
