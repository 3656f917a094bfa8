"""Build a DeviceState from Evidence: run each parser on its section, record what was covered.

This is the only place that knows which section feeds which facet. A parser's ``ParseError``
becomes a coverage entry and an :class:`Unavailable` facet; it never stops the run.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from functools import partial
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from handsetguard.boundedio import loads_bounded
from handsetguard.device import (
    BootInfo,
    DeviceIdentity,
    DeviceState,
    Located,
    SelinuxMode,
    SelinuxStatus,
    Unavailable,
)
from handsetguard.errors import ParseError
from handsetguard.evidence import CoverageEntry, CoverageStatus, Evidence, Provenance, Section
from handsetguard.parsers.accessibility import parse_accessibility
from handsetguard.parsers.adb import parse_dumpsys_adb
from handsetguard.parsers.appops import parse_appops
from handsetguard.parsers.device_policy import parse_device_policy
from handsetguard.parsers.dumpstate_header import parse_dumpstate_header
from handsetguard.parsers.dumpsys_package import parse_dumpsys_package
from handsetguard.parsers.files_json import parse_files_json, parse_path_listing
from handsetguard.parsers.getprop import Properties, parse_getprop
from handsetguard.parsers.kernel_log import SelinuxEventKind, parse_kernel_selinux
from handsetguard.parsers.links import Links, parse_intent_links, parse_log_links, parse_sms_json
from handsetguard.parsers.lock_settings import parse_lock_settings, parse_window_keyguard
from handsetguard.parsers.mounts import parse_mounts
from handsetguard.parsers.notification import parse_notification_listeners
from handsetguard.parsers.package_components import PackageComponents, parse_package_components
from handsetguard.parsers.package_mentions import SECTIONS as MENTION_SECTIONS
from handsetguard.parsers.package_mentions import PackageMentions, parse_package_mentions
from handsetguard.parsers.packages_json import parse_packages_json
from handsetguard.parsers.processes import parse_processes
from handsetguard.parsers.provider_settings import parse_provider_settings
from handsetguard.parsers.settings import (
    Namespace,
    Settings,
    parse_dumpsys_settings,
    parse_settings_list,
)
from handsetguard.parsers.values import split_lines
from handsetguard.sources.bugreport_fs import TOMBSTONE_SECTION
from handsetguard.sources.dumpstate import dumpstate_time
from handsetguard.state_apks import apks_facet

__all__ = ["build_state"]

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (a check never does)
if TYPE_CHECKING:
    from typing import TypeVar

    T = TypeVar("T")


class _Builder:
    def __init__(self, evidence: Evidence) -> None:
        self.evidence = evidence
        self.coverage: list[CoverageEntry] = list(evidence.problems)

    def missing(self, names: tuple[str, ...]) -> Unavailable:
        wanted = " or ".join(names)
        self.coverage.append(
            CoverageEntry(
                # Not the input's path: a live run and the offline re-check of its snapshot
                # must read the same.
                names[0],
                CoverageStatus.MISSING,
                f"no {wanted} section in the input",
            )
        )
        return Unavailable(f"the input has no {wanted} section")

    def run(self, section: Section, parse: Callable[[str], T]) -> Located[T] | Unavailable:
        try:
            value = parse(section.text)
        except ParseError as exc:
            self.coverage.append(
                CoverageEntry(section.name, CoverageStatus.ERROR, exc.message, section.provenance)
            )
            return Unavailable(
                f"{section.name} at {section.provenance} could not be parsed: {exc.message}"
            )
        self.coverage.append(
            CoverageEntry(section.name, CoverageStatus.PARSED, "", section.provenance)
        )
        return Located(value, section.provenance)

    def facet(self, names: tuple[str, ...], parse: Callable[[str], T]) -> Located[T] | Unavailable:
        """Parse the first present of ``names`` (in order of preference)."""
        for name in names:
            section = self.evidence.get(name)
            if section is not None:
                return self.run(section, parse)
        return self.missing(names)


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


def _settings_list(text: str, namespace: Namespace, user: int) -> Settings:
    return parse_settings_list(text, namespace, user)


def _settings_sections(builder: _Builder) -> list[tuple[Section, Namespace, int]]:
    """``settings:<namespace>`` (user 0) and ``settings:<namespace>:<user>`` sections."""
    found = []
    for name, section in sorted(builder.evidence.sections.items()):
        parts = name.split(":")
        if parts[0] != "settings" or len(parts) not in (2, 3):
            continue
        try:
            namespace = Namespace(parts[1])
        except ValueError:
            continue
        user = parts[2] if len(parts) == 3 else "0"
        if user.isdigit():
            found.append((section, namespace, int(user)))
    return found


# Android <= 7 bugreports have no `dumpsys settings`: the tables are only in the
# SettingsProvider record of `dumpsys activity provider all` (platform half on Android 9+).
_PROVIDER_SECTIONS = ("app_providers", "app_providers:platform")


def _settings(
    builder: _Builder,
) -> tuple[Located[Settings] | Unavailable, dict[tuple[Namespace, int], Provenance]]:
    """Settings from ``dumpsys settings``, else merged from per-namespace, per-user
    ``settings list`` outputs (whose records keep their own file as origin), else from the
    SettingsProvider record of the bugreport's ``APP PROVIDERS`` section."""
    dumped = builder.evidence.get("dumpsys:settings")
    if dumped is not None:
        return builder.run(dumped, parse_dumpsys_settings), {}
    merged: Located[Settings] | None = None
    origins: dict[tuple[Namespace, int], Provenance] = {}
    for section, namespace, user in _settings_sections(builder):
        result = builder.run(section, partial(_settings_list, namespace=namespace, user=user))
        if isinstance(result, Unavailable):
            continue
        origins[(namespace, user)] = result.origin
        merged = (
            result if merged is None else Located(merged.value.merge(result.value), merged.origin)
        )
    if merged is not None:
        return merged, origins
    for name in _PROVIDER_SECTIONS:
        providers = builder.evidence.get(name)
        if providers is not None:
            return builder.run(providers, parse_provider_settings), origins
    return builder.missing(("dumpsys:settings", "settings:global", *_PROVIDER_SECTIONS)), origins


def _selinux(builder: _Builder, build_type: str | None) -> SelinuxStatus | Unavailable:
    section = builder.evidence.get("selinux")
    if section is None:
        return _selinux_from_kernel_log(builder, build_type)
    word = section.text.strip().split("\n", 1)[0].strip().lower()
    for mode in SelinuxMode:
        if word == mode.value:
            builder.coverage.append(
                CoverageEntry("selinux", CoverageStatus.PARSED, "", section.provenance)
            )
            return SelinuxStatus(mode, f"getenforce: {word.capitalize()}", section.provenance)
    builder.coverage.append(
        CoverageEntry(
            "selinux",
            CoverageStatus.ERROR,
            f"unexpected getenforce output {word[:40]!r}",
            section.provenance,
        )
    )
    return Unavailable(f"getenforce output at {section.provenance} is not a SELinux mode")


_KERNEL_PROOF = {
    SelinuxEventKind.ENFORCED_DENIAL: SelinuxMode.ENFORCING,
    SelinuxEventKind.SWITCHED_ENFORCING: SelinuxMode.ENFORCING,
    SelinuxEventKind.SWITCHED_PERMISSIVE: SelinuxMode.PERMISSIVE,
    SelinuxEventKind.UNENFORCED_CORE_DENIAL: SelinuxMode.PERMISSIVE,
    SelinuxEventKind.UNENFORCED_DENIAL: SelinuxMode.PERMISSIVE,
}


def _selinux_from_kernel_log(
    builder: _Builder, build_type: str | None
) -> SelinuxStatus | Unavailable:
    """Without getenforce, the kernel log's newest enforced denial (``permissive=0``),
    ``setenforce`` switch or unenforced denial of a core domain; other ``permissive=1``
    denials alone prove no mode (permissive domains) — except on a user build, where no domain
    may be permissive (CDD 9.7; AOSP marks domains permissive only for userdebug/eng), so an
    unenforced denial there means SELinux was not enforcing."""
    section = builder.evidence.get("kernel_log")
    if section is None:
        return Unavailable("the input records no runtime SELinux mode (getenforce, kernel log)")
    found = parse_kernel_selinux(section.text)
    builder.coverage.append(
        CoverageEntry("kernel_log", CoverageStatus.PARSED, "", section.provenance)
    )
    latest = found.latest
    unenforced = found.last_unenforced
    if build_type == "user" and unenforced is not None:
        if latest is None or unenforced.line > latest.line:
            latest = unenforced
    if latest is None:
        seen = (
            f"only {found.permissive_denials} permissive=1 denial(s), which permissive domains "
            "also log on an enforcing system"
            if found.permissive_denials
            else "no SELinux denial or mode switch"
        )
        return Unavailable(
            f"the input records no runtime SELinux mode (no getenforce; the kernel log at "
            f"{section.provenance} has {seen})"
        )
    return SelinuxStatus(
        _KERNEL_PROOF[latest.kind], f"kernel log: {latest.text}", section.provenance.at(latest.line)
    )


# A recorded clock before this year was never set (phones boot at 1970 or their RTC's epoch,
# e.g. 1980-01-06); sources/bugreport.py applies the same rule to the dumpstate header.
_CLOCK_SET_SINCE = 2000


def _recorded_clock_unset(evidence: Evidence) -> str | None:
    """The recorded time and where, when the input's only clock reading was never set."""
    if evidence.acquired_at is not None:
        if evidence.acquired_at.when.year >= _CLOCK_SET_SINCE:
            return None
        when = evidence.acquired_at.when
        return f"{when:%Y-%m-%d %H:%M:%S} ({evidence.acquired_at.origin})"
    header = evidence.get("header")
    if header is None:
        return None
    recorded = dumpstate_time(header.data)
    if recorded is None or recorded.year >= _CLOCK_SET_SINCE:
        return None
    return f"{recorded:%Y-%m-%d %H:%M:%S} (dumpstate header of {header.provenance.file})"


def _boot(builder: _Builder) -> BootInfo | Unavailable:
    section = builder.evidence.get("header")
    if section is None:
        return Unavailable("the input has no dumpstate header (kernel command line)")
    header = parse_dumpstate_header(section.text)
    if header.boot_params_line is None:
        return Unavailable(
            f"the dumpstate header at {section.provenance} has no kernel command line"
        )
    return BootInfo(header.boot_params, section.provenance.at(header.boot_params_line))


def _path_lines(text: str) -> tuple[str, ...]:
    """The live collector's root probe prints one existing path per line."""
    return tuple(line.strip() for line in text.split("\n") if line.strip().startswith("/"))


def _json_strings(text: str) -> tuple[str, ...]:
    value = loads_bounded(text, "root_binaries.json", ParseError)  # depth-checked first
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ParseError("root_binaries.json: expected a JSON list of paths")
    return tuple(value)


def _package_components(
    section: Section | None, lines: list[str] | None
) -> Located[PackageComponents] | Unavailable:
    """A second reading of ``dumpsys package`` (no coverage entry of its own: the package
    facet already records the section); the reader never raises."""
    if section is None:
        return Unavailable("the input has no dumpsys package (resolver table, components)")
    return Located(parse_package_components(section.text, lines), section.provenance)


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
            value = parse_package_mentions(section.text, name)
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


def _links(builder: _Builder) -> tuple[tuple[str, Located[Links]], ...]:
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
    builder = _Builder(evidence)
    properties = builder.facet(("getprop",), parse_getprop)
    props = None if isinstance(properties, Unavailable) else properties.value
    tz, tz_name = _timezone(props)
    acquired: datetime | None = None
    origin: str | None = None
    clock_unset = _recorded_clock_unset(evidence)
    if evidence.acquired_at is not None and clock_unset is None:
        acquired = evidence.acquired_at.when
        if acquired.tzinfo is None:
            acquired = acquired.replace(tzinfo=tz)
        origin = evidence.acquired_at.origin
    package_dump = evidence.get("dumpsys:package")
    # The package dump's two readers (its packages, its components) share one split of it,
    # read one after the other (only then is the list dropped: the peak stays one split).
    package_lines = None if package_dump is None else split_lines(package_dump.text)
    packages = (
        builder.facet(("dumpsys:package",), partial(parse_dumpsys_package, lines=package_lines))
        if package_dump is not None
        else builder.facet(("androidqf:packages",), parse_packages_json)
    )
    package_components = _package_components(package_dump, package_lines)
    del package_lines
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
    settings, settings_origins = _settings(builder)
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
        selinux=_selinux(builder, props.get("ro.build.type") if props is not None else None),
        root_binaries=root_binaries,
        processes=processes,
        boot=_boot(builder),
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
