"""Checks on the powers third-party apps hold over the owner: accessibility services,
notification access and device administration — what stalkerware needs. An entry of one of
these lists that could not be read keeps its check from passing (stalkerware picks names)."""

from __future__ import annotations

from handsetguard.checks.apps import (
    component_package,
    is_system,
    names,
    third_party,
    unreadable_evidence,
    unreadable_summary,
)
from handsetguard.checks.common import AMAPI, Registry, not_assessed, setting_evidence, unavailable
from handsetguard.checks.model import CheckContext, EvidenceItem, Finding, Severity, Status, Titles
from handsetguard.device import DeviceState, Unavailable
from handsetguard.parsers.component import Unreadable, is_component, parse_component, unreadable
from handsetguard.parsers.settings import Namespace
from handsetguard.records import record

__all__ = ["CHECKS"]

_registry = Registry()
check = _registry.check


# The lists of dumpsys accessibility that say what runs; ``installed services`` does not.
_ACTIVE_LISTS = ("enabled services", "bound services", "binding services", "crashed services")


@record
class _Services:
    """The enabled accessibility services of one source, what it could not read, and the
    evidence (the source first, then one item per unreadable entry)."""

    source: str
    services: list[str]
    unreadable: list[Unreadable]
    evidence: list[EvidenceItem]


def _accessibility_components(state: DeviceState) -> _Services | None:
    """From dumpsys accessibility, else the secure setting; ``None`` if neither is recorded."""
    if not isinstance(state.accessibility, Unavailable):
        dumped, origin = state.accessibility.value, state.accessibility.origin
        bad = [u for u in dumped.unreadable if u.where in _ACTIVE_LISTS]
        return _Services(
            "dumpsys accessibility",
            [s for user in dumped.users for s in user.enabled_services],
            bad,
            [
                EvidenceItem("dumpsys accessibility enabled services", origin),
                *unreadable_evidence(bad, origin),
            ],
        )
    setting = state.setting(Namespace.SECURE, "enabled_accessibility_services")
    if setting is None or setting.value is None:
        return None
    # AccessibilityManagerService splits the setting on ':' and unflattens each part.
    entries = [s for s in setting.value.split(":") if s]
    bad = [
        unreadable("enabled_accessibility_services", s, 0)
        for s in entries
        if parse_component(s) is None
    ]
    item = setting_evidence(state, setting)
    return _Services(
        "secure enabled_accessibility_services",
        [s for s in entries if parse_component(s) is not None],
        bad,
        [item, *unreadable_evidence(bad, item.location, at_line=False)],
    )


@check(
    "accessibility_services",
    Titles(
        "Accessibility services",
        "No third-party accessibility service",
        "Third-party accessibility service enabled",
        "Accessibility services unknown",
        warned="An accessibility-service entry could not be read",
    ),
    Severity.MEDIUM,
    "Turn off accessibility services you do not rely on (Settings > Accessibility): "
    "they can read the screen and act for you.",
    (f"{AMAPI}: permittedAccessibilityServices",),
)
def accessibility_services(state: DeviceState, ctx: CheckContext) -> Finding:  # noqa: ARG001
    found = _accessibility_components(state)
    if found is None:
        if isinstance(state.accessibility, Unavailable):
            return unavailable(state.accessibility, "accessibility services")
        return not_assessed("accessibility services are not recorded")
    third = third_party(state, found.services)
    problems = []
    if third:
        problems.append(
            f"{len(third)} third-party accessibility service(s) can read and control the screen"
        )
    if found.unreadable:
        problems.append(unreadable_summary(found.unreadable, found.source))
    if not problems:
        return Finding(
            Status.PASS,
            f"{len(set(found.services))} enabled service(s), none third-party",
            (found.evidence[0],),
        )
    where = found.evidence[0].location
    evidence = [EvidenceItem(f"enabled: {c}", where) for c in third] + found.evidence[1:]
    # A third-party service is a control not met; an unreadable entry only keeps it from passing.
    return Finding(Status.FAIL if third else Status.WARN, "; ".join(problems), tuple(evidence))


@check(
    "notification_listeners",
    Titles(
        "Notification access",
        "No third-party app reads notifications",
        "Third-party apps read every notification",
        "Notification access unknown",
        warned="A notification-access entry could not be read",
    ),
    Severity.MEDIUM,
    "Revoke notification access for apps you do not trust (Settings > Apps > Special app "
    "access > Notification access).",
    (),
)
def notification_listeners(state: DeviceState, ctx: CheckContext) -> Finding:  # noqa: ARG001
    # The secure setting when recorded, else dumpsys notification's approved (Android 8+) or
    # enabled list. An entry neither can read is named and keeps the check from passing.
    evidence: list[EvidenceItem] = []
    unreadable: list[str] = []
    setting = state.setting(Namespace.SECURE, "enabled_notification_listeners")
    if setting is not None:
        listeners = [c for c in (setting.value or "").split(":") if c]
        unreadable = [c for c in listeners if not is_component(c)]
        listeners = [c for c in listeners if is_component(c)]
        evidence.append(setting_evidence(state, setting))
        source = "secure enabled_notification_listeners"
    else:
        dumped = state.notification_listeners
        approved = None if isinstance(dumped, Unavailable) else dumped.value.approved
        if isinstance(dumped, Unavailable) or approved is None:
            why = dumped.reason if isinstance(dumped, Unavailable) else "it lists none"
            settings = state.settings
            unset = settings.reason if isinstance(settings, Unavailable) else "not recorded"
            return not_assessed(
                f"cannot assess notification listeners: secure enabled_notification_listeners "
                f"is unknown ({unset}) and dumpsys notification gives no listener list ({why})"
            )
        kind, entries = approved
        origin = dumped.value.list_lines.get(kind, dumped.value.header_line)
        listeners = [e.component for e in entries]
        third_ids = set(third_party(state, listeners))
        evidence.append(
            EvidenceItem(f"dumpsys notification: {kind.value} listeners", dumped.origin.at(origin))
        )
        evidence += [
            EvidenceItem(f"{kind.value} listener: {e.component}", dumped.origin.at(e.line))
            for e in entries
            if e.component in third_ids
        ]
        for bad in dumped.value.unreadable:
            unreadable.append(bad.text)
            evidence.append(
                EvidenceItem(
                    f"unreadable {bad.kind.value} entry: {bad.text}", dumped.origin.at(bad.line)
                )
            )
        source = f"dumpsys notification ({kind.value})"
    third = third_party(state, listeners)
    problems = []
    if third:
        problems.append(
            f"{len(third)} third-party app(s) read every notification: "
            + names(component_package(c) for c in third)
        )
    if unreadable:
        problems.append(
            f"{len(unreadable)} listener entr{'y' if len(unreadable) == 1 else 'ies'} in "
            f"{source} could not be read: " + names(text[:80] for text in unreadable)
        )
    if not problems:
        return Finding(
            Status.PASS,
            f"{len(set(listeners))} listener(s), none third-party ({source})",
            tuple(evidence),
        )
    # A third-party listener is a control not met; an entry that could not be read only keeps
    # the check from passing.
    status = Status.FAIL if third else Status.WARN
    return Finding(status, "; ".join(problems), tuple(evidence))


@check(
    "device_admins",
    Titles(
        "Device administrators",
        "No unexpected device admin or owner",
        "Third-party device admin or device owner present",
        "Device administrators unknown",
        warned="A device-admin entry could not be read",
    ),
    Severity.MEDIUM,
    "Remove device admin apps you do not recognise (Settings > Security > Device admin apps).",
    (f"{AMAPI}: device/profile owner is the EMM's DPC",),
)
def device_admins(state: DeviceState, ctx: CheckContext) -> Finding:  # noqa: ARG001
    if isinstance(state.device_policy, Unavailable):
        return unavailable(state.device_policy, "device administrators")
    policy = state.device_policy.value
    origin = state.device_policy.origin
    evidence: list[EvidenceItem] = []
    if policy.device_owner is not None:
        evidence.append(
            EvidenceItem(
                f"device owner: {policy.device_owner.component}",
                origin.at(policy.device_owner.line),
            )
        )
    third = [admin for admin in policy.admins if is_system(state, admin.package) is not True]
    evidence += [
        EvidenceItem(f"device admin (user {a.user_id}): {a.component}", origin.at(a.line))
        for a in third
    ]
    unread = unreadable_evidence(policy.unreadable, origin)
    problems = []
    if evidence:
        problems.append(
            f"{len(third)} third-party device admin(s)"
            + (" and a device owner" if policy.device_owner else "")
            + (": " + names(a.package for a in third) if third else "")
        )
    if policy.unreadable:
        problems.append(unreadable_summary(policy.unreadable, "dumpsys device_policy"))
    if problems:
        # A third-party admin or a device owner is a control not met; an admin or owner entry
        # that could not be read only keeps the check from passing.
        status = Status.FAIL if evidence else Status.WARN
        return Finding(status, "; ".join(problems), (*evidence, *unread))
    return Finding(Status.PASS, f"{len(policy.admins)} device admin(s), all system apps")


CHECKS = tuple(_registry.checks)
