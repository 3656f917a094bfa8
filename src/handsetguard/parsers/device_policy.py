"""Device administration from ``dumpsys device_policy``: active device admins per user, the device
owner and profile owners, password-quality and encryption status.

Layout (AOSP DevicePolicyManagerService.dump and OwnersData.dump, Android 5–14): ``Device
Owner:`` and ``Profile Owner (User N):`` blocks of ``admin=ComponentInfo{…}``, ``name=``,
``package=``, ``User ID: N`` lines; ``Enabled Device Admins (User N, provisioningState: P):``
blocks listing each admin as ``pkg/.Receiver:`` (or ``ComponentInfo{…}:``) followed by its
indented ``uid=``/``policies:`` details; ``Encryption Status: …`` and, in the policy cache,
``Password quality: {0=0, 11=0}``.

Components are read by :mod:`handsetguard.parsers.component`; an admin line, an owner's
``admin=`` value or an admins header that cannot be read is kept in ``unreadable`` (with its
text and line), never dropped: an unreadable admin is how an evasive app would hide.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from handsetguard.errors import ParseError
from handsetguard.lazyre import lazy_compile
from handsetguard.parsers.component import Unreadable, parse_component, unreadable
from handsetguard.parsers.values import parse_bool, parse_int
from handsetguard.records import field, mutable_record, record

__all__ = ["DeviceAdmin", "DevicePolicyState", "OwnerInfo", "parse_device_policy"]


@record
class DeviceAdmin:
    """One active device admin of one user; ``component`` as printed (``pkg/.Receiver``)."""

    component: str
    package: str
    user_id: int | None
    uid: int | None
    test_only: bool | None
    policies: tuple[str, ...]
    line: int


@record
class OwnerInfo:
    """The device owner, or one user's profile owner; ``component`` is ``pkg/cls``."""

    component: str | None
    package: str | None
    name: str | None
    user_id: int | None
    organization_owned: bool | None
    line: int


@record
class DevicePolicyState:
    """Everything read from one dump; ``unreadable`` holds the admin lines, owner components
    and admins headers that could not be read."""

    admins: tuple[DeviceAdmin, ...] = ()
    device_owner: OwnerInfo | None = None
    profile_owners: tuple[OwnerInfo, ...] = ()
    password_quality: Mapping[int, int] = field(default_factory=lambda: MappingProxyType({}))
    encryption_status: str | None = None
    unreadable: tuple[Unreadable, ...] = ()

    def admin_packages(self) -> frozenset[str]:
        return frozenset(a.package for a in self.admins)


# Android 2.2-4.1 (one user) print the header without a user: ``Enabled Device Admins:``.
_ADMINS_HEADER = lazy_compile(r"Enabled Device Admins(?: \(User (-?\d{1,9})(?:,[^)]{0,60})?\))?:")
_PROFILE_OWNER = lazy_compile(r"Profile Owner \(User (-?\d{1,9})\):")
# ComponentName.toString(); the admins list prints flattenToShortString() (older: toString()).
_COMPONENT_INFO = lazy_compile(r"ComponentInfo\{([^{}]*)\}")
_QUALITY_PAIR = lazy_compile(r"(-?\d{1,9})=(-?\d{1,12})")
_MARKERS = ("Device Policy Manager", "Enabled Device Admins", "Device Owner", "Profile Owner")


def _component(text: str) -> str | None:
    """``pkg/cls`` from ``ComponentInfo{pkg/cls}`` or a bare ``pkg/cls``, as printed."""
    match = _COMPONENT_INFO.fullmatch(text)
    inner = match.group(1) if match else text
    return inner if parse_component(inner) is not None else None


def _indent(raw: str) -> int:
    return len(raw) - len(raw.lstrip(" "))


@mutable_record
class _Admin:
    component: str
    user_id: int | None
    line: int
    indent: int
    uid: int | None = None
    test_only: bool | None = None
    policies: list[str] = field(default_factory=list)
    in_policies: int | None = None  # indentation of the ``policies:`` line while inside it
    in_parent: int | None = None  # indentation of ``parentAdmin:`` (its own nested dump)

    def build(self) -> DeviceAdmin:
        package = self.component.split("/", 1)[0]
        return DeviceAdmin(
            self.component, package, self.user_id, self.uid, self.test_only,
            tuple(self.policies), self.line,
        )  # fmt: skip

    def detail(self, raw: str, body: str) -> None:
        """A line indented under this admin."""
        indent = _indent(raw)
        if self.in_parent is not None:
            if indent > self.in_parent:
                return
            self.in_parent = None
        if self.in_policies is not None:
            if indent > self.in_policies and "=" not in body:
                self.policies.append(body)
                return
            self.in_policies = None
        if body == "policies:":
            self.in_policies = indent
        elif body == "parentAdmin:":
            self.in_parent = indent
        elif body.startswith("uid=") and self.uid is None:
            self.uid = parse_int(body[len("uid=") :])
        elif body.startswith("testOnlyAdmin=") and self.test_only is None:
            self.test_only = parse_bool(body[len("testOnlyAdmin=") :])


@mutable_record
class _AdminBlock:
    """An ``Enabled Device Admins`` block: its user, the header's indentation, the admins'
    (that of its first line) and whether admins are still being listed."""

    user_id: int | None
    indent: int
    item_indent: int | None = None
    listing: bool = True


@mutable_record
class _Owner:
    user_id: int | None
    line: int
    indent: int
    values: dict[str, str] = field(default_factory=dict)
    admin_line: int | None = None

    def detail(self, index: int, body: str) -> None:
        if body.startswith("User ID:"):
            self.values.setdefault("user", body[len("User ID:") :].strip())
            return
        key, sep, value = body.partition("=")
        if sep and key.strip() not in self.values:
            self.values[key.strip()] = value.strip()
            if key.strip() == "admin":
                self.admin_line = index

    def unreadable(self, device_owner: bool) -> Unreadable | None:
        """The ``admin=`` value when it is not a component."""
        if "admin" not in self.values or self.component is not None:
            return None
        where = "device owner" if device_owner else f"profile owner (user {self.user_id})"
        line = self.line if self.admin_line is None else self.admin_line
        return unreadable(where, self.values["admin"], line)

    @property
    def component(self) -> str | None:
        """``pkg/cls`` from ``admin=ComponentInfo{pkg/cls}``; None if absent or unreadable."""
        return _component(self.values.get("admin", ""))

    def build(self) -> OwnerInfo:
        component = self.component
        package = self.values.get("package") or (component.split("/", 1)[0] if component else None)
        user = self.user_id if self.user_id is not None else parse_int(self.values.get("user"))
        return OwnerInfo(
            component=component,
            package=package,
            name=self.values.get("name"),
            user_id=user,
            organization_owned=parse_bool(self.values.get("isOrganizationOwnedDevice")),
            line=self.line,
        )


class _Parser:
    def __init__(self) -> None:
        self.admins: list[_Admin] = []
        self.owners: list[tuple[bool, _Owner]] = []  # (is device owner, owner)
        # (user id, header indent, still listing admins)
        self.admin_block: _AdminBlock | None = None
        self.admin: _Admin | None = None
        self.owner: _Owner | None = None
        self.quality: dict[int, int] = {}
        self.encryption: str | None = None
        self.unreadable: list[Unreadable] = []
        self.seen_marker = False

    def feed(self, index: int, raw: str) -> None:
        body = raw.strip()
        if not body:
            return
        indent = _indent(raw)
        if self.owner is not None:
            if indent > self.owner.indent:
                self.owner.detail(index, body)
                return
            self.owner = None
        if self.admin_block is not None:
            if indent > self.admin_block.indent:
                self._admin_line(index, raw, body, indent)
                return
            self.admin_block = self.admin = None
        self._top_line(index, body, indent)

    def _top_line(self, index: int, body: str, indent: int) -> None:
        if body.startswith(_MARKERS):
            self.seen_marker = True
        if body.startswith("Enabled Device Admins"):
            match = _ADMINS_HEADER.fullmatch(body)
            user = None if match is None else int(match.group(1) or 0)
            if match is None:
                self.unreadable.append(unreadable("device admins header", body, index))
            self.admin_block = _AdminBlock(user, indent)
        elif body == "Device Owner:":
            self.owner = _Owner(None, index, indent)
            self.owners.append((True, self.owner))
        elif body.startswith("Profile Owner"):
            match = _PROFILE_OWNER.fullmatch(body)
            self.owner = _Owner(int(match.group(1)) if match else None, index, indent)
            self.owners.append((False, self.owner))
        elif body.startswith("Encryption Status:"):
            self.encryption = body[len("Encryption Status:") :].strip() or None
        elif body.startswith("Password quality:"):
            pairs = _QUALITY_PAIR.findall(body)
            self.quality.update((int(user), int(quality)) for user, quality in pairs)

    def _admin_line(self, index: int, raw: str, body: str, indent: int) -> None:
        admin = self.admin
        if admin is not None and indent > admin.indent:
            admin.detail(raw, body)
            return
        self.admin = None
        # DevicePolicyManagerService.dumpPerUserData prints the admins first, then the admins
        # being removed, then ``mPasswordOwner=-1``-style fields (no component has a ``=``: it
        # is in no package or dex class name) and helpers' dumps (PersonalAppsSuspensionHelper).
        block = self.admin_block
        assert block is not None
        if block.item_indent is None:
            block.item_indent = indent
        if not block.listing or indent > block.item_indent:
            return  # past the admins, or the details of an admin that could not be read
        if "=" in body or body.startswith("Removing Device Admins"):
            block.listing = False
            return
        user = block.user_id
        component = _component(body[:-1]) if body.endswith(":") else None
        if component is None:
            where = f"device admins (user {'unknown' if user is None else user})"
            self.unreadable.append(unreadable(where, body, index))
            return
        self.admin = _Admin(component, user, index, indent)
        self.admins.append(self.admin)

    def result(self) -> DevicePolicyState:
        owners = tuple(u for is_do, o in self.owners if (u := o.unreadable(is_do)) is not None)
        device_owner = next((o.build() for is_do, o in self.owners if is_do), None)
        profile_owners = tuple(o.build() for is_do, o in self.owners if not is_do)
        return DevicePolicyState(
            admins=tuple(a.build() for a in self.admins),
            device_owner=device_owner,
            profile_owners=profile_owners,
            password_quality=MappingProxyType(dict(self.quality)),
            encryption_status=self.encryption,
            unreadable=tuple(self.unreadable) + owners,
        )


def parse_device_policy(text: str) -> DevicePolicyState:
    """Parse the body of ``dumpsys device_policy``.

    Blank text gives an empty state; text with none of the Device Policy Manager headings
    raises :class:`ParseError`.
    """
    parser = _Parser()
    for index, raw in enumerate(text.split("\n")):
        parser.feed(index, raw.rstrip("\r"))
    if not parser.seen_marker and text.strip():
        first = text.strip().split("\n", 1)[0][:80]
        raise ParseError(f"dumpsys device_policy: no device policy state (starts with {first!r})")
    return parser.result()
