"""Installed-package records shared by every source of them (``dumpsys package``, AndroidQF's
``packages.json``): identity, installer, flags, versions, permissions, per-user state."""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from datetime import datetime
from types import MappingProxyType

from handsetguard.parsers.component import Unreadable
from handsetguard.records import field, record

__all__ = ["EnabledState", "Package", "PackageDump", "PackageFile", "PackageUser"]


_SYSTEM_PARTITIONS = ("/system/", "/vendor/", "/product/", "/system_ext/", "/odm/", "/apex/")


def _no_permissions() -> Mapping[str, bool]:
    return MappingProxyType({})


class EnabledState(enum.Enum):
    """``PackageManager.COMPONENT_ENABLED_STATE_*``, printed as ``enabled=N`` per user."""

    DEFAULT = 0
    ENABLED = 1
    DISABLED = 2
    DISABLED_USER = 3
    DISABLED_UNTIL_USED = 4


@record
class PackageUser:
    """A package's state for one user (``User N: ceDataInode=… installed=true …``).

    Booleans are ``None`` when the dump does not print them. ``first_install_time`` is per user
    from Android 13 on. ``runtime_permissions`` maps permission name to granted.
    """

    user_id: int
    line: int
    installed: bool | None = None
    hidden: bool | None = None
    suspended: bool | None = None
    stopped: bool | None = None
    not_launched: bool | None = None
    enabled: EnabledState | None = None
    first_install_time: datetime | None = None
    runtime_permissions: Mapping[str, bool] = field(default_factory=_no_permissions, hash=False)


@record
class PackageFile:
    """An APK file of a package with its hashes (AndroidQF ``packages.json`` only)."""

    path: str
    md5: str | None = None
    sha1: str | None = None
    sha256: str | None = None
    sha512: str | None = None
    certificate_sha256: str | None = None
    certificate_sha1: str | None = None
    certificate_md5: str | None = None
    certificate_subject: str | None = None


@record
class Package:
    """One installed package. Times are naive device-local ``datetime``s.

    ``signatures`` are the short hex ids ``dumpsys`` prints in ``signatures:[…]`` (hash codes of
    the signing certificates, enough to compare packages within one dump, not digests).
    ``updated_system_app``: a system app whose factory version is hidden behind an update.
    """

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
    flags: frozenset[str] = frozenset()
    private_flags: frozenset[str] = frozenset()
    first_install_time: datetime | None = None
    last_update_time: datetime | None = None
    requested_permissions: tuple[str, ...] = ()
    install_permissions: Mapping[str, bool] = field(default_factory=_no_permissions, hash=False)
    users: tuple[PackageUser, ...] = ()
    signatures: tuple[str, ...] = ()
    updated_system_app: bool = False
    files: tuple[PackageFile, ...] = ()

    @property
    def is_system(self) -> bool:
        """SYSTEM in the flags; dumps without a flags line (Android 2.x–4.x) fall back to the
        code path being on a read-only system partition."""
        if self.flags:
            return "SYSTEM" in self.flags
        return self.code_path is not None and self.code_path.startswith(_SYSTEM_PARTITIONS)

    def user(self, user_id: int = 0) -> PackageUser | None:
        return next((u for u in self.users if u.user_id == user_id), None)

    def granted_permissions(self, user: int = 0) -> frozenset[str]:
        """Install-time permissions granted plus runtime permissions granted for ``user``."""
        granted = {name for name, ok in self.install_permissions.items() if ok}
        state = self.user(user)
        if state is not None:
            granted.update(name for name, ok in state.runtime_permissions.items() if ok)
        return frozenset(granted)


@record
class PackageDump:
    """All packages of one dump, in dump order. ``unreadable`` holds the package entries
    that could not be read (a garbled ``Package [`` header, a JSON item without a name), so
    that no check passes on an incomplete list; ``skipped`` counts unreadable lines inside
    entries that were read."""

    packages: tuple[Package, ...] = ()
    skipped: int = 0
    unreadable: tuple[Unreadable, ...] = ()

    def get(self, name: str) -> Package | None:
        return next((p for p in self.packages if p.name == name), None)

    def __iter__(self) -> Iterator[Package]:
        return iter(self.packages)

    def __len__(self) -> int:
        return len(self.packages)


# ---------------------------------------------------------------------------------------------
# dumpsys package
#
# Layout (Settings.dumpPackageLPr, Android 5–15):
#   Packages:
#     Package [com.android.vending] (f2c9d2d):
#       appId=10084                       (userId= before Android 13)
#       versionCode=84880718 minSdk=31 targetSdk=35
#       flags=[ SYSTEM HAS_CODE … ]
#       install permissions:
#         android.permission.INTERNET: granted=true
#       User 0: ceDataInode=311715 installed=true hidden=false … enabled=0 …
#         firstInstallTime=2024-05-10 14:04:30        (Android 13+)
#         runtime permissions:
#           android.permission.CAMERA: granted=false, flags=[ … ]
#   Hidden system packages:
#     Package [com.android.vending] (132fc32):      <- factory version of an updated app
# https://cs.android.com/android/platform/superproject/+/main:frameworks/base/services/core/java/com/android/server/pm/Settings.java
