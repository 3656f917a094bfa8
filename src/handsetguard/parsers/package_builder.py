"""The mutable builders of a ``dumpsys package`` entry (a package, its users) and the readers
of its attribute lines (``userId=``, ``versionCode=``, ``flags=[ … ]``, ``signatures=``…), each
into the builder's field; :mod:`handsetguard.parsers.dumpsys_package` walks the entries."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from types import MappingProxyType

from handsetguard.lazyre import lazy_compile
from handsetguard.parsers.packages import EnabledState, Package, PackageUser
from handsetguard.parsers.values import fixed_timestamp, parse_bool
from handsetguard.records import field, mutable_record

__all__ = ["ATTRIBUTES", "PackageBuilder", "UserBuilder", "entry_time"]

_INT_FIELD = {
    key: lazy_compile(rf"\b{key}=(-?[0-9]{{1,19}})\b")
    for key in ("versionCode", "minSdk", "targetSdk")
}
_LEADING_INT = lazy_compile(r"-?[0-9]{1,19}")
_SHARED_USER = lazy_compile(r"\{\S+ ([^/{}\s]+)/")
# "signatures:[" not after "past ": the look-behind after the literal, so that the regex
# engine can look for the literal (one before it is tried at every position of the value).
_SIGNATURES = lazy_compile(r"signatures:\[(?<!past signatures:\[)([^\]]*)\]")
_BRACKETED = lazy_compile(r"\[([^\]]*)\]")
_TIMESTAMP = lazy_compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")


@mutable_record
class UserBuilder:
    user_id: int
    line: int
    states: dict[str, str]
    first_install_time: datetime | None = None
    runtime_permissions: dict[str, bool] = field(default_factory=dict)

    def build(self) -> PackageUser:
        return PackageUser(
            user_id=self.user_id,
            line=self.line,
            installed=parse_bool(self.states.get("installed")),
            hidden=parse_bool(self.states.get("hidden")),
            suspended=parse_bool(self.states.get("suspended")),
            stopped=parse_bool(self.states.get("stopped")),
            not_launched=parse_bool(self.states.get("notLaunched")),
            enabled=_enabled(self.states.get("enabled")),
            first_install_time=self.first_install_time,
            runtime_permissions=MappingProxyType(self.runtime_permissions),
        )


@mutable_record
class PackageBuilder:
    """Mutable twin of :class:`Package` while its lines are read."""

    name: str
    line: int
    uid: int | None = None
    shared_user: str | None = None
    version_code: int | None = None
    version_name: str | None = None
    min_sdk: int | None = None
    target_sdk: int | None = None
    installer: str | None = None
    initiating_package: str | None = None
    code_path: str | None = None
    flags: frozenset[str] | None = None
    pkg_flags: frozenset[str] | None = None
    private_flags: frozenset[str] | None = None
    private_pkg_flags: frozenset[str] | None = None
    first_install_time: datetime | None = None
    last_update_time: datetime | None = None
    requested_permissions: list[str] = field(default_factory=list)
    install_permissions: dict[str, bool] = field(default_factory=dict)
    users: list[UserBuilder] = field(default_factory=list)
    signatures: tuple[str, ...] = ()
    skipped: int = 0

    def build(self, updated_system_app: bool) -> Package:
        flags = self.flags if self.flags is not None else self.pkg_flags or frozenset()
        private = self.private_flags if self.private_flags is not None else self.private_pkg_flags
        users = tuple(u.build() for u in self.users)
        first_install = self.first_install_time
        if first_install is None:
            per_user = [u.first_install_time for u in users if u.first_install_time is not None]
            first_install = min(per_user, default=None)
        return Package(
            name=self.name,
            line=self.line,
            uid=self.uid,
            shared_user=self.shared_user,
            version_code=self.version_code,
            version_name=self.version_name,
            min_sdk=self.min_sdk,
            target_sdk=self.target_sdk,
            installer=self.installer,
            initiating_package=self.initiating_package,
            code_path=self.code_path,
            flags=flags,
            private_flags=private or frozenset(),
            first_install_time=first_install,
            last_update_time=self.last_update_time,
            requested_permissions=tuple(self.requested_permissions),
            install_permissions=MappingProxyType(self.install_permissions),
            users=users,
            signatures=self.signatures,
            updated_system_app=updated_system_app or "UPDATED_SYSTEM_APP" in flags,
        )


def _set_uid(builder: PackageBuilder, value: str, _line: str) -> bool:
    builder.uid = _leading_int(value)
    return builder.uid is not None


def _set_shared_user(builder: PackageBuilder, value: str, _line: str) -> bool:
    match = _SHARED_USER.search(value)
    builder.shared_user = None if match is None else match.group(1)
    return match is not None


def _set_versions(builder: PackageBuilder, _value: str, line: str) -> bool:
    builder.version_code = _search_int(_INT_FIELD["versionCode"], line)
    builder.min_sdk = _search_int(_INT_FIELD["minSdk"], line)
    builder.target_sdk = _search_int(_INT_FIELD["targetSdk"], line)
    return builder.version_code is not None


def _text_setter(attribute: str) -> Callable[[PackageBuilder, str, str], bool]:
    """A string attribute's setter (``null`` is None); it always reads."""

    def setter(builder: PackageBuilder, value: str, _line: str) -> bool:
        setattr(builder, attribute, _nullable(value))
        return True

    return setter


def _flag_setter(attribute: str) -> Callable[[PackageBuilder, str, str], bool]:
    def setter(builder: PackageBuilder, value: str, _line: str) -> bool:
        match = _BRACKETED.match(value)
        if match is None:
            return False
        setattr(builder, attribute, frozenset(match.group(1).split()))
        return True

    return setter


def _time_setter(attribute: str) -> Callable[[PackageBuilder, str, str], bool]:
    def setter(builder: PackageBuilder, value: str, _line: str) -> bool:
        setattr(builder, attribute, entry_time(value))
        return True

    return setter


def _set_signatures(builder: PackageBuilder, value: str, _line: str) -> bool:
    # Android 9+: PackageSignatures{b5c4981 version:1, signatures:[d7f1f224], past signatures:[]}
    # Android 8 and older: PackageSignatures{4f3d7bd [a21a2de9]}
    match = _SIGNATURES.search(value) or _BRACKETED.search(value)
    if match is None:
        return False
    builder.signatures = tuple(s.strip() for s in match.group(1).split(",") if s.strip())
    return True


ATTRIBUTES: dict[str, Callable[[PackageBuilder, str, str], bool]] = {
    "userId": _set_uid,
    "appId": _set_uid,
    "sharedUser": _set_shared_user,
    "versionCode": _set_versions,
    "versionName": _text_setter("version_name"),
    "codePath": _text_setter("code_path"),
    "installerPackageName": _text_setter("installer"),
    "initiatingPackageName": _text_setter("initiating_package"),
    "flags": _flag_setter("flags"),
    "pkgFlags": _flag_setter("pkg_flags"),
    "privateFlags": _flag_setter("private_flags"),
    "privatePkgFlags": _flag_setter("private_pkg_flags"),
    "firstInstallTime": _time_setter("first_install_time"),
    "lastUpdateTime": _time_setter("last_update_time"),
    "signatures": _set_signatures,
}


def _nullable(value: str) -> str | None:
    return None if value in ("", "null") else value


def _leading_int(value: str) -> int | None:
    match = _LEADING_INT.match(value)
    return None if match is None else int(match.group())


def _search_int(pattern: re.Pattern[str], line: str) -> int | None:
    match = pattern.search(line)
    return None if match is None else int(match.group(1))


_ENABLED = {state.value: state for state in EnabledState}  # EnabledState(n), without its call


def _enabled(value: str | None) -> EnabledState | None:
    if value is None or not value.isascii() or not value.isdigit() or len(value) > 2:
        return None
    return _ENABLED.get(int(value))


def entry_time(value: str) -> datetime | None:
    """``2019-12-11 12:24:01`` as a naive datetime; anything else (``0``, garbage) is None."""
    if _TIMESTAMP.fullmatch(value) is None:
        return None
    return fixed_timestamp(value)
