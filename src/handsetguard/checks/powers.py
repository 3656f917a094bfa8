"""Checks on the powers third-party apps hold over the owner: accessibility services,
notification access and device administration — what stalkerware needs."""

from __future__ import annotations

from handsetguard.checks.apps import component_package, is_system, names, third_party
from handsetguard.checks.common import AMAPI, Registry, not_assessed, setting_evidence, unavailable
from handsetguard.checks.model import CheckContext, EvidenceItem, Finding, Severity, Status, Titles
from handsetguard.device import DeviceState, Unavailable
from handsetguard.parsers.notification import is_component
from handsetguard.parsers.settings import Namespace

__all__ = ["CHECKS"]

_registry = Registry()
check = _registry.check


def _accessibility_components(state: DeviceState) -> tuple[list[str], EvidenceItem | None]:
    if not isinstance(state.accessibility, Unavailable):
        services = [s for user in state.accessibility.value.users for s in user.enabled_services]
        return services, EvidenceItem(
            "dumpsys accessibility enabled services", state.accessibility.origin
        )
    setting = state.setting(Namespace.SECURE, "enabled_accessibility_services")
    if setting is None or setting.value is None:
        return [], None
    services = [s for s in setting.value.split(":") if s]
    return services, setting_evidence(state, setting)


@check(
    "accessibility_services",
    Titles(
        "Accessibility services",
        "No third-party accessibility service",
        "Third-party accessibility service enabled",
        "Accessibility services unknown",
    ),
    Severity.MEDIUM,
    "Turn off accessibility services you do not rely on (Settings > Accessibility): "
    "they can read the screen and act for you.",
    (f"{AMAPI}: permittedAccessibilityServices",),
)
def accessibility_services(state: DeviceState, ctx: CheckContext) -> Finding:  # noqa: ARG001
    services, source = _accessibility_components(state)
    if source is None:
        if isinstance(state.accessibility, Unavailable):
            return unavailable(state.accessibility, "accessibility services")
        return not_assessed("accessibility services are not recorded")
    third = third_party(state, services)
    if not third:
        return Finding(
            Status.PASS, f"{len(set(services))} enabled service(s), none third-party", (source,)
        )
    evidence = tuple(EvidenceItem(f"enabled: {c}", source.location) for c in third)
    return Finding(
        Status.FAIL,
        f"{len(third)} third-party accessibility service(s) can read and control the screen",
        evidence,
    )


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
    if evidence:
        return Finding(
            Status.FAIL,
            f"{len(third)} third-party device admin(s)"
            + (" and a device owner" if policy.device_owner else "")
            + (": " + names(a.package for a in third) if third else ""),
            tuple(evidence),
        )
    return Finding(Status.PASS, f"{len(policy.admins)} device admin(s), all system apps")


CHECKS = tuple(_registry.checks)
