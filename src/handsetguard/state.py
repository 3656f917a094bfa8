"""Build a DeviceState from Evidence: run each parser on its section, record what was covered.

This module and its helpers (``state_system``: settings, SELinux, boot, the clock;
``state_apks``: the collected APKs; ``state_builder``: the facet builder) are the only place
that knows which section feeds which facet. A parser's ``ParseError`` becomes a coverage entry
and an :class:`Unavailable` facet; it never stops the run.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from functools import partial
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from handsetguard.boundedio import loads_bounded
from handsetguard.device import DeviceIdentity, DeviceState, Located, Unavailable
from handsetguard.errors import ParseError
from handsetguard.evidence import CoverageEntry, CoverageStatus, Evidence, Provenance, Section
from handsetguard.parsers.accessibility import parse_accessibility
from handsetguard.parsers.adb import parse_dumpsys_adb
from handsetguard.parsers.appops import parse_appops
from handsetguard.parsers.device_policy import parse_device_policy
from handsetguard.parsers.dumpsys_package import parse_package_lines
from handsetguard.parsers.files_json import parse_files_json, parse_path_listing
from handsetguard.parsers.getprop import Properties, parse_getprop
from handsetguard.parsers.links import Links, parse_intent_links, parse_log_links, parse_sms_json
from handsetguard.parsers.lock_settings import parse_lock_settings, parse_window_keyguard
from handsetguard.parsers.mounts import parse_mounts
from handsetguard.parsers.notification import parse_notification_listeners
from handsetguard.parsers.package_components import PackageComponents, parse_package_components
from handsetguard.parsers.package_mentions import SECTIONS as MENTION_SECTIONS
from handsetguard.parsers.package_mentions import (
    PackageMentions,
    parse_package_mentions,
    parse_table_mentions,
)
from handsetguard.parsers.packages import PackageDump
from handsetguard.parsers.packages_json import parse_packages_json
from handsetguard.parsers.processes import parse_processes
from handsetguard.sources.bugreport_fs import TOMBSTONE_SECTION
from handsetguard.state_apks import apks_facet
from handsetguard.state_builder import FacetBuilder
from handsetguard.state_system import (
    boot_facet,
    recorded_clock_unset,
    selinux_facet,
    settings_facet,
)

__all__ = ["build_state"]

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (a check never does)
if TYPE_CHECKING:
    from typing import TypeVar

    T = TypeVar("T")


def _timezone(props: Properties | None) -> tuple[tzinfo, str | None]:
    name = props.get("persist.sys.timezone") if props is not None else None
    if name:
        try:
            return ZoneInfo(name), name
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return UTC, None


def _identity(props: Properties | None) -> DeviceIdentity:
    if props is None:
        return DeviceIdentity()
    get = props.get
    sdk_text = get("ro.build.version.sdk")
    return DeviceIdentity(
        manufacturer=get("ro.product.manufacturer") or get("ro.product.system.manufacturer"),
        brand=get("ro.product.brand") or get("ro.product.system.brand"),
        model=get("ro.product.model") or get("ro.product.system.model"),
        device=get("ro.product.device") or get("ro.product.system.device"),
        android_version=get("ro.build.version.release"),
        sdk=int(sdk_text) if sdk_text and sdk_text.isdigit() else None,
        security_patch=get("ro.build.version.security_patch"),
        vendor_security_patch=get("ro.vendor.build.security_patch"),
        build_fingerprint=get("ro.build.fingerprint"),
        build_type=get("ro.build.type"),
        build_tags=get("ro.build.tags"),
        serial=get("ro.serialno") or get("ro.boot.serialno"),
    )


def _path_lines(text: str) -> tuple[str, ...]:
    """The live collector's root probe prints one existing path per line."""
    return tuple(line.strip() for line in text.split("\n") if line.strip().startswith("/"))


def _json_strings(text: str) -> tuple[str, ...]:
    value = loads_bounded(text, "root_binaries.json", ParseError)  # depth-checked first
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ParseError("root_binaries.json: expected a JSON list of paths")
    return tuple(value)


def _package_dump(
    builder: FacetBuilder, section: Section
) -> tuple[Located[PackageDump] | Unavailable, Located[PackageComponents]]:
    """The packages of ``dumpsys package`` and its second reading, its components (no coverage
    entry of its own: the package facet records the section; that reader never raises). The
    two share one split of it, read one after the other, and only its lines are read (and its
    bytes, for the names it mentions): it is never decoded as one text (Section.lines)."""
    lines = section.lines()
    packages = builder.read(section, partial(parse_package_lines, lines))
    return packages, Located(parse_package_components(None, lines), section.provenance)


def _quiet(evidence: Evidence, name: str, parse: Callable[[str], T]) -> Located[T] | Unavailable:
    """A side facet for the indicator matcher: parsed without a coverage entry of its own (no
    check reads it, so it moves no coverage figure)."""
    section = evidence.get(name)
    if section is None:
        return Unavailable(f"the input has no {name} section")
    try:
        return Located(parse(section.text), section.provenance)
    except ParseError as exc:
        return Unavailable(f"{name} at {section.provenance} could not be parsed: {exc.message}")


def _package_mentions(evidence: Evidence) -> tuple[tuple[str, Located[PackageMentions]], ...]:
    """The package names the resolver tables, dbinfo, batterystats and platform_compat name."""
    found = []
    for name in MENTION_SECTIONS:
        section = evidence.get(name)
        if section is not None:
            value = (
                parse_table_mentions(section.data, section.start, section.end)
                if name == "dumpsys:package"  # read from its lines and bytes, never decoded
                else parse_package_mentions(section.text, name)
            )
            found.append((name, Located(value, section.provenance)))
    return tuple(found)


# Sections that carry links (intents' data, SMS bodies, log lines) and how each is read.
_LINK_PARSERS: dict[str, Callable[[str], Links]] = {
    "dumpsys:activity": parse_intent_links,
    "dumpsys:shortcut": parse_intent_links,
    "androidqf:sms": parse_sms_json,
    "logcat": parse_log_links,
}
LINK_SECTIONS = tuple(_LINK_PARSERS)


def _links(builder: FacetBuilder) -> tuple[tuple[str, Located[Links]], ...]:
    """The links of every section that carries them (``androidqf:sms`` and its ``:N``
    siblings, one per SMS backup member); a section that cannot be read is a coverage entry."""
    evidence = builder.evidence
    found = []
    for name in LINK_SECTIONS:
        if evidence.get(name) is None:
            continue
        siblings = sorted(n for n in evidence.sections if n.startswith(name + ":"))
        for each in (name, *siblings):
            located = _quiet(evidence, each, _LINK_PARSERS[name])
            if isinstance(located, Located):
                found.append((each, located))
            else:
                section = evidence.sections[each]
                builder.coverage.append(
                    CoverageEntry(each, CoverageStatus.ERROR, located.reason, section.provenance)
                )
    return tuple(found)


def _crashed_processes(evidence: Evidence) -> tuple[tuple[str, Provenance], ...]:
    """The process of each tombstone (sources/bugreport_fs.py: one section per tombstone)."""
    return tuple(
        (section.text.strip(), section.provenance)
        for name, section in sorted(evidence.sections.items())
        if name.startswith(TOMBSTONE_SECTION + ":")
    )


def build_state(evidence: Evidence) -> DeviceState:
    """Parse every section the checks need; nothing here raises on bad section content."""
    builder = FacetBuilder(evidence)
    properties = builder.facet(("getprop",), parse_getprop)
    props = None if isinstance(properties, Unavailable) else properties.value
    tz, tz_name = _timezone(props)
    acquired: datetime | None = None
    origin: str | None = None
    clock_unset = recorded_clock_unset(evidence)
    if evidence.acquired_at is not None and clock_unset is None:
        acquired = evidence.acquired_at.when
        if acquired.tzinfo is None:
            acquired = acquired.replace(tzinfo=tz)
        origin = evidence.acquired_at.origin
    package_dump = evidence.get("dumpsys:package")
    package_components: Located[PackageComponents] | Unavailable
    if package_dump is None:
        packages = builder.facet(("androidqf:packages",), parse_packages_json)
        package_components = Unavailable(
            "the input has no dumpsys package (resolver table, components)"
        )
    else:
        packages, package_components = _package_dump(builder, package_dump)
    root_binaries = (
        builder.facet(("androidqf:root_binaries",), _json_strings)
        if evidence.get("androidqf:root_binaries") is not None
        else builder.facet(("root_binaries",), _path_lines)
        if evidence.get("root_binaries") is not None
        else Unavailable(
            "the input has no root-binary probe (AndroidQF root_binaries.json or a live collection)"
        )
    )
    processes = builder.facet(("processes",), lambda text: parse_processes(text).names)
    settings, settings_origins = settings_facet(builder)
    listeners = builder.facet(("dumpsys:notification",), parse_notification_listeners)
    links = _links(builder)
    package_files = (
        packages
        if evidence.get("dumpsys:package") is None
        else _quiet(evidence, "androidqf:packages", parse_packages_json)
    )
    identity = _identity(props)
    apks = apks_facet(evidence, (packages, package_files), identity.sdk, builder.coverage)
    return DeviceState(
        source_kind=evidence.kind,
        source_path=evidence.path,
        acquired_at=acquired,
        acquired_at_origin=origin,
        timezone=tz_name,
        identity=identity,
        properties=properties,
        settings=settings,
        packages=packages,
        appops=builder.facet(
            ("dumpsys:appops",), lambda text: parse_appops(text, tz=tz, reference=acquired)
        ),
        accessibility=builder.facet(("dumpsys:accessibility",), parse_accessibility),
        device_policy=builder.facet(("dumpsys:device_policy",), parse_device_policy),
        lock_settings=builder.facet(("dumpsys:lock_settings",), parse_lock_settings),
        keyguard=builder.facet(("dumpsys:window",), parse_window_keyguard),
        adb=builder.facet(("dumpsys:adb",), parse_dumpsys_adb),
        mounts=builder.facet(("mounts",), parse_mounts),
        selinux=selinux_facet(builder, props.get("ro.build.type") if props is not None else None),
        root_binaries=root_binaries,
        processes=processes,
        boot=boot_facet(builder),
        notification_listeners=listeners,
        coverage=tuple(builder.coverage),  # last: every facet above adds its entry
        settings_origins=settings_origins,
        collector_key=evidence.collector_key,
        collection_window=evidence.collection_window,
        collection_errors=tuple(evidence.collection_errors),
        recorded_clock_unset=clock_unset,
        package_components=package_components,
        package_files=package_files,
        apks=apks,
        files=_quiet(evidence, "androidqf:files", parse_files_json)
        if evidence.get("androidqf:files") is not None
        else _quiet(evidence, "bugreport:fs", parse_path_listing),
        package_mentions=_package_mentions(evidence),
        links=links,
        crashed_processes=_crashed_processes(evidence),
    )
