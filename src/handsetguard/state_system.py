"""The device state's system facets: the settings (``dumpsys settings``, else ``settings list``
outputs, else the SettingsProvider record of ``APP PROVIDERS``), the SELinux mode (getenforce,
else the kernel log), the kernel command line, and whether the input's clock was ever set."""

from __future__ import annotations

from functools import partial

from handsetguard.device import BootInfo, Located, SelinuxMode, SelinuxStatus, Unavailable
from handsetguard.evidence import CoverageEntry, CoverageStatus, Evidence, Provenance, Section
from handsetguard.parsers.dumpstate_header import parse_dumpstate_header
from handsetguard.parsers.kernel_log import SelinuxEventKind, parse_kernel_selinux
from handsetguard.parsers.provider_settings import parse_provider_settings
from handsetguard.parsers.settings import (
    Namespace,
    Settings,
    parse_dumpsys_settings,
    parse_settings_list,
)
from handsetguard.sources.dumpstate import dumpstate_time
from handsetguard.state_builder import FacetBuilder

__all__ = ["boot_facet", "recorded_clock_unset", "selinux_facet", "settings_facet"]


def _settings_list(text: str, namespace: Namespace, user: int) -> Settings:
    return parse_settings_list(text, namespace, user)


def _settings_sections(builder: FacetBuilder) -> list[tuple[Section, Namespace, int]]:
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


def settings_facet(
    builder: FacetBuilder,
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


def selinux_facet(builder: FacetBuilder, build_type: str | None) -> SelinuxStatus | Unavailable:
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
    builder: FacetBuilder, build_type: str | None
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


def recorded_clock_unset(evidence: Evidence) -> str | None:
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


def boot_facet(builder: FacetBuilder) -> BootInfo | Unavailable:
    section = builder.evidence.get("header")
    if section is None:
        return Unavailable("the input has no dumpstate header (kernel command line)")
    header = parse_dumpstate_header(section.text)
    if header.boot_params_line is None:
        return Unavailable(
            f"the dumpstate header at {section.provenance} has no kernel command line"
        )
    return BootInfo(header.boot_params, section.provenance.at(header.boot_params_line))
