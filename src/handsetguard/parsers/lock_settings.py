"""Screen-lock state: per-user credential facts from ``dumpsys lock_settings`` and the keyguard
facts in ``dumpsys window`` (the policy's KeyguardServiceDelegate).

``lock_settings`` layouts: Android 10 prints only ``SP Enabled = b`` and, per ``User N``, ``SP
Handle = x`` / ``SID = x``; Android 11+ adds a ``User State:`` block with ``Quality:``,
``CredentialType:`` (an int on 11, a name such as ``NONE``/``PIN``/``PASSWORD``/``PATTERN``
from 12), ``SeparateChallenge:`` and, on 14, ``LSKF-based SP protector ID:``. ``secure`` comes
only from ``CredentialType`` (it is ``None`` on Android 10, whose dump does not say); a non-zero
gatekeeper ``SID`` is kept as a weaker hint. A profile with a unified challenge reports its own
(``NONE``) credential: the parent's lock protects it.
"""

from __future__ import annotations

from handsetguard.errors import ParseError
from handsetguard.lazyre import lazy_compile
from handsetguard.parsers.values import parse_int
from handsetguard.records import field, mutable_record, record

__all__ = [
    "KeyguardState",
    "LockSettingsState",
    "LockUser",
    "parse_lock_settings",
    "parse_window_keyguard",
]


@record
class LockUser:
    """One user's lock-screen credential facts; ``line`` is the 0-based ``User N`` line."""

    user_id: int
    secure: bool | None
    credential_type: str | None
    quality: int | None
    separate_challenge: bool | None
    sid: str | None
    sp_handle: str | None
    line: int

    @property
    def has_sid(self) -> bool | None:
        """Whether gatekeeper holds a secure user id (set only while a credential exists)."""
        if self.sid is None:
            return None
        return self.sid.strip("0") != ""


@record
class LockSettingsState:
    users: tuple[LockUser, ...] = ()
    sp_enabled: bool | None = None
    skipped: int = 0

    def user(self, user_id: int) -> LockUser | None:
        return next((u for u in self.users if u.user_id == user_id), None)


@record
class KeyguardState:
    """The keyguard as WindowManager's policy sees it; all ``None`` when the block is absent."""

    showing: bool | None = None
    secure: bool | None = None
    occluded: bool | None = None
    device_has_keyguard: bool | None = None
    trusted: bool | None = None
    sim_secure: bool | None = None
    current_user: int | None = None
    line: int | None = None

    @property
    def found(self) -> bool:
        return self.line is not None


# LockPatternUtils.CREDENTIAL_TYPE_* as Android 11 printed them (as ints).
_CREDENTIAL_CODES = {"-1": "NONE", "1": "PATTERN", "2": "PASSWORD", "3": "PIN", "4": "PASSWORD"}
_USER_LINE = lazy_compile(r"User (-?\d{1,9})")
# ``Key = value`` (Android 10) or ``Key: value`` (11+); keys are words, spaces and dashes.
_FIELD = lazy_compile(r"([A-Za-z][A-Za-z -]{0,60}?)\s*(?:=|:)\s*(.{0,200})")
_BOOLS = {"true": True, "false": False}


def _credential_type(value: str | None) -> str | None:
    if value is None or not value:
        return None
    return _CREDENTIAL_CODES.get(value, value.upper())


def _secure(credential_type: str | None) -> bool | None:
    if credential_type is None or credential_type.startswith("UNKNOWN"):
        return None
    return credential_type != "NONE"


@mutable_record
class _User:
    user_id: int
    line: int
    values: dict[str, str] = field(default_factory=dict)

    def build(self) -> LockUser:
        get = self.values.get
        credential = _credential_type(get("CredentialType"))
        return LockUser(
            user_id=self.user_id,
            secure=_secure(credential),
            credential_type=credential,
            quality=parse_int(get("Quality")),
            separate_challenge=_BOOLS.get(get("SeparateChallenge", "")),
            sid=get("SID"),
            sp_handle=get("SP Handle") or get("LSKF-based SP protector ID"),
            line=self.line,
        )


def parse_lock_settings(text: str) -> LockSettingsState:
    """Parse the body of ``dumpsys lock_settings``.

    Users are read from the ``User State:`` block (Android 11+) or, without one, from the top of
    the dump (Android 10); the ``Storage:`` block's ``User 0 [path]:`` lines are not users.
    Blank text gives no users; text without ``Current lock settings service state`` raises
    :class:`ParseError`.
    """
    users: list[_User] = []
    user: _User | None = None
    section: str | None = None  # the current column-0 heading, e.g. "User State:"
    sp_enabled: bool | None = None
    seen_header = False
    skipped = 0
    for index, raw in enumerate(text.split("\n")):
        line = raw.rstrip("\r")
        body = line.strip()
        if not body:
            continue
        if line[:1] not in (" ", "\t"):
            user = None
            if body.startswith("Current lock settings service state"):
                seen_header = True
            elif body.startswith("SP Enabled"):
                sp_enabled = _BOOLS.get(body.partition("=")[2].strip())
            elif body.endswith(":"):
                section = body
            continue
        if section not in (None, "User State:"):
            continue
        match = _USER_LINE.fullmatch(body)
        if match is not None:
            user = _User(int(match.group(1)), index)
            users.append(user)
            continue
        field_match = _FIELD.fullmatch(body)
        if user is None or field_match is None:
            skipped += 1
            continue
        user.values.setdefault(field_match.group(1), field_match.group(2).strip())
    if not seen_header and text.strip():
        first = text.strip().split("\n", 1)[0][:80]
        raise ParseError(f"dumpsys lock_settings: no lock settings state (starts with {first!r})")
    return LockSettingsState(tuple(u.build() for u in users), sp_enabled, skipped)


# --- dumpsys window --------------------------------------------------------------------------

# Lines that a dumpsys service block may open with before the service's own output.
_SERVICE_PREAMBLE = ("Service host process PID:", "Threads in use:", "Client PIDs:")
_KEY_VALUE = lazy_compile(r"(\w{1,60})=(\S{0,40})")


def parse_window_keyguard(text: str) -> KeyguardState:
    """The ``KeyguardServiceDelegate`` block of ``dumpsys window`` (WINDOW MANAGER POLICY STATE).

    Only that block is read: ``isSecure=`` elsewhere (SurfaceFlinger layers, displays) says
    nothing about the lock screen. Returns an all-``None`` state when the block is absent; raises
    :class:`ParseError` for text that is neither window-manager output nor empty.
    """
    lines = text.split("\n")
    start = next(
        (i for i, raw in enumerate(lines) if raw.strip() == "KeyguardServiceDelegate"), None
    )
    if start is None:
        if "WINDOW MANAGER" not in text and _has_foreign_text(lines):
            first = text.strip().split("\n", 1)[0][:80]
            raise ParseError(f"dumpsys window: no window manager state (starts with {first!r})")
        return KeyguardState()
    values = _indented_values(lines, start)
    return KeyguardState(
        showing=_flag(values, "showing"),
        secure=_flag(values, "secure"),
        occluded=_flag(values, "occluded"),
        device_has_keyguard=_flag(values, "deviceHasKeyguard"),
        trusted=_flag(values, "mTrusted"),
        sim_secure=_flag(values, "mSimSecure"),
        current_user=parse_int(values.get("mCurrentUserId")),
        line=start,
    )


def _flag(values: dict[str, str], key: str) -> bool | None:
    return _BOOLS.get(values.get(key, ""))


def _indented_values(lines: list[str], start: int) -> dict[str, str]:
    """``key=value`` pairs of the lines indented under ``lines[start]`` (first one wins)."""
    base = len(lines[start]) - len(lines[start].lstrip(" "))
    values: dict[str, str] = {}
    for raw in lines[start + 1 :]:
        line = raw.rstrip("\r")
        if not line.strip():
            continue
        if len(line) - len(line.lstrip(" ")) <= base:
            break
        for key, value in _KEY_VALUE.findall(line):
            values.setdefault(key, value)
    return values


def _has_foreign_text(lines: list[str]) -> bool:
    return any(line.strip() and not line.strip().startswith(_SERVICE_PREAMBLE) for line in lines)
