"""DeviceState: the typed model of one handset that the parsers fill and the checks read.

Every facet is either its parsed records or an :class:`Unavailable` saying why it is not there
(section missing from the input, or the parser refused it), so a check can never mistake
"no data" for "no problem".
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime

from handsetguard.evidence import CollectionWindow, CoverageEntry, Provenance, SourceKind
from handsetguard.parsers.accessibility import AccessibilityState
from handsetguard.parsers.adb import AdbState
from handsetguard.parsers.appops import AppOps
from handsetguard.parsers.device_policy import DevicePolicyState
from handsetguard.parsers.files_json import FileListing
from handsetguard.parsers.getprop import Properties
from handsetguard.parsers.links import Links
from handsetguard.parsers.lock_settings import KeyguardState, LockSettingsState
from handsetguard.parsers.mounts import Mounts
from handsetguard.parsers.notification import NotificationListeners
from handsetguard.parsers.package_components import PackageComponents
from handsetguard.parsers.package_mentions import PackageMentions
from handsetguard.parsers.packages import PackageDump
from handsetguard.parsers.settings import Namespace, Setting, Settings
from handsetguard.records import field, record

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (a check never does)
if TYPE_CHECKING:
    from typing import Generic, TypeVar

    from handsetguard.apk.collected import CollectedApk

    T = TypeVar("T")
else:

    class Generic:
        """What of typing.Generic runs here: ``Located[T]`` as a base. The type checker reads
        typing's; annotations are text at run time."""

        __slots__ = ()  # as typing's: a record deriving from it stays slotted

        def __class_getitem__(cls, _parameters: object) -> type:
            return cls

    T = "T"

__all__ = [
    "BootInfo",
    "DeviceIdentity",
    "DeviceState",
    "Located",
    "SelinuxMode",
    "SelinuxStatus",
    "TimeBasis",
    "Unavailable",
]


@record
class Unavailable:
    """A facet that could not be read, and why (names the section and the input)."""

    reason: str


@record
class Located(Generic[T]):
    """Parsed records together with the provenance of the section they came from."""

    value: T
    origin: Provenance


class SelinuxMode(enum.Enum):
    ENFORCING = "enforcing"
    PERMISSIVE = "permissive"
    DISABLED = "disabled"


@record
class SelinuxStatus:
    mode: SelinuxMode
    evidence: str
    origin: Provenance


@record
class BootInfo:
    """``androidboot.*`` parameters from the dumpstate header's kernel command line/bootconfig."""

    params: dict[str, str]
    origin: Provenance


class TimeBasis(enum.Enum):
    """Which clock time-dependent checks use, and why."""

    ACQUISITION = "acquisition"  # recorded in the input
    NOW = "now"  # nothing recorded: the time of evaluation
    OVERRIDE = "override"  # --as-of given by the user


@record
class DeviceIdentity:
    """The identity fields the report shows; ``None`` where the input does not say."""

    manufacturer: str | None = None
    brand: str | None = None
    model: str | None = None
    device: str | None = None
    android_version: str | None = None
    sdk: int | None = None
    security_patch: str | None = None
    vendor_security_patch: str | None = None
    build_fingerprint: str | None = None
    build_type: str | None = None
    build_tags: str | None = None
    serial: str | None = None


_NOT_READ = Unavailable("the input was not read for this facet")


@record
class DeviceState:
    """Everything known about one handset at one moment."""

    source_kind: SourceKind
    source_path: str
    acquired_at: datetime | None
    acquired_at_origin: str | None
    timezone: str | None
    identity: DeviceIdentity
    properties: Located[Properties] | Unavailable
    settings: Located[Settings] | Unavailable
    packages: Located[PackageDump] | Unavailable
    appops: Located[AppOps] | Unavailable
    accessibility: Located[AccessibilityState] | Unavailable
    device_policy: Located[DevicePolicyState] | Unavailable
    lock_settings: Located[LockSettingsState] | Unavailable
    keyguard: Located[KeyguardState] | Unavailable
    adb: Located[AdbState] | Unavailable
    mounts: Located[Mounts] | Unavailable
    selinux: SelinuxStatus | Unavailable
    root_binaries: Located[tuple[str, ...]] | Unavailable
    processes: Located[tuple[str, ...]] | Unavailable
    boot: BootInfo | Unavailable
    coverage: tuple[CoverageEntry, ...] = field(default=())
    collector_key: str | None = None  # our own adb key, for a live snapshot
    collection_window: CollectionWindow | None = None  # our own collection, for a live snapshot
    collection_errors: tuple[str, ...] = ()  # commands of a live collection that did not finish
    settings_origins: Mapping[tuple[Namespace, int], Provenance] = field(default_factory=dict)
    # The listener lists of ``dumpsys notification`` (approved/enabled/live/snoozed).
    notification_listeners: Located[NotificationListeners] | Unavailable = _NOT_READ
    # The clock the input recorded when it cannot be the acquisition time (before 2000: the
    # phone's clock was never set), with where it was read, e.g. "1980-01-06 00:00:41
    # (dumpstate header of x.zip!y.txt)"; ``acquired_at`` is then None.
    recorded_clock_unset: str | None = None
    # APK files with hashes and signing certificates (AndroidQF packages.json), also when the
    # package list itself came from ``dumpsys package``, which prints no digests.
    package_files: Located[PackageDump] | Unavailable = _NOT_READ
    # The APKs of the collection (AndroidQF apks/), each with the signer certificates its own
    # signature carries and the verdict on it: what check uses over the package dump's signers.
    apks: Located[tuple[CollectedApk, ...]] | Unavailable = _NOT_READ
    # A file listing with hashes (AndroidQF files.json).
    files: Located[FileListing] | Unavailable = _NOT_READ
    # Package names other dumps mention (resolver tables, dbinfo, batterystats, platform_compat).
    package_mentions: tuple[tuple[str, Located[PackageMentions]], ...] = ()
    # The icon and install-chain facts of ``dumpsys package`` (MAIN activities, disabled
    # components, the lines of installer/initiating/originating package and install time).
    package_components: Located[PackageComponents] | Unavailable = _NOT_READ
    # Links (URLs, hosts) in text meant to carry them: intents' data in dumpsys activity and
    # shortcut, SMS bodies of a backup, a log; per section, for the link indicators.
    links: tuple[tuple[str, Located[Links]], ...] = ()
    # The process each native crash tombstone of a bugreport's FS/ tree names, where it says so.
    crashed_processes: tuple[tuple[str, Provenance], ...] = ()

    def prop(self, name: str) -> str | None:
        """A system property's value, or ``None`` when absent or properties are unavailable."""
        if isinstance(self.properties, Unavailable):
            return None
        return self.properties.value.get(name)

    def setting(self, namespace: Namespace, name: str, user: int = 0) -> Setting | None:
        """A setting's record, or ``None`` when absent or settings are unavailable."""
        if isinstance(self.settings, Unavailable):
            return None
        return self.settings.value.get(namespace, name, user)

    def setting_origin(self, setting: Setting) -> Provenance | None:
        """Where a setting was read: its file (per namespace for settings lists) and line."""
        if isinstance(self.settings, Unavailable):
            return None
        base = self.settings_origins.get((setting.namespace, setting.user), self.settings.origin)
        return base.at(setting.line)

    def prop_origin(self, name: str) -> Provenance | None:
        if isinstance(self.properties, Unavailable):
            return None
        record = self.properties.value.by_name.get(name)
        if record is None:
            return self.properties.origin
        return self.properties.origin.at(record.line)
