"""Links — URLs and the host names in them — from text that is meant to carry them, for the
indicator matcher's ``domain-name``/``url``/``ipv4-addr`` indicators:

- the data URI of an intent as dumpsys prints it (``dat=https://host/...`` in ``dumpsys
  activity`` recents and intents and ``dumpsys shortcut``; the platform's ``Uri.toSafeString``
  keeps the scheme and host of a web link and hides its path as ``...``), including a web
  link nested in an app link (``tmast://webview?url=http://qzs.qq.com/…``);
- SMS bodies (an AndroidQF backup's SMS backup, a JSON list of ``{address, body, date}``), where
  a person may also have been sent a bare ``host.tld/path``;
- log lines (AndroidQF ``logcat.txt``).

Only a scheme that names an internet host (http, https, ftp, ws, wss, rtsp, …) yields a host
to look up: ``content://com.android.contacts`` has a provider authority, not a domain. Every
link keeps its line, so a match points at file:line. At most :data:`MAX_LINKS` per section
(the rest are counted in ``dropped``); a URL is cut at :data:`MAX_URL_CHARS`.
"""

from __future__ import annotations

import json

from handsetguard.errors import ParseError
from handsetguard.lazyre import lazy_compile
from handsetguard.records import record

__all__ = [
    "MAX_LINKS",
    "MAX_URL_CHARS",
    "Link",
    "Links",
    "normalise_host",
    "normalise_url",
    "parse_intent_links",
    "parse_log_links",
    "parse_sms_json",
]

MAX_LINKS = 20_000
MAX_URL_CHARS = 2048
NETWORK_SCHEMES = frozenset({"http", "https", "ftp", "ftps", "ws", "wss", "rtsp", "rtmp"})
_DEFAULT_PORTS = {"http": "80", "https": "443", "ftp": "21", "ws": "80", "wss": "443"}

# A scheme start not preceded by a scheme character: finds nested links too. (Possessive:
# ":" is no scheme character, so a shorter scheme could never be followed by "://".)
_SCHEME = lazy_compile(r"(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]{0,30}+)://")
# Where a printed URL ends: white space, quotes, brackets and the braces dumpsys wraps intents in.
_URL_END = lazy_compile(r"[\s\x00-\x1f\x7f\"'<>{}\[\]\\`^|]")
_AUTHORITY_END = lazy_compile(r"[/?#]")
_HOST = lazy_compile(r"(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)+[a-z0-9-]{2,63}")
_IPV4 = lazy_compile(r"\d{1,3}(?:\.\d{1,3}){3}")
# A bare host name with an optional path, as a person types it in a message ("see bit.ly/x").
_BARE = lazy_compile(
    r"(?<![A-Za-z0-9@._/-])((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24})"
    r"(?![A-Za-z0-9@_-])(/[^\s\"'<>]*)?"
)


@record
class Link:
    """One link as seen (cut to MAX_URL_CHARS), the host to look up (lower case, no trailing
    dot; None when the scheme names no internet host), its 0-based line and what carried it."""

    url: str
    host: str | None
    line: int
    context: str


@record
class Links:
    links: tuple[Link, ...]
    dropped: int = 0


def normalise_host(raw: str) -> str | None:
    """``raw`` as an internet host name or IPv4 address in lower case, or None if it is not one."""
    host = raw.strip().lower().rstrip(".")
    if host.startswith("[") or len(host) > 253:
        return None  # an IPv6 literal or junk: no indicator format here carries those
    if _IPV4.fullmatch(host):
        return host if all(int(part) < 256 for part in host.split(".")) else None
    return host if _HOST.fullmatch(host) else None


def _split(url: str) -> tuple[str, str, str, str] | None:
    """(scheme, userinfo@, host[:port], rest) of ``scheme://authority rest``."""
    scheme, sep, tail = url.partition("://")
    if not sep:
        return None
    end = _AUTHORITY_END.search(tail)
    authority, rest = (tail[: end.start()], tail[end.start() :]) if end else (tail, "")
    user, at, hostport = authority.rpartition("@")
    return scheme.lower(), user + at, hostport, rest


def normalise_url(raw: str) -> str:
    """One spelling per URL for an exact lookup: scheme and host in lower case, the default
    port and a lone trailing '/' dropped, the fragment dropped; path and query as written."""
    url = raw.strip()
    parts = _split(url)
    if parts is None:
        return url
    scheme, user, hostport, rest = parts
    host, colon, port = hostport.rpartition(":") if hostport.count(":") == 1 else (hostport, "", "")
    host = host.lower().rstrip(".")
    if colon and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    rest = rest.partition("#")[0]
    if rest == "/":
        rest = ""
    return f"{scheme}://{user}{host}{rest}"


def _host_of(url: str) -> str | None:
    parts = _split(url)
    if parts is None or parts[0] not in NETWORK_SCHEMES:
        return None
    hostport = parts[2]
    host = hostport.rpartition(":")[0] if hostport.count(":") == 1 else hostport
    return normalise_host(host)


class _Found:
    def __init__(self) -> None:
        self.links: list[Link] = []
        self.seen: set[tuple[str, int]] = set()
        self.dropped = 0

    def add(self, url: str, host: str | None, line: int, context: str) -> None:
        if (url, line) in self.seen:
            return
        if len(self.links) >= MAX_LINKS:
            self.dropped += 1
            return
        self.seen.add((url, line))
        self.links.append(Link(url[:MAX_URL_CHARS], host, line, context))

    def result(self) -> Links:
        return Links(tuple(self.links), self.dropped)


def _scheme_links(found: _Found, text: str, line: int, context: str) -> None:
    for match in _SCHEME.finditer(text):
        start = match.start()
        end = _URL_END.search(text, match.end())
        url = text[start : end.start() if end else len(text)].rstrip(".,;:!?)")
        if len(url) > len(match.group(0)):
            found.add(url, _host_of(url), line, context)


def _lines(text: str) -> list[tuple[int, str]]:
    """(0-based line, text) of the lines that hold ``://`` (those that may hold a link), in
    order: each found by a search for ``://``, not by a split of the text (the link sections
    are kept as their link lines among empty ones: tens of thousands of lines, a few dozen
    with a link)."""
    found: list[tuple[int, str]] = []
    line, counted = 0, 0  # the line of text[counted]
    at = text.find("://")
    while at >= 0:
        start = text.rfind("\n", 0, at) + 1
        end = text.find("\n", at)
        end = len(text) if end < 0 else end
        line += text.count("\n", counted, start)
        counted = start
        found.append((line, text[start:end]))
        at = text.find("://", end)
    return found


def parse_intent_links(text: str) -> Links:
    """The links in intents' data (``dat=``) and any other ``scheme://`` of a dumpsys section."""
    found = _Found()
    for n, line in _lines(text):
        context = "intent data" if "dat=" in line else "link in dumpsys"
        _scheme_links(found, line, n, context)
    return found.result()


def parse_log_links(text: str) -> Links:
    """The ``scheme://`` links of a log."""
    found = _Found()
    for n, line in _lines(text):
        _scheme_links(found, line, n, "link in the log")
    return found.result()


def parse_sms_json(text: str) -> Links:
    """The links in the bodies of an SMS backup: a JSON list, one message per element (the
    section holds one message per line, so the line is the message's)."""
    found = _Found()
    for n, raw in enumerate(text.split("\n")):
        if not raw.strip():
            continue
        try:
            message = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"message on line {n + 1} is not JSON ({exc})") from None
        if not isinstance(message, dict):
            raise ParseError(f"message on line {n + 1} is not a JSON object")
        body = message.get("body")
        if not isinstance(body, str) or not body:
            continue
        sender = message.get("address")
        context = f"SMS from {sender}" if isinstance(sender, str) and sender else "SMS"
        _scheme_links(found, body, n, context)
        for bare in _BARE.finditer(body):  # not after '/': a link's own host is found above
            host = normalise_host(bare.group(1))
            if host is not None:
                found.add(bare.group(0), host, n, context)
    return found.result()
