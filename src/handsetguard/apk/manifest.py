"""What an APK's AndroidManifest.xml declares, read from its AXML element tree: identity,
SDK levels, permissions (dangerous and signature-level ones flagged, duplicates kept),
components with their effective ``exported`` (explicit, or implied by intent filters and the
target SDK as the platform decides), the launcher activity, the powerful service kinds
(accessibility, notification listener, device admin, VPN, input method) and the flags a
reviewer looks at first. Values that point into resources.arsc are kept as references."""

from __future__ import annotations

from handsetguard.apk.axml import Element, Reference, Value
from handsetguard.apk.permissions import DANGEROUS, POWERFUL_BINDINGS, SIGNATURE_LEVEL
from handsetguard.records import record

__all__ = ["Component", "Manifest", "Permission", "read_manifest"]

SDK_S = 31  # from S, a component with intent filters must say android:exported
SDK_J_MR1 = 17  # from J MR1, providers are not exported by default
COMPONENT_TAGS = ("activity", "activity-alias", "service", "receiver", "provider")


@record
class Permission:
    name: str
    dangerous: bool
    signature: bool
    count: int  # how many times it is declared (duplicates are a packer's tell)
    max_sdk: int | None = None


@record
class Component:
    kind: str
    name: str
    exported: bool
    exported_explicit: bool
    permission: str | None
    intent_actions: tuple[str, ...]
    role: str | None  # accessibility, notification_listener, device_admin, vpn, input_method
    enabled: bool = True


@record
class Manifest:
    package: str
    label: str | None  # the application's label (resolved from resources.arsc when it can be)
    version_code: int | None
    version_name: str | None
    min_sdk: int
    target_sdk: int
    max_sdk: int | None
    compile_sdk: int | None
    target_sandbox: int
    permissions: tuple[Permission, ...]
    declared_permissions: tuple[str, ...]
    components: tuple[Component, ...]
    launcher: str | None
    debuggable: bool | str
    allow_backup: bool | str
    uses_cleartext_traffic: bool | str | None
    network_security_config: str | None
    shared_user_id: str | None
    test_only: bool
    missing_exported: tuple[str, ...]  # components the platform refuses to install (target >= S)


def _int(value: Value, default: int | None) -> int | None:
    if isinstance(value, bool) or value is None:
        return default
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    return 10_000 if text and not isinstance(value, Reference) else default  # a codename: a preview


def _flag(value: Value, default: bool) -> bool | str:
    """A boolean attribute; a resource reference stays as its ``@0x…`` text (unresolved)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, Reference):
        return str(value)
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return default


def _text(value: Value) -> str | None:
    return None if value is None else str(value)


def _class_name(package: str, name: str) -> str:
    if name.startswith("."):
        return package + name
    return name if "." in name else f"{package}.{name}"


def read_manifest(root: Element) -> Manifest:
    """The manifest's facts; ``root`` is the ``<manifest>`` element."""
    attrs = root.attributes
    package = _text(attrs.get("package")) or ""
    sdk = next(iter(root.iter("uses-sdk")), Element("uses-sdk")).attributes
    min_sdk = _int(sdk.get("android:minSdkVersion"), 1) or 1
    target_sdk = _int(sdk.get("android:targetSdkVersion"), min_sdk) or min_sdk
    application = next(iter(root.iter("application")), Element("application"))
    app = application.attributes
    components, missing = _components(application, package, target_sdk)
    launcher = next(
        (
            c.name
            for c in components
            if c.kind in ("activity", "activity-alias")
            and c.enabled
            and "android.intent.action.MAIN" in c.intent_actions
            and _has_launcher(application, c.name, package)
        ),
        None,
    )
    return Manifest(
        package=package,
        label=_text(app.get("android:label")),
        version_code=_int(attrs.get("android:versionCode"), None),
        version_name=_text(attrs.get("android:versionName")),
        min_sdk=min_sdk,
        target_sdk=target_sdk,
        max_sdk=_int(sdk.get("android:maxSdkVersion"), None),
        compile_sdk=_int(attrs.get("android:compileSdkVersion"), None),
        target_sandbox=_int(attrs.get("android:targetSandboxVersion"), 1) or 1,
        permissions=_permissions(root),
        declared_permissions=tuple(
            _text(e.attributes.get("android:name")) or "" for e in root.iter("permission")
        ),
        components=tuple(components),
        launcher=launcher,
        debuggable=_flag(app.get("android:debuggable"), False),
        allow_backup=_flag(app.get("android:allowBackup"), True),
        uses_cleartext_traffic=(
            _flag(app["android:usesCleartextTraffic"], True)
            if "android:usesCleartextTraffic" in app
            else None
        ),
        network_security_config=_text(app.get("android:networkSecurityConfig")),
        shared_user_id=_text(attrs.get("android:sharedUserId")),
        test_only=_flag(app.get("android:testOnly"), False) is True,
        missing_exported=tuple(missing),
    )


def _permissions(root: Element) -> tuple[Permission, ...]:
    counts: dict[str, int] = {}
    max_sdk: dict[str, int | None] = {}
    for tag in ("uses-permission", "uses-permission-sdk-23", "uses-permission-sdk-m"):
        for element in root.iter(tag):
            name = _text(element.attributes.get("android:name")) or ""
            counts[name] = counts.get(name, 0) + 1
            max_sdk.setdefault(name, _int(element.attributes.get("android:maxSdkVersion"), None))
    return tuple(
        Permission(name, name in DANGEROUS, name in SIGNATURE_LEVEL, count, max_sdk[name])
        for name, count in counts.items()
    )


def _actions(element: Element) -> tuple[str, ...]:
    return tuple(
        _text(action.attributes.get("android:name")) or ""
        for intent_filter in element.children
        if intent_filter.tag == "intent-filter"
        for action in intent_filter.children
        if action.tag == "action"
    )


def _has_launcher(application: Element, name: str, package: str) -> bool:
    for element in application.children:
        if element.tag not in ("activity", "activity-alias"):
            continue
        if _class_name(package, _text(element.attributes.get("android:name")) or "") != name:
            continue
        for intent_filter in element.children:
            if intent_filter.tag != "intent-filter":
                continue
            names = {
                (c.tag, _text(c.attributes.get("android:name"))) for c in intent_filter.children
            }
            if ("action", "android.intent.action.MAIN") in names and (
                "category",
                "android.intent.category.LAUNCHER",
            ) in names:
                return True
    return False


def _components(
    application: Element, package: str, target_sdk: int
) -> tuple[list[Component], list[str]]:
    components: list[Component] = []
    missing: list[str] = []
    for element in application.children:
        if element.tag not in COMPONENT_TAGS:
            continue
        attrs = element.attributes
        name = _class_name(package, _text(attrs.get("android:name")) or "")
        actions = _actions(element)
        has_filter = any(c.tag == "intent-filter" for c in element.children)
        explicit = attrs.get("android:exported")
        if explicit is not None:
            exported = _flag(explicit, False) is True
        elif element.tag == "provider":
            exported = target_sdk < SDK_J_MR1
        else:
            exported = has_filter
            if has_filter and target_sdk >= SDK_S:
                missing.append(name)
        permission = _text(attrs.get("android:permission"))
        role = POWERFUL_BINDINGS.get(permission or "") or next(
            (POWERFUL_BINDINGS[a] for a in actions if a in POWERFUL_BINDINGS), None
        )
        components.append(
            Component(
                element.tag,
                name,
                exported,
                explicit is not None,
                permission,
                actions,
                role,
                _flag(attrs.get("android:enabled"), True) is not False,
            )
        )
    return components, missing
