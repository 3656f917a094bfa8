"""Accessibility services from ``dumpsys accessibility``: per user, which services are enabled,
bound and installed, and whether touch exploration is on.

Layouts read: AOSP ≤ 11 (``User state[attributes:{id=0, currentUser=true, …}`` then
``Bound services:{…}`` / ``Enabled services:{{pkg/cls}, …}`` lines); AOSP 12+ (``User state[``
with ``attributes:{…}`` on the next line); Samsung One UI (``attributes:{id=0, …`` broken over
``mIsX = y`` lines, then ``installed services: {`` / ``enabled services: {`` lists of
``N : pkg/cls`` lines). Components are kept as printed (``pkg/.Cls`` stays short);
:func:`expand_component` gives the full form. AOSP prints bound services only as
``Service[label=…]``, so ``bound_services`` holds labels there and components on Samsung.
A list entry that is not a component (:mod:`handsetguard.parsers.component`) is kept in the
user's ``unreadable`` with its list and line, never dropped: it is how an evasive app hides.
"""

from __future__ import annotations

from handsetguard.errors import ParseError
from handsetguard.lazyre import lazy_compile
from handsetguard.parsers.component import Unreadable, parse_component, unreadable
from handsetguard.parsers.values import parse_bool, parse_int
from handsetguard.records import field, mutable_record, record

__all__ = [
    "AccessibilityState",
    "AccessibilityUser",
    "expand_component",
    "parse_accessibility",
    "service_package",
]


@record
class AccessibilityUser:
    """One ``User state[`` block; ``line`` is its 0-based line in the given text."""

    user_id: int | None
    enabled_services: tuple[str, ...]
    bound_services: tuple[str, ...]
    installed_services: tuple[str, ...]
    installed_service_count: int | None
    touch_exploration: bool | None
    crashed_services: tuple[str, ...]
    line: int
    unreadable: tuple[Unreadable, ...] = ()

    @property
    def enabled_packages(self) -> frozenset[str]:
        return frozenset(service_package(c) for c in self.enabled_services)


@record
class AccessibilityState:
    """All user blocks of one dump."""

    users: tuple[AccessibilityUser, ...] = ()
    current_user_id: int | None = None

    @property
    def unreadable(self) -> tuple[Unreadable, ...]:
        """Every user's list entries that are not components, in dump order."""
        return tuple(u for user in self.users for u in user.unreadable)

    def user(self, user_id: int) -> AccessibilityUser | None:
        return next((u for u in self.users if u.user_id == user_id), None)

    def service_packages(self) -> frozenset[str]:
        """Packages of the services enabled for any user."""
        return frozenset(p for u in self.users for p in u.enabled_packages)


def service_package(component: str) -> str:
    """The package of a ``pkg/cls`` component string."""
    return component.split("/", 1)[0]


def expand_component(component: str) -> str:
    """``pkg/.Cls`` → ``pkg/pkg.Cls`` (ComponentName.unflattenFromString); others unchanged."""
    package, sep, cls = component.partition("/")
    if sep and cls.startswith("."):
        return f"{package}/{package}{cls}"
    return component


# ``{…}`` items, any length: an entry longer than a cap would vanish unread.
_BRACED = lazy_compile(r"\{([^{}]*)\}")
_DELIMITERS = lazy_compile(r"[{},\]]")
_ITEM_NUMBER = lazy_compile(r"[0-9]{1,6} : ")
_ATTRIBUTE = lazy_compile(r"(\w{1,60})=([^,{}]{0,100})")
_SAMSUNG_FLAG = lazy_compile(r"(mIs\w{1,60}) = (true|false)")
_LABEL = lazy_compile(r"Service\[label=([^,\]]{0,200})")
# Inline ``Name:{…}`` lists, as AOSP prints them (one line; bound services may wrap).
_INLINE_LISTS = ("Enabled services:{", "Bound services:{", "Crashed services:{")
# Samsung's block lists: a ``name: {`` line, one item per line, a ``}`` line.
_BLOCK_LISTS = {
    "installed services:": "installed",
    "enabled services:": "enabled",
    "bound services:": "bound",
    "binding services:": "binding",
    "crashed services:": "crashed",
}


@mutable_record
class _UserBuilder:
    line: int
    attributes: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    block: str | None = None
    inline: str | None = None
    unreadable: list[Unreadable] = field(default_factory=list)

    @property
    def current_user(self) -> bool:
        return self.attributes.get("currentUser", "").strip() == "true"

    def add(self, name: str, items: list[str]) -> None:
        self.lists.setdefault(name, []).extend(items)

    def build(self) -> AccessibilityUser:
        attrs = self.attributes
        installed = tuple(self.lists.get("installed", ()))
        count = parse_int(attrs.get("installedServiceCount"))
        if count is None and "installed" in self.lists:
            count = len(installed)
        touch = attrs.get("touchExplorationEnabled", attrs.get("mIsTouchExplorationEnabled"))
        return AccessibilityUser(
            user_id=parse_int(attrs.get("id")),
            enabled_services=tuple(self.lists.get("enabled", ())),
            bound_services=tuple(self.lists.get("bound", ())),
            installed_services=installed,
            installed_service_count=count,
            touch_exploration=parse_bool(touch),
            crashed_services=tuple(self.lists.get("crashed", ())),
            line=self.line,
            unreadable=tuple(self.unreadable),
        )


def _components(text: str, user: _UserBuilder, name: str, index: int) -> list[str]:
    """The components of (part of) a list as ComponentName.toShortString prints them
    (``{a/b}, {c/d}``) or of one bare item. Text between or after the braced items that is
    not a separator (an unclosed, truncated last item; junk) is read as items too; every item
    that is not a component is kept as unreadable."""
    items = _BRACED.findall(text)
    rest = _BRACED.sub(",", text)
    items += [piece for piece in _DELIMITERS.split(rest) if piece.strip()]
    found: list[str] = []
    for item in items:
        item = item.strip()
        if parse_component(item) is not None:
            found.append(item)
        elif item:
            user.unreadable.append(unreadable(name, item, index))
    return found


def _inline_list(user: _UserBuilder, name: str, content: str, index: int) -> None:
    """Read (part of) ``Enabled services:{…}`` / ``Bound services:{…}`` / ``Crashed …``."""
    if name == "Bound services:{":
        labels = [m.group(1).strip() for m in _LABEL.finditer(content)]
        user.add("bound", labels or _components(content, user, "bound services", index))
    elif name == "Enabled services:{":
        user.add("enabled", _components(content, user, "enabled services", index))
    else:
        user.add("crashed", _components(content, user, "crashed services", index))


def _continues(body: str) -> bool:
    """Whether ``body`` continues a wrapped inline list (its first item, a component)."""
    if body.startswith(("Service[", "{")):
        return True
    return parse_component(_DELIMITERS.split(body, 1)[0].strip()) is not None


def _user_line(user: _UserBuilder, body: str, index: int) -> None:
    """One line inside a ``User state[`` block."""
    if user.inline is not None:
        if _continues(body):
            # A list continued on the next line (AOSP joins bound services with ``, \n`` + pad).
            _inline_list(user, user.inline, body, index)
            if body.rstrip("]").endswith("}"):
                user.inline = None
            return
        user.inline = None  # truncated list: read this line normally
    heading = _block_heading(body)
    if heading is not None:  # AndroidQF copies repeat a heading inside its list
        user.block = heading
        return
    if user.block is not None:
        if body.startswith("}"):
            user.block = None
            return
        number = _ITEM_NUMBER.match(body)
        item = body[number.end() :] if number else body
        if user.block == "bound":
            user.add("bound", [item.strip(" {},")])
        else:
            user.add(user.block, _components(item, user, f"{user.block} services", index))
        return
    for name in _INLINE_LISTS:
        if body.startswith(name):
            content = body[len(name) :]
            _inline_list(user, name, content, index)
            if not content.rstrip("]").endswith("}"):
                user.inline = name
            return
    _attributes(user, body)


def _block_heading(body: str) -> str | None:
    """The Samsung list a ``name: {`` line opens, if it is one."""
    lowered = body.lower()
    for prefix, block in _BLOCK_LISTS.items():
        if lowered.startswith(prefix) and body.rstrip().endswith("{"):
            return block
    return None


def _attributes(user: _UserBuilder, body: str) -> None:
    if "attributes:{" in body:
        body = body.split("attributes:{", 1)[1]
        for pair in _ATTRIBUTE.finditer(body):
            user.attributes.setdefault(pair.group(1), pair.group(2))
        return
    flag = _SAMSUNG_FLAG.fullmatch(body)
    if flag is not None:
        user.attributes.setdefault(flag.group(1), flag.group(2))


def parse_accessibility(text: str) -> AccessibilityState:
    """Parse the body of ``dumpsys accessibility``.

    Blank text gives no users; text with neither the ``ACCESSIBILITY MANAGER`` header nor a
    ``User state[`` block raises :class:`ParseError`.
    """
    users: list[_UserBuilder] = []
    open_user: _UserBuilder | None = None
    current: int | None = None
    seen_header = False
    for index, raw in enumerate(text.split("\n")):
        body = raw.strip()
        if not body:
            continue
        if body.startswith("User state["):
            open_user = _UserBuilder(index)
            users.append(open_user)
            _attributes(open_user, body)
        elif open_user is not None:
            _user_line(open_user, body, index)
        elif body.startswith("ACCESSIBILITY MANAGER"):
            seen_header = True
        elif body.startswith("currentUserId="):
            current = parse_int(body[len("currentUserId=") :])
        # ``…}]`` closes the ``User state[`` block (after Binding services, or the client list).
        if open_user is not None and body.endswith("}]") and open_user.inline is None:
            open_user = None
    if not seen_header and not users and text.strip():
        first = text.strip().split("\n", 1)[0][:80]
        raise ParseError(f"dumpsys accessibility: no accessibility state (starts with {first!r})")
    built = tuple(u.build() for u in users)
    if current is None:
        flagged = [u for u, b in zip(built, users, strict=True) if b.current_user]
        current = flagged[0].user_id if flagged else None
    return AccessibilityState(built, current)
