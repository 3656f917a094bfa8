"""Fake handsets for the fake adb server: what each shell command answers (``Reply``), and the
state the adb server reports for the device (authorised, unauthorized, offline, unplugged)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeAlias

__all__ = [
    "DEFAULT_FEATURES",
    "STATES",
    "UNAUTHORIZED_MESSAGE",
    "FakeDevice",
    "Reply",
    "ReplySource",
    "command_not_found",
]

DEFAULT_FEATURES = (
    "shell_v2,cmd,stat_v2,ls_v2,fixed_push_mkdir,apex,abb,fixed_push_symlink_timestamp,"
    "abb_exec,remount_shell,track_app,sendrecv_v2"
)

# The adb server's own wording (AOSP packages/modules/adb transport.cpp, acquire_one_transport),
# with $ADB_VENDOR_KEYS unset.
UNAUTHORIZED_MESSAGE = (
    "device unauthorized.\n"
    "This adb server's $ADB_VENDOR_KEYS is not set\n"
    "Try 'adb kill-server' if that seems wrong.\n"
    "Otherwise check for a confirmation dialog on your device."
)

# Each state the adb server lists, and the FAIL message a transport to a device in that state
# gets (None: the device is usable). Same source as above.
STATES: Mapping[str, str | None] = {
    "device": None,
    "recovery": None,
    "rescue": None,
    "sideload": None,
    "unauthorized": UNAUTHORIZED_MESSAGE,
    "offline": "device offline",
    "authorizing": "device still authorizing",
    "connecting": "device still connecting",
}


@dataclass(frozen=True)
class Reply:
    """What the device answers to one shell command.

    ``delay`` is added to the device's ``latency``; both run after the service is accepted
    (OKAY), as a real command runs after adbd opened the shell, so a client's read timeout
    covers them. ``hang`` never answers, until the client closes, the device is unplugged or the
    server stops. ``disconnect_after`` sends that many stdout bytes, then drops the connection.
    ``refuse`` answers the service itself with ``FAIL <message>``, at once.
    """

    stdout: bytes = b""
    stderr: bytes = b""
    exit_code: int = 0
    delay: float = 0.0
    hang: bool = False
    disconnect_after: int | None = None
    refuse: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.stdout, bytes) or not isinstance(self.stderr, bytes):
            raise TypeError("Reply.stdout and Reply.stderr are bytes")
        if not 0 <= self.exit_code <= 255:
            raise ValueError(f"exit_code {self.exit_code}: a shell exit status is 0..255")
        if self.delay < 0:
            raise ValueError(f"delay {self.delay}: must be >= 0")
        if self.disconnect_after is not None and self.disconnect_after < 0:
            raise ValueError(f"disconnect_after {self.disconnect_after}: must be >= 0")


# A Sequence is consumed one element per call and its last element repeats; a callable is asked
# afresh on every call (it runs on the server's connection thread).
ReplySource: TypeAlias = Reply | Sequence[Reply] | Callable[[], Reply]


def command_not_found(command: str) -> Reply:
    """What Android's mksh answers for an unknown command."""
    words = command.split()
    name = words[0] if words else command
    message = f"/system/bin/sh: {name}: inaccessible or not found\n"
    return Reply(stderr=message.encode(), exit_code=127)


class Stream(Protocol):
    """An open shell connection the device can cut (the server's connection object)."""

    def drop(self) -> None: ...


def _check_state(state: str) -> str:
    if state not in STATES:
        raise ValueError(f"state {state!r}: expected one of {', '.join(STATES)}")
    return state


def _check_source(command: str, source: ReplySource) -> ReplySource:
    if isinstance(source, Reply) or callable(source):
        return source
    if isinstance(source, Sequence) and source and all(isinstance(r, Reply) for r in source):
        return tuple(source)
    raise TypeError(f"reply for {command!r}: a Reply, a non-empty sequence of them or a callable")


class FakeDevice:
    """One handset: replies by exact command text, plus the fields ``adb devices -l`` shows.

    Thread-safe: the server serves many connections to one device at once.
    """

    def __init__(
        self,
        serial: str,
        *,
        state: str = "device",
        model: str = "KS_60",
        product: str = "ks60_in",
        device: str = "kestrel60",
        features: str = DEFAULT_FEATURES,
        replies: Mapping[str, ReplySource] | None = None,
        default: Reply | None = None,
        latency: float = 0.0,
    ) -> None:
        if not serial or any(c.isspace() for c in serial):
            raise ValueError(f"serial {serial!r}: must be non-empty, without whitespace")
        if latency < 0:
            raise ValueError(f"latency {latency}: must be >= 0")
        self.serial = serial
        self.model = model
        self.product = product
        self.device = device
        self.features = features
        self.default = default
        self.latency = latency
        self._lock = threading.Lock()
        self._replies = {cmd: _check_source(cmd, src) for cmd, src in (replies or {}).items()}
        self._served: dict[str, int] = {}
        self._calls: list[str] = []
        self._state = _check_state(state)
        self._present = True
        self._streams: set[Stream] = set()
        self._listeners: list[Callable[[], None]] = []

    def __repr__(self) -> str:
        return f"FakeDevice({self.serial!r}, state={self.state!r}, present={self.present})"

    @property
    def calls(self) -> list[str]:
        """The shell commands served so far, in order (a copy; the ``; echo X4EXIT:$?`` that
        v1 clients append is not part of the command)."""
        with self._lock:
            return list(self._calls)

    @property
    def state(self) -> str:
        with self._lock:
            return self._state

    @property
    def present(self) -> bool:
        """False once unplugged: the device is then absent from ``adb devices``."""
        with self._lock:
            return self._present

    def set_reply(self, command: str, reply: ReplySource) -> None:
        """Answer ``command`` with ``reply`` from now on (a sequence starts from its first)."""
        source = _check_source(command, reply)
        with self._lock:
            self._replies[command] = source
            self._served.pop(command, None)

    def unplug(self) -> None:
        """Disappear from the server: new transports FAIL ``device 'S' not found`` and the
        shell connections in flight are dropped."""
        with self._lock:
            self._present = False
        self._cut_streams()
        self._notify()

    def plug(self) -> None:
        """Come back after ``unplug`` (same transport id)."""
        with self._lock:
            self._present = True
        self._notify()

    def set_state(self, state: str) -> None:
        """``device``, ``unauthorized``, ``offline`` … (see ``STATES``); a state in which the
        device is unusable drops the shell connections in flight, as adb does."""
        with self._lock:
            self._state = _check_state(state)
            usable = STATES[state] is None
        if not usable:
            self._cut_streams()
        self._notify()

    # The rest is for FakeAdbServer.

    def _next_reply(self, command: str) -> Reply:
        with self._lock:
            source = self._replies.get(command)
            if source is None:
                return self.default or command_not_found(command)
            if isinstance(source, Reply):
                return source
            if isinstance(source, Sequence):
                index = self._served.get(command, 0)
                self._served[command] = index + 1
                return source[min(index, len(source) - 1)]
        # Called without the lock: a callable may itself call set_reply() or unplug().
        reply = source()
        if not isinstance(reply, Reply):
            raise TypeError(f"reply callable for {command!r} returned {reply!r}, not a Reply")
        return reply

    def _record(self, command: str) -> None:
        with self._lock:
            self._calls.append(command)

    def _attach(self, stream: Stream) -> bool:
        """Register an open shell connection; False if the device cannot serve one now."""
        with self._lock:
            if not self._present or STATES[self._state] is not None:
                return False
            self._streams.add(stream)
            return True

    def _detach(self, stream: Stream) -> None:
        with self._lock:
            self._streams.discard(stream)

    def _subscribe(self, listener: Callable[[], None]) -> None:
        with self._lock:
            self._listeners.append(listener)

    def _cut_streams(self) -> None:
        with self._lock:
            streams = list(self._streams)
            self._streams.clear()
        for stream in streams:
            stream.drop()

    def _notify(self) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener()
