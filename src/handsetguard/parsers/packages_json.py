"""AndroidQF's ``packages.json``: one object per package (name, installer, system flag, files
with hashes and signing certificates), read into the same records as ``dumpsys package``."""

from __future__ import annotations

import json
from collections.abc import Iterator

from handsetguard.boundedio import check_json
from handsetguard.errors import ParseError
from handsetguard.lazyre import lazy_compile
from handsetguard.parsers.component import Unreadable, unreadable
from handsetguard.parsers.packages import (
    EnabledState,
    Package,
    PackageDump,
    PackageFile,
    PackageUser,
)

__all__ = ["parse_packages_json"]


def parse_packages_json(text: str) -> PackageDump:
    """Parse AndroidQF's ``packages.json``. ``system`` becomes the ``SYSTEM`` flag, ``disabled``
    a user-0 state, ``files`` :class:`PackageFile` records; what it lacks stays ``None``/empty.
    ``line`` is the 0-based line of the object's opening ``{``. An item that is not an object
    with a string ``name`` is kept, as its JSON text, in ``unreadable``; invalid JSON or a
    non-list top level raises :class:`ParseError`.
    """
    packages: list[Package] = []
    unread: list[Unreadable] = []
    for item, line, raw in _json_items(text):
        package = _package_from_json(item, line)
        if package is None:
            unread.append(unreadable("packages.json", raw, line))
        else:
            packages.append(package)
    return PackageDump(tuple(packages), 0, tuple(unread))


_WHITESPACE = lazy_compile(r"[ \t\r\n]*")


def _json_items(text: str) -> Iterator[tuple[object, int, str]]:
    """The top-level list's items with the 0-based line each starts on and its JSON text."""
    check_json(text, "packages.json", ParseError)  # json recurses: depth-checked first
    decoder = json.JSONDecoder()
    pos = _skip(text, 1 if text.startswith("\ufeff") else 0)
    if not text.startswith("[", pos):
        if pos == len(text):
            raise ParseError("packages.json: empty document")
        raise ParseError("packages.json: top level is not a list")
    pos = _skip(text, pos + 1)
    line = text.count("\n", 0, pos)
    expect_item = not text.startswith("]", pos)
    while expect_item:
        try:
            item, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise ParseError(
                f"packages.json: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
            ) from exc
        except (RecursionError, ValueError) as exc:
            raise ParseError(f"packages.json: unreadable JSON value at offset {pos}") from exc
        yield item, line, text[pos:end]
        after = _skip(text, end)
        line += text.count("\n", pos, after)
        if text.startswith(",", after):
            pos = _skip(text, after + 1)
            line += text.count("\n", after, pos)
        elif text.startswith("]", after):
            pos, expect_item = after, False
        else:
            raise ParseError(f"packages.json: expected ',' or ']' at offset {after}")
    if _skip(text, pos + 1) != len(text):
        raise ParseError(f"packages.json: data after the list at offset {_skip(text, pos + 1)}")


def _skip(text: str, pos: int) -> int:
    match = _WHITESPACE.match(text, pos)
    return pos if match is None else match.end()


def _package_from_json(item: object, line: int) -> Package | None:
    if not isinstance(item, dict):
        return None
    name = item.get("name")
    if not isinstance(name, str) or not name:
        return None
    uid = item.get("uid")
    disabled = item.get("disabled")
    users: tuple[PackageUser, ...] = ()
    if isinstance(disabled, bool):
        state = EnabledState.DISABLED if disabled else None
        users = (PackageUser(user_id=0, line=line, installed=True, enabled=state),)
    files = item.get("files")
    apks = (
        [_file_from_json(f) for f in files if isinstance(f, dict)]
        if isinstance(files, list)
        else []
    )
    return Package(
        name=name,
        line=line,
        uid=uid if isinstance(uid, int) and not isinstance(uid, bool) else None,
        installer=_json_str(item.get("installer")),
        flags=frozenset({"SYSTEM"}) if item.get("system") is True else frozenset(),
        users=users,
        files=tuple(f for f in apks if f is not None),
    )


def _file_from_json(item: dict[str, object]) -> PackageFile | None:
    path = _json_str(item.get("path"))
    if path is None:
        return None
    cert = item.get("certificate")
    return PackageFile(
        path=path,
        md5=_json_str(item.get("md5")),
        sha1=_json_str(item.get("sha1")),
        sha256=_json_str(item.get("sha256")),
        sha512=_json_str(item.get("sha512")),
        certificate_sha256=_json_str(cert.get("Sha256")) if isinstance(cert, dict) else None,
        certificate_sha1=_json_str(cert.get("Sha1")) if isinstance(cert, dict) else None,
        certificate_md5=_json_str(cert.get("Md5")) if isinstance(cert, dict) else None,
        certificate_subject=_json_str(cert.get("Subject")) if isinstance(cert, dict) else None,
    )


def _json_str(value: object) -> str | None:
    """A non-empty string other than AndroidQF's ``"null"``, else ``None``."""
    return value if isinstance(value, str) and value not in ("", "null") else None
