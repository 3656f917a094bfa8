"""ADB authorisation from ``dumpsys adb``: whether a host is connected, which host keys the device
trusts (``user_keys``, ``system_keys`` and the ``keystore`` with last-connection times), and
wireless-debugging state.

The keystore is plain XML up to Android 11 (``<adbKey key="…" lastConnection="ms" />``) and ABX
binary XML from Android 12, dumped raw: its length prefixes and the 8-byte ``lastConnection``
arrive mangled into U+FFFD, so from ABX only the base64 keys (adb RSA keys start ``QAAAA``) and
their ``user@host`` comments are recovered; ``last_connection`` is then ``None``. The same key
seen in several places is one :class:`AdbKey` (merged; a truncated copy merges into the full one).

A key line, ``<adbKey>`` tag or ABX base64 run that cannot be read as a key is kept in
``unreadable`` with its text and line, never dropped: it may be a trusted computer.
"""

from __future__ import annotations

import binascii
from datetime import UTC, datetime, timedelta

from handsetguard.errors import ParseError
from handsetguard.lazyre import lazy_compile
from handsetguard.parsers.component import Unreadable, unreadable
from handsetguard.records import field, mutable_record, record

__all__ = [
    "AdbKey",
    "AdbState",
    "key_fingerprint",
    "parse_dumpsys_adb",
]


@record
class AdbKey:
    """One trusted adb host key; ``sources`` lists where it was seen (``user_keys``,
    ``system_keys``, ``keystore``); ``line`` is the 0-based line of its first sighting."""

    key_b64: str
    comment: str | None
    last_connection: datetime | None
    sources: tuple[str, ...]
    line: int

    @property
    def fingerprint(self) -> str | None:
        """The MD5 fingerprint adb shows (``AA:BB:…``), or ``None`` for an undecodable key."""
        return key_fingerprint(self.key_b64)


def key_fingerprint(key_b64: str) -> str | None:
    """The MD5 fingerprint adb shows for a base64 public key (``AA:BB:…``); ``None`` when the
    text is not base64."""
    import base64  # here, not at import: only inputs with adb keys pay for it

    try:
        # CPython's own MD5: hashlib would load OpenSSL (~4 MiB of RSS, 12 M instructions)
        # for one fingerprint per key.
        from _md5 import md5  # type: ignore[import-not-found]
    except ImportError:  # pragma: no cover - a Python built without it
        from hashlib import md5

    try:
        blob = base64.b64decode(key_b64, validate=True)
    except (binascii.Error, ValueError):
        return None
    if not blob:
        return None
    digest: bytes = md5(blob, usedforsecurity=False).digest()
    return ":".join(f"{byte:02X}" for byte in digest)


@record
class AdbState:
    """``connected`` is ``connected_to_adb``; ``unreadable`` holds the key entries that could
    not be read."""

    connected: bool | None = None
    last_key_fingerprint: str | None = None
    trusted_keys: tuple[AdbKey, ...] = ()
    wifi_enabled: bool | None = None
    wifi_connected: bool | None = None
    wifi_tls_port: int | None = None
    unreadable: tuple[Unreadable, ...] = ()


_BOOLS = {"true": True, "false": False}
# No length caps: a key or comment longer than a cap would make its line unreadable.
_KEY_LINE = lazy_compile(r"([A-Za-z0-9+/]{16,}={0,2})(?:[ \t]+(\S.*))?")
_XML_TAG = lazy_compile(r"<adbKey\b([^<>]*)")
_XML_KEY = lazy_compile(r"\bkey=\"([^\"]+)\"")
_XML_LAST = lazy_compile(r"\blastConnection=\"(-?\d{1,19})\"")
# An adb RSA public key blob starts with its modulus size in words (64, little-endian):
# base64 "QAAAA". In ABX the comment ends where the next (binary, non-printable) token begins.
_ABX_KEY = lazy_compile(
    r"(QAAAA[A-Za-z0-9+/]{16,}={0,2})(?: ([^\s\x00-\x1f\x7f-\x9f\ufffd]{1,255}))?"
)
# Any other long base64 run in ABX: a key adbd could not use (not RSA-2048), or a mangled one.
_ABX_BASE64 = lazy_compile(r"[A-Za-z0-9+/]{64,}={0,2}")
_FIELD = lazy_compile(r"([a-z_]{1,40})=(.*)")
_MIN_MERGE_PREFIX = 64


@mutable_record
class _Key:
    key: str
    comment: str | None
    last: datetime | None
    sources: list[str]
    line: int

    def build(self) -> AdbKey:
        return AdbKey(self.key, self.comment, self.last, tuple(self.sources), self.line)


def _millis(value: str) -> datetime | None:
    """A ``System.currentTimeMillis()`` value as an aware UTC datetime; 0/epoch means unknown."""
    try:
        when = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(value))
    except (OverflowError, ValueError):
        return None
    return when if when.year > 1970 else None


@mutable_record
class _Parser:
    keys: list[_Key] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    wifi: dict[str, str] = field(default_factory=dict)
    mode: str | None = None  # user_keys | system_keys | keystore | abx | adb_wifi
    unreadable: list[Unreadable] = field(default_factory=list)
    seen_marker: bool = False

    def add_key(self, key: str, comment: str | None, last: datetime | None, source: str,
                line: int) -> None:  # fmt: skip
        for known in self.keys:
            if _same_key(known.key, key):
                if len(key) > len(known.key):
                    known.key = key
                known.comment = known.comment or comment
                known.last = known.last or last
                if source not in known.sources:
                    known.sources.append(source)
                return
        self.keys.append(_Key(key, comment, last, [source], line))

    def feed(self, index: int, raw: str) -> None:
        body = raw.strip()
        if self.mode is not None and self._in_block(index, body):
            return
        self._field_line(index, body)

    def _in_block(self, index: int, body: str) -> bool:
        """Read a line inside a multi-line value; False when the block ended before it."""
        mode = self.mode
        if mode == "adb_wifi":
            if body.startswith("}"):
                self.mode = None
                return True
            name, sep, value = body.partition("=")
            if sep:
                self.wifi.setdefault(name.strip(), value.strip())
            return True
        if not body or body.startswith("}") or _FIELD.fullmatch(body):
            # A blank line ends a key list; a closing brace or the next field ends any block.
            self.mode = None
            return not body
        self._block_value(index, body)
        return True

    def _block_value(self, index: int, body: str) -> None:
        if self.mode == "abx":
            keys = list(_ABX_KEY.finditer(body))
            for match in keys:
                self.add_key(match.group(1), match.group(2), None, "keystore", index)
            for run in _ABX_BASE64.finditer(body):
                if not any(k.start() <= run.start() < k.end() for k in keys):
                    self.unreadable.append(unreadable("keystore (ABX)", run.group(), index))
        elif self.mode == "keystore":
            self._xml_keys(index, body)
        elif self.mode is not None:
            line = _KEY_LINE.fullmatch(body)
            if line is None:
                self.unreadable.append(unreadable(self.mode, body, index))
                return
            comment = (line.group(2) or "").strip() or None
            self.add_key(line.group(1), comment, None, self.mode, index)

    def _xml_keys(self, index: int, body: str) -> None:
        for tag in _XML_TAG.finditer(body):
            key_attr = _XML_KEY.search(tag.group(1))
            if key_attr is None:
                self.unreadable.append(unreadable("keystore", tag.group(), index))
                continue
            last = _XML_LAST.search(tag.group(1))
            attribute = key_attr.group(1)
            if "&" in attribute:  # what unescape reads: the module is imported only then
                # html, not xml.sax.saxutils (which pulls in urllib and ssl)
                from html import unescape

                attribute = unescape(attribute)
            key, _, comment = attribute.partition(" ")
            when = _millis(last.group(1)) if last else None
            self.add_key(key, comment.strip() or None, when, "keystore", index)

    def _field_line(self, index: int, body: str) -> None:
        if body.startswith(("ADB MANAGER STATE", "debugging_manager=")):
            self.seen_marker = True
        match = _FIELD.fullmatch(body)
        if match is None:
            return
        name, value = match.group(1), match.group(2)
        if name in ("connected_to_adb", "user_keys", "keystore", "last_key_received"):
            self.seen_marker = True
        self.fields.setdefault(name, value.strip())
        if name in ("user_keys", "system_keys"):
            self.mode = name
        elif name == "keystore":
            self.mode = "abx" if value.startswith("ABX") else "keystore"
        elif name == "adb_wifi" and value.strip() == "{":
            self.mode = "adb_wifi"
            return
        else:
            return
        if value.strip():
            self._block_value(index, value.strip())

    def result(self) -> AdbState:
        wifi = self.wifi
        port = wifi.get("tls_port", "")
        tls_port = int(port) if port.isascii() and port.isdigit() and len(port) < 7 else None
        return AdbState(
            connected=_BOOLS.get(self.fields.get("connected_to_adb", "")),
            last_key_fingerprint=self.fields.get("last_key_received") or None,
            trusted_keys=tuple(k.build() for k in self.keys),
            wifi_enabled=_BOOLS.get(wifi.get("enabled", "")),
            wifi_connected=_BOOLS.get(wifi.get("connected", "")),
            wifi_tls_port=tls_port,
            unreadable=tuple(self.unreadable),
        )


def _same_key(a: str, b: str) -> bool:
    """Equal, or one a truncated copy of the other (dumps cut long lines)."""
    if a == b:
        return True
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return len(short) >= _MIN_MERGE_PREFIX and long_.startswith(short)


def parse_dumpsys_adb(text: str) -> AdbState:
    """Parse the body of ``dumpsys adb``.

    Blank text gives an empty state; text with no ``ADB MANAGER STATE`` / ``debugging_manager``
    content raises :class:`ParseError`.
    """
    parser = _Parser()
    for index, raw in enumerate(text.split("\n")):
        parser.feed(index, raw.rstrip("\r"))
    if not parser.seen_marker and text.strip():
        first = text.strip().split("\n", 1)[0][:80]
        raise ParseError(f"dumpsys adb: no adb manager state (starts with {first!r})")
    return parser.result()
